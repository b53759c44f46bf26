"""A OneRoster collection answered from one or more querysets ("segments").

A resource that lives in two tables (users: pupils and staff) is two segments. Without a
`sort`, a page is read segment after segment in each one's own index order, so deep pages
stay cheap; with a `sort`, the segments are one UNION ordered by the sorted column. Filters
apply to every segment through the same column aliases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from .counts import Counter
from .errors import bad_request
from .params import Column, ListParams, filter_q


@dataclass(frozen=True)
class Resource:
    collection: str  # "users": the wrapper key of a list and the path of an object
    singular: str  # "user": the wrapper key of one object
    reference_type: str  # "user": the `type` in a reference to it
    columns: dict[str, Column]  # what filter and sort may name
    fields: tuple[str, ...]  # the object's fields, for `fields=` selection
    aliases: tuple[str, ...]  # what each segment selects, in this order
    # Builds an object from a selected row: (row, context) -> dict.
    to_json: Callable[[dict, object], dict]


@dataclass(slots=True)
class Page:
    rows: list[dict]
    total: int


def read_page(
    resource: Resource, segments: Sequence[QuerySet], params: ListParams, counter: Counter
) -> Page:
    if params.filter:
        condition = filter_q(params.filter, resource.columns)
        segments = [segment.filter(condition) for segment in segments]
    if params.sort is not None:
        return _sorted_page(resource, segments, params, counter)
    return _segmented_page(resource, segments, params, counter)


def read_one(resource: Resource, segments: Iterable[QuerySet], lookup: dict) -> dict | None:
    for segment in segments:
        row = segment.filter(**lookup).values(*resource.aliases).first()
        if row is not None:
            return row
    return None


def _segmented_page(
    resource: Resource, segments: Sequence[QuerySet], params: ListParams, counter: Counter
) -> Page:
    rows: list[dict] = []
    total = 0
    for segment in segments:
        wanted = params.limit - len(rows)
        if wanted <= 0:
            total += counter.count(segment)
            continue
        skip = max(0, params.offset - total)
        start, rest = segment, skip
        if mark := counter.bookmark(segment, skip):
            start, rest = segment.filter(pk__gte=mark[0]), mark[1]
        got = list(start.values(*resource.aliases)[rest : rest + wanted])
        rows += got
        if got and len(got) < wanted or not got and skip == 0:
            total += skip + len(got)  # a short page is the end of the segment: its count
        else:
            total += counter.count(segment)
    return Page(rows, total)


def _sorted_page(
    resource: Resource, segments: Sequence[QuerySet], params: ListParams, counter: Counter
) -> Page:
    column = resource.columns.get(params.sort)
    if column is None:
        raise bad_request(
            "invaliddata",
            f"cannot sort on {params.sort!r}; fields: {', '.join(sorted(resource.columns))}",
        )
    selected = [segment.order_by().values(*resource.aliases) for segment in segments]
    combined = selected[0].union(*selected[1:], all=True) if len(selected) > 1 else selected[0]
    key = f"-{column.alias}" if params.descending else column.alias
    tie = "-o_id" if params.descending else "o_id"
    ordered = combined.order_by(key, tie)
    total = sum(counter.count(segment) for segment in segments)
    return Page(list(ordered[params.offset : params.offset + params.limit]), total)


def select_fields(objects: list[dict], resource: Resource, names: list[str] | None) -> list[dict]:
    if names is None:
        return objects
    if unknown := [n for n in names if n not in resource.fields]:
        raise bad_request(
            "invalid_selection_field",
            f"{resource.collection} have no field {', '.join(unknown)}; "
            f"fields: {', '.join(resource.fields)}",
        )
    return [{k: v for k, v in obj.items() if k in names} for obj in objects]
