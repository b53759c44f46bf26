"""An app reading a moved school through the OneRoster API gets, after the merge, the very
bytes it got before from the other database: the same ids, the same dates, the same order.

Before: the other database's own Schoolbrug answers (a subprocess on it). After: this one.

A school year is one record per database, joined by its start year: its id is derived from
the start year (sync/apply.py), so both sides name it alike. A person joined with one of the
receiving side (the same e-mail) is that person from then on: school 200002 has none."""

from __future__ import annotations

import json

import pytest

from schoolbrug.merge import fold, source
from schoolbrug.merge import plan as plans
from schoolbrug.registry.models import Institution, SchoolClass, SchoolYear, Staff
from tests.merge.api_dump import dump
from tests.merge.databases import run_django
from tests.merge.world import MOVING_APP_CLIENT, MOVING_APP_SECRET, populate


@pytest.fixture
def receiving(db, settings):
    # The other side's own server checks the app's secret: hashed as it would be there.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    return populate("default", "receiving")


def _paths(alias: str, number: str = "200002") -> list[str]:
    school = Institution.objects.using(alias).get(number=number)
    klass = SchoolClass.objects.using(alias).get(institution=school, code="1A")
    s, k = school.sourced_id, klass.sourced_id
    return [
        f"/schools/{s}",
        f"/orgs/{s}",
        f"/schools/{s}/students",
        f"/schools/{s}/teachers",
        f"/schools/{s}/enrollments",
        f"/schools/{s}/terms",
        f"/schools/{s}/classes",
        f"/classes/{k}",
        f"/classes/{k}/students",
        f"/classes/{k}/teachers",
    ]


def test_the_api_answers_byte_for_byte_the_same_for_a_moved_school(receiving, source_url):
    alias = source.connect(source_url)
    paths = _paths(alias)
    before = run_django(
        ["-m", "tests.merge.api_dump", MOVING_APP_CLIENT, MOVING_APP_SECRET, *paths], source_url
    )
    assert before.returncode == 0, before.stderr[-3000:]
    before = json.loads(before.stdout.strip().splitlines()[-1])
    assert all(status == 200 for status, _ in before.values()), before
    assert "Fammoving" in before[paths[2]][1]  # the school's pupils are in the answer

    plan = plans.make_plan(source_url, central_admin="directie@receiving.test")
    for candidate in plan["candidates"]:
        candidate["decision"] = "different"
    report = fold.apply(plans.seal(plan), source_url=source_url)
    assert report["tables"]["registry.SchoolYear"]["joined"] == 1
    shared = Staff.objects.using(alias).get(email="gedeeld@scholen.test").sourced_id
    assert str(shared) in report["sourced_ids_replaced"]  # the joined teacher's id
    (year,) = SchoolYear.objects.values_list("sourced_id", flat=True)
    assert str(year) not in report["sourced_ids_replaced"].values()  # the same on both sides

    after = dump(MOVING_APP_CLIENT, MOVING_APP_SECRET, paths)
    for path in paths:
        assert after[path] == before[path], path
