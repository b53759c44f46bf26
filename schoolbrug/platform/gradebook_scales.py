"""The gradebook's categories and scoreScales (issue 21): GET (collection and one), PUT and
DELETE, and the class- and school-scoped GETs of the official file.

A category decides whether its lineItems' results are exercises (sent to the monitoring
system) or tests (never sent): the product says so in its metadata, `{"kind": "exercise"}`
(or oefening, test, toets); without it a category is a test, so nothing is sent that the
product did not call an exercise. The built-in ids exercise/oefening/test/toets keep their
kind. A category's kind cannot change while lineItems use it (their results may be sent
already), nor can such a category be deleted.

A scoreScale belongs to one class; lineItems and results of that class may name it (the
file's `scoreScale` reference, gradebook.py). As with categories, a scale in use (by a lineItem
or a result that is not deleted) can neither be deleted nor moved to another class: the
references would point at nothing, or across classes. Deleted lineItems and results lose their
reference when the scale goes (a PUT that brings one back names its scale again).
"""

from __future__ import annotations

from django.db import transaction
from rest_framework.response import Response

from schoolbrug.oneroster.rest.errors import not_found
from schoolbrug.oneroster.rest.params import Column
from schoolbrug.registry.models import Institution

from . import gradebook
from .gradebook import KINDS, GradebookView, invalid, ref
from .gradebook_lists import ClassView, answer_one, answer_page, resource
from .models import GradebookCategory, GradebookLineItem, ProductResult, ScoreScale

CATEGORIES = resource(
    "categories",
    "category",
    {"title": Column("title")},
    ("title", "weight"),
)
SCORE_SCALES = resource(
    "scoreScales",
    "scoreScale",
    {
        "title": Column("title"),
        "type": Column("type"),
        "class.sourcedId": Column("school_class__sourced_id", "uuid"),
    },
    ("title", "type", "course", "class", "scoreScaleValue"),
)


def _status(data: dict) -> str:
    status = data.get("status", "active")
    if status not in ("active", "tobedeleted"):
        raise invalid("'status' must be active or tobedeleted")
    return status


def _title(data: dict) -> str:
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise invalid("'title' is required")
    return title.strip()[:256]


# --- categories ------------------------------------------------------------------------


def category_json(request, category: GradebookCategory) -> dict:
    body = {
        "sourcedId": category.sourced_id,
        "status": category.status,
        "dateLastModified": gradebook.stamp(category.updated_at),
        "metadata": {"kind": category.kind},
        "title": category.title,
    }
    if category.weight is not None:
        body["weight"] = category.weight
    return body


def _kind(data: dict, sourced_id: str, current: str | None) -> str:
    metadata = data.get("metadata")
    said = metadata.get("kind") if isinstance(metadata, dict) else None
    if said is not None and (not isinstance(said, str) or said.lower() not in KINDS):
        raise invalid("metadata.kind must be 'exercise' (oefening) or 'test' (toets)")
    kind = KINDS[said.lower()] if said else None
    fixed = KINDS.get(sourced_id.lower())
    if fixed is not None and kind not in (None, fixed):
        raise invalid(f"category {sourced_id!r} is always a {fixed}")
    return fixed or kind or current or "test"


def _in_use(category: GradebookCategory):
    return GradebookLineItem.objects.filter(category=category, deleted_at__isnull=True)


class CategoriesView(GradebookView):
    def get(self, request):
        categories = GradebookCategory.objects.filter(product=self.product())
        return answer_page(request, CATEGORIES, categories, category_json)


class CategoryView(GradebookView):
    def found(self, sourced_id: str) -> GradebookCategory:
        category = GradebookCategory.objects.filter(
            product=self.product(), sourced_id=sourced_id
        ).first()
        if category is None:
            raise not_found("category", sourced_id)
        return category

    def get(self, request, sourced_id: str):
        return answer_one(request, CATEGORIES, category_json(request, self.found(sourced_id)))

    def put(self, request, sourced_id: str):
        product = self.product()
        data = gradebook.body_object(request.data, "category")
        weight = data.get("weight")
        if weight is not None and (isinstance(weight, bool) or not isinstance(weight, int | float)):
            raise invalid("'weight' must be a number")
        with transaction.atomic():
            category = (
                GradebookCategory.objects.select_for_update()
                .filter(product=product, sourced_id=sourced_id)
                .first()
            )
            kind = _kind(data, sourced_id, category.kind if category else None)
            if category is not None and kind != category.kind and _in_use(category).exists():
                raise invalid(
                    f"category {sourced_id!r} is used by lineItems: its kind stays {category.kind}"
                )
            GradebookCategory.objects.update_or_create(
                product=product,
                sourced_id=sourced_id,
                defaults={
                    "title": _title(data),
                    "kind": kind,
                    "weight": weight,
                    "status": _status(data),
                },
            )
        return Response(status=201)

    def delete(self, request, sourced_id: str):
        with transaction.atomic():
            category = self.found(sourced_id)
            if _in_use(category).exists():
                raise invalid(f"category {sourced_id!r} is used by lineItems: delete them first")
            # Deleted lineItems keep their kind, not the category.
            GradebookLineItem.objects.filter(category=category).update(category=None)
            category.delete()
        return Response(status=204)


class ClassCategoriesView(ClassView):
    """The categories of the product's lineItems in the class."""

    def get(self, request, class_id: str):
        klass = self.school_class(class_id)
        items = gradebook.visible_line_items(self.product()).filter(school_class=klass)
        categories = GradebookCategory.objects.filter(
            pk__in=items.values("category"), product=self.product()
        )
        return answer_page(request, CATEGORIES, categories, category_json)


# --- scoreScales -----------------------------------------------------------------------


def _scale_in_use(scale: ScoreScale) -> bool:
    """Named by a lineItem or a result the API still shows (not deleted, nor of a deleted
    lineItem)."""
    return (
        GradebookLineItem.objects.filter(score_scale=scale, deleted_at__isnull=True).exists()
        or ProductResult.objects.filter(
            score_scale=scale, deleted_at__isnull=True, line_item__deleted_at__isnull=True
        ).exists()
    )


visible_scales = gradebook.visible_scales


def scale_json(request, scale: ScoreScale) -> dict:
    klass = scale.school_class
    return {
        "sourcedId": scale.sourced_id,
        "status": scale.status,
        "dateLastModified": gradebook.stamp(scale.updated_at),
        "title": scale.title,
        "type": scale.type,
        "class": {
            "href": gradebook.href(request, "classes", klass.sourced_id),
            "sourcedId": str(klass.sourced_id),
            "type": "class",
        },
        "scoreScaleValue": scale.values,
    }


def _values(data: dict) -> list[dict]:
    values = data.get("scoreScaleValue")
    if (
        not isinstance(values, list)
        or not values
        or not all(
            isinstance(v, dict)
            and set(v) == {"itemValueLHS", "itemValueRHS"}
            and all(isinstance(x, str) for x in v.values())
            for v in values
        )
    ):
        raise invalid("'scoreScaleValue' needs one or more {itemValueLHS, itemValueRHS} strings")
    return [{"itemValueLHS": v["itemValueLHS"], "itemValueRHS": v["itemValueRHS"]} for v in values]


class ScoreScalesView(GradebookView):
    def get(self, request):
        return answer_page(request, SCORE_SCALES, visible_scales(self.product()), scale_json)


class ScoreScaleView(GradebookView):
    def found(self, sourced_id: str) -> ScoreScale:
        scale = visible_scales(self.product()).filter(sourced_id=sourced_id).first()
        if scale is None:
            raise not_found("scoreScale", sourced_id)
        return scale

    def get(self, request, sourced_id: str):
        return answer_one(request, SCORE_SCALES, scale_json(request, self.found(sourced_id)))

    def put(self, request, sourced_id: str):
        product = self.product()
        data = gradebook.body_object(request.data, "scoreScale")
        kind = data.get("type")
        if not isinstance(kind, str) or not kind.strip():
            raise invalid("'type' is required")
        title, values, status = _title(data), _values(data), _status(data)
        klass = gradebook.licensed_class(product, ref(data, "class", "class"))
        with transaction.atomic():
            scale = (
                ScoreScale.objects.select_for_update()
                .filter(product=product, sourced_id=sourced_id)
                .first()
            )
            if scale is not None and scale.school_class_id != klass.pk and _scale_in_use(scale):
                raise invalid(
                    f"scoreScale {sourced_id!r} is used by lineItems or results of its class: "
                    "its class stays"
                )
            ScoreScale.objects.update_or_create(
                product=product,
                sourced_id=sourced_id,
                defaults={
                    "school_class": klass,
                    "title": title,
                    "type": kind.strip()[:256],
                    "values": values,
                    "status": status,
                },
            )
        return Response(status=201)

    def delete(self, request, sourced_id: str):
        with transaction.atomic():
            scale = self.found(sourced_id)
            ScoreScale.objects.select_for_update().filter(pk=scale.pk).first()
            if _scale_in_use(scale):
                raise invalid(
                    f"scoreScale {sourced_id!r} is used by lineItems or results: delete them "
                    "first, or PUT them without it"
                )
            # Deleted lineItems and results keep their score, not the reference.
            GradebookLineItem.objects.filter(score_scale=scale).update(score_scale=None)
            ProductResult.objects.filter(score_scale=scale).update(score_scale=None)
            scale.delete()
        return Response(status=204)


class ClassScoreScalesView(ClassView):
    def get(self, request, class_id: str):
        klass = self.school_class(class_id)
        scales = visible_scales(self.product()).filter(school_class=klass)
        return answer_page(request, SCORE_SCALES, scales, scale_json)


class SchoolScoreScalesView(ClassView):
    """The product's scales of the school's licensed classes (an unknown school: 404)."""

    def get(self, request, school_id: str):
        school = Institution.objects.filter(sourced_id=gradebook.uuid_or_none(school_id)).first()
        if school is None:
            raise not_found("school", school_id)
        scales = visible_scales(self.product()).filter(school_class__institution=school)
        return answer_page(request, SCORE_SCALES, scales, scale_json)
