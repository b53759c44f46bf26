"""An institution's terms and grading periods (AcademicSession), and the defaults made for an
institution that has set none: what apps find under /terms and /gradingPeriods.

Defaults by country: Flanders three trimesters (each one report: its grading period), the
Netherlands two semesters of two periods each. The institution's country decides; until the
registry keeps one (`Institution.country`, "BE"/"NL"), every institution is Flemish: the hook is
`country_of`. Dates are the usual ones; a school with other dates sets its own, and the
defaults are never made again for an institution and school year that have any session.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from .models import AcademicSession, Institution, SchoolYear

TERM, GRADING_PERIOD = AcademicSession.Kind.TERM, AcademicSession.Kind.GRADING_PERIOD
# The namespace of the defaults' ids (uuid5 of institution, school year, kind and title): the
# same in every database, so our export read into an empty register gives the same ids again.
# Never change it.
SESSION_NAMESPACE = uuid.UUID("5f1c7a2e-93b4-4d0e-8a61-2b7c9e4d1f30")


@dataclass(frozen=True, slots=True)
class _Period:
    title: str
    # (month, day) of the first and last day; months 9-12 in the year the school year starts.
    start: tuple[int, int]
    end: tuple[int, int]
    grading_periods: tuple[_Period, ...] = ()


def _trimester(n: int, start, end) -> _Period:
    return _Period(f"Trimester {n}", start, end, (_Period(f"Rapport {n}", start, end),))


DEFAULTS = {
    "BE": (
        _trimester(1, (9, 1), (12, 31)),
        _trimester(2, (1, 1), (3, 31)),
        _trimester(3, (4, 1), (6, 30)),
    ),
    "NL": (
        _Period(
            "Semester 1",
            (9, 1),
            (1, 31),
            (_Period("Periode 1", (9, 1), (11, 15)), _Period("Periode 2", (11, 16), (1, 31))),
        ),
        _Period(
            "Semester 2",
            (2, 1),
            (7, 31),
            (_Period("Periode 3", (2, 1), (4, 15)), _Period("Periode 4", (4, 16), (7, 31))),
        ),
    ),
}


def country_of(institution: Institution) -> str:
    """The country whose defaults the institution gets: its `country` once the registry keeps
    one, Flanders until then."""
    country = (getattr(institution, "country", "") or "BE").upper()
    return country if country in DEFAULTS else "BE"


def ensure_sessions(institution_ids: Iterable[int], school_year: SchoolYear) -> int:
    """Make the default terms and grading periods for each institution that has no session in
    the school year; returns how many sessions were made. Two writers at once: the second
    one's rows hit the unique constraint and are skipped (nothing half made: the caller's
    transaction)."""
    wanted = set(institution_ids)
    have = set(
        AcademicSession.objects.filter(
            institution_id__in=wanted, school_year=school_year
        ).values_list("institution_id", flat=True)
    )
    made = 0
    for institution in Institution.objects.filter(pk__in=wanted - have).order_by("pk"):
        made += _make_defaults(institution, school_year)
    return made


def _make_defaults(institution: Institution, school_year: SchoolYear) -> int:
    def day(month_day: tuple[int, int]) -> datetime.date:
        month, day_ = month_day
        year = school_year.start_year if month >= 9 else school_year.start_year + 1
        return datetime.date(year, month, day_)

    def session(kind, period: _Period, parent=None) -> AcademicSession:
        name = f"{institution.sourced_id}/{school_year.sourced_id}/{kind}/{period.title}"
        return AcademicSession(
            sourced_id=uuid.uuid5(SESSION_NAMESPACE, name),
            institution=institution,
            school_year=school_year,
            kind=kind,
            title=period.title,
            start_date=day(period.start),
            end_date=day(period.end),
            parent=parent,
        )

    terms = [session(TERM, period) for period in DEFAULTS[country_of(institution)]]
    AcademicSession.objects.bulk_create(terms, ignore_conflicts=True)
    terms = list(
        AcademicSession.objects.filter(
            institution=institution, school_year=school_year, kind=TERM
        ).order_by("start_date")
    )
    by_title = {term.title: term for term in terms}
    periods = [
        session(GRADING_PERIOD, grading, by_title[period.title])
        for period in DEFAULTS[country_of(institution)]
        if period.title in by_title
        for grading in period.grading_periods
    ]
    AcademicSession.objects.bulk_create(periods, ignore_conflicts=True)
    return len(terms) + len(periods)
