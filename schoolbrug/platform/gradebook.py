"""The OneRoster 1.2 gradebook API for products (issue 21, seed 004 §5): a product puts its
lineItems (an exercise or a test of a class) and its pupils' results, with its own OAuth2
client (client credentials, the rostering API's token endpoint and toolkit; `gradebook.*`
scopes). Served under /ims/oneroster/gradebook/v1p2/ by the API's handler.

What it takes: PUT and GET of /lineItems/{id} and /results/{id}, and POST of
/lineItems/{id}/results (the server's own sourcedIds, answered with sourcedIdPairs). A product
writes only for classes that hold its licence (a group licence linked to the class, or a
child licence seat of the pupil), and a result only for a pupil of the lineItem's class.
Results become `ProductResult`s: exercise results go to the monitoring system (delivery.py).
Bodies and answers follow 1EdTech's official file; the tests check them against it.
"""

from __future__ import annotations

import datetime
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from schoolbrug.oneroster.rest.auth import BearerTokenAuthentication, TokenClient
from schoolbrug.oneroster.rest.errors import ApiError, not_found
from schoolbrug.registry.models import Pupil, SchoolClass

from . import licences
from .models import GradebookLineItem, Licence, Product, ProductResult

SCOPE = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
CREATEPUT = SCOPE + "gradebook.createput"
CREATEPOST = SCOPE + "gradebook.createpost"
READ = (SCOPE + "gradebook.readonly", SCOPE + "gradebook-core.readonly")
GRADEBOOK_SCOPES = (CREATEPUT, CREATEPOST, *READ)
KINDS = {"exercise": "exercise", "oefening": "exercise", "test": "test", "toets": "test"}
BASE = "/ims/oneroster/gradebook/v1p2"


def invalid(description: str) -> ApiError:
    return ApiError(422, "invaliddata", description)


class GradebookScope(BasePermission):
    message = "the token lacks the gradebook scope this operation needs"

    def has_permission(self, request, view) -> bool:
        client = request.user
        if not isinstance(client, TokenClient):
            return False
        if request.method == "GET":
            needed = READ
        else:
            needed = (CREATEPOST,) if request.method == "POST" else (CREATEPUT,)
        return not client.scopes.isdisjoint(needed)


class GradebookView(APIView):
    renderer_classes = [JSONRenderer]
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [GradebookScope]
    schema = None  # not part of the rostering API's generated schema

    def product(self) -> Product:
        product = Product.objects.filter(app_id=self.request.user.app_id).first()
        if product is None:
            raise ApiError(403, "forbidden", "this client is no product of the learning platform")
        return product


# --- values -------------------------------------------------------------------------------


def _object(body, name: str) -> dict:
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, dict):
        raise invalid(f"the body needs a '{name}' object")
    return value


def _ref(data: dict, name: str, kind: str) -> str:
    ref = data.get(name)
    if not isinstance(ref, dict) or not isinstance(ref.get("sourcedId"), str):
        raise invalid(f"'{name}' needs a sourcedId")
    if ref.get("type", kind) != kind:
        raise invalid(f"'{name}' must reference a {kind}")
    return ref["sourcedId"]


def _moment(data: dict, name: str) -> datetime.datetime:
    value = data.get(name)
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        day = parse_date(value) if isinstance(value, str) else None
        if day is None:
            raise invalid(f"'{name}' must be a date-time")
        moment = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=datetime.UTC)


def _stamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


ROSTERING = "/ims/oneroster/rostering/v1p2"


def _href(request, kind: str, sourced_id) -> str:
    """An absolute URI (the file's `format: uri`): classes, schools and users are the
    rostering API's, lineItems and categories the gradebook's."""
    base = ROSTERING if kind in ("classes", "schools", "users") else BASE
    return request.build_absolute_uri(f"{base}/{kind}/{sourced_id}")


# --- licences -----------------------------------------------------------------------------


def _licensed_class(product: Product, class_id: str) -> SchoolClass:
    school_class = SchoolClass.objects.filter(sourced_id=_uuid_or_none(class_id)).first()
    if school_class is None:
        raise not_found("class", class_id)
    licensed = Licence.objects.filter(product=product, institution=school_class.institution_id)
    if not (
        licensed.filter(kind="group", class_links__school_class=school_class).exists()
        or licensed.filter(
            kind="child", seat_links__pupil__enrolments__school_class=school_class
        ).exists()
    ):
        raise ApiError(403, "forbidden", f"class {class_id} holds no licence of this product")
    return school_class


def _uuid_or_none(value: str):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# --- lineItems ----------------------------------------------------------------------------


def _line_item_json(request, item: GradebookLineItem) -> dict:
    klass, school = item.school_class, item.school_class.institution
    return {
        "sourcedId": item.sourced_id,
        "status": item.status,
        "dateLastModified": _stamp(item.updated_at),
        "title": item.title,
        "assignDate": _stamp(item.assign_date),
        "dueDate": _stamp(item.due_date),
        "class": {
            "href": _href(request, "classes", klass.sourced_id),
            "sourcedId": str(klass.sourced_id),
            "type": "class",
        },
        "school": {
            "href": _href(request, "schools", school.sourced_id),
            "sourcedId": str(school.sourced_id),
            "type": "org",
        },
        "category": {
            "href": _href(request, "categories", item.kind),
            "sourcedId": item.kind,
            "type": "category",
        },
    }


class LineItemView(GradebookView):
    def get(self, request, sourced_id: str):
        item = GradebookLineItem.objects.filter(product=self.product(), sourced_id=sourced_id)
        item = item.select_related("school_class__institution").first()
        if item is None:
            raise not_found("lineItem", sourced_id)
        return Response({"lineItem": _line_item_json(request, item)})

    def put(self, request, sourced_id: str):
        product = self.product()
        data = _object(request.data, "lineItem")
        kind = KINDS.get(_ref(data, "category", "category").lower())
        if kind is None:
            raise invalid("category.sourcedId must be 'exercise' (oefening) or 'test' (toets)")
        title = data.get("title")
        if not isinstance(title, str) or not title.strip():
            raise invalid("'title' is required")
        school_class = _licensed_class(product, _ref(data, "class", "class"))
        status = data.get("status", "active")
        if status not in ("active", "tobedeleted"):
            raise invalid("'status' must be active or tobedeleted")
        GradebookLineItem.objects.update_or_create(
            product=product,
            sourced_id=sourced_id,
            defaults={
                "school_class": school_class,
                "title": title.strip()[:256],
                "kind": kind,
                "assign_date": _moment(data, "assignDate"),
                "due_date": _moment(data, "dueDate"),
                "status": status,
            },
        )
        return Response(status=201)


# --- results ------------------------------------------------------------------------------


def _result_json(request, result: ProductResult) -> dict:
    item, pupil = result.line_item, result.pupil
    return {
        "sourcedId": result.external_id,
        "status": "active",
        "dateLastModified": _stamp(result.updated_at),
        "lineItem": {
            "href": _href(request, "lineItems", item.sourced_id),
            "sourcedId": item.sourced_id,
            "type": "lineItem",
        },
        "student": {
            "href": _href(request, "users", pupil.sourced_id),
            "sourcedId": str(pupil.sourced_id),
            "type": "user",
        },
        "scoreStatus": "fully graded",
        "score": float(result.score),
        "scoreDate": result.taken_on.isoformat(),
    }


def _save_result(product: Product, data: dict, external_id: str, item=None) -> ProductResult:
    if item is None:
        item_id = _ref(data, "lineItem", "lineItem")
        item = GradebookLineItem.objects.filter(product=product, sourced_id=item_id).first()
        if item is None:
            raise not_found("lineItem", item_id)
    student_id = _ref(data, "student", "user")
    pupil = Pupil.objects.filter(
        sourced_id=_uuid_or_none(student_id),
        enrolments__school_class=item.school_class,
        is_leaver=False,
    ).first()
    if pupil is None:
        raise not_found("student", student_id)
    if product not in licences.licensed_products(pupil):
        raise ApiError(403, "forbidden", f"student {student_id} holds no licence of this product")
    score = data.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float) or score < 0:
        raise invalid("'score' must be a number of 0 or more")
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
    values = {
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
        return ProductResult.objects.create(product=product, external_id=external_id, **values)
    changed = any(getattr(result, k) != v for k, v in values.items())
    for key, value in values.items():
        setattr(result, key, value)
    if changed:  # a changed score goes to the monitoring system again
        result.delivered_at = None
    result.save()
    return result


class ResultView(GradebookView):
    def get(self, request, sourced_id: str):
        result = (
            ProductResult.objects.filter(product=self.product(), external_id=sourced_id)
            .select_related("line_item", "pupil")
            .first()
        )
        if result is None or result.line_item is None:
            raise not_found("result", sourced_id)
        return Response({"result": _result_json(request, result)})

    def put(self, request, sourced_id: str):
        with transaction.atomic():
            _save_result(self.product(), _object(request.data, "result"), sourced_id)
        return Response(status=201)


class LineItemResultsView(GradebookView):
    """POST /lineItems/{id}/results: several results; the server gives each a sourcedId and
    answers the pairs (the product's own `sourcedId`, if any, is the original)."""

    def post(self, request, line_item_id: str):
        product = self.product()
        item = GradebookLineItem.objects.filter(product=product, sourced_id=line_item_id).first()
        if item is None:
            raise not_found("lineItem", line_item_id)
        rows = request.data.get("results") if isinstance(request.data, dict) else None
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            raise invalid("the body needs a non-empty 'results' array")
        pairs = []
        try:
            with transaction.atomic():
                for row in rows:
                    allocated = str(uuid.uuid4())
                    _save_result(
                        product, {**row, "lineItem": {"sourcedId": line_item_id}}, allocated, item
                    )
                    pairs.append(
                        {
                            "suppliedSourcedId": str(row.get("sourcedId", "")),
                            "allocatedSourcedId": allocated,
                        }
                    )
        except IntegrityError:
            raise invalid("a result was posted twice") from None
        return Response({"sourcedIdPairs": pairs}, status=201)
