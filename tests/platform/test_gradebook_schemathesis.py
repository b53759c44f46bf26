"""Schemathesis against 1EdTech's official gradebook file, for every gradebook operation the
platform serves (all but the assessment* ones), on a live server with a product's real
token: no request may end in a server error, every answer must be one the file documents
(status code, content type, body schema), and requests the file calls invalid must be
refused. Valid requests about the objects that exist are included, so
the 200 and 201 answers are checked, not only the refusals."""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from requests.adapters import HTTPAdapter
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from schoolbrug.platform import gradebook, licences
from schoolbrug.sharing import access
from tests.web.conftest import make_school

from .conftest import make_catalogue
from .test_gradebook_api import BASE, SPEC, line_item, result

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
ONE = {"GET", "PUT", "DELETE"}
SERVED = {
    *(("GET", f"/{kind}") for kind in ("lineItems", "results", "categories", "scoreScales")),
    *((m, f"/{kind}/{{sourcedId}}") for m in ONE for kind in ("lineItems", "results")),
    *((m, f"/{kind}/{{sourcedId}}") for m in ONE for kind in ("categories", "scoreScales")),
    ("POST", "/lineItems/{lineItemSourcedId}/results"),
    ("GET", "/classes/{classSourcedId}/lineItems"),
    ("POST", "/classes/{classSourcedId}/lineItems"),
    ("GET", "/classes/{classSourcedId}/results"),
    ("GET", "/classes/{classSourcedId}/lineItems/{lineItemSourcedId}/results"),
    ("GET", "/classes/{classSourcedId}/students/{studentSourcedId}/results"),
    ("POST", "/classes/{classSourcedId}/academicSessions/{academicSessionSourcedId}/results"),
    ("GET", "/classes/{classSourcedId}/categories"),
    ("GET", "/classes/{classSourcedId}/scoreScales"),
    ("POST", "/schools/{schoolSourcedId}/lineItems"),
    ("GET", "/schools/{schoolSourcedId}/scoreScales"),
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
EXAMPLES = settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))


class ConnectionPerRequest(HTTPAdapter):
    """Never reuse a connection. The server closes each one after its answer (the request
    says `Connection: close`) but its answer does not say so when it has a length, so a
    pooled connection could be picked up just as the server closes it."""

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        response.content  # noqa: B018 (read whole before the pool goes)
        self.close()
        return response


def score_scale(class_id: str) -> dict:
    return {
        "scoreScale": {
            "sourcedId": "schaal",
            "status": "active",
            "dateLastModified": "2026-11-02T08:00:00Z",
            "title": "Op tien",
            "type": "numeric",
            "class": {"href": "x", "sourcedId": class_id, "type": "class"},
            "scoreScaleValue": [{"itemValueLHS": "0", "itemValueRHS": "0"}],
        }
    }


def fuzz(strategy, session: requests.Session, examples: int) -> None:
    @given(case=strategy)
    @settings(EXAMPLES, max_examples=examples)
    def run(case):
        case.call_and_validate(session=session, checks=CHECKS)

    run()


def test_the_gradebook_keeps_to_the_official_file(live_server, subtests):
    school = make_school()
    school.catalogue = make_catalogue(school)
    app, secret = access.create_app("Rekenrijk", scopes=list(gradebook.GRADEBOOK_SCOPES))
    school.catalogue.rekenen.app = app
    school.catalogue.rekenen.save()
    licences.link_class(school.catalogue.group, school.classes["1A"])
    answer = requests.post(
        f"{live_server.url}/oauth/token/",
        data={"grant_type": "client_credentials", "scope": " ".join(gradebook.GRADEBOOK_SCOPES)},
        auth=(app.application.client_id, secret),
        timeout=60,  # a loaded shared machine: the first request warms the server
    )
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    # No kept-alive connection: its server thread would outlive the live server and close
    # the test's shared SQLite connection from the wrong thread.
    session.headers["Connection"] = "close"
    session.mount("http://", ConnectionPerRequest())
    klass = str(school.classes["1A"].sourced_id)

    def make_objects():
        """Objects that exist (again, after a DELETE): a scoreScale of the class, a lineItem
        of the category 'exercise' and a result of it, both naming the scale (so the answers
        that give the reference are checked too, and the scale's DELETE is refused)."""
        url = f"{live_server.url}{BASE}"
        named = {"scoreScale": {"href": "x", "sourcedId": "schaal", "type": "scoreScale"}}
        item, score = line_item(school), result(school.pupils[0])
        item["lineItem"].update(named)
        score["result"].update(named)
        assert session.put(f"{url}/scoreScales/schaal", json=score_scale(klass)).ok
        assert session.put(f"{url}/lineItems/blok-1", json=item).ok
        assert session.put(f"{url}/results/r-1", json=score).ok

    make_objects()

    schema = schemathesis.openapi.from_path(SPEC)
    schema.config.update(base_url=f"{live_server.url}{BASE}")  # its servers: imsglobal.org
    operations = [
        op
        for op in (r.ok() for r in schema.get_all_operations())
        if (op.method.upper(), op.path) in SERVED
    ]
    assert len(operations) == len(SERVED)
    existing = {
        "lineItemSourcedId": "blok-1",
        "classSourcedId": klass,
        "studentSourcedId": str(school.pupils[0].sourced_id),
        "schoolSourcedId": str(school.institution.sourced_id),
        "academicSessionSourcedId": str(school.classes["1A"].school_year.sourced_id),
    }
    object_ids = {
        "lineItems": "blok-1",
        "results": "r-1",
        "categories": "exercise",
        "scoreScales": "schaal",
    }
    for operation in operations:
        with subtests.test(operation=operation.label, data="valid"):
            fuzz(operation.as_strategy(GenerationMode.POSITIVE), session, 8)
        # A DELETE takes only a free-text id: the file leaves nothing invalid to send it.
        if operation.method.upper() != "DELETE":
            with subtests.test(operation=operation.label, data="invalid"):
                fuzz(operation.as_strategy(GenerationMode.NEGATIVE), session, 6)
        ids = {
            p.name: existing.get(p.name) or object_ids[operation.path.split("/")[1]]
            for p in operation.path_parameters
        }
        make_objects()
        with subtests.test(operation=operation.label, data="existing objects"):
            fuzz(operation.as_strategy(path_parameters=ids), session, 6)
