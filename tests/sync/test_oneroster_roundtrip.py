"""Import what we export: a OneRoster set Schoolbrug wrote, read into an empty registry and
written again, is the same set, with the same ids."""

import datetime

import pytest
from django.core.management import call_command

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import (
    Assignment,
    Enrolment,
    Institution,
    Pupil,
    SchoolClass,
    SchoolYear,
    SourceAlias,
    Staff,
)
from schoolbrug.sync.models import SyncRun
from schoolbrug.sync.oneroster_export import export_oneroster
from schoolbrug.sync.service import sync_snapshot
from tests.factories import klass, pupil, snapshot

pytestmark = pytest.mark.django_db

CLASSES = [klass("1A"), klass("2B", year=2), klass("K1", stage="NVT", year=1, curriculum="KO")]
PUPILS = [
    pupil(i, ["1A", "2B", "K1"][i % 3], class_number=i, birth=datetime.date(2015 + i % 4, 5, i))
    for i in range(1, 13)
]


def registry_from_wisa():
    sync_snapshot(snapshot(PUPILS, classes=CLASSES), started_by="test", school_year=2026)
    teacher = Staff.objects.create(email="juf.an@example.be", given_name="An", family_name="Claes")
    assignment = Assignment.objects.create(
        staff=teacher,
        institution=Institution.objects.get(),
        role="teacher",
        start_date=datetime.date(2026, 9, 1),
    )
    assignment.classes.add(SchoolClass.objects.get(code="1A"))


def empty_registry():
    for model in (
        AuditEntry,
        SyncRun,
        SourceAlias,
        Enrolment,
        Assignment,
        Staff,
        Pupil,
        SchoolClass,
        Institution,
        SchoolYear,
    ):
        model.objects.all().delete()


def files_of(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("with_national_number", [False, True])
def test_export_import_export_gives_identical_files(tmp_path, with_national_number):
    registry_from_wisa()
    first = tmp_path / "first"
    export_oneroster(first, with_national_number=with_national_number, school_year=2026)
    pupil_ids = set(Pupil.objects.values_list("sourced_id", flat=True))

    empty_registry()
    call_command("sync", "oneroster", str(first), "--school-year", "2026-2027")
    assert set(Pupil.objects.values_list("sourced_id", flat=True)) == pupil_ids
    assert Staff.objects.get().email == "juf.an@example.be"
    if with_national_number:
        assert set(Pupil.objects.values_list("national_number", flat=True)) == {
            p.national_number for p in PUPILS
        }

    second = tmp_path / "second"
    export_oneroster(second, with_national_number=with_national_number, school_year=2026)
    first_files, second_files = files_of(first), files_of(second)
    assert first_files.keys() == second_files.keys()
    for name in first_files:
        assert first_files[name] == second_files[name], name


def test_reading_our_own_export_back_into_the_same_registry_changes_nothing(tmp_path, capsys):
    registry_from_wisa()
    export_oneroster(tmp_path, school_year=2026)
    before = set(Pupil.objects.values_list("sourced_id", flat=True))
    call_command("sync", "oneroster", str(tmp_path), "--school-year", "2026-2027", "--json")
    out = capsys.readouterr().out
    assert '"created": 0' in out and '"left": 0' in out
    assert set(Pupil.objects.values_list("sourced_id", flat=True)) == before
