"""The gradebook's collections (issue 21): GET /lineItems and /results, and the class-scoped
ones (/classes/{id}/lineItems, /results, /lineItems/{id}/results, /students/{id}/results),
with the POST of lineItems for a class or a school (the server allocates the sourcedIds).

The paging, filter, sort and fields parameters are read and checked by the rostering API's
machinery (oneroster/rest/params.py, collection.select_fields) and answered the same way
(X-Total-Count, Link). The collections are small (one product's objects in its licensed
classes), so a page is a plain queryset slice, not the rostering API's bookmarked segments.
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from rest_framework.response import Response

from schoolbrug.oneroster.rest.collection import Resource, select_fields
from schoolbrug.oneroster.rest.errors import bad_request, not_found
from schoolbrug.oneroster.rest.params import Column, filter_q, parse_list_params, shown

# The rostering API's Link header (first/last/next/prev), shared rather than copied.
from schoolbrug.oneroster.rest.views import _links
from schoolbrug.registry.models import AcademicSession, Institution, Pupil, SchoolYear

from . import gradebook, gradebook_results
from .gradebook import READ_ALL, GradebookView, invalid

_COMMON = {
    "sourcedId": Column("sourced_id"),
    "status": Column("status"),
    "dateLastModified": Column("updated_at", "datetime"),
}


def resource(collection: str, singular: str, columns: dict, fields: tuple) -> Resource:
    return Resource(
        collection=collection,
        singular=singular,
        reference_type=singular,
        columns={**_COMMON, **columns},
        fields=("sourcedId", "status", "dateLastModified", "metadata", *fields),
        aliases=(),
        to_json=lambda row, ctx: row,  # answered by the views' own functions
    )


LINE_ITEMS = resource(
    "lineItems",
    "lineItem",
    {
        "title": Column("title"),
        "assignDate": Column("assign_date", "datetime"),
        "dueDate": Column("due_date", "datetime"),
        "class.sourcedId": Column("school_class__sourced_id", "uuid"),
        "school.sourcedId": Column("school_class__institution__sourced_id", "uuid"),
        "category.sourcedId": Column("category__sourced_id"),
        "scoreScale.sourcedId": Column("score_scale__sourced_id"),
    },
    (
        "title",
        "assignDate",
        "dueDate",
        "class",
        "school",
        "category",
        "gradingPeriod",
        "academicSession",
        "scoreScale",
        "resultValueMin",
        "resultValueMax",
        "learningObjectiveSet",
    ),
)
RESULTS = resource(
    "results",
    "result",
    {
        "sourcedId": Column("external_id"),
        "status": Column("line_item__status"),  # a result is as active as its lineItem
        "lineItem.sourcedId": Column("line_item__sourced_id"),
        "student.sourcedId": Column("pupil__sourced_id", "uuid"),
        "scoreDate": Column("taken_on", "date"),
        "scoreScale.sourcedId": Column("score_scale__sourced_id"),
    },
    (
        "lineItem",
        "student",
        "class",
        "scoreScale",
        "scoreStatus",
        "score",
        "textScore",
        "scoreDate",
        "comment",
        "learningObjectiveSet",
        "inProgress",
        "incomplete",
        "late",
        "missing",
    ),
)


def answer_page(request, listed: Resource, queryset, to_json) -> Response:
    """One page of `queryset` as the file's collection: parameters checked before any
    query (a 400 names the field), X-Total-Count and Link as the rostering API gives."""
    params = parse_list_params(request.query_params)
    select_fields([], listed, params.fields)
    if params.filter:
        queryset = queryset.filter(filter_q(params.filter, listed.columns))
    order = ["pk"]
    if params.sort is not None:
        column = listed.columns.get(params.sort)
        if column is None:
            raise bad_request(
                "invaliddata",
                f"cannot sort on {shown(params.sort)}; fields: {', '.join(sorted(listed.columns))}",
            )
        order = [column.alias, "pk"]
    if params.descending:
        order = [f"-{name}" for name in order]
    total = queryset.count()
    rows = queryset.order_by(*order)[params.offset : params.offset + params.limit]
    objects = select_fields([to_json(request, row) for row in rows], listed, params.fields)
    headers = {"X-Total-Count": str(total), "Link": _links(request, params, total)}
    return Response({listed.collection: objects}, headers=headers)


def answer_one(request, listed: Resource, obj: dict) -> Response:
    """One object, with the `fields` selection the file allows on a single GET."""
    params = parse_list_params(request.query_params)
    return Response({listed.singular: select_fields([obj], listed, params.fields)[0]})


# --- collections -----------------------------------------------------------------------


class LineItemsView(GradebookView):
    def get(self, request):
        items = gradebook.visible_line_items(self.product())
        return answer_page(request, LINE_ITEMS, items, gradebook.line_item_json)


class ResultsView(GradebookView):
    def get(self, request):
        results = gradebook.visible_results(self.product())
        return answer_page(request, RESULTS, results, gradebook_results.result_json)


class ClassView(GradebookView):
    """A class-scoped route: the file asks gradebook.readonly (not -core) for its GETs; the
    class must hold the product's licence (403), exist (404)."""

    read_scopes = (READ_ALL,)

    def school_class(self, class_id: str):
        return gradebook.licensed_class(self.product(), class_id)


class ClassLineItemsView(ClassView):
    def get(self, request, class_id: str):
        klass = self.school_class(class_id)
        items = gradebook.visible_line_items(self.product()).filter(school_class=klass)
        return answer_page(request, LINE_ITEMS, items, gradebook.line_item_json)

    def post(self, request, class_id: str):
        klass = self.school_class(class_id)
        return post_line_items(self.product(), request.data, lambda data: klass)


class ClassResultsView(ClassView):
    def get(self, request, class_id: str):
        klass = self.school_class(class_id)
        results = gradebook.visible_results(self.product()).filter(line_item__school_class=klass)
        return answer_page(request, RESULTS, results, gradebook_results.result_json)


class ClassLineItemResultsView(ClassView):
    def get(self, request, class_id: str, line_item_id: str):
        klass = self.school_class(class_id)
        product = self.product()
        item = gradebook.visible_line_items(product).filter(
            school_class=klass, sourced_id=line_item_id
        )
        if not item.exists():
            raise not_found("lineItem", line_item_id)
        results = gradebook.visible_results(product).filter(line_item__in=item)
        return answer_page(request, RESULTS, results, gradebook_results.result_json)


class ClassStudentResultsView(ClassView):
    def get(self, request, class_id: str, student_id: str):
        klass = self.school_class(class_id)
        pupil = Pupil.objects.filter(
            sourced_id=gradebook.uuid_or_none(student_id), enrolments__school_class=klass
        ).first()
        if pupil is None:
            raise not_found("student", student_id)
        results = gradebook.visible_results(self.product()).filter(
            line_item__school_class=klass, pupil=pupil
        )
        return answer_page(request, RESULTS, results, gradebook_results.result_json)


class ClassSessionResultsView(ClassView):
    """POST /classes/{id}/academicSessions/{id}/results: results of the class's lineItems
    (each names its own) in one of its sessions: its school year, or a term or grading period
    of its school in that year. The session is checked, not kept (a result has a date)."""

    def post(self, request, class_id: str, session_id: str):
        product = self.product()
        klass = self.school_class(class_id)
        wanted = gradebook.uuid_or_none(session_id)
        if not (
            SchoolYear.objects.filter(sourced_id=wanted, pk=klass.school_year_id).exists()
            or AcademicSession.objects.filter(
                sourced_id=wanted,
                institution=klass.institution_id,
                school_year=klass.school_year_id,
            ).exists()
        ):
            raise not_found("academicSession", session_id)

        def item_of(row: dict):
            item_id = gradebook.ref(row, "lineItem", "lineItem")
            items = gradebook.visible_line_items(product).filter(school_class=klass)
            item = items.filter(sourced_id=item_id).first()
            if item is None:
                raise not_found("lineItem", item_id)
            return item

        return gradebook_results.post_results(product, request.data, item_of)


class SchoolLineItemsView(GradebookView):
    """POST /schools/{id}/lineItems: each lineItem names its class, of this school and
    holding the product's licence."""

    def post(self, request, school_id: str):
        product = self.product()
        school = Institution.objects.filter(sourced_id=gradebook.uuid_or_none(school_id)).first()
        if school is None:
            raise not_found("school", school_id)

        def school_class(data: dict):
            klass = gradebook.licensed_class(product, gradebook.ref(data, "class", "class"))
            if klass.institution_id != school.pk:
                raise invalid(f"class {klass.sourced_id} is not of school {school_id}")
            return klass

        return post_line_items(product, request.data, school_class)


def post_line_items(product, body, school_class_of) -> Response:
    """Several lineItems, all or none; the server allocates each sourcedId and answers the
    pairs (a supplied `sourcedId` is the original)."""
    rows = body.get("lineItems") if isinstance(body, dict) else None
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise invalid("the body needs a non-empty 'lineItems' array")
    pairs = []
    try:
        with transaction.atomic():
            for row in rows:
                gradebook.check_common(row, "lineItem")
                allocated = str(uuid.uuid4())
                gradebook.save_line_item(product, row, allocated, school_class_of(row))
                supplied = str(row.get("sourcedId", ""))
                pairs.append({"suppliedSourcedId": supplied, "allocatedSourcedId": allocated})
    except IntegrityError:
        raise invalid("a lineItem was posted twice") from None
    return Response({"sourcedIdPairs": pairs}, status=201)
