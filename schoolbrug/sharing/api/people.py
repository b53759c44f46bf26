"""Users (pupils and teachers) and enrollments as OneRoster 1.2 objects: see resources.py
for what each field is made of. Pupils come from their enrolment of the school year (one per
pupil record), teachers from staff teaching a visible class."""

from __future__ import annotations

from django.db.models import (
    Case,
    CharField,
    DateField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast

from schoolbrug.registry.models import Assignment, Enrolment, Pupil, SchoolClass, Staff
from schoolbrug.sharing.visibility import Visibility

from .collection import Resource
from .params import Column
from .resources import COMMON, NULL_INT, NULL_JSON, NULL_TEXT, Context, grades_for, text, timestamp

TEACHING = Assignment.classes.through
# Typed: two untyped NULLs in a UNION are text to PostgreSQL, which then refuses a date.
NULL_DATE = Cast(Value(None), DateField())


def _leaver(active: str, leaver: str, prefix: str = "") -> Case:
    return Case(When(**{f"{prefix}is_leaver": True}, then=text(leaver)), default=text(active))


def visible_pupils(vis: Visibility) -> list:
    """Pupils with this school year's enrolment in a visible class, in two parts: schools
    that granted all classes, and chosen classes. Both are read from the pupil table in its
    own order, the enrolment checked per pupil (EXISTS) and read per pupil (subqueries), so
    a page deep into 1.2 M pupils is a short index range, never a join of everything."""
    enrolled = Enrolment.objects.filter(pupil_id=OuterRef("pk"), school_year_id=vis.school_year_id)
    return [
        Pupil.objects.filter(Exists(enrolled), institution_id__in=vis.whole_institution_ids()),
        Pupil.objects.filter(Exists(enrolled.filter(school_class_id__in=vis.chosen_class_ids()))),
    ]


def enrolment_field(vis: Visibility, name: str) -> Subquery:
    """A field of the pupil's enrolment of the school year (one per pupil and year)."""
    return Subquery(
        Enrolment.objects.filter(pupil_id=OuterRef("pk"), school_year_id=vis.school_year_id).values(
            name
        )[:1]
    )


def pupil_segments(vis: Visibility, national_number: bool) -> list:
    """Pupils enrolled in a visible class, as user rows."""
    nn = NULL_TEXT
    if national_number:
        # Read only for institutions whose accepted protocol allows it.
        nn = Case(
            When(
                institution_id__in=vis.national_number_institution_ids(),
                then=F("national_number"),
            ),
            default=NULL_TEXT,
        )
    return [
        pupils.annotate(
            o_id=F("sourced_id"),
            o_status=_leaver("active", "tobedeleted"),
            o_modified=F("updated_at"),
            o_enabled=_leaver("true", "false"),
            o_given=F("given_name"),
            o_family=F("family_name"),
            o_email=F("email"),
            o_phone=F("phone"),
            o_username=Cast("sourced_id", CharField()),
            o_role=text("student"),
            o_org=F("institution__sourced_id"),
            o_stage=enrolment_field(vis, "school_class__stage"),
            o_year=enrolment_field(vis, "school_class__year"),
            o_years=enrolment_field(vis, "school_class__years"),
            o_nn=nn,
        ).order_by("pk")
        for pupils in visible_pupils(vis)
    ]


def visible_teaching(vis: Visibility):
    return TEACHING.objects.filter(
        assignment__role=Assignment.Role.TEACHER,
        schoolclass__in=SchoolClass.objects.filter(vis.classes_q()),
    )


def teacher_segment(vis: Visibility, teaching=None):
    """Staff teaching a visible class (or one of `teaching`), as user rows; their primary
    org is the first institution (by number) where they teach a visible class."""
    teaching = visible_teaching(vis) if teaching is None else teaching
    theirs = teaching.filter(assignment__staff_id=OuterRef("pk"))
    first_org = theirs.order_by("assignment__institution__number").values(
        "assignment__institution__sourced_id"
    )[:1]
    return (
        Staff.objects.filter(Exists(theirs))
        .annotate(
            o_id=F("sourced_id"),
            o_status=text("active"),
            o_modified=F("updated_at"),
            o_enabled=text("true"),
            o_given=F("given_name"),
            o_family=F("family_name"),
            o_email=F("email"),
            o_phone=NULL_TEXT,
            o_username=F("email"),
            o_role=text("teacher"),
            o_org=Subquery(first_org),
            o_stage=NULL_TEXT,
            o_year=NULL_INT,
            o_years=NULL_JSON,
            o_nn=NULL_TEXT,
        )
        .order_by("pk")
    )


def user_json(row: dict, ctx: Context) -> dict:
    user_id = str(row["o_id"])
    is_pupil = row["o_role"] == "student"
    org = ctx.ref("orgs", row["o_org"], "org")
    user = {
        "sourcedId": user_id,
        "status": row["o_status"],
        "dateLastModified": timestamp(row["o_modified"]),
        "username": user_id if is_pupil else row["o_username"],
        "userIds": [{"type": "RRN", "identifier": row["o_nn"]}] if row["o_nn"] else [],
        "enabledUser": row["o_enabled"],
        "givenName": row["o_given"],
        "familyName": row["o_family"],
        "roles": [{"roleType": "primary", "role": row["o_role"], "org": org}],
        "primaryOrg": org,
        "identifier": user_id if is_pupil else row["o_username"],
        "email": row["o_email"] or "",
        "agents": [],
        "grades": [],
    }
    if row["o_phone"]:
        user["phone"] = row["o_phone"]
    if is_pupil:
        grades = grades_for(row["o_stage"], row["o_year"], row["o_years"] or ())
        user["grades"] = grades.split(",") if grades else []
    return user


USERS = Resource(
    collection="users",
    singular="user",
    reference_type="user",
    columns={
        **COMMON,
        "enabledUser": Column("o_enabled"),
        "givenName": Column("o_given"),
        "familyName": Column("o_family"),
        "email": Column("o_email"),
        "phone": Column("o_phone"),
        "username": Column("o_username"),
        "identifier": Column("o_username"),
        "role": Column("o_role"),
        "roles.role": Column("o_role"),
    },
    fields=(
        "sourcedId",
        "status",
        "dateLastModified",
        "username",
        "userIds",
        "enabledUser",
        "givenName",
        "familyName",
        "roles",
        "primaryOrg",
        "identifier",
        "email",
        "phone",
        "agents",
        "grades",
    ),  # fmt: skip
    aliases=(
        "o_id",
        "o_status",
        "o_modified",
        "o_enabled",
        "o_given",
        "o_family",
        "o_email",
        "o_phone",
        "o_username",
        "o_role",
        "o_org",
        "o_stage",
        "o_year",
        "o_years",
        "o_nn",
    ),  # fmt: skip
    to_json=user_json,
)


# --- enrollments --------------------------------------------------------------------------


def pupil_enrollment_segments(vis: Visibility) -> list:
    return [
        pupils.annotate(
            o_id=enrolment_field(vis, "sourced_id"),
            o_status=_leaver("active", "tobedeleted"),
            o_modified=enrolment_field(vis, "updated_at"),
            o_user=F("sourced_id"),
            o_class=enrolment_field(vis, "school_class__sourced_id"),
            o_school=F("institution__sourced_id"),
            o_role=text("student"),
            o_primary=text("false"),
            o_begin=NULL_DATE,
            o_end=NULL_DATE,
        ).order_by("pk")
        for pupils in visible_pupils(vis)
    ]


def teacher_enrollment_segment(vis: Visibility):
    return (
        visible_teaching(vis)
        .annotate(
            o_id=F("sourced_id"),
            o_status=text("active"),
            o_modified=F("assignment__updated_at"),
            o_user=F("assignment__staff__sourced_id"),
            o_class=F("schoolclass__sourced_id"),
            o_school=F("schoolclass__institution__sourced_id"),
            o_role=text("teacher"),
            o_primary=Case(
                When(Exists(_taught_before(vis)), then=text("false")), default=text("true")
            ),
            o_begin=F("assignment__start_date"),
            o_end=F("assignment__end_date"),
        )
        .order_by("pk")
    )


def _taught_before(vis: Visibility):
    """Another visible teacher of the same class earlier by name: the first teacher of a
    class by name is its primary teacher, as in the CSV export."""
    me = OuterRef("assignment__staff__family_name")
    return visible_teaching(vis).filter(
        Q(assignment__staff__family_name__lt=me)
        | Q(
            assignment__staff__family_name=me,
            assignment__staff_id__lt=OuterRef("assignment__staff_id"),
        ),
        schoolclass_id=OuterRef("schoolclass_id"),
    )


def enrollment_json(row: dict, ctx: Context) -> dict:
    enrollment = {
        "sourcedId": str(row["o_id"]),
        "status": row["o_status"],
        "dateLastModified": timestamp(row["o_modified"]),
        "user": ctx.ref("users", row["o_user"], "user"),
        "class": ctx.ref("classes", row["o_class"], "class"),
        "school": ctx.ref("orgs", row["o_school"], "org"),
        "role": row["o_role"],
        "primary": row["o_primary"],
    }
    if row["o_begin"]:
        enrollment["beginDate"] = row["o_begin"].isoformat()
    if row["o_end"]:
        enrollment["endDate"] = row["o_end"].isoformat()
    return enrollment


ENROLLMENTS = Resource(
    collection="enrollments",
    singular="enrollment",
    reference_type="enrollment",
    columns={
        **COMMON,
        "role": Column("o_role"),
        "primary": Column("o_primary"),
        "user.sourcedId": Column("o_user", "uuid"),
        "class.sourcedId": Column("o_class", "uuid"),
        "school.sourcedId": Column("o_school", "uuid"),
        "beginDate": Column("o_begin", "date"),
        "endDate": Column("o_end", "date"),
    },
    fields=(
        "sourcedId",
        "status",
        "dateLastModified",
        "user",
        "class",
        "school",
        "role",
        "primary",
        "beginDate",
        "endDate",
    ),  # fmt: skip
    aliases=(
        "o_id",
        "o_status",
        "o_modified",
        "o_user",
        "o_class",
        "o_school",
        "o_role",
        "o_primary",
        "o_begin",
        "o_end",
    ),  # fmt: skip
    to_json=enrollment_json,
)
