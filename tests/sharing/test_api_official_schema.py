"""Schemathesis against 1EdTech's official OpenAPI file for the 1.2 rostering service
(`../shared/oneroster/spec/onerosterv1p2rostersservice_openapi3_v1p0.json`), not against the
schema we generate ourselves: on a live server with data (two sharing schools, an app granted
all of one and one class of the other, pupils, a leaver, teachers) and a real token, every
one of the file's 41 operations is fuzzed, and every answer must be what that file documents
(status code, content type, body schema); requests the file calls invalid must be refused.

Each operation is first called with explicit examples about objects that exist (the path
parameters are real sourcedIds of the data; no query, a page, a sort, a filter, a `fields`
selection), each of which must be a 200 whose body the official response schema accepts;
then fuzzed like test_api_schemathesis.py does it: valid requests, invalid ones, and valid
requests about the existing objects with a generated query (terms and grading periods: the
first school's own).

Defects of the official file this run works around, never by changing what we answer:
* `servers` names www.imsglobal.org as the host: the base URL is set to the live server.
* `tokenUrl` is https://www.imsglobal.org: the token comes from our /oauth/token/.
* `fields` (every operation takes it: "the range of fields that should be supplied") cannot
  be honoured within the 200 schemas, whose `required` lists name the other fields as well:
  `fields=sourcedId,status` on /users must leave out givenName, which UserDType requires. So a
  200 answer to a request with `fields` is checked against the same official schema with its
  `required` keywords left out (types, enumerations, formats and additionalProperties: false
  still hold), and every object must hold exactly the fields asked for that it has.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft4Validator, validators
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from schoolbrug.oneroster.csv_out.values import course_export_id
from schoolbrug.registry.models import AcademicSession, Enrolment
from tests.sharing.conftest import API

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SPEC_PATH = (
    Path(__file__).resolve().parents[3]
    / "shared/oneroster/spec/onerosterv1p2rostersservice_openapi3_v1p0.json"
)
SPEC_URI = "urn:ims:oneroster:rostering:v1p2"


@cache
def official() -> dict:
    return json.loads(SPEC_PATH.read_text())


def selected_fields(case) -> list[str] | None:
    """The field names a request's `fields` asks for (repeated, or comma-separated); None
    when it sends no `fields` (an empty array is not sent at all)."""
    value = (case.query or {}).get("fields")
    values = value if isinstance(value, list) else [] if value is None else [value]
    names = [name.strip() for item in values for name in str(item).split(",")]
    return names or None


@cache
def selection_validator(ref: str) -> Draft4Validator:
    """The official schema `ref` with every `required` left out (OpenAPI 3.0 schema objects
    are close to JSON Schema draft 4; every $ref resolves inside the file)."""
    registry = Registry().with_resource(SPEC_URI, Resource(official(), DRAFT4))
    no_required = validators.extend(Draft4Validator, {"required": lambda *args: iter(())})
    return no_required({"$ref": f"{SPEC_URI}{ref}"}, registry=registry)


def response_conformance(ctx, response, case):
    """schemathesis' response_schema_conformance, except for a 200 to a `fields` selection,
    which no official 200 schema can accept as it is (the file's defect, module docstring):
    that body is checked against the official schema without its `required` keywords."""
    names = selected_fields(case)
    if response.status_code != 200 or names is None:
        return response_schema_conformance(ctx, response, case)
    operation = official()["paths"][case.operation.path]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    body = response.json()
    errors = [e.message for e in selection_validator(ref).iter_errors(body)]
    assert not errors, f"{case.operation.label} {names}: {errors[:5]}"
    (found,) = body.values()
    for obj in found if isinstance(found, list) else [found]:
        assert set(obj) <= set(names), (case.operation.label, names, obj)
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_conformance,
    negative_data_rejection,
]
EXAMPLES = settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))
# Operations whose every id is unknown here: no answer but 404 is true.
NOTHING_TO_FIND: set[str] = set()


@pytest.fixture
def official_schema(live_server):
    if not SPEC_PATH.exists():
        pytest.skip(f"the official schema is not at {SPEC_PATH}")
    schema = schemathesis.openapi.from_path(SPEC_PATH)
    # Defect worked around: its `servers` point at www.imsglobal.org.
    schema.config.update(base_url=f"{live_server.url}{API}")
    return schema


def existing_ids(schools) -> dict[str, str]:
    """A visible object for each path parameter of the official file, by
    `collection:parameter` (for `sourcedId`) or by parameter name."""
    a = schools.a
    pupil = next(p for p in a.pupils if not p.is_leaver)
    klass = a.classes["1A"]
    school, year = str(a.institution.sourced_id), str(klass.school_year.sourced_id)
    course = course_export_id(school, year, klass.curriculum, str(klass.sourced_id))
    term = AcademicSession.objects.filter(institution=a.institution, kind="term").first()
    grading_period = term.children.first()
    ids = {
        "schoolSourcedId": school,
        "classSourcedId": klass.sourced_id,
        "termSourcedId": term.sourced_id,
        "courseSourcedId": course,
        "userSourcedId": pupil.sourced_id,
        "studentSourcedId": pupil.sourced_id,
        "teacherSourcedId": schools.teacher.sourced_id,
        "orgs:sourcedId": school,
        "schools:sourcedId": school,
        "academicSessions:sourcedId": year,
        "terms:sourcedId": term.sourced_id,
        "classes:sourcedId": klass.sourced_id,
        "courses:sourcedId": course,
        "users:sourcedId": pupil.sourced_id,
        "students:sourcedId": pupil.sourced_id,
        "teachers:sourcedId": schools.teacher.sourced_id,
        "enrollments:sourcedId": Enrolment.objects.get(pupil=pupil).sourced_id,
        "demographics:sourcedId": pupil.sourced_id,
        "gradingPeriods:sourcedId": grading_period.sourced_id,
    }
    return {key: str(value) for key, value in ids.items()}


def path_ids(operation, ids: dict[str, str]) -> dict[str, str | None]:
    collection = operation.path.split("/")[1]
    names = [p.name for p in operation.path_parameters]
    return {name: ids.get(f"{collection}:{name}", ids.get(name)) for name in names}


def explicit_queries(operation) -> list[dict]:
    """The explicit examples' queries: none, and for a list a page, a sort and a filter; a
    `fields` selection for every operation."""
    queries = [{}, {"fields": ["sourcedId", "status"]}]
    if any(p.name == "limit" for p in operation.query):
        queries += [
            {"limit": 1, "offset": 1},
            {"sort": "dateLastModified", "orderBy": "desc"},
            {"filter": "status='active'"},
        ]
    return queries


def fuzz(strategy, session: requests.Session, examples: int, answers: Counter, label: str):
    @given(case=strategy)
    @settings(EXAMPLES, max_examples=examples)
    def run(case):
        response = case.call_and_validate(session=session, checks=CHECKS)
        answers[label, response.status_code] += 1

    run()


def test_the_api_keeps_to_the_official_schema(official_schema, served, api, subtests):
    operations = [result.ok() for result in official_schema.get_all_operations()]
    labels = {op.label for op in operations}
    official = json.loads(SPEC_PATH.read_text())["paths"]
    assert len(operations) == sum(len(item) for item in official.values()) == 41
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {api.token}"
    ids = existing_ids(served)
    answers: Counter = Counter()
    for operation in operations:
        label = operation.label
        existing = path_ids(operation, ids)
        assert all(existing.values()), (label, existing)
        for query in explicit_queries(operation):
            case = operation.Case(path_parameters=existing, query=query)
            response = case.call_and_validate(session=session, checks=CHECKS)
            expected = 404 if label in NOTHING_TO_FIND else 200
            assert response.status_code == expected, (label, query, response.text)
            answers[label, response.status_code] += 1
        with subtests.test(operation=label, data="valid"):
            fuzz(operation.as_strategy(GenerationMode.POSITIVE), session, 6, answers, label)
        with subtests.test(operation=label, data="invalid"):
            fuzz(operation.as_strategy(GenerationMode.NEGATIVE), session, 4, answers, label)
        if existing and label not in NOTHING_TO_FIND:
            with subtests.test(operation=label, data="existing objects"):
                strategy = operation.as_strategy(path_parameters=existing)
                fuzz(strategy, session, 8, answers, label)
    answered_200 = {label for label, status in answers if status == 200}
    assert labels - answered_200 == NOTHING_TO_FIND
