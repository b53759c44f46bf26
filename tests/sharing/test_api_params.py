"""The rostering API's query parameters, errors and wire details over real HTTP with a real
token: paging (limit/offset, X-Total-Count, Link), filter, sort/orderBy, fields, 401, 404, 405,
the success body's single wrapper key, string booleans, references; and the token endpoint's
scope rules."""

from __future__ import annotations

import datetime
import uuid

import pytest
import requests

from schoolbrug.oneroster.rest.params import MAX_LIMIT
from schoolbrug.registry.models import Enrolment, Pupil
from schoolbrug.sharing import access, consent
from schoolbrug.sharing.models import SCOPE_ROSTER_CORE
from schoolbrug.sync.state import refresh_statistics
from tests.sharing.conftest import API

pytestmark = pytest.mark.django_db(transaction=True)

GRADEBOOK = "https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.readonly"
HTTP_ROSTER_CORE = "http://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"


@pytest.fixture
def shared(schools, app):
    """School A shares and granted the app all its classes: 4 pupils, 1 teacher."""
    consent.activate(schools.a.institution, schools.director)
    access.grant(app.app, schools.a.institution, [], by=schools.director)
    return schools


def minor(response: requests.Response) -> str:
    fields = response.json()["imsx_CodeMinor"]["imsx_codeMinorField"]
    assert len(fields) == 1
    return fields[0]["imsx_codeMinorFieldValue"]


def assert_error(response: requests.Response, status: int, code_minor: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["imsx_codeMajor"] == "failure"
    assert body["imsx_severity"] == "error"
    assert body["imsx_description"]
    assert minor(response) == code_minor


def family_names(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [u["familyName"] for u in response.json()["users"]]


def page_query(link: str) -> dict[str, str]:
    from urllib.parse import parse_qsl, urlsplit

    parts = urlsplit(link)
    assert parts.path == f"{API}/users"
    return dict(parse_qsl(parts.query))


# --- paging -------------------------------------------------------------------------------


def test_pages_with_limit_and_offset_cover_everything_once(shared, api):
    everyone = api.ids("/users", "users")
    assert len(everyone) == 5
    seen: list[str] = []
    for offset in (0, 2, 4):
        response = api.get("/users", limit=2, offset=offset)
        assert response.status_code == 200
        assert response.headers["X-Total-Count"] == "5"
        seen += [u["sourcedId"] for u in response.json()["users"]]
    assert len(seen) == 5 and set(seen) == everyone
    assert api.get("/users", limit=2, offset=10).json() == {"users": []}
    assert api.get("/users", offset=2**31 - 1).json() == {"users": []}
    assert api.get("/users", sort="familyName", offset=2**31 - 1).json() == {"users": []}


def test_link_header_names_first_last_next_and_prev(shared, api):
    first = api.get("/users", limit=2)
    links = {rel: page_query(link["url"]) for rel, link in first.links.items()}
    assert set(links) == {"first", "last", "next"}
    assert links["first"] == {"limit": "2", "offset": "0"}
    assert links["last"] == {"limit": "2", "offset": "4"}
    assert links["next"] == {"limit": "2", "offset": "2"}

    middle = api.get("/users", limit=2, offset=2, filter="status='active' OR status='tobedeleted'")
    links = {rel: page_query(link["url"]) for rel, link in middle.links.items()}
    assert set(links) == {"first", "last", "next", "prev"}
    assert links["prev"]["offset"] == "0" and links["next"]["offset"] == "4"
    # The other parameters travel along.
    assert all(q["filter"] == "status='active' OR status='tobedeleted'" for q in links.values())

    last = api.get("/users", limit=2, offset=4)
    assert len(last.json()["users"]) == 1
    links = {rel: page_query(link["url"]) for rel, link in last.links.items()}
    assert set(links) == {"first", "last", "prev"}
    assert links["prev"]["offset"] == "2"
    # Links are absolute URLs on this server.
    assert last.links["first"]["url"].startswith(api.base_url)


def test_limit_5000_is_accepted_and_more_is_capped(shared, api):
    response = api.get("/users", limit=5000)
    assert response.status_code == 200
    assert len(response.json()["users"]) == 5
    capped = api.get("/users", limit=2**31 - 1)
    assert capped.status_code == 200
    assert len(capped.json()["users"]) == 5
    assert page_query(capped.links["first"]["url"])["limit"] == "5000"


def test_a_limit_above_the_maximum_gets_the_maximum_page_and_a_link_to_the_next(shared, api):
    """More users than one page holds: `limit` past 5000 is answered with 5000 of them and a
    `next` Link to the rest, which a consumer follows (README: "at most 5000")."""
    school = shared.a
    extra = Pupil.objects.bulk_create(
        Pupil(institution=school.institution, family_name=f"Extra{i:04d}", given_name="Kim")
        for i in range(MAX_LIMIT)
    )
    Enrolment.objects.bulk_create(
        Enrolment(
            pupil=p, school_class=school.classes["2B"], school_year=school.classes["2B"].school_year
        )
        for p in extra
    )
    # As the sync does after writing many rows: PostgreSQL still plans for the empty tables
    # it saw last (a 5000-row page then took over 10 s instead of well under one).
    refresh_statistics()
    total = MAX_LIMIT + 5  # and the 4 pupils and 1 teacher of the school
    first = api.get("/users", limit=MAX_LIMIT + 1)
    assert first.status_code == 200, first.text
    assert len(first.json()["users"]) == MAX_LIMIT
    assert first.headers["X-Total-Count"] == str(total)
    following = first.links["next"]["url"]
    assert page_query(following) == {"limit": str(MAX_LIMIT), "offset": str(MAX_LIMIT)}
    rest = requests.get(following, headers={"Authorization": f"Bearer {api.token}"}, timeout=30)
    assert rest.status_code == 200, rest.text
    assert len(rest.json()["users"]) == 5 and "next" not in rest.links
    seen = {u["sourcedId"] for u in first.json()["users"] + rest.json()["users"]}
    assert len(seen) == total


def test_a_limit_past_int32_is_refused_as_the_official_file_declares_it(shared, api):
    assert_error(api.get("/users", limit=2**31), 400, "invaliddata")
    assert_error(api.get("/users", limit=10**30), 400, "invaliddata")


def test_default_page_is_100(shared, api):
    response = api.get("/users")
    assert page_query(response.links["first"]["url"])["limit"] == "100"


@pytest.mark.parametrize(
    "params",
    [{"limit": "0"}, {"limit": "abc"}, {"offset": "-1"}, {"offset": "1.5"}, {"offset": "2" * 30}],
)
def test_a_bad_limit_or_offset_is_a_400(shared, api, params):
    assert_error(api.get("/users", **params), 400, "invaliddata")


# --- filter -------------------------------------------------------------------------------


def test_filter_on_status(shared, api):
    leaver = next(p for p in shared.a.pupils if p.is_leaver)
    active = api.ids("/users", "users", filter="status='active'")
    assert len(active) == 4 and str(leaver.sourced_id) not in active
    assert api.ids("/users", "users", filter="status='tobedeleted'") == {str(leaver.sourced_id)}
    assert api.get("/users", filter="status='active'").headers["X-Total-Count"] == "4"


def test_filter_contains(shared, api):
    assert family_names(api.get("/users", filter="familyName~'eete'")) == ["Peeters"]
    assert family_names(api.get("/users", filter="familyName~'EETE'")) == ["Peeters"]
    assert family_names(api.get("/users", filter="familyName~'nothing'")) == []


def test_filter_equal_and_not_equal(shared, api):
    assert family_names(api.get("/users", filter="givenName='Mila'")) == ["Janssens"]
    assert "Janssens" not in family_names(api.get("/users", filter="givenName!='Mila'"))
    assert family_names(api.get("/users", filter="familyName='O''Brien'")) == []


@pytest.fixture
def modified_in_two_halves(shared):
    """Peeters and Janssens changed before 2026-09-01, the others after it."""
    early = datetime.datetime(2026, 8, 15, 12, tzinfo=datetime.UTC)
    late = datetime.datetime(2026, 9, 1, 8, tzinfo=datetime.UTC)
    Pupil.objects.filter(family_name__in=["Peeters", "Janssens"]).update(updated_at=early)
    Pupil.objects.exclude(family_name__in=["Peeters", "Janssens"]).update(updated_at=late)
    shared.teacher.__class__.objects.filter(pk=shared.teacher.pk).update(updated_at=late)
    return shared


def test_filter_date_last_modified_with_a_date_only(modified_in_two_halves, api):
    names = family_names(api.get("/users", filter="dateLastModified>'2026-09-01'"))
    assert sorted(names) == ["A", "Claes", "Maes"]
    # The date means its first moment in UTC.
    names = family_names(api.get("/users", filter="dateLastModified<'2026-09-01'"))
    assert sorted(names) == ["Janssens", "Peeters"]


def test_filter_date_last_modified_with_a_date_time(modified_in_two_halves, api):
    after = "dateLastModified>'2026-09-01T00:00:00Z'"
    assert sorted(family_names(api.get("/users", filter=after))) == ["A", "Claes", "Maes"]
    after_eight = "dateLastModified>='2026-09-01T08:00:00.000Z'"
    assert sorted(family_names(api.get("/users", filter=after_eight))) == ["A", "Claes", "Maes"]
    after_nine = "dateLastModified>'2026-09-01T09:00:00Z'"
    assert family_names(api.get("/users", filter=after_nine)) == []
    # Another time zone is read as such: 10:00+02:00 is 08:00Z.
    zoned = "dateLastModified<'2026-09-01T10:00:00+02:00'"
    assert sorted(family_names(api.get("/users", filter=zoned))) == ["Janssens", "Peeters"]


def test_filter_date_last_modified_on_every_collection(modified_in_two_halves, api):
    for path, key in (("/orgs", "orgs"), ("/classes", "classes"), ("/enrollments", "enrollments"),
                      ("/academicSessions", "academicSessions")):  # fmt: skip
        response = api.get(path, filter="dateLastModified>'2000-01-01'")
        assert response.status_code == 200, (path, response.text)
        assert response.json()[key], path
        assert api.get(path, filter="dateLastModified>'2999-01-01'").json() == {key: []}


def test_filter_and_or(shared, api):
    both = "status='active' AND familyName~'s'"
    assert sorted(family_names(api.get("/users", filter=both))) == ["Janssens", "Maes", "Peeters"]
    either = "familyName='Peeters' OR familyName='Maes'"
    assert sorted(family_names(api.get("/users", filter=either))) == ["Maes", "Peeters"]
    # AND binds tighter than OR.
    mixed = "familyName='Claes' OR status='active' AND givenName='Jan'"
    assert sorted(family_names(api.get("/users", filter=mixed))) == ["Claes", "Peeters"]


def test_filter_on_role_and_on_references(shared, api):
    assert family_names(api.get("/users", filter="role='teacher'")) == ["A"]
    klass = shared.a.classes["1A"].sourced_id
    enrolled = api.get("/enrollments", filter=f"class.sourcedId='{klass}' AND role='student'")
    assert enrolled.status_code == 200
    assert len(enrolled.json()["enrollments"]) == 2
    # A sourcedId that is no id at all matches nothing.
    nothing = api.get("/enrollments", filter="class.sourcedId='1A'")
    assert nothing.json() == {"enrollments": []}


def test_a_filter_on_an_unknown_field_is_a_400(shared, api):
    response = api.get("/users", filter="shoeSize='42'")
    assert_error(response, 400, "invalid_filter_field")
    assert "shoeSize" in response.json()["imsx_description"]


@pytest.mark.parametrize(
    "text",
    [
        "status=active",
        "status='active",
        "status='active' XOR familyName='A'",
        "status='active' AND",
        "status=='active'",
        "'active'=status",
        "",
        "dateLastModified>'yesterday'",
        "dateLastModified~'2026'",
        "sourcedId>'a'",
    ],
)
def test_a_malformed_filter_is_a_400(shared, api, text):
    assert_error(api.get("/users", filter=text), 400, "invalid_filter_field")


# --- sort and orderBy ---------------------------------------------------------------------


def test_sort_asc_and_desc(shared, api):
    ascending = family_names(api.get("/users", sort="familyName"))
    assert ascending == sorted(ascending) == ["A", "Claes", "Janssens", "Maes", "Peeters"]
    assert family_names(api.get("/users", sort="familyName", orderBy="asc")) == ascending
    assert family_names(api.get("/users", sort="familyName", orderBy="desc")) == ascending[::-1]


def test_sorted_pages_follow_the_sort(shared, api):
    names = []
    for offset in (0, 2, 4):
        response = api.get("/users", sort="givenName", orderBy="desc", limit=2, offset=offset)
        assert response.headers["X-Total-Count"] == "5"
        names += [u["givenName"] for u in response.json()["users"]]
    assert names == sorted(names, reverse=True) and len(names) == 5


def test_sort_with_a_filter(shared, api):
    names = family_names(api.get("/students", sort="familyName", filter="status='active'"))
    assert names == ["Janssens", "Maes", "Peeters"]


def test_sort_works_on_every_collection(shared, app, api):
    """Collections of several tables are one UNION when sorted (typed alike on PostgreSQL)."""
    access.grant(app.app, shared.b.institution, ["1A"], by="directie@anker.test")
    consent.activate(shared.b.institution, "directie@anker.test")
    for path, key in COLLECTIONS.items():
        everything = api.ids(path, key)
        for field in ("sourcedId", "dateLastModified", "status"):
            for order in ("asc", "desc"):
                response = api.get(path, sort=field, orderBy=order)
                assert response.status_code == 200, (path, field, response.text)
                items = response.json()[key]
                assert {i["sourcedId"] for i in items} == everything
                descending = order == "desc"
                values = [i[field] for i in items]
                assert values == sorted(values, reverse=descending), (path, field)
                if field == "status":  # ties in sourcedId order
                    pairs = [(i[field], i["sourcedId"]) for i in items]
                    assert pairs == sorted(pairs, reverse=descending), path


def test_a_bad_order_by_is_a_400(shared, api):
    assert_error(api.get("/users", sort="familyName", orderBy="up"), 400, "invaliddata")
    assert_error(api.get("/users", sort="familyName", orderBy="ASC"), 400, "invaliddata")


def test_sort_on_an_unknown_field_is_a_400(shared, api):
    response = api.get("/users", sort="shoeSize")
    assert response.status_code == 400
    assert minor(response) == "invaliddata"
    assert_error(api.get("/users", sort=""), 400, "invaliddata")


# --- fields -------------------------------------------------------------------------------


def test_fields_selects_only_those_keys(shared, api):
    response = api.get("/users", fields="sourcedId,givenName")
    assert response.status_code == 200
    users = response.json()["users"]
    assert len(users) == 5
    assert all(set(u) == {"sourcedId", "givenName"} for u in users)
    classes = api.get("/classes", fields="sourcedId, title").json()["classes"]
    assert classes and all(set(c) == {"sourcedId", "title"} for c in classes)
    pupil = shared.a.pupils[0].sourced_id
    one = api.get(f"/users/{pupil}", fields="familyName")
    assert one.json() == {"user": {"familyName": "Peeters"}}


def test_an_unknown_field_is_a_400(shared, api):
    response = api.get("/users", fields="sourcedId,shoeSize")
    assert_error(response, 400, "invalid_selection_field")
    assert "shoeSize" in response.json()["imsx_description"]
    pupil = shared.a.pupils[0].sourced_id
    assert_error(api.get(f"/users/{pupil}", fields="shoeSize"), 400, "invalid_selection_field")
    assert_error(api.get("/users", fields="sourcedId,,"), 400, "invalid_selection_field")


# --- 401, 404, 405 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic YTpi"},
        {"Authorization": "Bearer "},
    ],  # fmt: skip
)
def test_without_a_valid_token_it_is_a_401(shared, live_server, headers):
    for path in ("/users", "/orgs", f"/users/{uuid.uuid4()}"):
        response = requests.get(f"{live_server.url}{API}{path}", headers=headers, timeout=10)
        assert_error(response, 401, "unauthorisedrequest")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_a_401(shared, api):
    from oauth2_provider.models import AccessToken

    AccessToken.objects.update(expires=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))
    assert_error(api.get("/users"), 401, "unauthorisedrequest")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_other_methods_are_a_405_with_allow(shared, api, method):
    pupil = shared.a.pupils[0].sourced_id
    for path in ("/users", f"/users/{pupil}", "/classes"):
        response = requests.request(
            method,
            f"{api.base_url}{API}{path}",
            headers={"Authorization": f"Bearer {api.token}"},
            json={"user": {"sourcedId": str(pupil)}},
            timeout=10,
        )
        assert_error(response, 405, "invaliddata")
        assert "GET" in [m.strip() for m in response.headers["Allow"].split(",")]
        assert method not in response.headers["Allow"]
    assert api.get(f"/users/{pupil}").json()["user"]["familyName"] == "Peeters"


def test_an_unknown_id_is_a_404(shared, api):
    for path in ("/users", "/students", "/teachers", "/classes", "/orgs", "/schools",
                 "/enrollments", "/academicSessions", "/terms"):  # fmt: skip
        for wanted in (uuid.uuid4(), "not-a-uuid", "12345"):
            response = api.get(f"{path}/{wanted}")
            assert_error(response, 404, "unknownobject")
            assert str(wanted) in response.json()["imsx_description"]
    for path in ("/classes/{}/students", "/schools/{}/classes", "/users/{}/classes",
                 "/terms/{}/classes", "/schools/{}/classes/{}/students"):  # fmt: skip
        for wanted in (uuid.uuid4(), "not-a-uuid"):
            assert_error(api.get(path.format(wanted, wanted)), 404, "unknownobject")


def test_a_teacher_is_no_student_and_a_pupil_no_teacher(shared, api):
    pupil, teacher = shared.a.pupils[0].sourced_id, shared.teacher.sourced_id
    assert api.get(f"/students/{pupil}").status_code == 200
    assert api.get(f"/teachers/{teacher}").status_code == 200
    assert_error(api.get(f"/teachers/{pupil}"), 404, "unknownobject")
    assert_error(api.get(f"/students/{teacher}"), 404, "unknownobject")
    assert_error(api.get(f"/teachers/{pupil}/classes"), 404, "unknownobject")


# --- the body -----------------------------------------------------------------------------

COLLECTIONS = {
    "/orgs": "orgs",
    "/schools": "orgs",
    "/academicSessions": "academicSessions",
    "/terms": "academicSessions",
    "/classes": "classes",
    "/users": "users",
    "/students": "users",
    "/teachers": "users",
    "/enrollments": "enrollments",
}
SINGULAR = {
    "orgs": "org",
    "academicSessions": "academicSession",
    "classes": "class",
    "users": "user",
    "enrollments": "enrollment",
}


def test_every_success_body_has_only_the_wrapper_key(shared, api):
    for path, key in COLLECTIONS.items():
        response = api.get(path)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"].startswith("application/json")
        body = response.json()
        assert list(body) == [key], path
        assert body[key], path
        for item in body[key]:
            one = api.get(f"{path}/{item['sourcedId']}")
            assert one.status_code == 200, (path, one.text)
            assert one.json() == {SINGULAR[key]: item}


def test_booleans_are_strings(shared, api):
    users = api.get("/users").json()["users"]
    assert {u["enabledUser"] for u in users} == {"true", "false"}
    enrollments = api.get("/enrollments").json()["enrollments"]
    assert {e["primary"] for e in enrollments} == {"true", "false"}
    teacher = next(e for e in enrollments if e["role"] == "teacher")
    assert teacher["primary"] == "true"


PATHS = {
    "org": "orgs",
    "user": "users",
    "class": "classes",
    "academicSession": "academicSessions",
    "course": "courses",
}


def _references(obj: dict):
    for name in ("parent", "school", "course", "user", "class", "primaryOrg"):
        if name in obj:
            yield obj[name]
    yield from obj.get("terms", [])
    yield from obj.get("agents", [])
    for role in obj.get("roles", []):
        yield role["org"]


def test_references_have_href_sourced_id_and_type(shared, api):
    base = f"{api.base_url}{API}/"
    count = 0
    for path, key in COLLECTIONS.items():
        for obj in api.get(path).json()[key]:
            for ref in _references(obj):
                assert set(ref) == {"href", "sourcedId", "type"}, (path, ref)
                assert ref["href"] == f"{base}{PATHS[ref['type']]}/{ref['sourcedId']}"
                uuid.UUID(ref["sourcedId"])
                count += 1
    assert count > 20
    # An org, user or class reference can be followed.
    enrollment = api.get("/enrollments").json()["enrollments"][0]
    for name, key in (("user", "user"), ("class", "class"), ("school", "org")):
        href = enrollment[name]["href"]
        followed = requests.get(href, headers={"Authorization": f"Bearer {api.token}"}, timeout=10)
        assert followed.status_code == 200, href
        assert followed.json()[key]["sourcedId"] == enrollment[name]["sourcedId"]


# --- the token endpoint -------------------------------------------------------------------


def _token(live_server, app, **data):
    return requests.post(
        f"{live_server.url}/oauth/token/",
        data={"grant_type": "client_credentials", **data},
        auth=(app.client_id, app.secret),
        timeout=10,
    )


def test_extra_scopes_get_the_allowed_subset(shared, app, live_server):
    response = _token(live_server, app, scope=f"{GRADEBOOK} {HTTP_ROSTER_CORE}")
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["scope"] == SCOPE_ROSTER_CORE
    assert token["token_type"] == "Bearer"
    assert isinstance(token["expires_in"], int) and token["expires_in"] > 0
    users = requests.get(
        f"{live_server.url}{API}/users",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    assert users.status_code == 200 and len(users.json()["users"]) == 5


def test_without_a_scope_the_app_gets_all_it_may_have(shared, app, live_server):
    response = _token(live_server, app)
    assert response.status_code == 200, response.text
    assert set(response.json()["scope"].split()) == set(app.app.scopes)
    assert response.json()["expires_in"] > 0


def test_only_scopes_it_may_not_have_is_refused(shared, app, live_server):
    response = _token(live_server, app, scope=GRADEBOOK)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_a_wrong_secret_gets_no_token(shared, app, live_server):
    response = requests.post(
        f"{live_server.url}/oauth/token/",
        data={"grant_type": "client_credentials"},
        auth=(app.client_id, "wrong"),
        timeout=10,
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_client_credentials_in_the_form_body_work_too(shared, app, live_server):
    response = requests.post(
        f"{live_server.url}/oauth/token/",
        data={
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": app.secret,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert "expires_in" in response.json()


def test_a_route_we_do_not_serve_answers_the_json_error(schools, api):
    # Not a 1.2 rostering route (gradebook's line items are another service).
    response = api.get("/lineItems")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    minor = response.json()["imsx_CodeMinor"]["imsx_codeMinorField"][0]
    assert minor["imsx_codeMinorFieldValue"] == "unknownobject"
    assert requests.get(api.base_url + API + "/lineItems", timeout=10).status_code == 401
