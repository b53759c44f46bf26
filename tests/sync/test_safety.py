"""The safety checks stop an export that would move many pupils to the leavers (more than
SCHOOLBRUG_LEAVER_THRESHOLD, 25 %) or update or move many of them (more than
SCHOOLBRUG_CHANGE_THRESHOLD, 75 %): exit 3, nothing written, --force applies it. Checked at,
just under and just over each threshold, on a bulk export (WISA, the command) and on a delta
(OneRoster)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from django.core.management import call_command

from schoolbrug.registry.models import Enrolment, Pupil
from schoolbrug.sync.report import EXIT_STOPPED
from schoolbrug.sync.service import SyncOptions, sync_snapshot
from tests.factories import klass, pupil, snapshot, wisa_files

pytestmark = pytest.mark.django_db

INSTITUTION = "012345"
CLASSES = [klass("1A"), klass("1B")]
SCHOOL = [pupil(i, "1A", class_number=i) for i in range(1, 21)]  # 20 pupils


def wisa(tmp_path, pupils, *extra: str, school_year: str = "2026-2027") -> tuple[int, dict]:
    folder = tmp_path / f"night{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    pupils_path, classes_path = wisa_files(folder, pupils, CLASSES)
    report = folder / "report.json"
    try:
        call_command(
            "sync", "wisa", "--institution", INSTITUTION, "--pupils", str(pupils_path),
            "--classes", str(classes_path), "--report", str(report),
            "--school-year", school_year, *extra,
        )  # fmt: skip
        code = 0
    except SystemExit as stop:
        code = stop.code
    return code, json.loads(report.read_text(encoding="utf-8"))


def renamed(pupils, count: int):
    return [
        dataclasses.replace(p, given_name="Anders") if i < count else p
        for i, p in enumerate(pupils)
    ]


def moved(pupils, count: int):
    return [
        dataclasses.replace(p, class_code="1B") if i < count else p for i, p in enumerate(pupils)
    ]


def given_names() -> set[str]:
    return set(Pupil.objects.values_list("given_name", flat=True))


# --- bulk: the command with WISA files -------------------------------------------------------


@pytest.mark.parametrize(("changed", "stopped"), [(14, False), (15, False), (16, True)])
def test_an_export_that_updates_or_moves_more_than_three_quarters_stops(tmp_path, changed, stopped):
    wisa(tmp_path, SCHOOL)
    # Half renamed, half moved to another class: 15 of 20 is the 75 % allowed.
    half = changed // 2
    night = renamed(SCHOOL, half)
    night = night[:half] + moved(night[half:], changed - half)

    code, report = wisa(tmp_path, night)

    assert (code == EXIT_STOPPED) is stopped and report["stopped"] is stopped
    assert report["applied"] is not stopped
    if stopped:
        assert (
            "16 van de 20 leerlingen (80%) wijzigen of naar een andere klas"
            in (report["stop_reason"])
        )
        assert (
            given_names() == {"Zoë"}
            and not Enrolment.objects.filter(school_class__code="1B").exists()
        )  # nothing written
    else:
        assert Enrolment.objects.filter(school_class__code="1B").count() == changed - half
        assert Pupil.objects.filter(given_name="Anders").count() == half


def test_force_applies_an_export_that_rewrites_the_school(tmp_path):
    wisa(tmp_path, SCHOOL)

    code, report = wisa(tmp_path, renamed(SCHOOL, 20), "--force")

    assert code == 0 and report["applied"] and report["counts"]["updated"] == 20
    assert given_names() == {"Anders"}


def test_the_threshold_of_changes_is_a_setting(tmp_path, settings):
    settings.SCHOOLBRUG_CHANGE_THRESHOLD = 0.5
    wisa(tmp_path, SCHOOL)
    code, report = wisa(tmp_path, renamed(SCHOOL, 11))
    assert code == EXIT_STOPPED and "de grens is 50%" in report["stop_reason"]


def test_a_first_sync_and_a_school_years_first_sync_are_never_stopped_by_it(tmp_path):
    code, report = wisa(tmp_path, SCHOOL)  # no active pupils yet
    assert code == 0 and report["counts"]["created"] == 20
    # The new school year: every pupil gets a class for the first time, most a new one.
    code, report = wisa(tmp_path, moved(SCHOOL, 20), school_year="2027-2028")
    assert code == 0 and report["counts"]["moved"] == 20


@pytest.mark.parametrize(("leaving", "stopped"), [(4, False), (5, False), (6, True)])
def test_an_export_that_makes_more_than_a_quarter_leave_stops(tmp_path, leaving, stopped):
    wisa(tmp_path, SCHOOL)

    code, report = wisa(tmp_path, SCHOOL[leaving:])

    assert (code == EXIT_STOPPED) is stopped
    assert report["counts"]["left"] == leaving
    assert Pupil.objects.filter(is_leaver=True).count() == (0 if stopped else leaving)


# --- a delta: OneRoster, keyed on the source's ids ---------------------------------------------


def oneroster(pupils, **extra):
    return snapshot(pupils, CLASSES, INSTITUTION, source="oneroster", key="source_id", **extra)


OPTIONS = SyncOptions(started_by="test", school_year=2026)


@pytest.mark.parametrize(("changed", "stopped"), [(14, False), (15, False), (16, True)])
def test_a_delta_that_moves_more_than_three_quarters_stops(changed, stopped):
    sync_snapshot(oneroster(SCHOOL), options=OPTIONS)

    report = sync_snapshot(
        oneroster(moved(SCHOOL, changed)[:changed], is_delta=True), options=OPTIONS
    )

    assert report.stopped is stopped and report.counts["moved"] == changed
    moved_now = Enrolment.objects.filter(school_class__code="1B").count()
    assert moved_now == (0 if stopped else changed)


@pytest.mark.parametrize(("leaving", "stopped"), [(4, False), (5, False), (6, True)])
def test_a_delta_that_makes_more_than_a_quarter_leave_stops(leaving, stopped):
    sync_snapshot(oneroster(SCHOOL), options=OPTIONS)
    gone = frozenset(p.source_id for p in SCHOOL[:leaving])

    report = sync_snapshot(oneroster([], is_delta=True, leaving_source_ids=gone), options=OPTIONS)

    assert report.stopped is stopped and report.counts["left"] == leaving
    assert Pupil.objects.filter(is_leaver=True).count() == (0 if stopped else leaving)
