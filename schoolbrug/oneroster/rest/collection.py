"""A OneRoster collection answered from one or more segments: querysets, or SQL (sql.py)
for the collections that must be fast.

A resource that lives in two tables (users: pupils and staff) is two segments. Without a
`sort`, a page is read segment after segment in each one's own index order, so deep pages
stay cheap; with a `sort`, the segments are one UNION ordered by the sorted column. Filters
apply to every segment through the same column aliases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import QuerySet

from . import sql
from .counts import Bookmark, Counter
from .errors import bad_request
from .params import Column, ListParams, filter_q, shown
from .sql import SqlSegment


@dataclass(frozen=True)
class Resource:
    collection: str  # "users": the wrapper key of a list and the path of an object
    singular: str  # "user": the wrapper key of one object
    reference_type: str  # "user": the `type` in a reference to it
    columns: dict[str, Column]  # what filter and sort may name
    fields: tuple[str, ...]  # the object's fields, for `fields=` selection
    aliases: tuple[str, ...]  # what each segment selects, in this order
    # Builds an object from a selected row: (row, context) -> dict. A row is a dict by alias
    # from a queryset, a tuple in the order of `aliases` (then o_key) from SQL segments (sql.py);
    # a resource has segments of one kind only.
    to_json: Callable[[dict | tuple, object], dict]
    # SQL segments: how to read a column the databases give back differently.
    decoders: dict[str, Callable] = field(default_factory=dict)


@dataclass(slots=True)
class Page:
    rows: list  # dicts or tuples: see Resource.to_json
    total: int


def read_page(
    resource: Resource, segments: Sequence[QuerySet], params: ListParams, counter: Counter
) -> Page:
    if params.filter:
        segments = [
            segment.matching(params.filter, resource.columns)
            if isinstance(segment, SqlSegment)
            else segment.filter(filter_q(params.filter, resource.columns))
            for segment in segments
        ]
    if params.sort is not None:
        return _sorted_page(resource, segments, params, counter)
    return _segmented_page(resource, segments, params, counter)


def read_one(resource: Resource, segments: Iterable, sourced_id) -> dict | tuple | None:
    for segment in segments:
        if isinstance(segment, SqlSegment):
            rows = _sql_rows(resource, segment.where_value("o_id", sourced_id), 0, 1)
            row = rows[0] if rows else None
        else:
            row = segment.filter(o_id=sourced_id).values(*resource.aliases).first()
        if row is not None:
            return row
    return None


def _rows(resource: Resource, segment, mark: Bookmark, wanted: int) -> list:
    """`wanted` rows of `segment` in its order from `mark`."""
    if isinstance(segment, SqlSegment):
        segment = segment.starting_at(mark.start)
        if mark.end is not None:
            segment = segment.ending_at(mark.end)
        if mark.sparse:
            segment = segment.sparse()
        return _sql_rows(resource, segment, mark.skip, wanted)
    segment = segment.filter(pk__gte=mark.start)
    if mark.end is not None:
        segment = segment.filter(pk__lte=mark.end)
    return list(segment.values(*resource.aliases)[mark.skip : mark.skip + wanted])


def _sql_rows(resource: Resource, segment: SqlSegment, skip: int, wanted: int) -> list[tuple]:
    select, params = segment.select(resource.aliases)
    return sql.fetch(
        f"{select} ORDER BY {segment.key}{sql.limit(wanted, skip)}",
        params,
        resource.aliases,
        resource.decoders,
        prepare=not segment.filtered,
    )


def _segmented_page(
    resource: Resource, segments: Sequence[QuerySet], params: ListParams, counter: Counter
) -> Page:
    rows: list = []
    total = 0
    for segment in segments:
        wanted = params.limit - len(rows)
        if wanted <= 0:
            total += counter.count(segment)
            continue
        skip = max(0, params.offset - total)
        mark = counter.bookmark(segment, skip, wanted, filtered=bool(params.filter))
        got = [] if mark is None else _rows(resource, segment, mark, wanted)
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
            f"cannot sort on {shown(params.sort)}; fields: {', '.join(sorted(resource.columns))}",
        )
    total = sum(counter.count(segment) for segment in segments)
    if all(isinstance(segment, SqlSegment) for segment in segments):
        selects = [segment.select(resource.aliases) for segment in segments]
        direction = "DESC" if params.descending else "ASC"
        rows = sql.fetch(
            f"SELECT * FROM ({' UNION ALL '.join(s for s, _ in selects)}) u"
            f" ORDER BY {column.alias} {direction}, o_id {direction}"
            + sql.limit(params.limit, params.offset),
            [p for _, ps in selects for p in ps],
            resource.aliases,
            resource.decoders,
            prepare=not any(segment.filtered for segment in segments),
        )
        return Page(rows, total)
    selected = [segment.order_by().values(*resource.aliases) for segment in segments]
    combined = selected[0].union(*selected[1:], all=True) if len(selected) > 1 else selected[0]
    key = f"-{column.alias}" if params.descending else column.alias
    tie = "-o_id" if params.descending else "o_id"
    ordered = combined.order_by(key, tie)
    return Page(list(ordered[params.offset : params.offset + params.limit]), total)


def select_fields(objects: list[dict], resource: Resource, names: list[str] | None) -> list[dict]:
    if names is None:
        return objects
    if unknown := [n for n in names if n not in resource.fields]:
        raise bad_request(
            "invalid_selection_field",
            f"{resource.collection} have no field {', '.join(map(shown, unknown[:3]))}"
            f"{' …' if len(unknown) > 3 else ''}; fields: {', '.join(resource.fields)}",
        )
    return [{k: v for k, v in obj.items() if k in names} for obj in objects]
