"""Schemathesis against the schema we serve (drf-spectacular's openapi.json) on a live server
with data and a real token: no request it makes of a documented operation may end in a
server error, and every answer must be what that schema documents (status code, content
type, body schema); requests the schema calls invalid must be refused.

Each operation is fuzzed three ways, 15 examples in all: valid requests, invalid ones, and
valid requests about objects that exist (the path ids of the data, query parameters
generated), so that the 200 answers are checked and not only the 404s.

Schemathesis' own pytest integration (`from_fixture`) does not run under pytest 9.2 (it
writes `Node._nodeid`, which pytest 9.2 no longer has); its Python API (`as_strategy`,
`call_and_validate`) with Hypothesis and pytest's subtests does the same work here.
"""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from schoolbrug.oneroster.csv_out.values import course_export_id
from schoolbrug.oneroster.rest import urls
from schoolbrug.registry.models import Enrolment
from tests.sharing.conftest import API

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# 15 examples per operation: 6 valid, 4 invalid, 5 valid about objects that exist.
EXAMPLES = settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))


def existing_ids(schools) -> dict[str, str]:
    """A visible object for each path parameter, by `collection:parameter`."""
    a = schools.a
    pupil = next(p for p in a.pupils if not p.is_leaver)
    klass = a.classes["1A"]
    course = course_export_id(
        str(a.institution.sourced_id), str(klass.school_year.sourced_id), klass.curriculum, ""
    )
    ids = {
        "school": a.institution.sourced_id,
        "klass": klass.sourced_id,
        "term": klass.school_year.sourced_id,
        "user": pupil.sourced_id,
        "teachers:user": schools.teacher.sourced_id,
        "orgs:sourced_id": a.institution.sourced_id,
        "schools:sourced_id": a.institution.sourced_id,
        "academicSessions:sourced_id": klass.school_year.sourced_id,
        "terms:sourced_id": klass.school_year.sourced_id,
        "classes:sourced_id": klass.sourced_id,
        "users:sourced_id": pupil.sourced_id,
        "students:sourced_id": pupil.sourced_id,
        "teachers:sourced_id": schools.teacher.sourced_id,
        "enrollments:sourced_id": Enrolment.objects.get(pupil=pupil).sourced_id,
        "course": course,
        "courses:sourced_id": course,
        "demographics:sourced_id": pupil.sourced_id,
        # No grading period exists: a school year's id is as close as it gets (a 404).
        "gradingPeriods:sourced_id": klass.school_year.sourced_id,
    }
    return {key: str(value) for key, value in ids.items()}


def path_ids(operation, ids: dict[str, str]) -> dict[str, str]:
    collection = operation.path.removeprefix(API).split("/")[1]
    names = [p.name for p in operation.path_parameters]
    return {name: ids.get(f"{collection}:{name}", ids.get(name)) for name in names}


def fuzz(strategy, session: requests.Session, examples: int) -> None:
    @given(case=strategy)
    @settings(EXAMPLES, max_examples=examples)
    def run(case):
        case.call_and_validate(session=session, checks=CHECKS)

    run()


def test_the_api_keeps_to_its_own_schema(served, api, live_server, subtests):
    schema = schemathesis.openapi.from_url(f"{live_server.url}{API}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    # Every rostering route is documented, and only those (not the schema, not the JSON 404).
    assert len(operations) == len(urls.urlpatterns) - 2
    assert {op.method.upper() for op in operations} == {"GET"}
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {api.token}"
    ids = existing_ids(served)
    for operation in operations:
        with subtests.test(operation=operation.label, data="valid"):
            fuzz(operation.as_strategy(GenerationMode.POSITIVE), session, 6)
        with subtests.test(operation=operation.label, data="invalid"):
            fuzz(operation.as_strategy(GenerationMode.NEGATIVE), session, 4)
        if operation.path_parameters:
            existing = path_ids(operation, ids)
            assert all(existing.values()), (operation.label, existing)
            with subtests.test(operation=operation.label, data="existing objects"):
                fuzz(operation.as_strategy(path_parameters=existing), session, 5)
