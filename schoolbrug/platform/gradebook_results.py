"""The gradebook's results (gradebook.py says what the API is): PUT, GET and DELETE of
/results/{id} and POST of several results (the server's own sourcedIds, answered with
sourcedIdPairs). A result is only for a pupil of its lineItem's class who holds a licence of
the product; it becomes a `ProductResult`, which delivery.py sends on when it is an exercise."""

from __future__ import annotations

import uuid

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.response import Response

from schoolbrug.oneroster.rest.errors import ApiError, not_found
from schoolbrug.registry.models import Pupil

from . import licences
from .gradebook import (
    GradebookView,
    body_object,
    check_common,
    href,
    invalid,
    parse_date,
    ref,
    scale_ref,
    score_scale_for,
    stamp,
    uuid_or_none,
    visible_line_items,
    visible_results,
)
from .models import GradebookLineItem, Product, ProductResult


def result_json(request, result: ProductResult) -> dict:
    item, pupil = result.line_item, result.pupil
    return {
        "sourcedId": result.external_id,
        "status": "active",
        "dateLastModified": stamp(result.updated_at),
        "lineItem": {
            "href": href(request, "lineItems", item.sourced_id),
            "sourcedId": item.sourced_id,
            "type": "lineItem",
        },
        "student": {
            "href": href(request, "users", pupil.sourced_id),
            "sourcedId": str(pupil.sourced_id),
            "type": "user",
        },
        **({"scoreScale": scale_ref(request, result.score_scale)} if result.score_scale_id else {}),
        "scoreStatus": "fully graded",
        "score": float(result.score),
        "scoreDate": result.taken_on.isoformat(),
    }


MAX_SCORE = 2**31 - 2


def _held(product: Product, item: GradebookLineItem) -> GradebookLineItem:
    """The lineItem as it is now, held until this result is written. A PUT moving it to another
    class locks it FOR UPDATE (`_keeps_class_with_results`): it waits for this write and then
    sees the result; a result written after a move checks its pupil against the new class.
    FOR SHARE on PostgreSQL, so that the results of one lineItem do not wait for each other
    (SQLite has one writer at a time anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            table = GradebookLineItem._meta.db_table
            cursor.execute(f'SELECT 1 FROM "{table}" WHERE id = %s FOR SHARE', [item.pk])
    held = visible_line_items(product).select_related("school_class").filter(pk=item.pk).first()
    if held is None:  # deleted meanwhile
        raise not_found("lineItem", item.sourced_id)
    return held


def _save_result(product: Product, data: dict, external_id: str, item=None) -> ProductResult:
    """`item`: the result's lineItem, already `_held` (several results of one lineItem hold it
    once); without it, the body's lineItem, held here."""
    if item is None:
        item_id = ref(data, "lineItem", "lineItem")
        item = visible_line_items(product).filter(sourced_id=item_id).first()
        if item is None:
            raise not_found("lineItem", item_id)
        item = _held(product, item)
    student_id = ref(data, "student", "user")
    pupil = Pupil.objects.filter(
        sourced_id=uuid_or_none(student_id),
        enrolments__school_class=item.school_class,
        is_leaver=False,
    ).first()
    if pupil is None:
        raise not_found("student", student_id)
    if product not in licences.licensed_products(pupil):
        raise ApiError(403, "forbidden", f"student {student_id} holds no licence of this product")
    score = data.get("score")
    # Bounded by the column (PostgreSQL's integer, after rounding): a bigger number is the
    # product's mistake, a 422, not a 500.
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= MAX_SCORE:
        raise invalid(f"'score' must be a number from 0 to {MAX_SCORE}")
    if data.get("scoreStatus") not in (
        "fully graded",
        "partially graded",
        "submitted",
        "exempt",
        "not submitted",
    ) and not str(data.get("scoreStatus", "")).startswith("ext:"):
        raise invalid("'scoreStatus' is not in the 1.2 vocabulary")
    taken = parse_date(str(data.get("scoreDate", ""))[:10])
    if taken is None:
        raise invalid("'scoreDate' must be a date")
    score_scale = score_scale_for(product, data, item.school_class)
    values = {
        "deleted_at": None,  # a deleted result put again is back (and sent if changed)
        "institution_id": pupil.institution_id,
        "pupil": pupil,
        "line_item": item,
        "kind": item.kind,
        "code": item.sourced_id[:256],
        "score": round(score),
        "taken_on": taken,
    }
    result = ProductResult.objects.filter(product=product, external_id=external_id).first()
    if result is None:
        return ProductResult.objects.create(
            product=product, external_id=external_id, score_scale=score_scale, **values
        )
    changed = any(getattr(result, k) != v for k, v in values.items() if k != "deleted_at")
    for key, value in values.items():
        setattr(result, key, value)
    result.score_scale = score_scale  # not in the UWLR message: no reason to send it again
    if changed:  # a changed score goes to the monitoring system again
        result.delivered_at = None
    result.save()
    return result


class ResultView(GradebookView):
    def get(self, request, sourced_id: str):
        result = visible_results(self.product()).filter(external_id=sourced_id).first()
        if result is None:
            raise not_found("result", sourced_id)
        from .gradebook_lists import RESULTS, answer_one  # it builds on this module

        return answer_one(request, RESULTS, result_json(request, result))

    def put(self, request, sourced_id: str):
        with transaction.atomic():
            _save_result(self.product(), body_object(request.data, "result"), sourced_id)
        return Response(status=201)

    def delete(self, request, sourced_id: str):
        with transaction.atomic():
            result = visible_results(self.product()).filter(external_id=sourced_id).first()
            if result is None:
                raise not_found("result", sourced_id)
            result.deleted_at = timezone.now()
            result.save(update_fields=["deleted_at", "updated_at"])
        return Response(status=204)


class LineItemResultsView(GradebookView):
    """POST /lineItems/{id}/results: several results of the lineItem."""

    def post(self, request, line_item_id: str):
        product = self.product()
        item = visible_line_items(product).filter(sourced_id=line_item_id).first()
        if item is None:
            raise not_found("lineItem", line_item_id)
        return post_results(product, request.data, lambda row: item)


def post_results(product: Product, body, item_of) -> Response:
    """Several results, all or none, each of the lineItem `item_of(row)` gives; the server
    gives each a sourcedId and answers the pairs (the product's own `sourcedId`, if any, is
    the original)."""
    rows = body.get("results") if isinstance(body, dict) else None
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise invalid("the body needs a non-empty 'results' array")
    pairs = []
    held: dict[int, GradebookLineItem] = {}  # each lineItem held once, not once per result
    try:
        with transaction.atomic():
            for row in rows:
                check_common(row, "result")
                item = item_of(row)
                if item.pk not in held:
                    held[item.pk] = _held(product, item)
                allocated = str(uuid.uuid4())
                row = {**row, "lineItem": {"sourcedId": item.sourced_id}}
                _save_result(product, row, allocated, held[item.pk])
                supplied = str(row.get("sourcedId", ""))
                pairs.append({"suppliedSourcedId": supplied, "allocatedSourcedId": allocated})
    except IntegrityError:
        raise invalid("a result was posted twice") from None
    return Response({"sourcedIdPairs": pairs}, status=201)
