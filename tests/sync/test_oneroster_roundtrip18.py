"""Issue 18, point 9: our own export, imported into an empty registry and exported again, is the
same set (a teacher's beginDate and a long org identifier included); imported again, it changes
nothing."""

import datetime
import json

import pytest

from schoolbrug.oneroster.csv_out.export import export_oneroster
from schoolbrug.registry.models import Assignment, Institution, SchoolClass, SourceAlias, Staff
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
    sync_oneroster(tmp_path / "first", "--json")  # and again: nothing changes
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["updated"] == report["counts"]["created"] == 0, report
    assert Assignment.objects.get().start_date == datetime.date(2024, 2, 1)


def test_reading_our_export_back_into_the_registry_that_wrote_it_changes_nothing(tmp_path, capsys):
    registry_with_teacher(datetime.date(2026, 9, 1))
    export_oneroster(tmp_path, school_year=2026)
    capsys.readouterr()
    sync_oneroster(tmp_path, "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["updated"] == 0 and report["counts"]["unchanged"] == 12, report
    # Our own ids are no aliases: nothing was written for them.
    assert not SourceAlias.objects.filter(source="oneroster").exists()


def test_an_institution_number_that_is_no_flemish_number_comes_back_as_itself(tmp_path):
    night(PUPILS)
    Institution.objects.update(number="GB-77")  # read earlier from a set outside Flanders
    export_oneroster(tmp_path / "first", school_year=2026)
    empty_registry()
    sync_oneroster(tmp_path / "first")
    assert Institution.objects.get().number == "GB-77"
    export_oneroster(tmp_path / "second", school_year=2026)
    assert_same_files(tmp_path / "first", tmp_path / "second")
