"""The academic sessions of an export: the school year, and each institution's terms and
grading periods (registry/sessions.py; a OneRoster set's own, sync/source_sessions.py) under
it; a class runs in its institution's terms (in the school year itself when the institution
has none yet), or in those its set said (`class_terms`)."""

from __future__ import annotations

from schoolbrug.registry.models import AcademicSession, SchoolYear, SourceDetails
from schoolbrug.registry.models.sessions import TERM_KINDS

from .values import cell_date, cell_text


def write_sessions(row, year: SchoolYear, institution_pks) -> dict[str, str]:
    """Write the academicSessions rows; return institution sourced_id → the classes'
    termSourcedIds cell."""
    year_id = str(year.sourced_id)
    school_year = str(year.start_year + 1)
    row(
        "academicSessions",
        year.updated_at,
        sourcedId=year_id,
        title=year.title,
        type="schoolYear",
        startDate=cell_date(year.start_date),
        endDate=cell_date(year.end_date),
        schoolYear=school_year,
    )
    sessions = (
        AcademicSession.objects.filter(institution_id__in=list(institution_pks), school_year=year)
        .order_by("institution__number", "kind", "start_date", "title")
        .values_list(
            "sourced_id", "institution__sourced_id", "kind", "title", "start_date", "end_date",
            "parent__sourced_id", "updated_at",
        )
    )  # fmt: skip
    terms: dict[str, list[str]] = {}
    for sourced_id, school, kind, title, start, end, parent, updated in sessions:
        if kind in TERM_KINDS:
            terms.setdefault(str(school), []).append(str(sourced_id))
        row(
            "academicSessions",
            updated,
            sourcedId=str(sourced_id),
            title=cell_text(title),
            type=kind,
            startDate=cell_date(start),
            endDate=cell_date(end),
            parentSourcedId=str(parent) if parent else year_id,
            schoolYear=school_year,
        )
    return {school: ",".join(ids) for school, ids in terms.items()}


def class_terms(class_ids) -> dict[str, str]:
    """Our class id → its termSourcedIds cell, for the classes a set said run in only some of
    their institution's terms (SourceDetails.terms, in the set's order)."""
    rows = SourceDetails.objects.filter(
        kind=SourceDetails.Kind.CLASS, sourced_id__in=class_ids
    ).values_list("sourced_id", "terms")
    return {str(sourced_id): ",".join(terms) for sourced_id, terms in rows if terms}
