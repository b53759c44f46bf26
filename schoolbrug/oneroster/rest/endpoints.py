"""Every rostering route: which resource, which segments (what this app may see)."""

from __future__ import annotations

from django.db.models import Q

from schoolbrug.registry.models import (
    AcademicSession,
    Enrolment,
    SchoolClass,
    SchoolYear,
    SubclassMembership,
)

from . import catalogue, people, resources, sessions
from .people import ENROLLMENTS, USERS
from .resources import CLASSES, ORGS
from .sessions import SESSIONS
from .views import (
    CollectionView,
    ObjectView,
    visible_class,
    visible_school,
    visible_user_pk,
)

# --- orgs, schools, sessions ----------------------------------------------------------------


class Orgs(CollectionView):
    resource = ORGS

    def segments(self, vis):
        return resources.org_segments(vis)


class Org(ObjectView):
    resource = ORGS

    def segments(self, vis):
        return resources.org_segments(vis)


class Schools(Orgs):
    def segments(self, vis):
        return resources.org_segments(vis, school_only=True)


class School(Org):
    def segments(self, vis):
        return resources.org_segments(vis, school_only=True)


class Sessions(CollectionView):
    resource = SESSIONS

    def segments(self, vis):
        return sessions.session_segments(vis)


class Session(ObjectView):
    resource = SESSIONS

    def segments(self, vis):
        return sessions.session_segments(vis)


class Terms(Sessions):
    def segments(self, vis):
        return sessions.term_segments(vis)


class Term(Session):
    def segments(self, vis):
        return sessions.term_segments(vis)


class SchoolTerms(Sessions):
    """The school's terms; while it has none, the school years of its classes (their term)."""

    def segments(self, vis, school):
        school = visible_school(vis, school)
        # pk__in, not a join and distinct(): the segments are one UNION when sorted.
        years = sessions.year_segment(vis).filter(
            pk__in=SchoolClass.objects.filter(institution=school).values("school_year_id")
        )
        has_terms = sessions.institution_segment(vis, sessions.TERM).filter(institution=school)
        return [
            years.exclude(pk__in=has_terms.values("school_year_id")),
            has_terms,
        ]


# --- classes --------------------------------------------------------------------------------


class Classes(CollectionView):
    resource = CLASSES

    def segments(self, vis):
        return resources.class_segments(vis)


class Class(ObjectView):
    resource = CLASSES

    def segments(self, vis):
        return resources.class_segments(vis)


class SchoolClasses(Classes):
    def segments(self, vis, school):
        school = visible_school(vis, school)
        return [s.filter(institution=school) for s in super().segments(vis)]


class TermClasses(Classes):
    """The classes of the term's institution and school year that run in it: all of them but
    those a OneRoster set said run in other terms only (sessions.classes_elsewhere)."""

    def segments(self, vis, term):
        term = sessions.visible_term(vis, term)
        if isinstance(term, SchoolYear):
            return [s.filter(school_year=term) for s in super().segments(vis)]
        elsewhere = sessions.classes_elsewhere(term)
        return [
            s.filter(
                school_year_id=term.school_year_id, institution_id=term.institution_id
            ).exclude(sourced_id__in=elsewhere)
            for s in super().segments(vis)
        ]


class UserClasses(Classes):
    role: str | None = None

    def segments(self, vis, user):
        role, pk = visible_user_pk(vis, user, self.role)
        if role == "student":
            classes = Enrolment.objects.filter(
                pupil_id=pk, school_year_id=vis.school_year_id
            ).values("school_class_id")
            subclasses = SubclassMembership.objects.filter(
                pupil_id=pk, ended_at__isnull=True
            ).values("subclass_id")
            return [
                s.filter(Q(pk__in=classes) | Q(pk__in=subclasses)) for s in super().segments(vis)
            ]
        taught = people.visible_teaching(vis).filter(assignment__staff_id=pk)
        return [s.filter(pk__in=taught.values("schoolclass_id")) for s in super().segments(vis)]


class StudentClasses(UserClasses):
    role = "student"


class TeacherClasses(UserClasses):
    role = "teacher"


# --- users ----------------------------------------------------------------------------------


class Users(CollectionView):
    resource = USERS

    def segments(self, vis):
        return [people.pupil_users(vis), people.teacher_users(vis)]


class User(ObjectView):
    resource = USERS

    def segments(self, vis):
        return [people.pupil_users(vis), people.teacher_users(vis)]


class Students(Users):
    def segments(self, vis):
        return [people.pupil_users(vis)]


class Student(User):
    def segments(self, vis):
        return [people.pupil_users(vis)]


class Teachers(Users):
    def segments(self, vis):
        return [people.teacher_users(vis)]


class Teacher(User):
    def segments(self, vis):
        return [people.teacher_users(vis)]


class SchoolStudents(Users):
    def segments(self, vis, school, klass=None):
        school = visible_school(vis, school)
        if klass is not None:
            klass = visible_class(vis, klass, school)
        return [people.pupil_users(vis, school, klass)]


class SchoolTeachers(Users):
    def segments(self, vis, school, klass=None):
        school = visible_school(vis, school)
        if klass is not None:
            klass = visible_class(vis, klass, school)
        return [people.teacher_users(vis, school, klass)]


class ClassStudents(Users):
    def segments(self, vis, klass):
        return [people.pupil_users(vis, klass=visible_class(vis, klass))]


class ClassTeachers(Users):
    def segments(self, vis, klass):
        return [people.teacher_users(vis, klass=visible_class(vis, klass))]


# --- enrollments ----------------------------------------------------------------------------


def _enrollments(vis, school=None, klass=None) -> list:
    return [
        people.pupil_enrollments(vis, school, klass),
        people.member_enrollments(vis, school, klass),
        people.teacher_enrollments(vis, school, klass),
    ]


class Enrollments(CollectionView):
    resource = ENROLLMENTS

    def segments(self, vis):
        return _enrollments(vis)


class EnrollmentView(ObjectView):
    resource = ENROLLMENTS

    def segments(self, vis):
        return _enrollments(vis)


class SchoolEnrollments(Enrollments):
    def segments(self, vis, school, klass=None):
        school = visible_school(vis, school)
        if klass is not None:
            klass = visible_class(vis, klass, school)
        return _enrollments(vis, school, klass)


# --- courses, demographics, grading periods (catalogue.py) ---------------------------------


class Courses(CollectionView):
    resource = catalogue.COURSES

    def segments(self, vis):
        return catalogue.course_segments(vis)


class Course(ObjectView):
    resource = catalogue.COURSES

    def segments(self, vis):
        return catalogue.course_segments(vis, self.kwargs["sourced_id"])


class SchoolCourses(Courses):
    def segments(self, vis, school):
        school = visible_school(vis, school)
        return [s.filter(institution=school) for s in super().segments(vis)]


class CourseClasses(Classes):
    def segments(self, vis, course):
        key, _ = catalogue.find_course(vis, course)
        return [s.filter(key.classes_q()) for s in super().segments(vis)]


class DemographicsList(CollectionView):
    resource = catalogue.DEMOGRAPHICS
    scopes = catalogue.DEMOGRAPHICS_SCOPES

    def segments(self, vis):
        return catalogue.demographic_segments(vis)


class Demographics(ObjectView):
    resource = catalogue.DEMOGRAPHICS
    scopes = catalogue.DEMOGRAPHICS_SCOPES

    def segments(self, vis):
        return catalogue.demographic_segments(vis)


class GradingPeriods(Sessions):
    def segments(self, vis):
        return sessions.grading_period_segments(vis)


class GradingPeriod(Session):
    def segments(self, vis):
        return sessions.grading_period_segments(vis)


class TermGradingPeriods(GradingPeriods):
    def segments(self, vis, term):
        term = sessions.visible_term(vis, term)
        # A school year (the term of a school without terms) has none: every grading period
        # has a term as parent. A filter, not none(): an empty query breaks counts and filters.
        parent = term.pk if isinstance(term, AcademicSession) else None
        return [s.filter(parent_id=parent) for s in super().segments(vis)]
