"""The gradebook API's collections, deletes, categories and scoreScales: each operation asks
the file's scope, a product sees and writes only in classes holding its licence and only its
own objects (another product's ids are unknown: 404), a delete keeps what was delivered, and
pages, filters, sorts and field selections work as in the rostering API."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from schoolbrug.platform import delivery, gradebook, licences
from schoolbrug.platform.models import (
    GradebookCategory,
    GradebookLineItem,
    MonitoringLink,
    ProductResult,
    ScoreScale,
)
from schoolbrug.sharing import access

from .test_gradebook_api import BASE, conforms, line_item, put, result, token

pytestmark = pytest.mark.django_db
S = gradebook.SCOPE


def bearer(client, product, scopes) -> dict:
    """A token of `product`'s own client with these scopes (the app is made once)."""
    if product.app is None:
        app, secret = access.create_app(product.name, scopes=list(gradebook.GRADEBOOK_SCOPES))
        product.app = app
        product.save()
        product._secret = secret
    return {"HTTP_AUTHORIZATION": f"Bearer {token(client, product.app, product._secret, scopes)}"}


@pytest.fixture
def rekenen(client, platform_school):
    """Rekenrijk, licensed for 1A (group licence), with every gradebook scope."""
    licences.link_class(platform_school.catalogue.group, platform_school.classes["1A"])
    return bearer(client, platform_school.catalogue.rekenen, " ".join(gradebook.GRADEBOOK_SCOPES))


def get(client, path: str, headers: dict, **query):
    return client.get(f"{BASE}{path}", query, **headers)


def delete(client, path: str, headers: dict):
    return client.delete(f"{BASE}{path}", **headers)


def item_body(school, sourced_id: str, title: str, kind: str = "exercise", klass: str = "1A"):
    body = line_item(school, kind, klass)
    body["lineItem"].update(sourcedId=sourced_id, title=title)
    return body


def result_body(pupil, item_id: str, score: float = 7) -> dict:
    body = result(pupil, score)
    body["result"]["lineItem"]["sourcedId"] = item_id
    return body


def class_id(school, code: str = "1A") -> str:
    return str(school.classes[code].sourced_id)


def test_each_operation_asks_the_scope_the_file_names(client, platform_school, rekenen):
    s = platform_school
    product = s.catalogue.rekenen
    assert put(client, "/lineItems/blok-1", item_body(s, "blok-1", "Blok 1"), rekenen).status_code
    readonly = bearer(client, product, f"{S}gradebook.readonly")
    core = bearer(client, product, f"{S}gradebook-core.readonly")
    createput = bearer(client, product, f"{S}gradebook.createput")
    deleting = bearer(client, product, f"{S}gradebook.delete")

    assert get(client, "/lineItems", readonly).status_code == 200
    assert get(client, "/lineItems", core).status_code == 200
    # The class-scoped collections are gradebook.readonly only, as in the file.
    assert get(client, f"/classes/{class_id(s)}/lineItems", readonly).status_code == 200
    assert get(client, f"/classes/{class_id(s)}/lineItems", core).status_code == 403
    assert get(client, "/lineItems", createput).status_code == 403
    assert delete(client, "/lineItems/blok-1", readonly).status_code == 403
    assert delete(client, "/lineItems/blok-1", createput).status_code == 403
    body = item_body(s, "blok-2", "Blok 2")
    assert put(client, "/lineItems/blok-2", body, readonly).status_code == 403
    posted = client.post(
        f"{BASE}/classes/{class_id(s)}/lineItems",
        json.dumps({"lineItems": [body["lineItem"]]}),
        content_type="application/json",
        **createput,  # POST needs gradebook.createpost
    )
    assert posted.status_code == 403
    assert GradebookLineItem.objects.count() == 1
    assert delete(client, "/lineItems/blok-1", deleting).status_code == 204


def test_a_product_sees_only_its_licensed_classes(client, platform_school, rekenen):
    s = platform_school
    put(client, "/lineItems/blok-1", item_body(s, "blok-1", "Blok 1"), rekenen)
    put(client, "/results/r-1", result_body(s.pupils[0], "blok-1"), rekenen)
    assert get(client, f"/classes/{class_id(s, '2B')}/lineItems", rekenen).status_code == 403
    assert get(client, f"/classes/{class_id(s, '2B')}/results", rekenen).status_code == 403
    scale = {
        "scoreScale": {
            "sourcedId": "schaal",
            "status": "active",
            "dateLastModified": "2026-11-02T08:00:00Z",
            "title": "Op tien",
            "type": "numeric",
            "class": {"href": "x", "sourcedId": class_id(s, "2B"), "type": "class"},
            "scoreScaleValue": [{"itemValueLHS": "0-10", "itemValueRHS": "0-10"}],
        }
    }
    assert put(client, "/scoreScales/schaal", scale, rekenen).status_code == 403
    assert not ScoreScale.objects.exists()
    # The licence goes: what was written in the class is out of sight.
    licences.unlink_class(s.catalogue.group, s.classes["1A"])
    assert get(client, "/lineItems/blok-1", rekenen).status_code == 404
    assert get(client, "/results/r-1", rekenen).status_code == 404
    assert get(client, "/lineItems", rekenen).json() == {"lineItems": []}
    assert get(client, "/results", rekenen)["X-Total-Count"] == "0"


def test_another_products_ids_are_unknown(client, platform_school, rekenen):
    s = platform_school
    taal = s.catalogue.taal  # a child licence: Jan's seat makes 1A a class of it too
    licences.link_pupils(s.catalogue.child, [s.pupils[0]])
    taal_token = bearer(client, taal, " ".join(gradebook.GRADEBOOK_SCOPES))
    put(client, "/lineItems/taal-1", item_body(s, "taal-1", "Taal 1"), taal_token)
    assert put(client, "/results/t-1", result_body(s.pupils[0], "taal-1"), taal_token).status_code
    put(client, "/lineItems/blok-1", item_body(s, "blok-1", "Blok 1"), rekenen)

    for path in ("/lineItems/taal-1", "/results/t-1"):
        assert get(client, path, rekenen).status_code == 404
        assert delete(client, path, rekenen).status_code == 404
    assert (
        get(client, f"/classes/{class_id(s)}/lineItems/taal-1/results", rekenen).status_code == 404
    )
    assert put(client, "/results/x", result_body(s.pupils[0], "taal-1"), rekenen).status_code == 404
    listed = get(client, f"/classes/{class_id(s)}/lineItems", rekenen).json()["lineItems"]
    assert [i["sourcedId"] for i in listed] == ["blok-1"]
    assert get(client, "/results", rekenen).json() == {"results": []}
    # The same id is each product's own.
    put(client, "/lineItems/taal-1", item_body(s, "taal-1", "Eigen"), rekenen)
    assert GradebookLineItem.objects.get(product=taal).title == "Taal 1"
    assert ProductResult.objects.filter(product=taal, deleted_at__isnull=True).count() == 1


def test_a_delete_keeps_what_was_delivered_and_sends_nothing_more(
    client, platform_school, rekenen, people
):
    s = platform_school
    put(client, "/lineItems/blok-1", item_body(s, "blok-1", "Blok 1"), rekenen)
    put(client, "/results/r-sent", result_body(s.pupils[0], "blok-1"), rekenen)
    put(client, "/results/r-new", result_body(s.pupils[1], "blok-1"), rekenen)
    link = MonitoringLink.objects.create(
        institution=s.institution,
        system="momento",
        authorization_key="sleutel",
        consent_by="ict",
        consent_at=timezone.now(),
    )
    delivered_at = timezone.now()
    ProductResult.objects.filter(external_id="r-sent").update(delivered_at=delivered_at)
    assert [r.external_id for r in delivery.pending(link)] == ["r-new"]

    assert delete(client, "/lineItems/blok-1", rekenen).status_code == 204
    assert get(client, "/lineItems/blok-1", rekenen).status_code == 404
    assert get(client, "/results/r-sent", rekenen).status_code == 404
    assert delete(client, "/lineItems/blok-1", rekenen).status_code == 404
    assert list(delivery.pending(link)) == []  # the undelivered one is withdrawn
    sent = ProductResult.objects.get(external_id="r-sent")
    assert sent.delivered_at == delivered_at and sent.deleted_at is not None  # the record stays
    client.force_login(people.ict)  # the status page: one delivered, none waiting
    page = client.get(reverse("platform:monitoring", args=[s.institution.number]))
    assert (page.context["status"]["delivered"], page.context["status"]["waiting"]) == (1, 0)

    # A result deleted alone: the same.
    put(client, "/lineItems/blok-2", item_body(s, "blok-2", "Blok 2"), rekenen)
    put(client, "/results/r-2", result_body(s.pupils[0], "blok-2"), rekenen)
    assert delete(client, "/results/r-2", rekenen).status_code == 204
    assert get(client, "/results", rekenen).json() == {"results": []}
    assert list(delivery.pending(link)) == []
    # Put again, it is back and due.
    put(client, "/results/r-2", result_body(s.pupils[0], "blok-2"), rekenen)
    assert [r.external_id for r in delivery.pending(link)] == ["r-2"]


def test_collections_page_filter_sort_and_select_fields(client, platform_school, rekenen):
    s = platform_school
    for n in range(5):
        body = item_body(s, f"blok-{n}", f"Blok {n}")
        assert put(client, f"/lineItems/blok-{n}", body, rekenen).status_code == 201
    page = get(client, "/lineItems", rekenen, limit=2, offset=2, sort="title", orderBy="desc")
    assert page.status_code == 200
    conforms("LineItemSetDType", page.json())
    assert [i["title"] for i in page.json()["lineItems"]] == ["Blok 2", "Blok 1"]
    assert page["X-Total-Count"] == "5"
    assert 'rel="next"' in page["Link"] and 'rel="prev"' in page["Link"]
    assert "offset=4" in page["Link"]

    found = get(client, "/lineItems", rekenen, filter="title='Blok 3' OR sourcedId='blok-4'")
    assert sorted(i["sourcedId"] for i in found.json()["lineItems"]) == ["blok-3", "blok-4"]
    by_class = get(client, "/lineItems", rekenen, filter=f"class.sourcedId='{class_id(s)}'")
    assert by_class["X-Total-Count"] == "5"
    some = get(client, "/lineItems", rekenen, fields="sourcedId,title", limit=1)
    assert some.json() == {"lineItems": [{"sourcedId": "blok-0", "title": "Blok 0"}]}
    one = get(client, "/lineItems/blok-0", rekenen, fields="title")
    assert one.json() == {"lineItem": {"title": "Blok 0"}}

    for query in ({"sort": "colour"}, {"filter": "colour='x'"}, {"fields": "colour"}):
        refused = get(client, "/lineItems", rekenen, **query)
        assert refused.status_code == 400, query
        assert "colour" in refused.json()["imsx_description"]

    for n, pupil in enumerate(s.pupils[:2]):
        put(client, f"/results/r-{n}", result_body(pupil, "blok-1", 5 + n), rekenen)
    jan = str(s.pupils[0].sourced_id)
    student = get(client, f"/classes/{class_id(s)}/students/{jan}/results", rekenen)
    conforms("ResultSetDType", student.json())
    assert [r["sourcedId"] for r in student.json()["results"]] == ["r-0"]
    of_item = get(client, f"/classes/{class_id(s)}/lineItems/blok-1/results", rekenen)
    assert of_item["X-Total-Count"] == "2"
    dated = get(client, "/results", rekenen, filter="scoreDate>='2026-11-03'", sort="sourcedId")
    assert [r["sourcedId"] for r in dated.json()["results"]] == ["r-0", "r-1"]
    noah = str(s.pupils[2].sourced_id)  # of 2B, not of 1A
    assert (
        get(client, f"/classes/{class_id(s)}/students/{noah}/results", rekenen).status_code == 404
    )


def test_post_line_items_for_a_class_or_a_school(client, platform_school, rekenen):
    s = platform_school
    body = item_body(s, "tijdelijk", "Blok 9")["lineItem"]

    def post(path: str, items: list):
        payload = json.dumps({"lineItems": items})
        return client.post(f"{BASE}{path}", payload, content_type="application/json", **rekenen)

    answer = post(f"/classes/{class_id(s)}/lineItems", [body])
    assert answer.status_code == 201
    conforms("GUIDPairSetDType", answer.json())
    allocated = answer.json()["sourcedIdPairs"][0]["allocatedSourcedId"]
    assert GradebookLineItem.objects.get(sourced_id=allocated).title == "Blok 9"
    school = str(s.institution.sourced_id)
    assert post(f"/schools/{school}/lineItems", [body]).status_code == 201
    # All or none: a class of 2B in the lot (no licence) writes nothing.
    other = item_body(s, "x", "Blok 10", klass="2B")["lineItem"]
    assert post(f"/schools/{school}/lineItems", [body, other]).status_code == 403
    assert post(f"/classes/{class_id(s)}/lineItems", [other]).status_code == 422
    assert GradebookLineItem.objects.count() == 2


def category(sourced_id: str, title: str, kind: str | None = None) -> dict:
    body = {
        "sourcedId": sourced_id,
        "status": "active",
        "dateLastModified": "2026-11-02T08:00:00Z",
        "title": title,
        "weight": 0.5,
    }
    if kind is not None:
        body["metadata"] = {"kind": kind}
    return {"category": body}


def test_a_category_decides_whether_results_are_exercises(client, platform_school, rekenen):
    s = platform_school
    assert put(client, "/categories/dagtaak", category("dagtaak", "Dagtaak", "oefening"), rekenen)
    put(client, "/categories/eindtoets", category("eindtoets", "Eindtoets"), rekenen)  # no kind
    got = get(client, "/categories/dagtaak", rekenen)
    conforms("SingleCategoryDType", got.json())
    assert got.json()["category"]["metadata"] == {"kind": "exercise"}
    assert GradebookCategory.objects.get(sourced_id="eindtoets").kind == "test"
    refused = put(client, "/categories/test", category("test", "Toets", "exercise"), rekenen)
    assert refused.status_code == 422

    put(client, "/lineItems/a", item_body(s, "a", "Dagtaak 1", kind="dagtaak"), rekenen)
    put(client, "/lineItems/b", item_body(s, "b", "Eindtoets", kind="eindtoets"), rekenen)
    put(client, "/results/ra", result_body(s.pupils[0], "a"), rekenen)
    put(client, "/results/rb", result_body(s.pupils[0], "b"), rekenen)
    kinds = dict(ProductResult.objects.values_list("external_id", "kind"))
    assert kinds == {"ra": "exercise", "rb": "test"}
    assert get(client, "/lineItems/a", rekenen).json()["lineItem"]["category"]["sourcedId"] == (
        "dagtaak"
    )
    listed = get(client, f"/classes/{class_id(s)}/categories", rekenen)
    conforms("CategoriesSetDType", listed.json())
    assert sorted(c["sourcedId"] for c in listed.json()["categories"]) == ["dagtaak", "eindtoets"]

    # In use: its kind stays and it cannot go.
    turned = put(client, "/categories/eindtoets", category("eindtoets", "E", "exercise"), rekenen)
    assert turned.status_code == 422
    assert delete(client, "/categories/eindtoets", rekenen).status_code == 422
    assert ProductResult.objects.get(external_id="rb").kind == "test"
    delete(client, "/lineItems/b", rekenen)
    assert delete(client, "/categories/eindtoets", rekenen).status_code == 204
    assert get(client, "/categories/eindtoets", rekenen).status_code == 404
    assert (
        put(client, "/lineItems/c", item_body(s, "c", "C", "eindtoets"), rekenen).status_code == 422
    )


def test_score_scales(client, platform_school, rekenen):
    s = platform_school
    body = {
        "scoreScale": {
            "sourcedId": "op-tien",
            "status": "active",
            "dateLastModified": "2026-11-02T08:00:00Z",
            "title": "Op tien",
            "type": "numeric",
            "class": {"href": "x", "sourcedId": class_id(s), "type": "class"},
            "scoreScaleValue": [{"itemValueLHS": "0-5", "itemValueRHS": "onvoldoende"}],
        }
    }
    conforms("SingleScoreScaleDType", body)
    assert put(client, "/scoreScales/op-tien", body, rekenen).status_code == 201
    got = get(client, "/scoreScales/op-tien", rekenen)
    conforms("SingleScoreScaleDType", got.json())
    assert got.json()["scoreScale"]["scoreScaleValue"] == body["scoreScale"]["scoreScaleValue"]
    school = str(s.institution.sourced_id)
    for path in (
        "/scoreScales",
        f"/classes/{class_id(s)}/scoreScales",
        f"/schools/{school}/scoreScales",
    ):
        listed = get(client, path, rekenen)
        conforms("ScoreScaleSetDType", listed.json())
        assert [x["sourcedId"] for x in listed.json()["scoreScales"]] == ["op-tien"], path
    empty = dict(body["scoreScale"], scoreScaleValue=[])
    assert put(client, "/scoreScales/op-tien", {"scoreScale": empty}, rekenen).status_code == 422
    assert delete(client, "/scoreScales/op-tien", rekenen).status_code == 204
    assert get(client, "/scoreScales/op-tien", rekenen).status_code == 404


def test_post_results_of_a_class_in_a_session(client, platform_school, rekenen):
    s = platform_school
    put(client, "/lineItems/blok-1", item_body(s, "blok-1", "Blok 1"), rekenen)
    year = str(s.classes["1A"].school_year.sourced_id)
    rows = [result_body(p, "blok-1")["result"] for p in s.pupils[:2]]

    def post(session: str, rows: list):
        path = f"{BASE}/classes/{class_id(s)}/academicSessions/{session}/results"
        payload = json.dumps({"results": rows})
        return client.post(path, payload, content_type="application/json", **rekenen)

    assert post("00000000-0000-0000-0000-000000000000", rows).status_code == 404
    unknown_item = [dict(rows[0], lineItem={"href": "x", "sourcedId": "nee", "type": "lineItem"})]
    assert post(year, rows + unknown_item).status_code == 404
    assert not ProductResult.objects.exists()  # all or none
    answer = post(year, rows)
    assert answer.status_code == 201
    conforms("GUIDPairSetDType", answer.json())
    assert ProductResult.objects.filter(line_item__sourced_id="blok-1").count() == 2


def test_impossible_dates_are_refused_not_a_fault(client, platform_school, rekenen):
    s = platform_school
    body = item_body(s, "blok-1", "Blok 1")
    body["lineItem"]["dueDate"] = "2026-11-09T08:99:00Z"
    assert put(client, "/lineItems/blok-1", body, rekenen).status_code == 422
    body = category("c", "C")
    body["category"]["dateLastModified"] = "2024-01-01T12:99:00Z"
    assert put(client, "/categories/c", body, rekenen).status_code == 422
    put(client, "/lineItems/blok-1", item_body(s, "blok-1", "Blok 1"), rekenen)
    late = result_body(s.pupils[0], "blok-1")
    late["result"]["scoreDate"] = "2026-13-40"
    assert put(client, "/results/r-1", late, rekenen).status_code == 422
    assert not GradebookCategory.objects.filter(sourced_id="c").exists()
    assert not ProductResult.objects.exists()


def test_what_the_file_requires_must_be_there(client, platform_school, rekenen):
    body = category("c", "C")
    del body["category"]["sourcedId"]
    refused = put(client, "/categories/c", body, rekenen)
    assert refused.status_code == 422
    assert "sourcedId" in refused.json()["imsx_description"]
    assert not GradebookCategory.objects.exists()
