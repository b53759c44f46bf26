"""Issue 18, point 9: our own export, imported into an empty registry and exported again, is the
same set (a teacher's beginDate and a long org identifier included); imported again, it changes
nothing."""

import datetime

import pytest

from schoolbrug.oneroster.csv_out.export import export_oneroster
from schoolbrug.registry.models import Assignment, Institution, SchoolClass, Staff
from tests.sync.test_oneroster_roundtrip import (
    PUPILS,
    assert_same_files,
    empty_registry,
    night,
    sync_oneroster,
)

pytestmark = pytest.mark.django_db


def registry_with_teacher(start):
    night(PUPILS)
    teacher = Staff.objects.create(email="juf.an@example.be", given_name="An", family_name="Claes")
    assignment = Assignment.objects.create(
        staff=teacher, institution=Institution.objects.get(), role="teacher", start_date=start
    )
    assignment.classes.add(SchoolClass.objects.get(code="1A"))


def test_round_trip_keeps_a_teachers_begin_date(tmp_path, capsys):
    registry_with_teacher(datetime.date(2024, 2, 1))
    export_oneroster(tmp_path / "first", school_year=2026)
    empty_registry()
    sync_oneroster(tmp_path / "first")
    assert Assignment.objects.get().start_date == datetime.date(2024, 2, 1)
    export_oneroster(tmp_path / "second", school_year=2026)
    assert_same_files(tmp_path / "first", tmp_path / "second")
    capsys.readouterr()
    sync_oneroster(tmp_path / "first", "--json")
    out = capsys.readouterr().out
    print(out)
    assert '"updated": 0' in out
