"""The rostering objects an app can read, each built from registry rows as the OneRoster 1.2
JSON binding shapes it: ids are our own `sourced_id`s, booleans the strings "true"/"false",
every reference `{href, sourcedId, type}`, dates in UTC with milliseconds.

What each object is made of:
* orgs: an institution is a `school` (identifier = institution number), its board the
  `district` parent. academicSessions: sessions.py. classes: a (sub)class of the current
  school year, in its institution's terms (sessions.py); a subclass is `scheduled`, the
  others `homeroom`; an inactive class is `tobedeleted`. A class's course is the one of its
  curriculum, as in the CSV export (the courses themselves: catalogue.py).
* users: pupils (username and identifier = their sourcedId: no personal data in a login name)
  and teachers (username = e-mail). A leaver is `tobedeleted` with enabledUser "false".
  userIds carries `{type: RRN}` only for a token with the demographics scope and an
  institution whose accepted protocol allows it; otherwise the national number is not read.
* enrollments: a pupil's enrolment (sourcedId = the enrolment's) and a teacher's class
  (sourcedId = `<teacher>.<class>`, stable while the teacher teaches the class).
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field

import orjson
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    F,
    JSONField,
    PositiveSmallIntegerField,
    Q,
    UUIDField,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, Lower, Substr

from schoolbrug.oneroster.csv_out.values import course_export_id, grades_for
from schoolbrug.registry.models import (
    AcademicSession,
    Board,
    Institution,
    SchoolClass,
    SourceDetails,
)
from schoolbrug.registry.models.sessions import TERM_KINDS
from schoolbrug.sharing.visibility import Visibility

from .collection import Resource
from .params import Column

SEX = {"M": "male", "F": "female", "X": "other"}


@dataclass(frozen=True)
class Context:
    """What building the objects of one answer needs besides their rows: where hrefs
    point, and the org references they share."""

    base_url: str  # ".../ims/oneroster/rostering/v1p2"
    orgs: dict = field(default_factory=dict, compare=False)
    # Per answer: (school, school year) → its terms' references; start year → school year id.
    terms: dict = field(default_factory=dict, compare=False)
    year_ids: dict = field(default_factory=dict, compare=False)

    def ref(self, collection: str, sourced_id, kind: str) -> dict:
        value = str(sourced_id)
        return {"href": f"{self.base_url}/{collection}/{value}", "sourcedId": value, "type": kind}

    def org(self, sourced_id) -> dict:
        """The reference to an org, made once per answer: a page of pupils names the same
        few schools on every row (never changed after: orjson only reads them)."""
        ref = self.orgs.get(sourced_id)
        if ref is None:
            ref = self.orgs[sourced_id] = self.ref("orgs", sourced_id, "org")
        return ref


def timestamp(moment: datetime.datetime | str | None) -> str:
    if isinstance(moment, str):  # formatted by the database (sql.moment_text)
        return moment
    moment = (moment or datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)).astimezone(datetime.UTC)
    # "2026-09-01T07:30:00.123+00:00" -> "2026-09-01T07:30:00.123Z"
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


@functools.lru_cache(maxsize=1024)
def grade_list(stage: str | None, year: int | None, years: str | None) -> tuple[str, ...]:
    """The CEDS grades of a class (stage, year and its years as the JSON text both databases
    give for a raw query): the same few combinations on every page, worked out once."""
    grades = grades_for(stage, year, orjson.loads(years) if years else ())
    return tuple(grades.split(",")) if grades else ()


def text(value) -> CharField:
    return Value(value, output_field=CharField())


NULL_TEXT = Value(None, output_field=CharField())
NULL_UUID = Value(None, output_field=UUIDField())
NULL_INT = Value(None, output_field=PositiveSmallIntegerField())
NULL_JSON = Value(None, output_field=JSONField())
COMMON = {
    "sourcedId": Column("o_id", "uuid"),
    "status": Column("o_status"),
    "dateLastModified": Column("o_modified", "datetime"),
}


# --- orgs -------------------------------------------------------------------------------


def org_segments(vis: Visibility, school_only: bool = False) -> list:
    schools = Institution.objects.filter(pk__in=vis.institution_ids()).annotate(
        o_id=F("sourced_id"),
        o_status=text("active"),
        o_modified=F("updated_at"),
        o_name=F("name"),
        o_type=text("school"),
        o_identifier=F("number"),
        o_parent=F("board__sourced_id"),
    )
    if school_only:
        return [schools.order_by("pk")]
    districts = Board.objects.filter(
        pk__in=Institution.objects.filter(pk__in=vis.institution_ids()).values("board_id")
    ).annotate(
        o_id=F("sourced_id"),
        o_status=text("active"),
        o_modified=F("updated_at"),
        o_name=F("name"),
        o_type=text("district"),
        # A board without number is known by its id (org_json): a filter on `identifier`
        # compares what the object shows.
        o_identifier=Case(When(number="", then=_uuid_as_text("sourced_id")), default=F("number")),
        o_parent=NULL_UUID,
    )
    return [districts.order_by("pk"), schools.order_by("pk")]


def _uuid_as_text(name: str):
    """A UUID column as the text an object shows (8-4-4-4-12): PostgreSQL writes it so;
    SQLite stores 32 hex digits, dashed here."""
    as_text = Cast(name, CharField())
    if connection.vendor == "postgresql":
        return as_text
    parts = [Substr(as_text, start, length) for start, length in _UUID_PARTS]
    dashed = [parts[0]]
    for part in parts[1:]:
        dashed += [Value("-"), part]
    return Lower(Concat(*dashed, output_field=CharField()))


_UUID_PARTS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))


def org_json(row: dict, ctx: Context) -> dict:
    org = {
        "sourcedId": str(row["o_id"]),
        "status": row["o_status"],
        "dateLastModified": timestamp(row["o_modified"]),
        "name": row["o_name"],
        "type": row["o_type"],
        # Required by the official schema: a board without a number of its own is known by
        # its id (as in the CSV export).
        "identifier": row["o_identifier"] or str(row["o_id"]),
    }
    if row["o_parent"] is not None:
        org["parent"] = ctx.ref("orgs", row["o_parent"], "org")
    return org


ORGS = Resource(
    collection="orgs",
    singular="org",
    reference_type="org",
    columns={
        **COMMON,
        "name": Column("o_name"),
        "type": Column("o_type"),
        "identifier": Column("o_identifier"),
    },
    fields=("sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parent"),
    aliases=("o_id", "o_status", "o_modified", "o_name", "o_type", "o_identifier", "o_parent"),
    to_json=org_json,
)


# --- classes ------------------------------------------------------------------------------


def class_segments(vis: Visibility) -> list:
    return [
        SchoolClass.objects.filter(vis.classes_q())
        .annotate(
            o_id=F("sourced_id"),
            o_status=Case(
                When(Q(is_active=True) | Q(is_leavers=True), then=text("active")),
                default=text("tobedeleted"),
            ),
            o_modified=F("updated_at"),
            o_title=F("code"),
            o_type=Case(
                When(parent__isnull=True, then=text("homeroom")), default=text("scheduled")
            ),
            o_school=F("institution__sourced_id"),
            o_term=F("school_year__sourced_id"),
            o_stage=F("stage"),
            o_year=F("year"),
            o_years=F("years"),
            o_curriculum=F("curriculum"),
        )
        .order_by("pk")
    ]


def class_json(row: dict, ctx: Context) -> dict:
    class_id, school, term = str(row["o_id"]), str(row["o_school"]), str(row["o_term"])
    grades = grades_for(row["o_stage"], row["o_year"], row["o_years"] or ())
    course = course_export_id(school, term, row["o_curriculum"], class_id)
    return {
        "sourcedId": class_id,
        "status": row["o_status"],
        "dateLastModified": timestamp(row["o_modified"]),
        "title": row["o_title"],
        "classCode": row["o_title"],
        "classType": row["o_type"],
        "grades": grades.split(",") if grades else [],
        "course": ctx.ref("courses", course, "course"),
        "school": ctx.ref("orgs", school, "org"),
        "terms": class_terms(ctx, school, term, class_id),
    }


def class_terms(ctx: Context, school, year, class_id: str = "") -> list[dict]:
    """The references to the terms a class of `school` in school year `year` runs in (ids):
    those its OneRoster set said (SourceDetails.terms), else all of its institution's.
    Looked up once per school and year in an answer."""
    key = (str(school), str(year))
    own = ctx.terms.get((*key, "classes"))
    if own is None:
        rows = SourceDetails.objects.filter(
            kind=SourceDetails.Kind.CLASS,
            sourced_id__in=SchoolClass.objects.filter(
                institution__sourced_id=school, school_year__sourced_id=year
            ).values("sourced_id"),
        ).values_list("sourced_id", "terms")
        own = ctx.terms[(*key, "classes")] = {
            str(sourced_id): [ctx.ref("academicSessions", t, "academicSession") for t in terms]
            for sourced_id, terms in rows
            if terms
        }
    if class_id in own:
        return own[class_id]
    terms = ctx.terms.get(key)
    if terms is None:
        ids = list(
            AcademicSession.objects.filter(
                institution__sourced_id=school,
                school_year__sourced_id=year,
                kind__in=TERM_KINDS,
            )
            .order_by("start_date", "title")
            .values_list("sourced_id", flat=True)
        )
        terms = ctx.terms[key] = [
            ctx.ref("academicSessions", term, "academicSession") for term in ids or [year]
        ]
    return terms


CLASSES = Resource(
    collection="classes",
    singular="class",
    reference_type="class",
    columns={
        **COMMON,
        "title": Column("o_title"),
        "classCode": Column("o_title"),
        "classType": Column("o_type"),
    },
    fields=(
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "classCode",
        "classType",
        "grades",
        "course",
        "school",
        "terms",
    ),  # fmt: skip
    aliases=(
        "o_id",
        "o_status",
        "o_modified",
        "o_title",
        "o_type",
        "o_school",
        "o_term",
        "o_stage",
        "o_year",
        "o_years",
        "o_curriculum",
    ),  # fmt: skip
    to_json=class_json,
)
