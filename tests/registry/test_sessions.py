"""Terms and grading periods (issue 18.3): the defaults a sync makes for a school that has set
none (Flemish trimesters; Dutch semesters through the country hook), made once, with ids that
are the same in every register; the CSV export writes them and a class's terms."""

import datetime

import pytest

from schoolbrug.oneroster.csv_out.export import export_oneroster
from schoolbrug.registry import sessions
from schoolbrug.registry.models import AcademicSession, Institution, SchoolYear
from schoolbrug.sync.service import sync_snapshot
from tests.factories import pupil, snapshot
from tests.sync.oneroster_binding import check_set, table

pytestmark = pytest.mark.django_db


def synced():
    report = sync_snapshot(snapshot([pupil(1, "1A")]), started_by="test", school_year=2026)
    assert report.applied
    return Institution.objects.get(), SchoolYear.objects.get(start_year=2026)


def test_a_sync_gives_a_flemish_school_three_trimesters_once():
    institution, year = synced()
    terms = AcademicSession.objects.filter(kind="term").order_by("start_date")
    assert [(t.title, t.start_date, t.end_date) for t in terms] == [
        ("Trimester 1", datetime.date(2026, 9, 1), datetime.date(2026, 12, 31)),
        ("Trimester 2", datetime.date(2027, 1, 1), datetime.date(2027, 3, 31)),
        ("Trimester 3", datetime.date(2027, 4, 1), datetime.date(2027, 6, 30)),
    ]
    periods = AcademicSession.objects.filter(kind="gradingPeriod").order_by("start_date")
    assert [(p.title, p.parent.title) for p in periods] == [
        ("Rapport 1", "Trimester 1"), ("Rapport 2", "Trimester 2"), ("Rapport 3", "Trimester 3"),
    ]  # fmt: skip
    ids = set(AcademicSession.objects.values_list("sourced_id", flat=True))
    # Made once: a second sync, or a second call, makes nothing.
    synced()
    assert sessions.ensure_sessions([institution.pk], year) == 0
    assert set(AcademicSession.objects.values_list("sourced_id", flat=True)) == ids
    # The same ids in another register: derived from the institution and the school year.
    AcademicSession.objects.all().delete()
    assert sessions.ensure_sessions([institution.pk], year) == 6
    assert set(AcademicSession.objects.values_list("sourced_id", flat=True)) == ids


def test_a_school_that_set_its_own_sessions_keeps_them():
    institution, year = synced()
    AcademicSession.objects.all().delete()
    AcademicSession.objects.create(
        institution=institution, school_year=year, kind="term", title="Heel het jaar",
        start_date=datetime.date(2026, 9, 1), end_date=datetime.date(2027, 6, 30),
    )  # fmt: skip
    synced()
    assert list(AcademicSession.objects.values_list("title", flat=True)) == ["Heel het jaar"]


def test_a_dutch_school_gets_two_semesters_of_two_periods(monkeypatch):
    monkeypatch.setattr(sessions, "country_of", lambda institution: "NL")
    synced()
    terms = AcademicSession.objects.filter(kind="term").order_by("start_date")
    assert [(t.title, t.end_date) for t in terms] == [
        ("Semester 1", datetime.date(2027, 1, 31)),
        ("Semester 2", datetime.date(2027, 7, 31)),
    ]
    assert [t.children.count() for t in terms] == [2, 2]


def test_the_country_hook_defaults_to_flanders():
    institution = Institution(number="012345", name="School")
    assert sessions.country_of(institution) == "BE"
    institution.country = "nl"  # once the register keeps a country
    assert sessions.country_of(institution) == "NL"
    institution.country = "FR"  # no defaults of its own: Flemish ones
    assert sessions.country_of(institution) == "BE"


def test_the_export_writes_terms_and_grading_periods_and_the_classes_terms(tmp_path):
    institution, year = synced()
    export_oneroster(tmp_path, school_year=2026)
    check_set(tmp_path, "bulk")
    rows = table(tmp_path, "academicSessions")
    by_type = {}
    for row in rows:
        by_type.setdefault(row["type"], []).append(row)
    assert (
        len(by_type["schoolYear"]) == 1
        and len(by_type["term"]) == len(by_type["gradingPeriod"]) == 3
    )
    year_id = by_type["schoolYear"][0]["sourcedId"]
    assert {r["parentSourcedId"] for r in by_type["term"]} == {year_id}
    term_ids = [r["sourcedId"] for r in by_type["term"]]
    assert {r["parentSourcedId"] for r in by_type["gradingPeriod"]} == set(term_ids)
    assert {r["schoolYear"] for r in rows} == {"2027"}
    assert {r["termSourcedIds"] for r in table(tmp_path, "classes")} == {",".join(term_ids)}
