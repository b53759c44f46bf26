"""An app is given a teacher's classes only while she teaches them (seed 001 over real HTTP):
a teacher the SIS no longer sends in a class, or whose assignment the staff upload ended, is
gone from the class's teachers, her classes and the class's enrollments; sent again, she is
back with a new enrollment id."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from schoolbrug.registry.models import Assignment, Institution, SchoolClass, Staff, Teaching
from schoolbrug.registry.outward import OutwardIds
from schoolbrug.sharing import access, consent
from tests.sync.teaching_sets import BART, ELS, FIRST, SCHOOL, bulk_set, delta_set, sync

pytestmark = pytest.mark.django_db(transaction=True)

WITHOUT_ELS_IN_1A = {"t-1": ["class-1b"], "t-2": ["class-1a"]}
DIRECTOR = "directie@delinde.be"


@pytest.fixture
def shared(tmp_path, app):
    """The SIS's first bulk set synced; the school shares with the app, all classes."""
    sync(bulk_set(tmp_path / "first", FIRST))
    school = Institution.objects.get(number=SCHOOL)
    director = Staff.objects.create(email=DIRECTOR, given_name="Dirk", family_name="Baas")
    Assignment.objects.create(
        staff=director,
        institution=school,
        role="director",
        start_date=timezone.localdate() - datetime.timedelta(days=400),
    )
    consent.activate(school, DIRECTOR)
    access.grant(app.app, school, [], by=DIRECTOR)
    return school


def ids(*emails: str) -> set[str]:
    """The teachers' ids as the app sees them: the SIS's (t-1, ...), not ours."""
    outward = OutwardIds.load()
    return {outward[Staff.objects.get(email=email).sourced_id] for email in emails}


def one_a() -> str:
    return str(SchoolClass.objects.get(code="1A").sourced_id)


def what_the_app_sees(api, school) -> dict:
    els = next(iter(ids(ELS)))
    enrollments = api.get(f"/schools/{school.sourced_id}/classes/{one_a()}/enrollments").json()
    her_classes = api.get(f"/teachers/{els}/classes")  # 404: no teacher the app may see
    return {
        "class teachers": api.ids(f"/classes/{one_a()}/teachers", "users"),
        "her classes": (
            {c["classCode"] for c in her_classes.json()["classes"]}
            if her_classes.status_code == 200
            else her_classes.status_code
        ),
        "1A teacher enrollments": {
            e["user"]["sourcedId"] for e in enrollments["enrollments"] if e["role"] == "teacher"
        },
        "enrollment ids": api.ids("/enrollments", "enrollments"),
    }


def test_a_teacher_the_next_bulk_set_leaves_out_of_a_class_is_gone_and_comes_back(
    shared, api, tmp_path
):
    seen = what_the_app_sees(api, shared)
    assert seen["class teachers"] == seen["1A teacher enrollments"] == ids(ELS, BART)
    assert seen["her classes"] == {"1A", "1B"}
    # The SIS's enrollment id (kept as the link's alias), as every id it gave.
    old = OutwardIds.load()[
        Teaching.objects.get(assignment__staff__email=ELS, schoolclass__code="1A").sourced_id
    ]
    assert old == "e-t-1-class-1a" and old in seen["enrollment ids"]

    sync(bulk_set(tmp_path / "second", WITHOUT_ELS_IN_1A))

    seen = what_the_app_sees(api, shared)
    assert seen["class teachers"] == seen["1A teacher enrollments"] == ids(BART)
    assert seen["her classes"] == {"1B"}
    assert old not in seen["enrollment ids"]
    assert api.get(f"/enrollments/{old}").status_code == 404
    assert api.ids("/teachers", "users") == ids(ELS, BART)  # she still teaches 1B

    sync(bulk_set(tmp_path / "third", FIRST))  # she teaches 1A again

    seen = what_the_app_sees(api, shared)
    assert seen["class teachers"] == ids(ELS, BART)
    assert seen["her classes"] == {"1A", "1B"}
    new = Teaching.objects.get(
        assignment__staff__email=ELS, schoolclass__code="1A", end_date__isnull=True
    )
    # The SIS's id stays with the link it named (ended); the new link is known by ours.
    assert OutwardIds.load()[new.sourced_id] == str(new.sourced_id)
    assert str(new.sourced_id) in seen["enrollment ids"] and old not in seen["enrollment ids"]
    enrollment = api.get(f"/enrollments/{new.sourced_id}").json()["enrollment"]
    assert enrollment["beginDate"] == timezone.localdate().isoformat()


def test_a_delta_tobedeleted_enrollment_takes_the_class_from_the_teacher(shared, api, tmp_path):
    sync(delta_set(tmp_path / "delta", ended={"t-1": ["class-1a"]}))

    seen = what_the_app_sees(api, shared)
    assert seen["class teachers"] == seen["1A teacher enrollments"] == ids(BART)
    assert seen["her classes"] == {"1B"}


def upload(tmp_path, rows: list[str]) -> None:
    folder = tmp_path / f"upload{len(list(tmp_path.glob('upload*')))}"
    folder.mkdir()
    path = folder / "personeel.csv"
    header = "email,given_name,family_name,institution_number,role,start_date,end_date"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    call_command("staff", "import", str(path), stdout=io.StringIO())


def test_the_staff_upload_ending_her_assignment_ends_her_classes(app, api, tmp_path, monkeypatch):
    Institution.objects.create(number=SCHOOL, name="Basisschool De Linde")
    els = f"{ELS},Els,Teerlinck,{SCHOOL},teacher,2024-09-01,"
    bart = f"{BART},Bart,Aerts,{SCHOOL},teacher,2024-09-01,"
    director = f"{DIRECTOR},Dirk,Baas,{SCHOOL},director,2024-09-01,"
    upload(tmp_path, [els, bart, director])
    sync(bulk_set(tmp_path / "first", FIRST))  # their classes, on the upload's assignments
    school = Institution.objects.get(number=SCHOOL)
    consent.activate(school, DIRECTOR)
    access.grant(app.app, school, [], by=DIRECTOR)
    assert what_the_app_sees(api, school)["her classes"] == {"1A", "1B"}

    today = timezone.localdate()
    upload(tmp_path, [els + today.isoformat(), bart, director])  # today is her last day

    seen = what_the_app_sees(api, school)
    assert seen["her classes"] == {"1A", "1B"} and seen["class teachers"] == ids(ELS, BART)
    enrollment = next(
        e for e in api.get(f"/classes/{one_a()}/teachers").json()["users"] if e["email"] == ELS
    )
    assert enrollment["sourcedId"] in ids(ELS)
    tomorrow = today + datetime.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    seen = what_the_app_sees(api, school)
    assert seen["class teachers"] == seen["1A teacher enrollments"] == ids(BART)
    assert api.get(f"/teachers/{next(iter(ids(ELS)))}/classes").status_code == 404
