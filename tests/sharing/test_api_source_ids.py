"""Issue 18, point 6 over real HTTP: an app that was linked to the SIS directly finds every
record of a school imported from a OneRoster set under the set's own ids (Ed-Fi's Grand Bend,
../shared/oneroster/samples): in objects, references and hrefs, by route and by filter; our
own id still answers (links made before). Then the notebook-like walk: teacher by e-mail (in
any case) → classes → terms → grading periods → students with their e-mail."""

from __future__ import annotations

import csv

import pytest
from django.core.management import call_command
from django.utils import timezone

from schoolbrug.registry.models import Board, Institution, Pupil, SchoolYear, SourceAlias
from schoolbrug.sharing import access
from tests.sharing.conftest import Api
from tests.sharing.test_oneroster_walk import EDFI, grand_bend  # noqa: F401 - the fixture
from tests.sync.test_oneroster_source_ids import (
    ALGEBRA,
    ENGLISH,
    FALL,
    SPRING,
    YEAR_ID,
    sessions_set,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def edfi_ids(name: str, **where: str) -> set[str]:
    with (EDFI / f"{name}.csv").open(encoding="utf-8-sig", newline="") as handle:
        return {
            row["sourcedId"]
            for row in csv.DictReader(handle)
            if all(row[k] == v for k, v in where.items())
        }


def grand_bend_year() -> int:
    return SchoolYear.start_year_for(timezone.localdate())


def edfi_rows(name: str) -> dict[str, dict[str, str]]:
    with (EDFI / f"{name}.csv").open(encoding="utf-8-sig", newline="") as handle:
        return {row["sourcedId"]: row for row in csv.DictReader(handle)}


@pytest.fixture
def api(grand_bend, app, live_server):  # noqa: F811 - the fixture imported above
    access.grant(app.app, grand_bend, [], by="directie@grandbend.test")
    return Api(live_server.url, app.client_id, app.secret)


def test_every_object_and_reference_has_the_sets_id(api, grand_bend):  # noqa: F811
    students = edfi_ids("users", role="student")
    assert api.ids("/students", "users") == students
    assert api.ids("/teachers", "users") == edfi_ids("users", role="teacher")
    assert api.ids("/classes", "classes") >= edfi_ids("classes")
    assert {"ENG-1", "03100500"} <= api.ids("/courses", "courses")
    assert {"255901001"} == api.ids("/schools", "orgs")
    enrollments = api.get("/enrollments", limit=100).json()["enrollments"]
    assert {e["sourcedId"] for e in enrollments} <= edfi_ids("enrollments")
    assert len(enrollments) == 10
    for enrollment in enrollments:
        for ref in ("user", "class", "school"):
            sourced_id = enrollment[ref]["sourcedId"]
            assert enrollment[ref]["href"].endswith(f"/{sourced_id}")
            assert "-" not in sourced_id or ref == "user"  # none of our UUIDs
        assert enrollment["user"]["sourcedId"] in edfi_ids("users")
        # A pupil's enrollment has the dates the set gave it.
        given = edfi_rows("enrollments")[enrollment["sourcedId"]]
        if enrollment["role"] == "student":
            assert (enrollment["beginDate"], enrollment["endDate"]) == (
                given["beginDate"], given["endDate"]
            )  # fmt: skip
    mary = api.get("/users/604863")
    assert mary.status_code == 200, mary.text
    user = mary.json()["user"]
    # The set's username and userIds, not ours (issue 18, point 6).
    assert (user["sourcedId"], user["username"], user["givenName"]) == (
        "604863", "Mary Archer", "Mary"
    )  # fmt: skip
    assert user["userIds"] == [{"type": "Local", "identifier": "863"}]
    assert api.ids("/users", "users", filter="username='Mary Archer'") == {"604863"}
    assert user["primaryOrg"]["sourcedId"] == "255901001"


def test_the_sets_ids_are_looked_up_and_filtered_on_and_ours_still_answer(api, grand_bend):  # noqa: F811
    ours = SourceAlias.objects.get(kind="pupil", external_id="604863").sourced_id
    by_ours = api.get(f"/users/{ours}")
    assert by_ours.status_code == 200 and by_ours.json()["user"]["sourcedId"] == "604863"
    assert api.get("/users/no-such-id").status_code == 404
    assert api.ids("/users", "users", filter="sourcedId='604863'") == {"604863"}
    mine = api.ids("/enrollments", "enrollments", filter="user.sourcedId='604863'")
    assert mine == {"6F4283DC-F831-4437-A9A3-E030C7AF0493"}
    english = "25590100101Trad120ENG112011"
    assert api.ids(f"/classes/{english}/students", "users") == {
        "604863", "604969", "604974", "605015"
    }  # fmt: skip
    assert api.get(f"/schools/255901001/classes/{english}/enrollments").status_code == 200
    assert api.get("/courses/ENG-1").json()["course"]["title"] == "English I"
    assert api.ids("/courses/ENG-1/classes", "classes") == {english}
    assert api.get("/demographics/604863").json()["demographics"]["sex"] == "female"


def test_notebook_walk_teacher_classes_terms_grading_periods_students(api, grand_bend):  # noqa: F811
    # The set writes her address with capitals; we keep staff e-mail in lower case.
    found = api.get("/teachers", filter="email='Kelley.Christian@StudentGPS.org'")
    assert found.status_code == 200, found.text
    [teacher] = found.json()["users"]
    assert teacher["sourcedId"] == "207270"

    [klass] = api.get(f"/teachers/{teacher['sourcedId']}/classes").json()["classes"]
    assert (klass["sourcedId"], klass["course"]["sourcedId"]) == (
        "25590100102Trad220ALG112011", "03100500"
    )  # fmt: skip
    # Its terms are the set's two semesters; the set gives them no grading periods.
    terms = klass["terms"]
    assert [t["sourcedId"] for t in terms] == [FALL, SPRING], klass
    for term in terms:
        answer = api.get(f"/terms/{term['sourcedId']}")
        assert answer.status_code == 200, answer.text
        assert answer.json()["academicSession"]["type"] == "semester"
        answer = api.get(f"/terms/{term['sourcedId']}/gradingPeriods")
        assert answer.status_code == 200, answer.text
        assert answer.json()["academicSessions"] == []
    students = api.get(f"/classes/{klass['sourcedId']}/students").json()["users"]
    assert {s["sourcedId"] for s in students} == {"604874", "604918", "604927", "604938"}
    assert all(s["email"].endswith("@studentgps.org") for s in students)
    # A pupil's e-mail too, whatever its case.
    [kyle] = api.get("/students", filter="email='kyle.hughes@STUDENTGPS.org'").json()["users"]
    assert kyle["sourcedId"] == "604874"


def test_a_district_is_found_by_the_identifier_it_shows(api, grand_bend):  # noqa: F811
    board = Board.objects.create(name="Grand Bend ISD")
    Institution.objects.filter(pk=grand_bend.pk).update(board=board)
    [district] = [o for o in api.get("/orgs").json()["orgs"] if o["type"] == "district"]
    assert district["identifier"] == str(board.sourced_id)
    found = api.get("/orgs", filter=f"identifier='{district['identifier']}'").json()["orgs"]
    assert [o["sourcedId"] for o in found] == [district["sourcedId"]]
    assert Pupil.objects.count() == 8


def test_the_sets_sessions_and_a_class_s_own_terms_over_http(api, grand_bend, tmp_path):  # noqa: F811
    call_command("sync", "oneroster", str(sessions_set(tmp_path)), "--school-year",
                 f"{grand_bend_year()}-{grand_bend_year() + 1}")  # fmt: skip

    sessions = api.get("/academicSessions", limit=100).json()["academicSessions"]
    assert {s["sourcedId"] for s in sessions} == edfi_ids("academicSessions") | {"GP-FALL-1"}
    given = edfi_rows("academicSessions")
    for session in sessions:
        if session["sourcedId"] in given and session["type"] != "schoolYear":
            row = given[session["sourcedId"]]
            assert (session["title"], session["type"], session["startDate"]) == (
                row["title"], row["type"], row["startDate"]
            )  # fmt: skip
            assert session["parent"]["sourcedId"] == YEAR_ID
    algebra = api.get(f"/classes/{ALGEBRA}").json()["class"]
    english = api.get(f"/classes/{ENGLISH}").json()["class"]
    assert [t["sourcedId"] for t in algebra["terms"]] == [FALL]
    assert [t["sourcedId"] for t in english["terms"]] == [FALL, SPRING]
    assert ALGEBRA in api.ids(f"/terms/{FALL}/classes", "classes")
    assert api.ids(f"/terms/{SPRING}/classes", "classes") & {ALGEBRA, ENGLISH} == {ENGLISH}
    [period] = api.get(f"/terms/{FALL}/gradingPeriods").json()["academicSessions"]
    assert (period["sourcedId"], period["parent"]["sourcedId"]) == ("GP-FALL-1", FALL)
    assert {t["sourcedId"] for t in api.get("/terms").json()["academicSessions"]} == {FALL, SPRING}
