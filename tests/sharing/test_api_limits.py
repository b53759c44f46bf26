"""Parameters no client should send, sent anyway: each is a 400 with the 1.2 imsx_StatusInfo
body (never a 500, never HTML), on the SQL collections (users) and the ORM ones (classes)
alike. And a fault of ours is a 500 with that body, logged with its traceback in English
without the exception's text (it may quote personal data)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import resolve

from schoolbrug.oneroster.rest import params, people
from schoolbrug.sharing import access, consent
from tests.test_logs import NATIONAL_NUMBER, assert_logged_without_personal_data, failing

from .conftest import API
from .test_api_params import assert_error, minor

pytestmark = pytest.mark.django_db(transaction=True)

STUDENT = "role='student'"


@pytest.fixture
def shared(schools, app):
    consent.activate(schools.a.institution, schools.director)
    access.grant(app.app, schools.a.institution, [], by=schools.director)
    return schools


ABUSE = {
    "1500 conditions with AND": {"filter": " AND ".join([STUDENT] * 1500)},
    "1500 conditions with OR": {"filter": " OR ".join([STUDENT] * 1500)},
    # The test server refuses a request line of 65,536 bytes; gunicorn one of 4094.
    "a filter of 10,000 characters": {"filter": f"familyName='{'x' * 10_000}'"},
    "a NUL byte in a filter value": {"filter": "familyName='Pee\x00ters'"},
    "a NUL byte in a field name": {"filter": "family\x00Name='Peeters'"},
    "a NUL byte in sort": {"sort": "familyName\x00"},
    "a NUL byte in fields": {"fields": "sourcedId,\x00"},
    "1,000 fields": {"fields": ",".join(["sourcedId"] * 1000)},
    "1,000 unknown fields": {"fields": ",".join(f"x{n}" for n in range(1000))},
    "a sort on 1000 fields": {"sort": ",".join(["familyName"] * 1000)},
    "an offset past int32": {"offset": str(2**63)},
    "an offset of 5000 digits": {"offset": "9" * 5000},
    "a limit in other digits": {"limit": "١٠"},
    "a limit with underscores": {"limit": "1_0"},
    "a date of year 0": {"filter": "dateLastModified>'0000-01-01'"},
    "a date past 9999": {"filter": "dateLastModified>'99999-01-01'"},
    "a date-time with a 99 hour offset": {"filter": "dateLastModified>'2026-01-01T00:00:00+99:00'"},
    "a moment past 9999 in UTC": {"filter": "dateLastModified>'9999-12-31T23:59:59-23:59'"},
    "a moment before year 1 in UTC": {"filter": "dateLastModified>'0001-01-01T00:00:00+23:59'"},
    "a date-time of year 0": {"filter": "dateLastModified>'0000-01-01T00:00:00Z'"},
}


@pytest.mark.parametrize("collection", ["/users", "/classes"])
@pytest.mark.parametrize("query", ABUSE.values(), ids=ABUSE.keys())
def test_an_unusable_parameter_is_a_400_with_the_status_info_body(shared, api, collection, query):
    response = api.get(collection, **query)
    assert response.status_code == 400, response.text[:500]
    assert_error(response, 400, minor(response))
    assert minor(response) in ("invalid_filter_field", "invalid_selection_field", "invaliddata")
    assert len(response.content) < 2000  # the answer does not echo 100 KB back


UP_TO_THE_LIMITS = {
    "most conditions": {"filter": " AND ".join([STUDENT] * params.MAX_FILTER_CONDITIONS)},
    "longest filter": {"filter": f"familyName~'{'x' * (params.MAX_FILTER_LENGTH - 20)}'"},
    "most fields": {"fields": ",".join(["sourcedId"] * params.MAX_FIELDS)},
    "unicode": {"filter": "familyName='Zoë 😀\u200f\u0301'"},
    "largest offset": {"offset": str(params.MAX_OFFSET)},
}


@pytest.mark.parametrize("query", UP_TO_THE_LIMITS.values(), ids=UP_TO_THE_LIMITS.keys())
def test_up_to_the_limits_is_answered(shared, api, query):
    response = api.get("/users", **query)
    assert response.status_code == 200, response.text


COLLECTIONS = [
    "/orgs", "/schools", "/academicSessions", "/gradingPeriods", "/courses", "/classes",
    "/users", "/students", "/teachers", "/enrollments", "/demographics",
]  # fmt: skip
# Values that are no date, no id and no number, and a date-time past the year 9999 in UTC.
ODD_VALUES = ["x%_\\''é\U0001f600", "9999-12-31T23:59:59-23:59"]


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_every_filter_and_sort_field_of_every_collection_answers_200_or_400(
    shared, api, client, collection
):
    """Each field with each operator and odd values: an answer, never a server error."""
    view = resolve(f"{API}{collection}").func.view_class
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api.token}"}
    queries = [{"sort": name, "orderBy": "desc"} for name in view.resource.columns]
    queries += [
        {"filter": f"{name}{op}'{value}'", "limit": "1"}
        for name in view.resource.columns
        for op in ("=", "!=", ">", ">=", "<", "<=", "~")
        for value in ODD_VALUES
    ]
    for query in queries:
        response = client.get(f"{API}{collection}", query, **headers)
        assert response.status_code in (200, 400), (query, response.content[:300])
        if response.status_code == 400:
            assert response.json()["imsx_codeMajor"] == "failure"


def test_a_fault_in_the_api_is_logged_and_answered_with_the_status_info(
    schools, app, api, monkeypatch, request_log
):
    consent.activate(schools.a.institution, schools.director)
    access.grant(app.app, schools.a.institution, [], by=schools.director)
    monkeypatch.setattr(people, "pupil_users", failing)

    response = Client(raise_request_exception=False).get(
        f"{API}/students", HTTP_AUTHORIZATION=f"Bearer {api.token}"
    )

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["imsx_codeMajor"] == "failure"
    assert body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == (
        "internal_server_error"
    )
    assert NATIONAL_NUMBER not in response.content.decode()
    assert_logged_without_personal_data(request_log.getvalue(), f"{API}/students")
