"""The calls real OneRoster consumers make (../shared/oneroster/README.md, "What real consumers
call"), replayed over HTTP with a real token against a live server, and what each consumer
reads checked against the data.

The data: school A (under a district) shares with every class granted: 1A (Jan Peeters, Mila
Janssens; teacher juf@regenboog.test), 2B (Noah Maes and 250 more pupils, for paging), the
leavers class (Lotte Claes, a leaver) and an inactive class 3C; school B shares 1A only (its
pupils Peeters and Janssens, teacher meester@anker.test). Everything of school B was last
changed on 15 August 2026, everything of A after 1 September 2026, so a delta since then is
A's. The app sees 256 pupils and 2 teachers.

What each consumer got (one row per call; `a / b` = school A / school B):

consumer         call replayed                                    what it got
---------------  -----------------------------------------------  ----------------------------
Moodle's         POST /oauth/token/ (client credentials)          a token with all its scopes
OneRoster        GET /orgs                                        3 orgs: the district and 2
plugin                                                            schools, A's parent = district
                 GET /users?sort=familyName                       255 users (A's 254 pupils and
                   &filter=dateLastModified>'2026-09-01'          its teacher, none of B's) in
                   &limit=200&offset=0, 200                       pages of 200 + 55, by family
                                                                  name; identifier, username,
                                                                  givenName, familyName,
                                                                  roles[].role, agents present;
                                                                  email when there is one
                                                                  (half of 2B's pupils), never ""
                 per school: GET /orgs/{id}                       the same org as in the list
                 GET /schools/{id}/terms                          1 / 1 (the school year)
                 GET /schools/{id}/classes                        4 / 1 classes, with title,
                                                                  terms, school, a course that
                                                                  answers at its href
                 GET /schools/{id}/enrollments (limit=200 pages)  255 (200 + 55) / 3, with user,
                                                                  class, role, status (leaver:
                                                                  tobedeleted), teacher's
                                                                  beginDate
                 GET /users/{id}, /classes/{id},                  each as in the lists
                   /academicSessions/{id}
Microsoft        GET /{orgs,academicSessions,classes,users,       3, 1, 4 (not inactive 3C),
School Data        enrollments}?limit=5000                        257 (not the leaver), 257 (not
Sync               &filter=status='active'                        the leaver's); one page each
                 the same with                                    2 (district, A), 1, 4, 255,
                   filter=dateLastModified>'2026-09-01T00:00:00Z' 255 (A's only); one page each
identity tools   GET /demographics?limit=200&offset=0, 200        256 pupils (200 + 56), birthDate
                   (roster-demographics.readonly)                 and sex as registered, leaver
                                                                  tobedeleted, no teachers
                 the same with a roster-core.readonly token       403 forbidden
Google's         GET /teachers?filter=email='juf@regenboog.test'  that one teacher
conformance      GET /teachers/{id}/classes                       her one class, 1A
notebook           ?filter=status='active'
                 GET /classes/{id}/students                       its 2 pupils
                 GET /terms/{id}/gradingPeriods                   200, [] and X-Total-Count 0
                                                                  (no grading periods kept)
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest

from schoolbrug.registry.models import (
    Assignment,
    Board,
    Enrolment,
    Institution,
    Pupil,
    SchoolClass,
    Staff,
    Teaching,
)
from schoolbrug.sharing.models import SCOPE_DEMOGRAPHICS, SCOPE_ROSTER_CORE
from tests.sharing.conftest import Api

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

MOODLE_SINCE = "2026-09-01"
SDS_SINCE = "2026-09-01T00:00:00Z"
BEFORE = datetime.datetime(2026, 8, 15, 12, 0, tzinfo=datetime.UTC)
EXTRA_PUPILS = 250


@pytest.fixture
def region(served):
    """School A shares everything (under a district, 254 pupils), B only 1A; B unchanged
    since 15 August 2026."""
    a, b = served.a, served.b
    a.institution.board = Board.objects.create(number="BS-1", name="Scholengroep Regenboog")
    a.institution.save()
    year = a.classes["1A"].school_year
    SchoolClass.objects.create(
        institution=a.institution, school_year=year, code="3C", year=3, curriculum="BaO",
        is_active=False,
    )  # fmt: skip
    extra = Pupil.objects.bulk_create(
        Pupil(
            institution=a.institution,
            family_name=f"Leerling{i:03d}",
            given_name="Kim",
            email=f"kim.{i:03d}@regenboog.test" if i % 2 else "",  # half of them have one
            gender="X",
            birth_date=datetime.date(2015, 1, 1) + datetime.timedelta(days=i),
        )
        for i in range(EXTRA_PUPILS)
    )
    Enrolment.objects.bulk_create(
        Enrolment(pupil=p, school_class=a.classes["2B"], school_year=year, class_number=10 + i)
        for i, p in enumerate(extra)
    )
    # School B's rows were last changed before the deltas' moment (update() keeps auto_now off).
    Institution.objects.filter(pk=b.institution.pk).update(updated_at=BEFORE)
    SchoolClass.objects.filter(institution=b.institution).update(updated_at=BEFORE)
    Pupil.objects.filter(institution=b.institution).update(updated_at=BEFORE)
    Enrolment.objects.filter(pupil__institution=b.institution).update(updated_at=BEFORE)
    Assignment.objects.filter(institution=b.institution).update(updated_at=BEFORE)
    Teaching.objects.filter(assignment__institution=b.institution).update(updated_at=BEFORE)
    Staff.objects.filter(email="meester@anker.test").update(updated_at=BEFORE)
    assert datetime.datetime.now(datetime.UTC) > datetime.datetime(2026, 9, 2, tzinfo=datetime.UTC)
    visible = list(Pupil.objects.filter(institution=a.institution)) + [
        e.pupil for e in Enrolment.objects.filter(school_class=b.classes["1A"])
    ]
    return SimpleNamespace(a=a, b=b, teacher=served.teacher, pupils=visible)


def read_all(api: Api, path: str, key: str, limit: int, **params) -> tuple[list[dict], list[int]]:
    """What a consumer does: pages of `limit` from offset 0 until a short page. Returns the
    items and the size of each page."""
    items, sizes = [], []
    for offset in range(0, 100 * limit, limit):
        response = api.get(path, limit=limit, offset=offset, **params)
        assert response.status_code == 200, (path, params, response.text)
        page = response.json()[key]
        items += page
        sizes.append(len(page))
        if len(page) < limit:
            assert int(response.headers["X-Total-Count"]) == len(items)
            assert len({item["sourcedId"] for item in items}) == len(items)  # nothing twice
            return items, sizes
    raise AssertionError(f"{path}: paging did not end")


def ids(items) -> set[str]:
    return {item["sourcedId"] for item in items}


# --- Moodle's OneRoster plugin --------------------------------------------------------------


def test_moodle_reads_orgs_changed_users_and_each_school(region, app, live_server):
    api = Api(live_server.url, app.client_id, app.secret)  # its own token, all it may have
    a, b = region.a.institution, region.b.institution
    orgs = api.get("/orgs").json()["orgs"]
    by_id = {o["sourcedId"]: o for o in orgs}
    assert {o["type"] for o in orgs} == {"district", "school"} and len(orgs) == 3
    assert by_id[str(a.sourced_id)]["parent"]["sourcedId"] == str(a.board.sourced_id)
    assert by_id[str(a.board.sourced_id)]["type"] == "district"

    users, sizes = read_all(
        api, "/users", "users", 200,
        sort="familyName", filter=f"dateLastModified>'{MOODLE_SINCE}'",
    )  # fmt: skip
    assert sizes == [200, 55]
    changed = {p for p in region.pupils if p.institution_id == a.pk}
    assert ids(users) == {str(p.sourced_id) for p in changed} | {str(region.teacher.sourced_id)}
    names = [u["familyName"] for u in users]
    assert names == sorted(names)
    pupils = {str(p.sourced_id): p for p in changed}
    for user in users:
        for field in ("identifier", "username", "givenName", "familyName", "agents"):
            assert field in user, (field, user)
        role = user["roles"][0]["role"]
        if role == "student":
            pupil = pupils[user["sourcedId"]]
            assert user["identifier"] == user["username"] == user["sourcedId"]
            assert (user["givenName"], user["familyName"]) == (pupil.given_name, pupil.family_name)
            # The e-mail the registry holds, or none at all: never "".
            assert user.get("email", "") == pupil.email and user.get("email") != ""
        else:
            assert role == "teacher"
            assert user["identifier"] == user["username"] == user["email"] == region.teacher.email

    for school in (o for o in orgs if o["type"] == "school"):
        school_id = school["sourcedId"]
        assert api.get(f"/orgs/{school_id}").json()["org"] == school
        terms, _ = read_all(api, f"/schools/{school_id}/terms", "academicSessions", 200)
        classes, _ = read_all(api, f"/schools/{school_id}/classes", "classes", 200)
        enrollments, sizes = read_all(api, f"/schools/{school_id}/enrollments", "enrollments", 200)
        institution = a if school_id == str(a.sourced_id) else b
        expected = SchoolClass.objects.filter(institution=institution)
        if institution == b:
            expected = expected.filter(code="1A")
        assert ids(classes) == {str(c.sourced_id) for c in expected}
        assert sizes == ([200, 55] if institution == a else [3])
        for klass in classes:
            assert klass["title"] and klass["school"]["sourcedId"] == school_id
            assert [t["sourcedId"] for t in klass["terms"]] == [t["sourcedId"] for t in terms]
            course = api.get(klass["course"]["href"].split("/v1p2", 1)[1])
            assert course.status_code == 200, course.text
            assert course.json()["course"]["sourcedId"] == klass["course"]["sourcedId"]
            assert api.get(f"/classes/{klass['sourcedId']}").json()["class"] == klass
        for term in terms:
            one = api.get(f"/academicSessions/{term['sourcedId']}").json()["academicSession"]
            assert one == term
        for enrollment in enrollments:
            assert enrollment["class"]["sourcedId"] in ids(classes)
            assert enrollment["role"] in ("student", "teacher")
            if enrollment["role"] == "teacher":
                assignment = Assignment.objects.get(
                    staff__sourced_id=enrollment["user"]["sourcedId"], institution=institution
                )
                assert enrollment["beginDate"] == assignment.start_date.isoformat()
        leavers = {str(p.sourced_id) for p in region.pupils if p.is_leaver}
        for enrollment in enrollments:
            leaver = enrollment["user"]["sourcedId"] in leavers
            assert enrollment["status"] == ("tobedeleted" if leaver else "active")

    pupil = next(p for p in region.pupils if not p.is_leaver)
    user = api.get(f"/users/{pupil.sourced_id}").json()["user"]
    assert (user["givenName"], user["familyName"]) == (pupil.given_name, pupil.family_name)
    teacher = api.get(f"/users/{region.teacher.sourced_id}").json()["user"]
    assert [r["role"] for r in teacher["roles"]] == ["teacher"]


# --- Microsoft School Data Sync ------------------------------------------------------------

SDS_COLLECTIONS = ("orgs", "academicSessions", "classes", "users", "enrollments")


def test_school_data_sync_reads_active_and_changed_rows_5000_at_a_time(region, api):
    active = {c: read_all(api, f"/{c}", c, 5000, filter="status='active'") for c in SDS_COLLECTIONS}
    changed = {
        c: read_all(api, f"/{c}", c, 5000, filter=f"dateLastModified>'{SDS_SINCE}'")
        for c in SDS_COLLECTIONS
    }
    for collection in SDS_COLLECTIONS:
        for _, sizes in (active[collection], changed[collection]):
            assert len(sizes) == 1  # one short page: paging ends at once
        assert {item["status"] for item in active[collection][0]} == {"active"}
        assert all(item["dateLastModified"] > SDS_SINCE for item in changed[collection][0])
    count = {c: len(items) for c, (items, _) in active.items()}
    assert count == {
        "orgs": 3,
        "academicSessions": 7,
        "classes": 4,
        "users": 257,
        "enrollments": 257,
    }  # fmt: skip  (sessions: the school year, A's three terms and their grading periods)
    count = {c: len(items) for c, (items, _) in changed.items()}
    assert count == {
        "orgs": 2, "academicSessions": 7, "classes": 4, "users": 255, "enrollments": 255,
    }  # fmt: skip
    a = region.a.institution
    assert ids(changed["orgs"][0]) == {str(a.sourced_id), str(a.board.sourced_id)}
    leaver = next(str(p.sourced_id) for p in region.pupils if p.is_leaver)
    assert leaver not in ids(active["users"][0])
    assert leaver in ids(changed["users"][0])  # a delta reader learns it is tobedeleted
    assert "3C" not in {c["title"] for c in active["classes"][0]}
    assert all(c["school"]["sourcedId"] == str(a.sourced_id) for c in changed["classes"][0])


# --- identity tools -------------------------------------------------------------------------


def test_identity_tools_read_the_demographics_of_the_visible_pupils(region, app, live_server):
    api = Api(live_server.url, app.client_id, app.secret, scope=SCOPE_DEMOGRAPHICS)
    demographics, sizes = read_all(api, "/demographics", "demographics", 200)
    assert sizes == [200, 56]
    pupils = {str(p.sourced_id): p for p in region.pupils}
    assert ids(demographics) == set(pupils)  # the pupils the app sees, no teachers
    sex = {"M": "male", "F": "female", "X": "other"}
    for item in demographics:
        pupil = pupils[item["sourcedId"]]
        assert item["birthDate"] == pupil.birth_date.isoformat()
        assert item["sex"] == sex[pupil.gender]
        assert item["status"] == ("tobedeleted" if pupil.is_leaver else "active")
    core = Api(live_server.url, app.client_id, app.secret, scope=SCOPE_ROSTER_CORE)
    refused = core.get("/demographics")
    assert refused.status_code == 403
    assert (
        refused.json()["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]
        == "forbidden"
    )


# --- Google's conformance notebook ----------------------------------------------------------


def test_googles_notebook_walks_teacher_class_students_and_grading_periods(region, api):
    teacher = region.teacher
    found = api.get("/teachers", filter=f"email='{teacher.email}'").json()["users"]
    assert ids(found) == {str(teacher.sourced_id)}
    classes = api.get(f"/teachers/{teacher.sourced_id}/classes", filter="status='active'")
    one_a = region.a.classes["1A"]
    assert ids(classes.json()["classes"]) == {str(one_a.sourced_id)}
    students = api.get(f"/classes/{one_a.sourced_id}/students").json()["users"]
    assert ids(students) == {
        str(e.pupil.sourced_id) for e in Enrolment.objects.filter(school_class=one_a)
    }
    # The class's terms, and each term's grading periods: the walk goes on to the end.
    terms = classes.json()["classes"][0]["terms"]
    assert len(terms) == 3
    for term in terms:
        assert api.get(f"/terms/{term['sourcedId']}").json()["academicSession"]["type"] == "term"
        periods = api.get(f"/terms/{term['sourcedId']}/gradingPeriods")
        assert periods.status_code == 200 and periods.headers["X-Total-Count"] == "1"
        (period,) = periods.json()["academicSessions"]
        assert period["type"] == "gradingPeriod"
        assert period["parent"]["sourcedId"] == term["sourcedId"]
