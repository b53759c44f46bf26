"""Every rostering route's answers validated against 1EdTech's official OpenAPI file for the
1.2 rostering service: each route of our urls.py is matched to the official operation of the
same path (and every official operation has a route), and its list, single-object and error
answers are checked against that operation's response schemas (`additionalProperties: false`,
required fields, enumerations, references), with date, date-time (UTC) and URI formats checked
too. Courses, demographics and grading periods (catalogue.py) included: grading periods are
always an empty list, and a grading period's id always a 404 (Schoolbrug keeps none)."""

from __future__ import annotations

import datetime
import json
import re
import uuid
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from schoolbrug.oneroster.rest import urls
from schoolbrug.oneroster.rest.views import UnknownRoute
from schoolbrug.registry.models import Assignment, Board, Enrolment, Pupil, SchoolClass, Teaching
from schoolbrug.sharing import access, consent

pytestmark = pytest.mark.django_db(transaction=True)

SPEC_PATH = (
    Path(__file__).resolve().parents[3]
    / "shared/oneroster/spec/onerosterv1p2rostersservice_openapi3_v1p0.json"
)
SPEC_URI = "urn:ims:oneroster:rostering:v1p2"
UTC_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


@cache
def spec() -> dict:
    if not SPEC_PATH.exists():
        pytest.skip(f"the official schema is not at {SPEC_PATH}")
    return json.loads(SPEC_PATH.read_text())


def _formats() -> FormatChecker:
    checker = FormatChecker([])

    @checker.checks("date-time", raises=ValueError)
    def date_time(value) -> bool:
        # OneRoster: W3C profile of ISO 8601, always in UTC.
        if not isinstance(value, str):
            return True
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return bool(UTC_DATE_TIME.match(value))

    @checker.checks("date", raises=ValueError)
    def date(value) -> bool:
        if not isinstance(value, str):
            return True
        return datetime.date.fromisoformat(value).isoformat() == value

    @checker.checks("uri")
    def uri(value) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.netloc)

    return checker


@cache
def validator(ref: str) -> Draft4Validator:
    """A validator for a `#/components/...` ref of the official file; OpenAPI 3.0 schema
    objects are close to JSON Schema draft 4, and every $ref resolves inside that file."""
    registry = Registry().with_resource(SPEC_URI, Resource(spec(), DRAFT4))
    return Draft4Validator(
        {"$ref": f"{SPEC_URI}{ref}"}, registry=registry, format_checker=_formats()
    )


def assert_valid(ref: str, body, where: str) -> None:
    errors = sorted(validator(ref).iter_errors(body), key=lambda e: list(e.absolute_path))
    details = "\n".join(
        f"  {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors[:10]
    )
    assert not errors, f"{where} does not match {ref}:\n{details}"


# --- our routes and the official operations ------------------------------------------------


def our_routes() -> list[str]:
    """The rostering routes of urls.py as templates: /schools/{school}/classes."""
    routes = []
    for pattern in urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern)
        if route == "openapi.json" or pattern.callback.view_class is UnknownRoute:
            continue
        routes.append("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))
    return routes


def _shape(template: str) -> str:
    return re.sub(r"\{\w+\}", "{}", template)


def official_operation(route: str) -> tuple[str, dict]:
    """The official path and GET operation for one of our route templates."""
    matches = [
        (path, item["get"])
        for path, item in spec()["paths"].items()
        if _shape(path) == _shape(route) and "get" in item
    ]
    assert len(matches) == 1, f"{route} has no single official operation: {matches}"
    return matches[0]


def response_ref(operation: dict, status: str) -> str:
    response = operation["responses"].get(status) or operation["responses"]["default"]
    return response["content"]["application/json"]["schema"]["$ref"]


def test_every_route_is_an_official_operation():
    routes = our_routes()
    assert len(routes) == len(set(routes)) >= 30
    for route in routes:
        path, operation = official_operation(route)
        assert response_ref(operation, "200").startswith("#/components/schemas/")


def test_every_official_operation_is_served():
    official = {_shape(path) for path, item in spec()["paths"].items() if "get" in item}
    assert len(official) == 41
    assert {_shape(route) for route in our_routes()} == official


# Routes whose answer is always an empty list, and whose ids are always unknown: none (the
# schools have their terms and grading periods).
ALWAYS_EMPTY: set[str] = set()
NOTHING_TO_FIND: set[str] = set()


# --- data that uses every field we write ---------------------------------------------------


@pytest.fixture
def rich(schools, app):
    """School A under a board, with a kindergarten class, a subclass, an inactive class, a
    pupil with e-mail and phone, a second teacher whose assignment ends, national numbers
    allowed; sharing on and all classes granted."""
    a = schools.a
    institution = a.institution
    institution.board = Board.objects.create(number="BS-1", name="Scholengroep Regenboog")
    institution.save()
    year = a.classes["1A"].school_year
    kindergarten = SchoolClass.objects.create(
        institution=institution,
        school_year=year,
        code="K3A",
        stage="NVT",
        year=3,
        kindergarten_level="K3",
        curriculum="KO",
    )
    SchoolClass.objects.create(
        institution=institution, school_year=year, code="1A wiskunde", year=1,
        parent=a.classes["1A"], curriculum="BaO",
    )  # fmt: skip
    SchoolClass.objects.create(
        institution=institution, school_year=year, code="3C", year=3, is_active=False,
        curriculum="BaO", years=[3, 4],
    )  # fmt: skip
    # The leavers class has no curriculum, as the sync makes it: a course of its own.
    SchoolClass.objects.filter(pk=a.classes["Schoolverlaters"].pk).update(curriculum="")
    toddler = Pupil.objects.create(
        institution=institution,
        national_number="21010112345",
        family_name="Wouters",
        given_name="Lien",
        email="lien@example.be",
        phone="+32 9 123 45 67",
    )
    Enrolment.objects.create(pupil=toddler, school_class=kindergarten, school_year=year)
    today = datetime.date.today()
    second = Assignment.objects.create(
        staff=schools.teacher.__class__.objects.create(
            email="zorg@regenboog.test", given_name="Zorg", family_name="Zeger"
        ),
        institution=institution,
        role="teacher",
        start_date=today - datetime.timedelta(days=30),
        end_date=today + datetime.timedelta(days=30),
    )
    Teaching.objects.create(assignment=second, schoolclass=a.classes["1A"])
    Teaching.objects.create(assignment=second, schoolclass=kindergarten)
    sharing = consent.activate(institution, schools.director)
    sharing.protocol.allows_national_number = True
    sharing.protocol.save()
    access.grant(app.app, institution, [], by=schools.director)
    return schools


PARAMETER_VALUES = {
    # Which list answer supplies the ids a path parameter takes.
    "school": ("/schools", "orgs"),
    "klass": ("/classes", "classes"),
    "term": ("/terms", "academicSessions"),
    "course": ("/courses", "courses"),
}
# The wrapper key of a collection where it is not the collection's name.
LIST_KEYS = {
    "/schools": "orgs",
    "/terms": "academicSessions",
    "/gradingPeriods": "academicSessions",
    "/students": "users",
    "/teachers": "users",
}


def _all(api, path: str, key: str) -> list[dict]:
    response = api.get(path, limit=5000)
    assert response.status_code == 200, (path, response.text)
    return response.json()[key]


def concrete_paths(api, route: str) -> list[str]:
    """Every concrete path of a route with the data at hand (each id the app may see)."""
    names = re.findall(r"\{(\w+)\}", route)
    if not names:
        return [route]
    if names == ["sourced_id"]:
        collection = "/" + route.split("/")[1]
        key = LIST_KEYS.get(collection, collection.strip("/"))
        return [f"{collection}/{item['sourcedId']}" for item in _all(api, collection, key)]
    if names == ["user"]:
        collection = "/" + route.split("/")[1]
        users = _all(api, collection, "users")
        return [route.replace("{user}", u["sourcedId"]) for u in users]
    if names == ["school", "klass"]:
        return [
            route.replace("{school}", c["school"]["sourcedId"]).replace("{klass}", c["sourcedId"])
            for c in _all(api, "/classes", "classes")
        ]
    (name,) = names
    collection, key = PARAMETER_VALUES[name]
    return [route.replace(f"{{{name}}}", item["sourcedId"]) for item in _all(api, collection, key)]


def test_every_answer_of_every_route_matches_the_official_schema(rich, api):
    checked: dict[str, int] = {}
    non_empty = set()
    for route in our_routes():
        path, operation = official_operation(route)
        ok = response_ref(operation, "200")
        for concrete in concrete_paths(api, route):
            response = api.get(concrete)
            assert response.status_code == 200, (concrete, response.text)
            assert response.headers["Content-Type"].startswith("application/json")
            body = response.json()
            assert_valid(ok, body, f"GET {concrete} ({path})")
            checked[route] = checked.get(route, 0) + 1
            (items,) = body.values()
            if items:
                non_empty.add(route)
    # Every route answered at least once, with something in it.
    assert set(checked) == set(our_routes()) - NOTHING_TO_FIND
    assert non_empty == set(our_routes()) - NOTHING_TO_FIND - ALWAYS_EMPTY
    assert sum(checked.values()) > 80


def test_the_data_uses_the_optional_fields(rich, api):
    """So that the schema check above saw them: parent orgs, userIds, phone, dates."""
    orgs = _all(api, "/orgs", "orgs")
    assert {o["type"] for o in orgs} == {"district", "school"}
    assert any("parent" in o for o in orgs)
    users = _all(api, "/users", "users")
    assert any(u["userIds"] for u in users) and any("phone" in u for u in users)
    assert any(u["enabledUser"] == "false" for u in users)
    enrollments = _all(api, "/enrollments", "enrollments")
    assert any("endDate" in e for e in enrollments) and any("beginDate" in e for e in enrollments)
    assert {e["primary"] for e in enrollments} == {"true", "false"}
    classes = _all(api, "/classes", "classes")
    assert {c["classType"] for c in classes} == {"homeroom", "scheduled"}
    assert {c["status"] for c in classes} == {"active", "tobedeleted"}
    assert any(g in ("PS", "PK", "KG") for c in classes for g in c["grades"])
    courses = _all(api, "/courses", "courses")
    # The leavers class's own course: its code (the official schema requires one).
    assert {c["courseCode"] for c in courses} == {"BaO", "KO", "Schoolverlaters"}
    demographics = _all(api, "/demographics", "demographics")
    assert any("birthDate" in d for d in demographics) and any("sex" in d for d in demographics)
    assert any("birthDate" not in d for d in demographics)  # Lien Wouters: none registered
    assert {d["status"] for d in demographics} == {"active", "tobedeleted"}


def test_the_check_catches_what_the_schema_forbids(rich, api):
    """The validator is no rubber stamp: each of these departures from the 1.2 binding fails."""
    pupil = rich.a.pupils[0].sourced_id
    good = api.get(f"/users/{pupil}").json()
    assert_valid("#/components/schemas/SingleUserDType", good, "the real answer")
    user = good["user"]
    wrong = [
        {**good, "imsx_statusInfo": {}},
        {"user": {**user, "enabledUser": True}},
        {"user": {**user, "dateLastModified": "2026-09-01T10:00:00+02:00"}},
        {"user": {**user, "roles": []}},
        {"user": {**user, "primaryOrg": {**user["primaryOrg"], "type": "school"}}},
        {"user": {**user, "primaryOrg": {**user["primaryOrg"], "href": "orgs/1"}}},
        {"user": {k: v for k, v in user.items() if k != "givenName"}},
        {"user": {**user, "totalCount": 1}},
    ]
    for body in wrong:
        assert list(validator("#/components/schemas/SingleUserDType").iter_errors(body)), body
    session = api.get("/academicSessions").json()["academicSessions"][0]
    assert list(
        validator("#/components/schemas/AcademicSessionDType").iter_errors(
            {**session, "startDate": "01/09/2026"}
        )
    )


def test_paged_sorted_and_filtered_answers_match_too(rich, api):
    routes = (
        "/users", "/classes", "/enrollments", "/orgs", "/academicSessions", "/courses",
        "/demographics", "/gradingPeriods",
    )  # fmt: skip
    for route in routes:
        _, operation = official_operation(route)
        ok = response_ref(operation, "200")
        key = LIST_KEYS.get(route, route.strip("/"))
        # A course's id is no filter or sort field (catalogue.py): its title is.
        by = "title" if route == "/courses" else "sourcedId"
        for params in ({"limit": 1, "offset": 1}, {"sort": by, "orderBy": "desc"},
                       {"filter": "status='active'"}, {"filter": f"{by}='x'"}):  # fmt: skip
            response = api.get(route, **params)
            assert response.status_code == 200, (route, params, response.text)
            assert_valid(ok, response.json(), f"GET {route} {params}")
            assert list(response.json()) == [key]


def test_error_answers_match_the_official_status_info(rich, api, live_server):
    import requests

    from tests.sharing.conftest import API

    for route in our_routes():
        path, operation = official_operation(route)
        concrete = re.sub(r"\{\w+\}", str(uuid.uuid4()), route)
        if "{" in route:
            unknown = api.get(concrete)
            assert unknown.status_code == 404, (concrete, unknown.text)
            assert_valid(response_ref(operation, "404"), unknown.json(), f"404 of {concrete}")
        else:
            bad = api.get(route, filter="nope")
            assert bad.status_code == 400
            assert_valid(response_ref(operation, "400"), bad.json(), f"400 of {route}")
        unauthorised = requests.get(f"{live_server.url}{API}{concrete}", timeout=10)
        assert unauthorised.status_code == 401
        assert_valid(response_ref(operation, "401"), unauthorised.json(), f"401 of {concrete}")
