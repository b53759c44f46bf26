"""The moving side's directors approve in their own database: at execute their approvals are
read from there, and an approval recorded on the wrong side's database does not count.

The source database here is a migrated copy of the test database (SQLite: a file made with
the backup API; PostgreSQL: a database made from it as template), registered as its own
connection the way m1core's `source.connect` registers one."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection, connections
from django.db.utils import load_backend

from schoolbrug.merge import approvals, backup, execute
from schoolbrug.merge.errors import MergeRefused
from schoolbrug.merge.models import MergeApproval, MergeRun

pytestmark = pytest.mark.django_db(transaction=True)

ALIAS = "merge_source_test"


@pytest.fixture
def source_database(world):
    """A second database holding what the receiving one holds now, as its own connection."""
    settings_dict = dict(connection.settings_dict)
    if connection.vendor == "postgresql":
        name = f"{settings_dict['NAME']}_bron"
        connection.close()
        admin = dict(host=settings_dict["HOST"] or None, port=settings_dict["PORT"] or None)
        with psycopg.connect(
            dbname="postgres", user=settings_dict["USER"], autocommit=True, **admin
        ) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}"')
            # A template may have no other session: tests/conftest.py closes the ones a
            # browser test opened beside the thread's own.
            server.execute(f'CREATE DATABASE "{name}" TEMPLATE "{settings_dict["NAME"]}"')
        settings_dict["NAME"] = name
    else:
        settings_dict["NAME"] = str(backup.take())
    # Made here rather than added to the settings: Django's test case allows a connection it
    # was not told of only when it is made at run time, as m1core's connect() makes one.
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias=ALIAS)
    connections[ALIAS] = wrapper
    yield ALIAS
    wrapper.close()
    del connections[ALIAS]
    if connection.vendor == "postgresql":
        with psycopg.connect(
            dbname="postgres", user=settings_dict["USER"], autocommit=True, **admin
        ) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{settings_dict["NAME"]}"')


def record(alias: str, email: str, number: str, side: str, digest: str) -> None:
    MergeApproval.objects.using(alias).create(
        digest=digest, email=email, institution_number=number, side=side, via="web"
    )


def test_each_sides_approvals_count_only_in_their_own_database(
    world, source_database, monkeypatch, fold
):
    digest = world.plan["digest"]
    record("default", "directie@regenboog.be", "012345", "receiving", digest)
    # The moving director's yes, recorded in the receiving database: does not count.
    record("default", "directie@sintjozef.be", "054321", "moving", digest)
    monkeypatch.setattr(execute, "source_connect", lambda: lambda url: source_database)
    # The source is a copy of this database: every sourced id would clash (a check of its own).
    monkeypatch.setattr(execute, "_unique_values_now", lambda plan, alias: None)
    with pytest.raises(MergeRefused, match="directie@sintjozef.be"):
        execute.execute(world.plan, starter="beheer@ontvanger.be")
    assert fold.calls == [] and not MergeRun.objects.exists()
    # A receiving director's yes found only in the source database does not count either.
    record(source_database, "directie@sintjozef.be", "054321", "moving", digest)
    MergeApproval.objects.filter(side="receiving").delete()
    record(source_database, "directie@regenboog.be", "012345", "receiving", digest)
    assert [a.email for a in approvals.missing(world.plan, source_alias=source_database)] == [
        "directie@regenboog.be"
    ]
    record("default", "directie@regenboog.be", "012345", "receiving", digest)
    run = execute.execute(world.plan, starter="beheer@ontvanger.be")
    assert run.state == MergeRun.State.DONE and len(fold.calls) == 1
