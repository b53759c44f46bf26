"""A lineItem and a result may name a scoreScale (the official file's optional `scoreScale`,
a ScoreScaleGUIDRefDType): the product's own scale of the lineItem's class is kept and given
back in the file's shape; an unknown one, or another product's, is a 404, one of another
class a 422, and nothing is written; a scale in use is neither deleted nor moved."""

from __future__ import annotations

import json

import pytest

from schoolbrug.platform import gradebook, licences
from schoolbrug.platform.models import GradebookLineItem, ProductResult, ScoreScale

from .test_gradebook_api import BASE, conforms, put
from .test_gradebook_collections import (
    bearer,
    class_id,
    delete,
    get,
    item_body,
    result_body,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rekenen(client, platform_school):
    """Rekenrijk, licensed for 1A (group licence), with every gradebook scope."""
    licences.link_class(platform_school.catalogue.group, platform_school.classes["1A"])
    return bearer(client, platform_school.catalogue.rekenen, " ".join(gradebook.GRADEBOOK_SCOPES))


def scale_body(school, sourced_id: str = "op-tien", klass: str = "1A") -> dict:
    return {
        "scoreScale": {
            "sourcedId": sourced_id,
            "status": "active",
            "dateLastModified": "2026-11-02T08:00:00Z",
            "title": "Op tien",
            "type": "numeric",
            "class": {"href": "x", "sourcedId": class_id(school, klass), "type": "class"},
            "scoreScaleValue": [
                {"itemValueLHS": "0-4", "itemValueRHS": "onvoldoende"},
                {"itemValueLHS": "5-10", "itemValueRHS": "voldoende"},
            ],
        }
    }


def scale_ref(sourced_id: str = "op-tien") -> dict:
    return {"href": "x", "sourcedId": sourced_id, "type": "scoreScale"}


def with_scale(body: dict, sourced_id: str | None = "op-tien") -> dict:
    """The lineItem or result of `body`, naming the scale (None: naming none)."""
    ((name, obj),) = body.items()
    obj = {k: v for k, v in obj.items() if k != "scoreScale"}
    if sourced_id is not None:
        obj["scoreScale"] = scale_ref(sourced_id)
    return {name: obj}


def served_ref(sourced_id: str = "op-tien") -> dict:
    """The reference as the API gives it back: an absolute URI of the gradebook's scale."""
    return {
        "href": f"http://testserver{BASE}/scoreScales/{sourced_id}",
        "sourcedId": sourced_id,
        "type": "scoreScale",
    }


@pytest.fixture
def scale(client, platform_school, rekenen):
    assert (
        put(client, "/scoreScales/op-tien", scale_body(platform_school), rekenen).status_code == 201
    )
    return ScoreScale.objects.get(sourced_id="op-tien")


def test_a_line_item_and_its_results_keep_and_give_back_their_scale(
    client,
    platform_school,
    rekenen,
    scale,
):
    s = platform_school
    body = with_scale(item_body(s, "blok-1", "Blok 1"))
    conforms("SingleLineItemDType", body)
    assert put(client, "/lineItems/blok-1", body, rekenen).status_code == 201
    assert GradebookLineItem.objects.get(sourced_id="blok-1").score_scale == scale
    got = get(client, "/lineItems/blok-1", rekenen).json()
    conforms("SingleLineItemDType", got)
    assert got["lineItem"]["scoreScale"] == served_ref()

    body = with_scale(result_body(s.pupils[0], "blok-1"))
    conforms("SingleResultDType", body)
    assert put(client, "/results/r-1", body, rekenen).status_code == 201
    got = get(client, "/results/r-1", rekenen).json()
    conforms("SingleResultDType", got)
    assert got["result"]["scoreScale"] == served_ref()

    # The collections give it too, and filter on it.
    listed = get(client, "/lineItems", rekenen, filter="scoreScale.sourcedId='op-tien'")
    conforms("LineItemSetDType", listed.json())
    assert [i["scoreScale"] for i in listed.json()["lineItems"]] == [served_ref()]
    listed = get(client, f"/classes/{class_id(s)}/results", rekenen)
    conforms("ResultSetDType", listed.json())
    assert [r["scoreScale"] for r in listed.json()["results"]] == [served_ref()]
    assert get(client, "/results", rekenen, fields="sourcedId,scoreScale").json() == {
        "results": [{"sourcedId": "r-1", "scoreScale": served_ref()}]
    }

    # POSTed ones keep it as well.
    posted = client.post(
        f"{BASE}/lineItems/blok-1/results",
        json.dumps({"results": [with_scale(result_body(s.pupils[1], "blok-1"))["result"]]}),
        content_type="application/json",
        **rekenen,
    )
    assert posted.status_code == 201
    allocated = posted.json()["sourcedIdPairs"][0]["allocatedSourcedId"]
    assert ProductResult.objects.get(external_id=allocated).score_scale == scale
    posted = client.post(
        f"{BASE}/classes/{class_id(s)}/lineItems",
        json.dumps({"lineItems": [with_scale(item_body(s, "x", "Blok 2"))["lineItem"]]}),
        content_type="application/json",
        **rekenen,
    )
    allocated = posted.json()["sourcedIdPairs"][0]["allocatedSourcedId"]
    assert GradebookLineItem.objects.get(sourced_id=allocated).score_scale == scale


def test_a_put_without_a_scale_names_none(client, platform_school, rekenen, scale):
    s = platform_school
    put(client, "/lineItems/blok-1", with_scale(item_body(s, "blok-1", "Blok 1")), rekenen)
    put(client, "/results/r-1", with_scale(result_body(s.pupils[0], "blok-1")), rekenen)
    # A PUT replaces the object: left out, the scale is no longer named.
    assert (
        put(client, "/lineItems/blok-1", item_body(s, "blok-1", "Blok 1"), rekenen).status_code
        == 201
    )
    assert (
        put(client, "/results/r-1", result_body(s.pupils[0], "blok-1"), rekenen).status_code == 201
    )
    for path, name in (("/lineItems/blok-1", "lineItem"), ("/results/r-1", "result")):
        got = get(client, path, rekenen).json()
        assert "scoreScale" not in got[name]
    assert GradebookLineItem.objects.get(sourced_id="blok-1").score_scale is None
    assert ProductResult.objects.get(external_id="r-1").score_scale is None


def test_an_unknown_or_another_products_scale_is_a_404_and_writes_nothing(
    client,
    platform_school,
    rekenen,
    scale,
):
    s = platform_school
    taal = s.catalogue.taal  # a child licence: Jan's seat makes 1A a class of it too
    licences.link_pupils(s.catalogue.child, [s.pupils[0]])
    taal_token = bearer(client, taal, " ".join(gradebook.GRADEBOOK_SCOPES))
    assert (
        put(
            client, "/scoreScales/taal-schaal", scale_body(s, "taal-schaal"), taal_token
        ).status_code
        == 201
    )

    for unknown in ("nergens", "taal-schaal"):
        answer = put(
            client, "/lineItems/blok-1", with_scale(item_body(s, "blok-1", "B"), unknown), rekenen
        )
        assert answer.status_code == 404, unknown
        assert answer.json()["imsx_description"] == f"no scoreScale with sourcedId {unknown}"
        assert not GradebookLineItem.objects.filter(product=s.catalogue.rekenen).exists()
    put(client, "/lineItems/blok-1", item_body(s, "blok-1", "Blok 1"), rekenen)
    for unknown in ("nergens", "taal-schaal"):
        body = with_scale(result_body(s.pupils[0], "blok-1"), unknown)
        assert put(client, "/results/r-1", body, rekenen).status_code == 404, unknown
    # All or none: one row naming an unknown scale, and neither is written.
    rows = [
        with_scale(result_body(s.pupils[0], "blok-1"))["result"],
        with_scale(result_body(s.pupils[1], "blok-1"), "nergens")["result"],
    ]
    answer = client.post(
        f"{BASE}/lineItems/blok-1/results",
        json.dumps({"results": rows}),
        content_type="application/json",
        **rekenen,
    )
    assert answer.status_code == 404
    assert not ProductResult.objects.exists()
    assert (
        GradebookLineItem.objects.get(sourced_id="blok-1", product=s.catalogue.rekenen).score_scale
        is None
    )


def test_a_scale_of_another_class_or_a_bad_reference_is_a_422(
    client,
    platform_school,
    rekenen,
    scale,
):
    s = platform_school
    licences.link_class(s.catalogue.group, s.classes["2B"])
    assert (
        put(client, "/scoreScales/van-2b", scale_body(s, "van-2b", "2B"), rekenen).status_code
        == 201
    )
    answer = put(
        client, "/lineItems/blok-1", with_scale(item_body(s, "blok-1", "B"), "van-2b"), rekenen
    )
    assert answer.status_code == 422
    assert "of the lineItem's class" in answer.json()["imsx_description"]
    put(client, "/lineItems/blok-1", item_body(s, "blok-1", "Blok 1"), rekenen)
    body = with_scale(result_body(s.pupils[0], "blok-1"), "van-2b")
    assert put(client, "/results/r-1", body, rekenen).status_code == 422
    for bad in (None, "op-tien", {"sourcedId": "op-tien", "type": "category"}, {"href": "x"}):
        body = item_body(s, "blok-1", "Blok 1")
        body["lineItem"]["scoreScale"] = bad
        assert put(client, "/lineItems/blok-1", body, rekenen).status_code == 422, bad
    assert GradebookLineItem.objects.get(sourced_id="blok-1").score_scale is None
    assert not ProductResult.objects.exists()


def test_a_scale_in_use_is_neither_deleted_nor_moved(
    client,
    platform_school,
    rekenen,
    scale,
):
    s = platform_school
    licences.link_class(s.catalogue.group, s.classes["2B"])
    put(client, "/lineItems/blok-1", with_scale(item_body(s, "blok-1", "Blok 1")), rekenen)
    refused = delete(client, "/scoreScales/op-tien", rekenen)
    assert refused.status_code == 422 and "used by" in refused.json()["imsx_description"]
    moved = put(client, "/scoreScales/op-tien", scale_body(s, klass="2B"), rekenen)
    assert moved.status_code == 422
    assert ScoreScale.objects.get(pk=scale.pk).school_class == s.classes["1A"]
    # A result alone keeps it in use too.
    put(client, "/lineItems/blok-1", item_body(s, "blok-1", "Blok 1"), rekenen)
    put(client, "/results/r-1", with_scale(result_body(s.pupils[0], "blok-1")), rekenen)
    assert delete(client, "/scoreScales/op-tien", rekenen).status_code == 422
    # Unused by anything the API shows (the lineItem deleted, its results with it): it goes,
    # and the deleted rows lose the reference.
    put(client, "/lineItems/blok-1", with_scale(item_body(s, "blok-1", "Blok 1")), rekenen)
    assert delete(client, "/lineItems/blok-1", rekenen).status_code == 204
    assert delete(client, "/scoreScales/op-tien", rekenen).status_code == 204
    assert get(client, "/scoreScales/op-tien", rekenen).status_code == 404
    assert GradebookLineItem.objects.get(sourced_id="blok-1").score_scale is None
    assert ProductResult.objects.get(external_id="r-1").score_scale is None
    # Brought back naming the gone scale: unknown.
    again = put(client, "/lineItems/blok-1", with_scale(item_body(s, "blok-1", "Blok 1")), rekenen)
    assert again.status_code == 404
    # An unused scale moves freely.
    assert put(client, "/scoreScales/vrij", scale_body(s, "vrij"), rekenen).status_code == 201
    assert put(client, "/scoreScales/vrij", scale_body(s, "vrij", "2B"), rekenen).status_code == 201


def test_a_line_item_with_results_keeps_its_class(client, platform_school, rekenen, scale):
    # Its results are of pupils of its class and name scales of its class: moved to another
    # class they would point across classes (a scale in use does not move either).
    s = platform_school
    licences.link_class(s.catalogue.group, s.classes["2B"])
    put(client, "/lineItems/blok-1", item_body(s, "blok-1", "Blok 1"), rekenen)
    put(client, "/results/r-1", with_scale(result_body(s.pupils[0], "blok-1")), rekenen)
    moved = put(client, "/lineItems/blok-1", item_body(s, "blok-1", "Blok 1", klass="2B"), rekenen)
    assert moved.status_code == 422
    assert "results" in moved.json()["imsx_description"]
    assert GradebookLineItem.objects.get(sourced_id="blok-1").school_class == s.classes["1A"]
    # Without results the API still shows, it moves.
    assert delete(client, "/results/r-1", rekenen).status_code == 204
    moved = put(client, "/lineItems/blok-1", item_body(s, "blok-1", "Blok 1", klass="2B"), rekenen)
    assert moved.status_code == 201
    assert GradebookLineItem.objects.get(sourced_id="blok-1").school_class == s.classes["2B"]
