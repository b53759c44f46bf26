"""A database URL never shows its password: not in the plan, the report, a message or a log
line (source.without_password, the one helper for it)."""

from __future__ import annotations

import pytest

from schoolbrug.merge import execute, source
from schoolbrug.merge import plan as plans
from schoolbrug.merge.errors import MergeRefused


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgres://sb:GEHEIM@db.test:5433/sb", "postgres://sb@db.test:5433/sb"),
        ("postgres://sb@db.test/sb?password=GEHEIM", "postgres://sb@db.test/sb"),
        (
            "postgres://sb@db.test/sb?sslmode=require&password=GEHEIM&sslpassword=GEHEIM"
            "&passfile=/etc/pgpass",
            "postgres://sb@db.test/sb?sslmode=require&passfile=/etc/pgpass",
        ),
        ("postgres://sb@db.test/sb?PassWord=GEHEIM&x=1", "postgres://sb@db.test/sb?x=1"),
        ("postgres://sb@db.test/sb?pass%77ord=GEHEIM", "postgres://sb@db.test/sb"),
        ("postgres://:GEHEIM@db.test/sb", "postgres://db.test/sb"),
        ("postgres://sb:GE/HE#IM@x@db.test/sb", "postgres://sb@db.test/sb"),
        (
            "postgres://sb:GE?HEIM@db.test/sb?sslmode=require",
            "postgres://sb@db.test/sb?sslmode=require",
        ),
        # A "?" then a "=" in the password: not a query string (the host comes after them).
        ("postgres://sb:GE?H=EIM@db.test/sb", "postgres://sb@db.test/sb"),
        ("postgres://sb:GE/H?E=IM@db.test:5433/sb", "postgres://sb@db.test:5433/sb"),
        ("sb:GE?HE=IM@db.test/sb", "sb@db.test/sb"),
        # A port, not a password: the "@" is the query's.
        ("postgres://db.test:5433?options=a@b", "postgres://db.test:5433?options=a@b"),
        ("postgres://[::1]/sb?options=a@b", "postgres://[::1]/sb?options=a@b"),
        ("sb:GEHEIM@db.test/sb", "sb@db.test/sb"),
        ("postgres://sb@[::1]:5432/sb?password=GEHEIM", "postgres://sb@[::1]:5432/sb"),
        ("host=db.test user=sb password='GE HEIM' dbname=sb", "host=db.test user=sb  dbname=sb"),
        ("sqlite:////srv/a@b.sqlite3", "sqlite:////srv/a@b.sqlite3"),
        ("sqlite:///bron/schoolbrug.sqlite3", "sqlite:///bron/schoolbrug.sqlite3"),
    ],
)
def test_every_form_of_password_is_left_out(url, shown):
    assert source.without_password(url) == shown
    assert "HEIM" not in shown
    assert source.without_password(shown) == shown  # the same on a URL shown before


def test_execute_takes_the_password_the_plan_left_out(db):
    plan = {"source": "postgres://sb@db.test/sb"}
    for given in ("postgres://sb:GEHEIM@db.test/sb", "postgres://sb@db.test/sb?password=GEHEIM"):
        execute._check_source(plan, given)  # the same database
    with pytest.raises(MergeRefused, match="andere databank"):
        execute._check_source(plan, "postgres://sb:GEHEIM@elders.test/sb")


def test_a_plan_holding_a_password_is_refused(tmp_path):
    plan = {
        "format": plans.FORMAT, "source": "postgres://sb@db.test/sb?password=GEHEIM",
        "institutions": [{"number": "1"}], "communities": [], "boards": [], "same_people": [],
        "candidates": [], "collisions": {}, "approvers": [],
    }  # fmt: skip
    with pytest.raises(MergeRefused, match="wachtwoord") as refused:
        plans.seal(plan)
    assert "GEHEIM" not in refused.value.message


def test_an_unreadable_url_is_refused_without_its_password(db, caplog):
    caplog.set_level("DEBUG")
    with pytest.raises(MergeRefused) as refused:
        source.connect("foo://sb:GEHEIM@db.test/sb?sslpassword=GEHEIM2")
    assert "foo://sb@db.test/sb" in refused.value.message
    assert "GEHEIM" not in refused.value.message + refused.value.log_message + caplog.text
