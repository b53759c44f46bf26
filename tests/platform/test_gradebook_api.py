"""The OneRoster 1.2 gradebook API for products: a product's own OAuth2 client (client
credentials, the `gradebook.*` scopes) puts lineItems and results for the classes that hold
its licence, and nowhere else; answers and bodies keep to 1EdTech's official file."""

from __future__ import annotations

import base64
import json
from functools import cache
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from schoolbrug.platform import gradebook, licences
from schoolbrug.platform.models import ProductResult
from schoolbrug.sharing import access

pytestmark = pytest.mark.django_db
SPEC = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "oneroster"
    / "spec"
    / "onerosterv1p2gradebookservice_openapi3_v1p0.json"
)
URI = "urn:oneroster-gradebook"
BASE = "/ims/oneroster/gradebook/v1p2"


@cache
def validator(name: str) -> Draft4Validator:
    registry = Registry().with_resource(URI, Resource(json.loads(SPEC.read_text()), DRAFT4))
    return Draft4Validator({"$ref": f"{URI}#/components/schemas/{name}"}, registry=registry)


def conforms(name: str, body: dict) -> None:
    errors = [e.message for e in validator(name).iter_errors(body)]
    assert errors == [], errors


def token(client, app, secret: str, scope: str) -> str:
    auth = base64.b64encode(f"{app.application.client_id}:{secret}".encode()).decode()
    data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    answer = client.post(
        "/oauth/token/",
        data,
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )
    assert answer.status_code == 200, answer.content
    return answer.json()["access_token"]


@pytest.fixture
def product_client(client, platform_school):
    app, secret = access.create_app("Rekenrijk", scopes=list(gradebook.GRADEBOOK_SCOPES))
    product = platform_school.catalogue.rekenen
    product.app = app
    product.save()
    licences.link_class(platform_school.catalogue.group, platform_school.classes["1A"])
    scopes = " ".join(gradebook.GRADEBOOK_SCOPES)
    return {"HTTP_AUTHORIZATION": f"Bearer {token(client, app, secret, scopes)}"}


def line_item(school, kind: str = "exercise", klass: str = "1A") -> dict:
    return {
        "lineItem": {
            "sourcedId": "blok-1",
            "status": "active",
            "dateLastModified": "2026-11-02T08:00:00Z",
            "title": "Blok 1 oefening 3",
            "assignDate": "2026-11-02T08:00:00Z",
            "dueDate": "2026-11-09T08:00:00Z",
            "class": {
                "href": "x",
                "sourcedId": str(school.classes[klass].sourced_id),
                "type": "class",
            },
            "school": {"href": "x", "sourcedId": str(school.institution.sourced_id), "type": "org"},
            "category": {"href": "x", "sourcedId": kind, "type": "category"},
        }
    }


def result(pupil, score: float = 7) -> dict:
    return {
        "result": {
            "sourcedId": "r-1",
            "status": "active",
            "dateLastModified": "2026-11-03T08:00:00Z",
            "lineItem": {"href": "x", "sourcedId": "blok-1", "type": "lineItem"},
            "student": {"href": "x", "sourcedId": str(pupil.sourced_id), "type": "user"},
            "scoreStatus": "fully graded",
            "score": score,
            "scoreDate": "2026-11-03",
        }
    }


def put(client, path: str, body: dict, headers: dict):
    return client.put(f"{BASE}{path}", json.dumps(body), content_type="application/json", **headers)


def test_a_product_puts_a_line_item_and_results_that_keep_to_the_official_file(
    client, platform_school, product_client
):
    s = platform_school
    body = line_item(s)
    conforms("SingleLineItemDType", body)
    assert put(client, "/lineItems/blok-1", body, product_client).status_code == 201
    got = client.get(f"{BASE}/lineItems/blok-1", **product_client)
    assert got.status_code == 200
    conforms("SingleLineItemDType", got.json())
    assert got.json()["lineItem"]["title"] == "Blok 1 oefening 3"

    jan = s.pupils[0]
    assert put(client, "/results/r-1", result(jan), product_client).status_code == 201
    answer = client.get(f"{BASE}/results/r-1", **product_client)
    conforms("SingleResultDType", answer.json())
    stored = ProductResult.objects.get(external_id="r-1")
    assert (stored.pupil, stored.score, stored.kind, stored.code) == (jan, 7, "exercise", "blok-1")
    # PUT again with another score: the same result, to be delivered again.
    put(client, "/results/r-1", result(jan, 9), product_client)
    assert ProductResult.objects.get().score == 9

    mila = s.pupils[1]
    posted = client.post(
        f"{BASE}/lineItems/blok-1/results",
        json.dumps({"results": [{**result(mila)["result"], "sourcedId": "tijdelijk-1"}]}),
        content_type="application/json",
        **product_client,
    )
    assert posted.status_code == 201
    conforms("GUIDPairSetDType", posted.json())
    assert posted.json()["sourcedIdPairs"][0]["suppliedSourcedId"] == "tijdelijk-1"
    assert ProductResult.objects.filter(pupil=mila).count() == 1


def test_a_product_writes_only_where_it_holds_a_licence(client, platform_school, product_client):
    s = platform_school
    refused = put(client, "/lineItems/blok-1", line_item(s, klass="2B"), product_client)
    assert refused.status_code == 403
    assert refused.json()["imsx_codeMajor"] == "failure"
    put(client, "/lineItems/blok-1", line_item(s), product_client)
    noah = s.pupils[2]  # in 2B: not of the lineItem's class
    assert put(client, "/results/r-1", result(noah), product_client).status_code == 404
    assert not ProductResult.objects.exists()


def test_scopes_and_bad_bodies_are_refused(client, platform_school, product_client):
    s = platform_school
    assert put(client, "/lineItems/blok-1", line_item(s), {}).status_code == 401
    bad = line_item(s, kind="quiz")
    assert put(client, "/lineItems/blok-1", bad, product_client).status_code == 422
    put(client, "/lineItems/blok-1", line_item(s), product_client)
    negative = result(s.pupils[0], -1)
    assert put(client, "/results/r-1", negative, product_client).status_code == 422
    # A rostering app's token (roster scopes only) writes nothing here.
    app, secret = access.create_app("Roosterapp")
    roster = {"HTTP_AUTHORIZATION": f"Bearer {token(client, app, secret, '')}"}
    assert put(client, "/results/r-1", result(s.pupils[0]), roster).status_code in (401, 403)
    assert not ProductResult.objects.exists()


def test_test_results_are_kept_but_marked_as_tests(client, platform_school, product_client):
    s = platform_school
    put(client, "/lineItems/blok-1", line_item(s, kind="toets"), product_client)
    put(client, "/results/r-1", result(s.pupils[0]), product_client)
    assert ProductResult.objects.get().kind == "test"  # never delivered (delivery.pending)


@pytest.mark.parametrize("score", ["1000000000000", "1e300"])
def test_a_score_beyond_the_column_is_a_422_not_a_500(
    client, platform_school, product_client, score
):
    assert put(client, "/lineItems/blok-1", line_item(platform_school), product_client).status_code
    # The raw text a product might send (DRF's parser already refuses Infinity and NaN).
    raw = json.dumps(result(platform_school.pupils[0])).replace('"score": 7', f'"score": {score}')
    answer = client.put(
        f"{BASE}/results/r-1", raw, content_type="application/json", **product_client
    )
    assert answer.status_code == 422, answer.content
    assert "'score' must be a number from 0 to" in answer.content.decode()
    assert not ProductResult.objects.exists()


@pytest.mark.parametrize("path", ["/lineItems/{}", "/results/{}", "/categories/{}"])
def test_an_id_longer_than_its_column_is_a_422_to_put_and_unknown_to_get(
    client, platform_school, product_client, path
):
    assert put(client, "/lineItems/blok-1", line_item(platform_school), product_client).status_code
    long = "x" * 300
    body = {
        "/lineItems/{}": line_item(platform_school),
        "/results/{}": result(platform_school.pupils[0]),
        "/categories/{}": {"category": {"sourcedId": long, "status": "active", "title": "t"}},
    }[path]
    answer = put(client, path.format(long), body, product_client)
    assert answer.status_code == 422, answer.content
    assert "at most 256 characters" in answer.content.decode()
    assert client.get(f"{BASE}{path.format(long)}", **product_client).status_code == 404
    assert not ProductResult.objects.exists()
