"""The summer rule: in the blackout period (default 1 July to 31 August, per institution on its
SIS link) pupils who would leave are held: the rest is applied, each held pupil has a finding
and counts as deferred, and leaves at the first sync after the period (also when a delta named
them only once), or at once with --force. The day is the sync's day in Belgium."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.management import call_command

from schoolbrug.links.models import SourceLink
from schoolbrug.registry.models import Enrolment, Institution, Pupil
from schoolbrug.sync import blackout
from schoolbrug.sync.blackout import Period, parse_period, sync_day
from schoolbrug.sync.models import HeldLeaver
from schoolbrug.sync.service import SyncOptions, sync_snapshot
from tests.factories import klass, pupil, snapshot, wisa_files

INSTITUTION = "012345"
CLASSES = [klass("1A"), klass("1B")]
SCHOOL = [pupil(i, "1A", class_number=i) for i in range(1, 21)]
# The next night: pupil 1 is gone, pupil 2 moves to 1B, pupil 21 is new.
NEXT_NIGHT = [pupil(2, "1B", class_number=2), *SCHOOL[2:], pupil(21, "1A", class_number=21)]
DAY = datetime.date


def day_of(date: DAY) -> tuple[int, int]:
    return date.month, date.day


# --- the period --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "day", "inside"),
    [
        ("1/7-31/8", DAY(2027, 6, 30), False),
        ("1/7-31/8", DAY(2027, 7, 1), True),
        ("1/7-31/8", DAY(2027, 8, 31), True),
        ("1/7-31/8", DAY(2027, 9, 1), False),
        ("15/6-15/9", DAY(2027, 6, 14), False),
        ("15/6-15/9", DAY(2027, 6, 15), True),
        ("15/6-15/9", DAY(2027, 9, 15), True),
        ("15/6-15/9", DAY(2027, 9, 16), False),
        ("15/12-15/1", DAY(2027, 12, 14), False),
        ("15/12-15/1", DAY(2027, 12, 31), True),
        ("15/12-15/1", DAY(2028, 1, 1), True),
        ("15/12-15/1", DAY(2028, 1, 15), True),
        ("15/12-15/1", DAY(2028, 1, 16), False),
        ("29/2-1/3", DAY(2028, 2, 29), True),
    ],
)
def test_a_period_holds_both_its_days_and_may_run_over_new_year(period, day, inside):
    assert parse_period(period).contains(day) is inside


def test_a_period_is_written_day_slash_month_or_geen():
    assert parse_period(" 01/07 – 31/8 ") == Period((7, 1), (8, 31))
    assert str(parse_period("1/7-31/8")) == "1/7-31/8"
    assert parse_period("1/7-31/8").in_words() == "1 juli tot en met 31 augustus"
    assert parse_period("Geen") is None
    wrongs = (("juli", "geen periode"), ("31/6-1/9", "31/6 is geen dag"), ("", "'' is geen"))
    for wrong, why in wrongs:
        with pytest.raises(ValueError, match=why):
            parse_period(wrong)


def test_the_day_is_the_day_in_belgium_whatever_the_clock_says():
    utc = datetime.UTC
    assert sync_day(datetime.datetime(2027, 6, 30, 22, 30, tzinfo=utc)) == DAY(2027, 7, 1)
    assert sync_day(datetime.datetime(2027, 8, 31, 21, 59, tzinfo=utc)) == DAY(2027, 8, 31)
    assert sync_day(datetime.datetime(2027, 8, 31, 22, 0, tzinfo=utc)) == DAY(2027, 9, 1)


# --- a bulk export ----------------------------------------------------------------------------


def wisa(pupils, **options):
    return sync_snapshot(
        snapshot(pupils, CLASSES, INSTITUTION),
        options=SyncOptions(started_by="test", school_year=2026, **options),
    )


def active(number) -> bool:
    return not Pupil.objects.get(national_number=number).is_leaver


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("today", "held"),
    [(DAY(2027, 6, 30), False), (DAY(2027, 7, 1), True), (DAY(2027, 8, 31), True),
     (DAY(2027, 9, 1), False)],
)  # fmt: skip
def test_in_the_summer_a_leaver_is_held_and_the_rest_is_applied(today, held):
    wisa(SCHOOL)

    report = wisa(NEXT_NIGHT, today=today)

    assert report.applied and not report.stopped
    counts = {k: v for k, v in report.counts.items() if v}
    assert counts == {
        "created": 1,
        "moved": 1,
        "unchanged": 18,
        ("deferred" if held else "left"): 1,
    }
    assert (
        Pupil.objects.count() == 21
        and Enrolment.objects.filter(school_class__code="1B").count() == 1
    )
    gone = SCHOOL[0].national_number
    assert active(gone) is held
    codes = [f["code"] for f in report.findings]
    assert codes == (["PUPIL_LEAVING_HELD"] if held else [])
    if held:
        finding = report.findings[0]
        assert "1 juli tot en met 31 augustus" in finding["message"]
        assert "--force" in finding["hint"] and finding["severity"] == "warning"
        assert finding["national_number_masked"] == "16.03.14-***.**" and gone not in json.dumps(
            report.as_dict()
        )
        assert HeldLeaver.objects.filter(pupil__national_number=gone).exists()


@pytest.mark.django_db
def test_with_force_a_leaver_leaves_in_the_summer_too():
    wisa(SCHOOL)
    wisa(NEXT_NIGHT, today=DAY(2027, 7, 15))  # held

    report = wisa(NEXT_NIGHT, today=DAY(2027, 7, 16), force=True)

    assert report.counts["left"] == 1 and not active(SCHOOL[0].national_number)
    assert not HeldLeaver.objects.exists()


@pytest.mark.django_db
def test_a_held_pupil_back_in_the_export_stays_and_is_no_longer_held():
    wisa(SCHOOL)
    wisa(NEXT_NIGHT, today=DAY(2027, 7, 15))

    report = wisa([SCHOOL[0], *NEXT_NIGHT], today=DAY(2027, 9, 2))

    assert report.counts["left"] == 0 and active(SCHOOL[0].national_number)
    assert not HeldLeaver.objects.exists()


@pytest.mark.django_db
def test_a_dry_run_in_the_summer_holds_nothing_for_later():
    wisa(SCHOOL)
    report = wisa(NEXT_NIGHT, today=DAY(2027, 7, 15), dry_run=True)
    assert report.counts["deferred"] == 1 and not HeldLeaver.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("setting", "today", "held"),
    [("geen", DAY(2027, 7, 15), False), ("15/6-15/9", DAY(2027, 9, 15), True),
     ("15/6-15/9", DAY(2027, 9, 16), False), ("15/6-15/9", DAY(2027, 6, 14), False)],
)  # fmt: skip
def test_each_institution_may_have_its_own_period(setting, today, held):
    wisa(SCHOOL)
    SourceLink.objects.create(
        institution=Institution.objects.get(number=INSTITUTION),
        token_hash="x" * 64,
        leaver_blackout=setting,
    )

    report = wisa(NEXT_NIGHT, today=today)

    assert report.counts["deferred" if held else "left"] == 1


@pytest.mark.django_db
def test_the_default_period_is_a_setting(settings):
    settings.SCHOOLBRUG_LEAVER_BLACKOUT = "1/8-15/8"
    wisa(SCHOOL)
    assert wisa(NEXT_NIGHT, today=DAY(2027, 7, 15)).counts["left"] == 1


# --- a delta: it names a leaver once ----------------------------------------------------------


def oneroster(pupils, **extra):
    return snapshot(pupils, CLASSES, INSTITUTION, source="oneroster", key="source_id", **extra)


@pytest.mark.django_db
def test_a_leaver_a_summer_delta_named_once_leaves_after_the_summer():
    options = SyncOptions(started_by="test", school_year=2026)
    sync_snapshot(oneroster(SCHOOL), options=options)
    gone = SCHOOL[0]

    july = sync_snapshot(
        oneroster([pupil(21, "1A", class_number=21)], is_delta=True,
                  leaving_source_ids=frozenset({gone.source_id})),
        options=SyncOptions(started_by="test", school_year=2026, today=DAY(2027, 7, 10)),
    )  # fmt: skip
    # September's delta does not name the pupil again: the held leave is remembered.
    september = sync_snapshot(
        oneroster([pupil(22, "1B", class_number=22)], is_delta=True),
        options=SyncOptions(started_by="test", school_year=2026, today=DAY(2027, 9, 1)),
    )

    assert (july.counts["deferred"], july.counts["created"], july.counts["left"]) == (1, 1, 0)
    assert (september.counts["left"], september.counts["created"]) == (1, 1)
    assert not active(gone.national_number) and not HeldLeaver.objects.exists()


# --- the command ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("force", "left"), [([], 0), (["--force"], 1)])
def test_the_command_holds_leavers_in_the_summer_unless_forced(tmp_path, monkeypatch, force, left):
    monkeypatch.setattr(blackout, "sync_day", lambda: DAY(2027, 8, 31))
    reports = []
    for name, pupils in (("first", SCHOOL), ("next", NEXT_NIGHT)):
        folder = tmp_path / name
        folder.mkdir()
        pupils_path, classes_path = wisa_files(folder, pupils, CLASSES)
        call_command(
            "sync", "wisa", "--institution", INSTITUTION, "--pupils", str(pupils_path),
            "--classes", str(classes_path), "--school-year", "2026-2027",
            "--report", str(folder / "r.json"), *force,
        )  # fmt: skip
        reports.append(json.loads((folder / "r.json").read_text(encoding="utf-8")))

    assert reports[1]["counts"]["left"] == left and reports[1]["counts"]["deferred"] == 1 - left
    assert reports[1]["counts"]["created"] == 1 and reports[1]["applied"]


def test_a_mistyped_default_period_stops_every_command_at_its_start(settings):
    settings.SCHOOLBRUG_LEAVER_BLACKOUT = "1/13-5/14"
    errors = blackout.check_setting()
    assert [e.id for e in errors] == ["schoolbrug.sync.E001"]
    assert "1/13 is geen dag van het jaar" in errors[0].msg
