"""Academic sessions as apps read them: the school year (type `schoolYear`) and each visible
institution's terms and grading periods (registry/sessions.py), with `parent` and `children`.
A class runs in its institution's terms of its school year (the school year itself while the
institution has none: a register that no sync has written since sessions came).

What a notebook walks: /terms (terms, and a OneRoster set's semesters), /terms/{id}/
gradingPeriods (the term's grading periods), /terms/{id}/classes (the classes of the term's
institution and school year that run in it), /schools/{id}/terms, /gradingPeriods;
/academicSessions has them all."""

from __future__ import annotations

from django.db.models import CharField, DateField, F, UUIDField, Value
from django.db.models.functions import Cast

from schoolbrug.registry.models import AcademicSession, SchoolClass, SchoolYear, SourceDetails
from schoolbrug.registry.models.sessions import TERM_KINDS
from schoolbrug.sharing.visibility import Visibility

from .collection import Resource
from .errors import not_found
from .params import Column
from .resources import COMMON, Context, text, timestamp

TERM, GRADING_PERIOD = AcademicSession.Kind.TERM, AcademicSession.Kind.GRADING_PERIOD
NULL_DATE = Value(None, output_field=DateField())
NULL_UUID = Value(None, output_field=UUIDField())


def _visible_years(vis: Visibility):
    return SchoolYear.objects.filter(pk=vis.school_year_id) | SchoolYear.objects.filter(
        classes__institution_id__in=vis.institution_ids()
    )


def year_segment(vis: Visibility):
    return (
        SchoolYear.objects.filter(pk__in=_visible_years(vis).values("pk"))
        .annotate(
            o_id=F("sourced_id"),
            o_status=text("active"),
            o_modified=F("updated_at"),
            o_type=text("schoolYear"),
            o_school_year=Cast(F("start_year") + 1, CharField()),
            o_start_year=F("start_year"),
            o_title=Value(None, output_field=CharField()),
            o_start=NULL_DATE,
            o_end=NULL_DATE,
            o_parent=NULL_UUID,
        )
        .order_by("start_year")
    )


def institution_segment(vis: Visibility, kind: str | None = None):
    sessions = AcademicSession.objects.filter(
        institution_id__in=vis.institution_ids(),
        school_year_id__in=_visible_years(vis).values("pk"),
    )
    if kind == TERM:  # a set's semester is a term to apps (what its classes run in)
        sessions = sessions.filter(kind__in=TERM_KINDS)
    elif kind is not None:
        sessions = sessions.filter(kind=kind)
    return sessions.annotate(
        o_id=F("sourced_id"),
        o_status=text("active"),
        o_modified=F("updated_at"),
        o_type=F("kind"),
        o_school_year=Cast(F("school_year__start_year") + 1, CharField()),
        o_start_year=F("school_year__start_year"),
        o_title=F("title"),
        o_start=F("start_date"),
        o_end=F("end_date"),
        o_parent=F("parent__sourced_id"),  # empty for a term: its parent is the school year
    ).order_by("pk")


def session_segments(vis: Visibility) -> list:
    return [year_segment(vis), institution_segment(vis)]


def term_segments(vis: Visibility) -> list:
    return [institution_segment(vis, TERM)]


def grading_period_segments(vis: Visibility) -> list:
    return [institution_segment(vis, GRADING_PERIOD)]


def visible_term(vis: Visibility, sourced_id: str) -> AcademicSession | SchoolYear:
    """The term an app may see by its id; a school year too (the one term of a class whose
    institution has none)."""
    from .views import _sourced_id

    wanted = _sourced_id(sourced_id, "academicSession", vis)
    term = institution_segment(vis, TERM).filter(sourced_id=wanted).first()
    if term is None:
        term = year_segment(vis).filter(sourced_id=wanted).first()
    if term is None:
        raise not_found("academicSession", sourced_id)
    return term


def classes_elsewhere(term: AcademicSession) -> list:
    """Our ids of the classes of the term's institution and year that their OneRoster set
    said run in other terms only (SourceDetails.terms: a few lists, compared here)."""
    own = SourceDetails.objects.filter(
        kind=SourceDetails.Kind.CLASS,
        sourced_id__in=SchoolClass.objects.filter(
            institution_id=term.institution_id, school_year_id=term.school_year_id
        ).values("sourced_id"),
    ).values_list("sourced_id", "terms")
    return [sourced_id for sourced_id, terms in own if terms and str(term.sourced_id) not in terms]


def session_json(row: dict, ctx: Context) -> dict:
    start = row["o_start_year"]
    school_year = str(start + 1)
    if row["o_type"] == "schoolYear":
        return {
            "sourcedId": str(row["o_id"]),
            "status": row["o_status"],
            "dateLastModified": timestamp(row["o_modified"]),
            "title": f"{start}-{start + 1}",
            "type": "schoolYear",
            "startDate": f"{start}-09-01",
            "endDate": f"{start + 1}-08-31",
            "schoolYear": school_year,
        }
    session = {
        "sourcedId": str(row["o_id"]),
        "status": row["o_status"],
        "dateLastModified": timestamp(row["o_modified"]),
        "title": row["o_title"],
        "type": row["o_type"],
        "startDate": str(row["o_start"]),
        "endDate": str(row["o_end"]),
        "schoolYear": school_year,
    }
    parent = row["o_parent"]
    if parent is None:  # a term: its school year, whose id is derived from the start year
        parent = ctx.year_ids.get(start)
        if parent is None:
            parent = ctx.year_ids[start] = SchoolYear.objects.get(start_year=start).sourced_id
    session["parent"] = ctx.ref("academicSessions", parent, "academicSession")
    if row["o_type"] in TERM_KINDS:
        # A term's grading periods: a few rows, one small query per term on a page of terms.
        children = AcademicSession.objects.filter(parent__sourced_id=row["o_id"]).order_by(
            "start_date", "title"
        )
        session["children"] = [
            ctx.ref("academicSessions", child, "academicSession")
            for child in children.values_list("sourced_id", flat=True)
        ]
    return session


SESSIONS = Resource(
    collection="academicSessions",
    singular="academicSession",
    reference_type="academicSession",
    columns={
        **COMMON,
        "type": Column("o_type"),
        "schoolYear": Column("o_school_year"),
        "title": Column("o_title"),
    },
    fields=(
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "type",
        "startDate",
        "endDate",
        "parent",
        "children",
        "schoolYear",
    ),  # fmt: skip
    aliases=(
        "o_id",
        "o_status",
        "o_modified",
        "o_type",
        "o_school_year",
        "o_start_year",
        "o_title",
        "o_start",
        "o_end",
        "o_parent",
    ),  # fmt: skip
    to_json=session_json,
)
