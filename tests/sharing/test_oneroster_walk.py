"""A notebook-like walk (Google's OneRoster conformance notebook: teacher by e-mail → their
classes → the classes' students) over HTTP with a real token, on a school imported from a
real OneRoster set (Ed-Fi's Grand Bend, ../shared/oneroster/samples): every student comes
with the e-mail the set gave them, which a consumer matching pupils by e-mail (Google
Classroom) needs. The walk through terms and grading periods, under the set's own ids, is
test_api_source_ids.py.

Both databases (the suite runs on each): on PostgreSQL the import itself failed before
(the school's identifier `255901001` did not fit a six-character column)."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from schoolbrug.registry.models import Assignment, Institution, SchoolYear, Staff
from schoolbrug.sharing import access, consent
from tests.sharing.conftest import Api

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

EDFI = Path(__file__).resolve().parents[3] / "shared/oneroster/samples/edfi-grand-bend-1.1"


def users_csv() -> dict[str, dict[str, str]]:
    with (EDFI / "users.csv").open(encoding="utf-8-sig", newline="") as handle:
        return {row["sourcedId"]: row for row in csv.DictReader(handle)}


@pytest.fixture
def grand_bend(db):
    """The Ed-Fi set imported for this school year; the school shares all of it with the app."""
    if not EDFI.is_dir():
        pytest.skip(f"OneRoster sample set not found at {EDFI} (outside the repo)")
    year = SchoolYear.start_year_for(timezone.localdate())
    call_command("sync", "oneroster", str(EDFI), "--school-year", f"{year}-{year + 1}")
    school = Institution.objects.get(number="255901001")
    director = Staff.objects.create(
        email="directie@grandbend.test", given_name="Dana", family_name="Bos"
    )
    Assignment.objects.create(
        staff=director,
        institution=school,
        role="director",
        start_date=timezone.localdate() - datetime.timedelta(days=1),
    )
    consent.activate(school, director.email)
    return school


def test_teacher_then_classes_then_students_with_their_email(grand_bend, app, live_server):
    access.grant(app.app, grand_bend, [], by="directie@grandbend.test")
    api = Api(live_server.url, app.client_id, app.secret)
    users = users_csv()
    teacher = users["207270"]  # Kelley Christian teaches Algebra I
    email = teacher["email"].lower()  # staff e-mails are kept in lower case

    found = api.get("/teachers", filter=f"email='{email}'")
    assert found.status_code == 200, found.text
    [me] = found.json()["users"]
    assert (me["givenName"], me["familyName"], me["email"]) == (
        "Kelley", "Christian", email
    )  # fmt: skip

    classes = api.get(f"/teachers/{me['sourcedId']}/classes", filter="status='active'")
    assert classes.status_code == 200, classes.text
    assert [c["title"] for c in classes.json()["classes"]] == ["Algebra I"]

    walked = {}
    for klass in classes.json()["classes"]:
        students = api.get(f"/classes/{klass['sourcedId']}/students")
        assert students.status_code == 200, students.text
        for student in students.json()["users"]:
            walked[(student["givenName"], student["familyName"])] = student["email"]
    expected = {
        (row["givenName"], row["familyName"]): row["email"]
        for row in users.values()
        if row["role"] == "student"
    }
    assert walked and all(walked.values())
    assert walked.items() <= expected.items()  # each with the e-mail the set gave them
