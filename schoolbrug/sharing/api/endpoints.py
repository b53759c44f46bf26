"""Every rostering route: which resource, which segments (what this app may see)."""

from __future__ import annotations

from schoolbrug.registry.models import Enrolment

from . import people, resources
from .people import ENROLLMENTS, USERS
from .resources import CLASSES, ORGS, SESSIONS
from .views import (
    CollectionView,
    ObjectView,
    visible_class,
    visible_school,
    visible_session,
    visible_user_pk,
)


def _pupils(vis) -> list:
    return people.pupil_segments(vis, vis.may_read_national_number)


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
        return resources.session_segments(vis)


class Session(ObjectView):
    resource = SESSIONS

    def segments(self, vis):
        return resources.session_segments(vis)


class SchoolTerms(Sessions):
    def segments(self, vis, school):
        school = visible_school(vis, school)
        return [s.filter(classes__institution=school).distinct() for s in super().segments(vis)]


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
    def segments(self, vis, term):
        year = visible_session(vis, term)
        return [s.filter(school_year=year) for s in super().segments(vis)]


class UserClasses(Classes):
    role: str | None = None

    def segments(self, vis, user):
        role, pk = visible_user_pk(vis, user, self.role)
        if role == "student":
            classes = Enrolment.objects.filter(
                pupil_id=pk, school_year_id=vis.school_year_id
            ).values("school_class_id")
            return [s.filter(pk__in=classes) for s in super().segments(vis)]
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
        return [*_pupils(vis), people.teacher_segment(vis)]


class User(ObjectView):
    resource = USERS

    def segments(self, vis):
        return [*_pupils(vis), people.teacher_segment(vis)]


class Students(Users):
    def segments(self, vis):
        return _pupils(vis)


class Student(User):
    def segments(self, vis):
        return _pupils(vis)


class Teachers(Users):
    def segments(self, vis):
        return [people.teacher_segment(vis)]


class Teacher(User):
    def segments(self, vis):
        return [people.teacher_segment(vis)]


class SchoolStudents(Users):
    def segments(self, vis, school, klass=None):
        school = visible_school(vis, school)
        pupils = [segment.filter(institution=school) for segment in _pupils(vis)]
        if klass is not None:
            klass = visible_class(vis, klass, school)
            pupils = [segment.filter(enrolments__school_class=klass) for segment in pupils]
        return pupils


class SchoolTeachers(Users):
    def segments(self, vis, school, klass=None):
        school = visible_school(vis, school)
        teaching = people.visible_teaching(vis).filter(schoolclass__institution=school)
        if klass is not None:
            teaching = teaching.filter(schoolclass=visible_class(vis, klass, school))
        return [people.teacher_segment(vis, teaching)]


class ClassStudents(Users):
    def segments(self, vis, klass):
        klass = visible_class(vis, klass)
        return [segment.filter(enrolments__school_class=klass) for segment in _pupils(vis)]


class ClassTeachers(Users):
    def segments(self, vis, klass):
        teaching = people.visible_teaching(vis).filter(schoolclass=visible_class(vis, klass))
        return [people.teacher_segment(vis, teaching)]


# --- enrollments ----------------------------------------------------------------------------


def _enrollments(vis) -> list:
    return [*people.pupil_enrollment_segments(vis), people.teacher_enrollment_segment(vis)]


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
        *pupils, teachers = _enrollments(vis)
        pupils = [segment.filter(institution=school) for segment in pupils]
        teachers = teachers.filter(schoolclass__institution=school)
        if klass is not None:
            klass = visible_class(vis, klass, school)
            pupils = [segment.filter(enrolments__school_class=klass) for segment in pupils]
            teachers = teachers.filter(schoolclass=klass)
        return [*pupils, teachers]
