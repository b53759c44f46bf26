"""Courses, demographics and grading periods (oneroster/rest/catalogue.py) over real HTTP with a
real token: a course is what the classes point at, seen only through a visible class; the
demographics of visible pupils only, and only with the demographics scope; no grading
periods, honestly."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from schoolbrug.oneroster.csv_out.values import course_export_id
from schoolbrug.registry.models import SchoolClass, Staff
from schoolbrug.sharing import access
from schoolbrug.sharing.models import SCOPE_DEMOGRAPHICS, SCOPE_ROSTER, SCOPE_ROSTER_CORE
from tests.sharing.conftest import API, Api

pytestmark = pytest.mark.django_db(transaction=True)


def course_of(klass: SchoolClass) -> str:
    return course_export_id(
        str(klass.institution.sourced_id),
        str(klass.school_year.sourced_id),
        klass.curriculum,
        str(klass.sourced_id),
    )


def minor(response) -> str:
    return response.json()["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]


# --- courses ------------------------------------------------------------------------------


def test_the_courses_are_what_the_classes_point_at(served, api):
    classes = api.get("/classes").json()["classes"]
    courses = api.get("/courses").json()["courses"]
    assert {c["course"]["sourcedId"] for c in classes} == {c["sourcedId"] for c in courses}
    for klass in classes:  # the reference is where the course answers
        assert (
            klass["course"]["href"] == f"{api.base_url}{API}/courses/{klass['course']['sourcedId']}"
        )
    # One per curriculum per school: A's three classes share one, B's 1A has its own.
    a, b = served.a, served.b
    assert {c["sourcedId"] for c in courses} == {
        course_of(a.classes["1A"]),
        course_of(b.classes["1A"]),
    }
    for course in courses:
        assert (course["title"], course["courseCode"], course["status"]) == ("BaO", "BaO", "active")
        one = api.get(f"/courses/{course['sourcedId']}").json()["course"]
        assert one == course
        pointing = {c["sourcedId"] for c in classes if c["course"]["sourcedId"] == one["sourcedId"]}
        listed = api.get(f"/courses/{course['sourcedId']}/classes").json()["classes"]
        assert {c["sourcedId"] for c in listed} == pointing
    b_course = api.get(f"/courses/{course_of(b.classes['1A'])}/classes").json()["classes"]
    assert [c["title"] for c in b_course] == ["1A"]  # not B's 2B: the app may not see it
    assert b_course[0]["school"]["sourcedId"] == str(b.institution.sourced_id)


def test_a_course_is_seen_only_through_a_visible_class(served, api, app):
    b = served.b
    b_course = course_of(b.classes["1A"])
    school_b = api.get(f"/schools/{b.institution.sourced_id}/courses").json()["courses"]
    assert [c["sourcedId"] for c in school_b] == [b_course]
    assert api.get(f"/courses/{b_course}").status_code == 200
    access.revoke(app.app, b.institution, by="directie@anker.test")
    for path in (f"/courses/{b_course}", f"/courses/{b_course}/classes"):
        gone = api.get(path)
        assert gone.status_code == 404 and minor(gone) == "unknownobject"
    assert b_course not in {c["sourcedId"] for c in api.get("/courses").json()["courses"]}
    unknown = api.get(f"/schools/{b.institution.sourced_id}/courses")
    assert unknown.status_code == 404
    assert api.get("/courses/not-a-uuid").status_code == 404


def test_a_class_without_curriculum_is_a_course_of_its_own(served, api):
    leavers = served.a.classes["Schoolverlaters"]
    SchoolClass.objects.filter(pk=leavers.pk).update(curriculum="")
    leavers.refresh_from_db()
    course = api.get(f"/courses/{course_of(leavers)}").json()["course"]
    # The official schema requires a courseCode: the class's code, as the title.
    assert (course["title"], course["courseCode"]) == ("Schoolverlaters", "Schoolverlaters")
    classes = api.get(f"/courses/{course['sourcedId']}/classes").json()["classes"]
    assert [c["sourcedId"] for c in classes] == [str(leavers.sourced_id)]
    assert (
        api.get(f"/classes/{leavers.sourced_id}").json()["class"]["course"]["sourcedId"]
        == (course["sourcedId"])
    )


def test_a_course_changes_and_ends_with_its_classes(served, api):
    b_1a = served.b.classes["1A"]
    later = timezone.now() + datetime.timedelta(days=1)
    SchoolClass.objects.filter(pk=b_1a.pk).update(is_active=False, updated_at=later)
    course = api.get(f"/courses/{course_of(b_1a)}").json()["course"]
    assert course["status"] == "tobedeleted"  # its only visible class is inactive
    assert course["dateLastModified"].startswith(
        later.astimezone(datetime.UTC).strftime("%Y-%m-%d")
    )
    active = api.get("/courses", filter="status='active'").json()["courses"]
    assert course["sourcedId"] not in {c["sourcedId"] for c in active}
    assert api.get("/courses", filter="courseCode='BaO'").headers["X-Total-Count"] == "2"


def test_a_course_id_is_no_filter_or_sort_field(served, api):
    for params in ({"filter": "sourcedId='x'"}, {"sort": "sourcedId"}):
        refused = api.get("/courses", **params)
        assert refused.status_code == 400
        assert "title" in refused.json()["imsx_description"]  # names the fields that are
    assert minor(api.get("/courses", filter="sourcedId='x'")) == "invalid_filter_field"


# --- demographics -------------------------------------------------------------------------


def test_demographics_of_the_visible_pupils_only(served, api):
    demographics = api.get("/demographics").json()["demographics"]
    a, b = served.a, served.b
    visible = a.pupils + [p for p in b.pupils if p.enrolments.get().school_class.code == "1A"]
    assert {d["sourcedId"] for d in demographics} == {str(p.sourced_id) for p in visible}
    lotte = next(p for p in a.pupils if p.is_leaver)
    one = api.get(f"/demographics/{lotte.sourced_id}").json()["demographics"]
    assert one == {
        "sourcedId": str(lotte.sourced_id),
        "status": "tobedeleted",
        "dateLastModified": one["dateLastModified"],
        "birthDate": "2015-12-24",
        "sex": "female",
    }
    hidden = next(p for p in b.pupils if p.enrolments.get().school_class.code == "2B")
    teacher = Staff.objects.get(email="juf@regenboog.test")
    for sourced_id in (hidden.sourced_id, teacher.sourced_id):
        assert api.get(f"/demographics/{sourced_id}").status_code == 404


@pytest.mark.parametrize("scope", [SCOPE_ROSTER_CORE, SCOPE_ROSTER])
def test_demographics_need_the_demographics_scope(served, app, live_server, scope):
    """As the official file says: roster.readonly is every read "excluding demographics"."""
    api = Api(live_server.url, app.client_id, app.secret, scope=scope)
    pupil = served.a.pupils[0]
    for path in ("/demographics", f"/demographics/{pupil.sourced_id}"):
        refused = api.get(path)
        assert refused.status_code == 403 and minor(refused) == "forbidden"
    assert api.get(f"/users/{pupil.sourced_id}").status_code == 200
    allowed = Api(live_server.url, app.client_id, app.secret, scope=SCOPE_DEMOGRAPHICS)
    assert allowed.get(f"/demographics/{pupil.sourced_id}").status_code == 200


# --- grading periods ----------------------------------------------------------------------


def test_terms_and_grading_periods_of_a_school(served, api):
    """School A has the Flemish defaults (three trimesters, one report each); school B, whose
    register no sync wrote since sessions came, has none: its classes run in the school year."""
    year = served.a.classes["1A"].school_year
    terms = api.get("/terms").json()["academicSessions"]
    assert [t["title"] for t in terms] == ["Trimester 1", "Trimester 2", "Trimester 3"]
    assert {t["type"] for t in terms} == {"term"}
    assert all(t["parent"]["sourcedId"] == str(year.sourced_id) for t in terms)
    first = terms[0]
    assert (first["startDate"], first["schoolYear"]) == (
        f"{year.start_year}-09-01",
        str(year.start_year + 1),
    )
    periods = api.get(f"/terms/{first['sourcedId']}/gradingPeriods")
    assert periods.status_code == 200 and periods.headers["X-Total-Count"] == "1"
    (period,) = periods.json()["academicSessions"]
    assert (period["type"], period["title"]) == ("gradingPeriod", "Rapport 1")
    assert period["parent"]["sourcedId"] == first["sourcedId"]
    assert first["children"] == [
        {"href": period["parent"]["href"].replace(first["sourcedId"], period["sourcedId"]),
         "sourcedId": period["sourcedId"], "type": "academicSession"}
    ]  # fmt: skip
    assert api.get(f"/gradingPeriods/{period['sourcedId']}").json()["academicSession"] == period
    assert len(api.get("/gradingPeriods").json()["academicSessions"]) == 3
    # All of them under /academicSessions, with the school year.
    every = api.get("/academicSessions").json()["academicSessions"]
    assert sorted(s["type"] for s in every) == ["gradingPeriod"] * 3 + ["schoolYear"] + ["term"] * 3
    for sort in ("title", "type", "schoolYear", "dateLastModified"):  # one UNION of both tables
        page = api.get("/academicSessions", sort=sort, limit=4, offset=2)
        assert page.status_code == 200 and len(page.json()["academicSessions"]) == 4, sort
    titled = api.get("/academicSessions", filter="title='Rapport 2'").json()["academicSessions"]
    assert [s["title"] for s in titled] == ["Rapport 2"]
    # A class lists the terms it runs in; /terms/{id}/classes the classes of the term.
    a_class = api.get(f"/classes/{served.a.classes['1A'].sourced_id}").json()["class"]
    assert [t["sourcedId"] for t in a_class["terms"]] == [t["sourcedId"] for t in terms]
    in_term = api.get(f"/terms/{first['sourcedId']}/classes").json()["classes"]
    assert {c["school"]["sourcedId"] for c in in_term} == {str(served.a.institution.sourced_id)}
    assert str(served.a.classes["1A"].sourced_id) in {c["sourcedId"] for c in in_term}
    b_class = api.get(f"/classes/{served.b.classes['1A'].sourced_id}").json()["class"]
    assert [t["sourcedId"] for t in b_class["terms"]] == [str(year.sourced_id)]
    b_terms = api.get(f"/schools/{served.b.institution.sourced_id}/terms").json()
    assert [t["type"] for t in b_terms["academicSessions"]] == ["schoolYear"]
    a_terms = api.get(f"/schools/{served.a.institution.sourced_id}/terms").json()
    assert a_terms["academicSessions"] == terms
    for school in (served.a, served.b):  # sorted: the two tables are one UNION
        for sort in ("title", "dateLastModified"):
            sorted_terms = api.get(f"/schools/{school.institution.sourced_id}/terms", sort=sort)
            assert sorted_terms.status_code == 200, (sort, sorted_terms.text)
    # A school year is no term and has no grading periods; a grading period is no term.
    assert api.get(f"/terms/{year.sourced_id}").status_code == 404
    for query in ({}, {"filter": "status='active'"}, {"sort": "title"}):
        none = api.get(f"/terms/{year.sourced_id}/gradingPeriods", **query)
        assert none.status_code == 200 and none.json() == {"academicSessions": []}, query
    not_one = api.get(f"/gradingPeriods/{first['sourcedId']}")
    assert not_one.status_code == 404 and minor(not_one) == "unknownobject"
    assert api.get(f"/terms/{period['sourcedId']}/gradingPeriods").status_code == 404
    assert api.get(f"/terms/{served.a.institution.sourced_id}/gradingPeriods").status_code == 404
