"""A OneRoster delta names what came in an earlier set by id only: the school (no orgs.csv),
the class (no classes.csv), the person (an enrollment without users row) or the class (a users
row without enrollment). The sync finds them in the registry, with ids others gave (the set a
SIS wrote, read here first as a bulk set)."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.management import call_command

from schoolbrug.registry.models import (
    LEAVERS_CLASS_CODE,
    Enrolment,
    Pupil,
    SchoolClass,
    SourceAlias,
)
from tests.sources.test_oneroster import USERS_12, base_set, manifest, write_set

pytestmark = pytest.mark.django_db

SCHOOL_YEAR = ["--school-year", "2025-2026"]
ENROLLMENTS = (
    "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,"
    "primary,beginDate,endDate\n"
)
STAMP = "2026-01-05T08:00:00.000Z"


def sync(path, capsys, *extra: str) -> dict:
    call_command("sync", "oneroster", str(path), *SCHOOL_YEAR, "--json", *extra)
    return json.loads(capsys.readouterr().out)


def delta(tmp_path, name: str, files: dict[str, str]) -> object:
    listed = tuple(f.removesuffix(".csv") for f in files)
    return write_set(tmp_path / name, {"manifest.csv": manifest("delta", listed), **files})


def where() -> dict[str, tuple]:
    """Source id → (family name, given name, gender, birth date, class, is_leaver)."""
    aliases = dict(
        SourceAlias.objects.filter(kind=SourceAlias.Kind.PUPIL).values_list(
            "sourced_id", "external_id"
        )
    )
    return {
        aliases[e.pupil.sourced_id]: (
            e.pupil.family_name, e.pupil.given_name, e.pupil.gender, e.pupil.birth_date,
            e.school_class.code, e.pupil.is_leaver,
        )
        for e in Enrolment.objects.select_related("pupil", "school_class")
    }  # fmt: skip


@pytest.fixture
def from_a_sis(tmp_path, capsys):
    """The registry after a bulk set with the SIS's own ids (school-1, class-1a, p-1, …)."""
    report = sync(write_set(tmp_path / "bulk", base_set()), capsys)
    assert report["applied"] and report["counts"]["created"] == 3, report
    assert where()["p-1"] == ("Peeters", "Zoë", "F", datetime.date(2019, 3, 14), "1A", False)
    return tmp_path


def test_a_delta_names_an_existing_class_by_its_id_without_classes_csv(
    from_a_sis, capsys, settings
):
    settings.SCHOOLBRUG_CHANGE_THRESHOLD = 1.0  # it changes all three pupils of the school
    curriculum = dict(SchoolClass.objects.values_list("code", "curriculum"))
    # p-1 moves to 2A (users row and enrollment), p-2 too (the enrollment alone), p-3 changes
    # name (the users row alone), p-9 is new in 2A. No orgs.csv, classes.csv, demographics.csv.
    path = delta(from_a_sis, "delta", {
        "users.csv": USERS_12
        + f"p-1,active,{STAMP},true,p1,,Zoë,Peeters,,,,,,,,,,,,,school-1,\n"
        + f"p-3,active,{STAMP},true,p3,,Lotte,Maes-Claes,,,,,,,,,,,,,school-1,\n"
        + f"p-9,active,{STAMP},true,p9,,Noor,Nieuw,,,,,,,,,,,,,school-1,\n",
        "enrollments.csv": ENROLLMENTS
        + f"e-10,active,{STAMP},class-2a,school-1,p-1,student,,,\n"
        + f"e-1,tobedeleted,{STAMP},class-1a,school-1,p-1,student,,,\n"
        + f"e-11,active,{STAMP},class-2a,school-1,p-2,student,,,\n"
        + f"e-12,active,{STAMP},class-2a,school-1,p-9,student,,,\n",
    })  # fmt: skip

    report = sync(path, capsys)

    assert report["institution"] == "012345"  # the school by its id: no orgs.csv needed
    assert report["findings"] == [] and report["applied"]
    counts = {k: v for k, v in report["counts"].items() if v}
    assert counts == {"moved": 2, "updated": 1, "created": 1}
    pupils = where()
    # Moved to the class the registry knows by the SIS's id; gender and birth date kept (the
    # delta has no demographics row), the name kept where it has no users row.
    assert pupils["p-1"] == ("Peeters", "Zoë", "F", datetime.date(2019, 3, 14), "2A", False)
    assert pupils["p-2"][:2] == ("Aerts", "Adam") and pupils["p-2"][4] == "2A"
    assert pupils["p-3"][:2] == ("Maes-Claes", "Lotte") and pupils["p-3"][4] == "2A"
    assert pupils["p-9"][:2] == ("Nieuw", "Noor") and pupils["p-9"][4] == "2A"
    # The classes are as they were: nothing blanked for lack of a classes file.
    assert dict(SchoolClass.objects.values_list("code", "curriculum")) == curriculum


def test_a_class_id_the_registry_does_not_know_is_a_finding(from_a_sis, capsys):
    path = delta(from_a_sis, "delta", {
        "users.csv": USERS_12 + f"p-9,active,{STAMP},true,p9,,Noor,Nieuw,,,,,,,,,,,,,school-1,\n",
        "enrollments.csv": ENROLLMENTS + f"e-12,active,{STAMP},class-zz,school-1,p-9,student,,,\n",
    })  # fmt: skip

    report = sync(path, capsys)

    assert [f["code"] for f in report["findings"]] == ["PUPIL_CLASS_MISSING"]
    assert report["counts"]["rejected"] == 1 and "p-9" not in where()


def test_a_delta_about_a_school_nobody_knows_is_refused_whole(from_a_sis, capsys):
    before = where()
    path = delta(from_a_sis, "delta", {
        "users.csv": USERS_12
        + f"p-1,active,{STAMP},true,p1,,Zoë,Anders,,,,,,,,,,,,,school-1,\n"
        + f"p-9,active,{STAMP},true,p9,,Noor,Nieuw,,,,,,,,,,,,,school-9,\n",
        "enrollments.csv": ENROLLMENTS
        + f"e-10,active,{STAMP},class-2a,school-1,p-1,student,,,\n"
        + f"e-12,active,{STAMP},class-9a,school-9,p-9,student,,,\n",
    })  # fmt: skip

    with pytest.raises(SystemExit) as stopped:
        call_command("sync", "oneroster", str(path), *SCHOOL_YEAR)

    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "enrollments.csv" in err and "schoolSourcedId" in err and "school-9" in err
    assert "--org-map" in err and "school-9,012345" in err  # what would help
    assert where() == before  # nothing partial: not even the other school's change


def test_a_delta_leaver_the_registry_never_had_is_created_as_a_leaver(from_a_sis, capsys):
    """A delta Schoolbrug wrote deletes a pupil that came and went after the earlier set: the
    deleted rows still name them, and a student role says they were a pupil."""
    roles = (
        "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,"
        "orgSourcedId,userProfileSourcedId\n"
    )
    path = delta(from_a_sis, "delta", {
        "users.csv": USERS_12
        + f"p-8,tobedeleted,{STAMP},false,p8,,Kim,Kort,,,,,,,,,,,,,school-1,\n"
        + f"p-2,tobedeleted,{STAMP},false,p2,,Adam,Aerts,,,,,,,,,,,,,school-1,\n"
        + f"t-2,tobedeleted,{STAMP},false,t2,,Tom,Weg,,,,,,,,,,,,,school-1,\n",
        "roles.csv": roles
        + f"r-p8,tobedeleted,{STAMP},p-8,primary,student,,,school-1,\n"
        + f"r-t2,tobedeleted,{STAMP},t-2,primary,teacher,,,school-1,\n",
    })  # fmt: skip

    report = sync(path, capsys, "--force")  # one of three pupils leaves: over the threshold

    assert report["counts"]["created"] == 1 and report["counts"]["left"] == 1
    pupils = where()
    assert pupils["p-8"][:2] == ("Kort", "Kim") and pupils["p-8"][4:] == (LEAVERS_CLASS_CODE, True)
    assert pupils["p-2"][4:] == (LEAVERS_CLASS_CODE, True)  # left, with the data it had
    assert pupils["p-2"][2:4] == ("M", datetime.date(2019, 5, 2))
    assert not Pupil.objects.filter(given_name="Tom").exists()  # a teacher is no pupil
