"""The OneRoster 1.2 gradebook API for products (issue 21, seed 004 §5): a product puts its
lineItems (an exercise or a test of a class) and its pupils' results, with its own OAuth2
client (client credentials, the rostering API's token endpoint and toolkit; `gradebook.*`
scopes). Served under /ims/oneroster/gradebook/v1p2/ by the API's handler.

This module: the API's common ground and PUT, GET and DELETE of /lineItems/{id}; results
(/results/{id} and POST of /lineItems/{id}/results) are in gradebook_results.py, the
collections in gradebook_lists.py, categories and scoreScales in gradebook_scales.py.
A product reads and writes only for classes that hold its licence (a group licence linked to
the class, or a child licence seat of a pupil of it), and only its own objects: another
product's ids are unknown (404). A result is only for a pupil of the lineItem's class.
Results become `ProductResult`s: exercise results go to the monitoring system (delivery.py);
whether a lineItem's results are exercises is its category's kind (GradebookCategory).
A lineItem and a result may name a scoreScale (the file's optional `scoreScale` GUIDRef): the
product's own, of the lineItem's class; it is kept and given back, not applied to the score.
A lineItem with results the API shows keeps its class (they are its pupils', of its scales).

DELETE keeps what was delivered: the object is marked deleted (hidden from the API), a result
not yet sent is withdrawn, one already sent stays as the record of it and is not sent again
(UWLR 2.2 has no message that withdraws a result).
Bodies and answers follow 1EdTech's official file; the tests check them against it.
"""

from __future__ import annotations

import datetime
import uuid

from django.db import transaction
from django.db.models import Q
from django.utils import dateparse, timezone
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from schoolbrug.oneroster.rest.auth import BearerTokenAuthentication, TokenClient
from schoolbrug.oneroster.rest.errors import ApiError, not_found
from schoolbrug.registry.models import SchoolClass

from .models import (
    GradebookCategory,
    GradebookLineItem,
    Licence,
    Product,
    ProductResult,
    ScoreScale,
)

SCOPE = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
CREATEPUT = SCOPE + "gradebook.createput"
CREATEPOST = SCOPE + "gradebook.createpost"
DELETE = SCOPE + "gradebook.delete"
READ_ALL = SCOPE + "gradebook.readonly"
READ = (READ_ALL, SCOPE + "gradebook-core.readonly")
GRADEBOOK_SCOPES = (CREATEPUT, CREATEPOST, DELETE, *READ)
# The file's security per method; a view narrows `read_scopes` where the file does (the
# class-scoped collections take gradebook.readonly only).
WRITE_SCOPES = {"POST": (CREATEPOST,), "PUT": (CREATEPUT,), "DELETE": (DELETE,)}
KINDS = {"exercise": "exercise", "oefening": "exercise", "test": "test", "toets": "test"}
BASE = "/ims/oneroster/gradebook/v1p2"


ID_MAX = 256  # the sourced_id and external_id columns


def invalid(description: str) -> ApiError:
    return ApiError(422, "invaliddata", description)


class GradebookScope(BasePermission):
    message = "the token lacks the gradebook scope this operation needs"

    def has_permission(self, request, view) -> bool:
        client = request.user
        if not isinstance(client, TokenClient):
            return False
        if request.method in ("GET", "HEAD"):
            needed = getattr(view, "read_scopes", READ)
        else:
            needed = WRITE_SCOPES.get(request.method, ())
        return not client.scopes.isdisjoint(needed)


class GradebookView(APIView):
    renderer_classes = [JSONRenderer]
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [GradebookScope]
    schema = None  # not part of the rostering API's generated schema

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # PostgreSQL cannot hold or even compare a text with a NUL: an id with one is unknown,
        # a body with one invalid (SQLite would take both, so both databases answer alike).
        if any("\x00" in str(value) for value in kwargs.values()):
            raise ApiError(404, "unknownobject", "no object with such a sourcedId")
        # Ids are kept in columns of 256 characters: a longer one is unknown, and the
        # product's mistake when it writes one (PostgreSQL would refuse the row: a 500).
        if any(len(str(value)) > ID_MAX for value in kwargs.values()):
            if request.method in ("POST", "PUT"):
                raise invalid(f"a sourcedId is at most {ID_MAX} characters")
            raise ApiError(404, "unknownobject", "no object with such a sourcedId")
        if request.method in ("POST", "PUT") and _holds_nul(request.data):
            raise invalid("the body holds a NUL character")

    def product(self) -> Product:
        product = Product.objects.filter(app_id=self.request.user.app_id).first()
        if product is None:
            raise ApiError(403, "forbidden", "this client is no product of the learning platform")
        return product


# --- values -------------------------------------------------------------------------------


def parse_datetime(value: str) -> datetime.datetime | None:
    """None for what is no date-time, also for one well formed but impossible (12:99)."""
    try:
        return dateparse.parse_datetime(value)
    except ValueError:
        return None


def parse_date(value: str) -> datetime.date | None:
    try:
        return dateparse.parse_date(value)
    except ValueError:
        return None


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def body_object(body, name: str) -> dict:
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, dict):
        raise invalid(f"the body needs a '{name}' object")
    check_common(value, name)
    return value


# What the official file requires of each object a product sends.
_BASE_FIELDS = ("sourcedId", "status", "dateLastModified")
REQUIRED = {
    "lineItem": (*_BASE_FIELDS, "title", "assignDate", "dueDate", "class", "school", "category"),
    "result": (*_BASE_FIELDS, "lineItem", "student", "scoreStatus", "scoreDate"),
    "category": (*_BASE_FIELDS, "title"),
    "scoreScale": (*_BASE_FIELDS, "title", "type", "class", "scoreScaleValue"),
}


def check_common(data: dict, kind: str) -> None:
    """The fields the file requires, and those every object has: sourcedId, metadata and
    dateLastModified are not kept (the server sets its own), but a body that leaves out or
    gets wrong what the file asks is refused, not half read."""
    if missing := [name for name in REQUIRED[kind] if name not in data]:
        raise invalid(f"a {kind} needs {', '.join(missing)}")
    if "sourcedId" in data and not isinstance(data["sourcedId"], str):
        raise invalid("'sourcedId' must be a string")
    if "metadata" in data and not isinstance(data["metadata"], dict):
        raise invalid("'metadata' must be an object")
    if "dateLastModified" in data:
        value = data["dateLastModified"]
        if not isinstance(value, str) or parse_datetime(value) is None:
            raise invalid("'dateLastModified' must be a date-time")


def ref(data: dict, name: str, kind: str) -> str:
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


def stamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


ROSTERING = "/ims/oneroster/rostering/v1p2"


def href(request, kind: str, sourced_id) -> str:
    """An absolute URI (the file's `format: uri`): classes, schools and users are the
    rostering API's, lineItems and categories the gradebook's."""
    base = ROSTERING if kind in ("classes", "schools", "users") else BASE
    return request.build_absolute_uri(f"{base}/{kind}/{sourced_id}")


def scale_ref(request, scale: ScoreScale) -> dict:
    """The file's ScoreScaleGUIDRefDType."""
    return {
        "href": href(request, "scoreScales", scale.sourced_id),
        "sourcedId": scale.sourced_id,
        "type": "scoreScale",
    }


# --- licences -----------------------------------------------------------------------------


def licensed_classes(product: Product):
    """The classes holding a licence of the product: linked to a group licence of it, or
    with a pupil holding a seat of a child licence of it (a subquery of pks)."""
    return (
        SchoolClass.objects.filter(
            Q(platform_licence_links__licence__product=product)
            | Q(enrolments__pupil__platform_seats__licence__product=product)
        )
        .values("pk")
        .distinct()
    )


def licensed_class(product: Product, class_id: str) -> SchoolClass:
    school_class = SchoolClass.objects.filter(sourced_id=uuid_or_none(class_id)).first()
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


def uuid_or_none(value: str):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# --- lineItems ----------------------------------------------------------------------------


def line_item_json(request, item: GradebookLineItem) -> dict:
    klass, school = item.school_class, item.school_class.institution
    category_id = item.category.sourced_id if item.category_id else item.kind
    return {
        "sourcedId": item.sourced_id,
        "status": item.status,
        "dateLastModified": stamp(item.updated_at),
        "title": item.title,
        "assignDate": stamp(item.assign_date),
        "dueDate": stamp(item.due_date),
        "class": {
            "href": href(request, "classes", klass.sourced_id),
            "sourcedId": str(klass.sourced_id),
            "type": "class",
        },
        "school": {
            "href": href(request, "schools", school.sourced_id),
            "sourcedId": str(school.sourced_id),
            "type": "org",
        },
        "category": {
            "href": href(request, "categories", category_id),
            "sourcedId": category_id,
            "type": "category",
        },
        **({"scoreScale": scale_ref(request, item.score_scale)} if item.score_scale_id else {}),
    }


def visible_line_items(product: Product):
    """The product's own lineItems, not deleted, of classes holding its licence."""
    return GradebookLineItem.objects.filter(
        product=product, deleted_at__isnull=True, school_class__in=licensed_classes(product)
    ).select_related("school_class__institution", "category", "score_scale")


def visible_results(product: Product):
    """The product's own results of its visible lineItems, not deleted."""
    return ProductResult.objects.filter(
        product=product,
        deleted_at__isnull=True,
        line_item__deleted_at__isnull=True,
        line_item__school_class__in=licensed_classes(product),
    ).select_related("line_item", "pupil", "score_scale")


def visible_scales(product: Product):
    """The product's own scoreScales of classes holding its licence."""
    return ScoreScale.objects.filter(
        product=product, school_class__in=licensed_classes(product)
    ).select_related("school_class")


def score_scale_for(product: Product, data: dict, school_class: SchoolClass) -> ScoreScale | None:
    """The scoreScale a lineItem or result names (none if it names none): the product's own
    (an unknown id or another product's: 404), of the lineItem's class (422). Locked until
    the write commits, so that a DELETE of the scale cannot pass in between."""
    if "scoreScale" not in data:
        return None
    scale_id = ref(data, "scoreScale", "scoreScale")
    scale = visible_scales(product).select_for_update(of=("self",)).filter(sourced_id=scale_id)
    scale = scale.first()
    if scale is None:
        raise not_found("scoreScale", scale_id)
    if scale.school_class_id != school_class.pk:
        raise invalid(
            f"scoreScale {scale_id!r} is of class {scale.school_class.sourced_id}, not of "
            f"the lineItem's class {school_class.sourced_id}"
        )
    return scale


BUILT_IN_CATEGORIES = {
    "exercise": "Oefening",
    "oefening": "Oefening",
    "test": "Toets",
    "toets": "Toets",
}


def category_for(product: Product, sourced_id: str) -> GradebookCategory:
    """The product's category of this id; the built-in words (exercise/oefening/test/toets)
    are made on first use, with their kind."""
    category = GradebookCategory.objects.filter(product=product, sourced_id=sourced_id).first()
    if category is not None:
        return category
    word = sourced_id.lower()
    if word not in KINDS:
        raise invalid(
            f"category {sourced_id!r} is unknown: PUT it under /categories first, or use "
            "'exercise' (oefening) or 'test' (toets)"
        )
    category, _ = GradebookCategory.objects.get_or_create(
        product=product,
        sourced_id=sourced_id,
        defaults={"title": BUILT_IN_CATEGORIES[word], "kind": KINDS[word]},
    )
    return category


def _keeps_class_with_results(product: Product, sourced_id: str, school_class) -> None:
    """A lineItem with results the API shows stays in its class: they are of its pupils and
    name its class's scoreScales (422). Locked until the write commits."""
    existing = (
        GradebookLineItem.objects.select_for_update(of=("self",))
        .filter(product=product, sourced_id=sourced_id)
        .select_related("school_class")
        .first()
    )
    if existing is None or existing.school_class_id == school_class.pk:
        return
    if ProductResult.objects.filter(line_item=existing, deleted_at__isnull=True).exists():
        raise invalid(
            f"lineItem {sourced_id!r} has results of pupils of class "
            f"{existing.school_class.sourced_id}: its class stays (delete its results first)"
        )


def save_line_item(product: Product, data: dict, sourced_id: str, school_class=None):
    """Create or update the product's lineItem `sourced_id` (brought back if deleted)."""
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise invalid("'title' is required")
    class_id = ref(data, "class", "class")
    if school_class is None:
        school_class = licensed_class(product, class_id)
    elif class_id != str(school_class.sourced_id):
        raise invalid(f"'class' must be class {school_class.sourced_id} of the path")
    category = category_for(product, ref(data, "category", "category"))
    status = data.get("status", "active")
    if status not in ("active", "tobedeleted"):
        raise invalid("'status' must be active or tobedeleted")
    score_scale = score_scale_for(product, data, school_class)
    _keeps_class_with_results(product, sourced_id, school_class)
    item, _ = GradebookLineItem.objects.update_or_create(
        product=product,
        sourced_id=sourced_id,
        defaults={
            "school_class": school_class,
            "title": title.strip()[:256],
            "kind": category.kind,
            "category": category,
            "assign_date": _moment(data, "assignDate"),
            "due_date": _moment(data, "dueDate"),
            "score_scale": score_scale,
            "status": status,
            "deleted_at": None,
        },
    )
    return item


class LineItemView(GradebookView):
    def get(self, request, sourced_id: str):
        item = visible_line_items(self.product()).filter(sourced_id=sourced_id).first()
        if item is None:
            raise not_found("lineItem", sourced_id)
        from .gradebook_lists import LINE_ITEMS, answer_one  # it builds on this module

        return answer_one(request, LINE_ITEMS, line_item_json(request, item))

    def put(self, request, sourced_id: str):
        product = self.product()
        data = body_object(request.data, "lineItem")
        with transaction.atomic():
            save_line_item(product, data, sourced_id)
        return Response(status=201)

    def delete(self, request, sourced_id: str):
        product = self.product()
        with transaction.atomic():
            item = visible_line_items(product).filter(sourced_id=sourced_id).first()
            if item is None:
                raise not_found("lineItem", sourced_id)
            now = timezone.now()
            item.deleted_at = now
            item.save(update_fields=["deleted_at", "updated_at"])
            ProductResult.objects.filter(line_item=item, deleted_at__isnull=True).update(
                deleted_at=now
            )
        return Response(status=204)
