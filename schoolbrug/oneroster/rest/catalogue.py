"""Courses and demographics: the rostering objects made of rows the other
resources already read (routes in endpoints.py).

* courses: derived from the classes as the CSV export derives them: one per curriculum per
  institution and school year (title and courseCode = the curriculum), a class without
  curriculum (the leavers class) one of its own (title and courseCode = its code). The
  sourcedId is `course_export_id`, the id every class's `course` reference and the CSV export
  carry. An app sees the courses of the classes it may see; a course is `active` while one
  of those classes is, and its dateLastModified is their latest change.
  A course id is a uuid5 (SHA-1), which neither database computes, so in SQL a course stands
  as its first visible class by pk (its *representative*) and its id is made in Python for the
  answer; a course asked for by id is looked up among the app's courses in Python. Hence
  `sourcedId` is no filter or sort field of courses (a 400 that names the fields that are).
* demographics: one per pupil the app may see (sourcedId = the user's), with birthDate and sex
  (M/F/X -> male/female/other) where the registry has them; teachers have none. Served only to
  a token with the demographics scope, as the official 1.2 file says (roster.readonly is
  "all of the read operations (excluding demographics)").
(Grading periods are academic sessions: sessions.py.)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import (
    Case,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    UUIDField,
    Value,
    When,
)

from schoolbrug.oneroster.csv_out.values import course_export_id
from schoolbrug.registry.models import SchoolClass
from schoolbrug.sharing.models import SCOPE_DEMOGRAPHICS
from schoolbrug.sharing.visibility import Visibility

from . import people
from .collection import Resource
from .errors import not_found
from .ids import our_id
from .params import Column
from .resources import COMMON, NULL_TEXT, SEX, Context, text, timestamp

# The scopes that may read demographics (auth.RosterScope reads a view's `scopes`).
DEMOGRAPHICS_SCOPES = (SCOPE_DEMOGRAPHICS,)


# --- courses ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseKey:
    """What a course is made of: its institution, school year and curriculum, and for a class
    without curriculum that class."""

    institution_id: int
    school_year_id: int
    curriculum: str
    class_id: int | None = None

    def classes_q(self) -> Q:
        """Q over SchoolClass: the classes of this course."""
        q = Q(
            institution_id=self.institution_id,
            school_year_id=self.school_year_id,
            curriculum=self.curriculum,
        )
        return q & Q(pk=self.class_id) if self.class_id is not None else q


def _visible_classes(vis: Visibility) -> QuerySet:
    return SchoolClass.objects.filter(vis.classes_q())


def _course_mates(vis: Visibility) -> QuerySet:
    """The visible classes of the same course as the class of the outer query (itself too)."""
    return _visible_classes(vis).filter(
        Q(curriculum__gt="") | Q(pk=OuterRef("pk")),
        institution_id=OuterRef("institution_id"),
        school_year_id=OuterRef("school_year_id"),
        curriculum=OuterRef("curriculum"),
    )


def course_segments(vis: Visibility, sourced_id: str | None = None) -> list:
    """The courses of the visible classes, one row each (its representative class); with
    `sourced_id` only that course (404 when the app sees no class of it)."""
    mates = _course_mates(vis)
    courses = _visible_classes(vis).filter(~Exists(mates.filter(pk__lt=OuterRef("pk"))))
    course_id = F("sourced_id")  # the representative's: unique per course, for a stable order
    if sourced_id is not None:
        key, wanted = find_course(vis, sourced_id)
        courses = courses.filter(key.classes_q())
        course_id = Value(wanted, output_field=UUIDField())
    return [
        courses.annotate(
            o_id=course_id,
            o_status=Case(
                When(
                    Exists(mates.filter(Q(is_active=True) | Q(is_leavers=True))),
                    then=text("active"),
                ),
                default=text("tobedeleted"),
            ),
            o_modified=Subquery(mates.order_by("-updated_at").values("updated_at")[:1]),
            o_title=Case(When(curriculum="", then=F("code")), default=F("curriculum")),
            # The official schema requires a courseCode: the class's code when it is the
            # class's own course (the leavers class), as the title.
            o_code=Case(When(curriculum="", then=F("code")), default=F("curriculum")),
            o_curriculum=F("curriculum"),
            o_school=F("institution__sourced_id"),
            o_year=F("school_year__sourced_id"),
            o_class=F("sourced_id"),
        ).order_by("pk")
    ]


def find_course(vis: Visibility, sourced_id: str) -> tuple[CourseKey, uuid.UUID]:
    """The course with this id among the courses of the visible classes, or a 404."""
    wanted = our_id(sourced_id, "course", vis.data_version)
    if wanted is None:
        raise not_found("course", sourced_id)
    classes = _visible_classes(vis)
    by_curriculum = (
        classes.exclude(curriculum="")
        .values_list(
            "institution_id",
            "school_year_id",
            "curriculum",
            "institution__sourced_id",
            "school_year__sourced_id",
        )
        .distinct()
    )
    for institution, year, curriculum, school, term in by_curriculum:
        if course_export_id(str(school), str(term), curriculum, "") == str(wanted):
            return CourseKey(institution, year, curriculum), wanted
    on_their_own = classes.filter(curriculum="").values_list(
        "institution_id",
        "school_year_id",
        "pk",
        "institution__sourced_id",
        "school_year__sourced_id",
        "sourced_id",
    )
    for institution, year, pk, school, term, class_id in on_their_own:
        if course_export_id(str(school), str(term), "", str(class_id)) == str(wanted):
            return CourseKey(institution, year, "", pk), wanted
    raise not_found("course", sourced_id)


def course_json(row: dict, ctx: Context) -> dict:
    school, term = str(row["o_school"]), str(row["o_year"])
    return {
        "sourcedId": course_export_id(school, term, row["o_curriculum"], str(row["o_class"])),
        "status": row["o_status"],
        "dateLastModified": timestamp(row["o_modified"]),
        "title": row["o_title"],
        "schoolYear": ctx.ref("academicSessions", term, "academicSession"),
        "courseCode": row["o_code"],
        "org": ctx.ref("orgs", school, "org"),
    }


COURSES = Resource(
    collection="courses",
    singular="course",
    reference_type="course",
    columns={
        "status": COMMON["status"],
        "dateLastModified": COMMON["dateLastModified"],
        "title": Column("o_title"),
        "courseCode": Column("o_code"),
        "schoolYear.sourcedId": Column("o_year", "uuid"),
        "org.sourcedId": Column("o_school", "uuid"),
    },
    fields=("sourcedId", "status", "dateLastModified", "title", "schoolYear", "courseCode", "org"),
    aliases=(
        "o_id",
        "o_status",
        "o_modified",
        "o_title",
        "o_code",
        "o_school",
        "o_year",
        "o_class",
        "o_curriculum",
    ),
    to_json=course_json,
)


# --- demographics -------------------------------------------------------------------------


def demographic_segments(vis: Visibility) -> list:
    """The demographics of the pupils the app may see (the same two parts as its users)."""
    sexes = [When(gender=code, then=text(word)) for code, word in SEX.items()]
    sex = Case(*sexes, default=NULL_TEXT)
    return [
        pupils.annotate(
            o_id=F("sourced_id"),
            o_status=Case(When(is_leaver=True, then=text("tobedeleted")), default=text("active")),
            o_modified=F("updated_at"),
            o_birth=F("birth_date"),
            o_sex=sex,
        ).order_by("pk")
        for pupils in people.visible_pupils(vis)
    ]


def demographics_json(row: dict, ctx: Context) -> dict:
    demographics = {
        "sourcedId": str(row["o_id"]),
        "status": row["o_status"],
        "dateLastModified": timestamp(row["o_modified"]),
    }
    if row["o_birth"]:
        demographics["birthDate"] = row["o_birth"].isoformat()
    if row["o_sex"]:
        demographics["sex"] = row["o_sex"]
    return demographics


DEMOGRAPHICS = Resource(
    collection="demographics",
    singular="demographics",
    reference_type="demographics",
    columns={**COMMON, "birthDate": Column("o_birth", "date"), "sex": Column("o_sex")},
    fields=("sourcedId", "status", "dateLastModified", "birthDate", "sex"),
    aliases=("o_id", "o_status", "o_modified", "o_birth", "o_sex"),
    to_json=demographics_json,
)
