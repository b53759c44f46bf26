"""The query parameters of a OneRoster 1.2 collection request: limit, offset, sort, orderBy,
fields and filter (spec section 3.4), parsed into plain data and translated into Q objects
over the columns a resource declares. Anything malformed is a 400 with the 1.2 code minor."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.dateparse import parse_date, parse_datetime

from .errors import bad_request
from .ids import our_id

DEFAULT_LIMIT = 100
# Large consumers (Microsoft School Data Sync) ask for 5000 per page.
MAX_LIMIT = 5000
# The official 1.2 file declares limit and offset int32: a larger one is a bad request.
INT32_MAX = 2**31 - 1
# Past any real collection, and within what every database takes as an OFFSET.
MAX_OFFSET = INT32_MAX

# What a client's filter and fields may hold. Real consumers send a few conditions (a date,
# a status, a role) and a dozen fields; these leave room for a list of ids joined by OR while
# keeping every statement far below what the databases refuse (SQLite: an expression tree
# 1000 deep). gunicorn refuses a request line over 4094 bytes before it gets here anyway.
MAX_FILTER_CONDITIONS = 100
MAX_FILTER_LENGTH = 4000
MAX_FIELDS = 100

_TERM = re.compile(r"\s*([A-Za-z][A-Za-z0-9_.]*)\s*(!=|>=|<=|=|>|<|~)\s*'((?:[^']|'')*)'\s*")
_WHOLE_NUMBER = re.compile(r"-?[0-9]+")
_JOIN = re.compile(r"(AND|OR)(?=\s|$)")
_LOOKUP = {"=": "exact", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte", "~": "icontains"}


@dataclass(frozen=True, slots=True)
class Column:
    """A field a client may filter and sort on: its alias in the resource's query and its
    kind, which decides how a filter value is read."""

    alias: str
    kind: str = "text"  # text | uuid | datetime | date | int | email


@dataclass(frozen=True, slots=True)
class Condition:
    name: str
    op: str
    value: str


@dataclass(slots=True)
class ListParams:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    sort: str | None = None
    descending: bool = False
    fields: list[str] | None = None
    # OR of AND-groups: [[a, b], [c]] is (a AND b) OR c.
    filter: list[list[Condition]] = field(default_factory=list)


def parse_list_params(query) -> ListParams:
    """The parameters of a collection request; a 400 for anything unusable (the limits
    above, a NUL byte, a number in other than ASCII digits)."""
    params = ListParams(
        limit=_integer(query, "limit", DEFAULT_LIMIT, minimum=1, maximum=INT32_MAX),
        offset=_integer(query, "offset", 0, minimum=0, maximum=MAX_OFFSET),
    )
    params.limit = min(params.limit, MAX_LIMIT)
    sort = query.get("sort")
    if sort is not None:
        if not sort.strip():
            raise bad_request("invaliddata", "sort must name a field")
        params.sort = sort.strip()
    order = query.get("orderBy")
    if order is not None:
        if order not in ("asc", "desc"):
            raise bad_request("invaliddata", "orderBy must be asc or desc")
        params.descending = order == "desc"
    if "fields" in query:
        names = [n.strip() for value in query.getlist("fields") for n in value.split(",")]
        if not all(names):
            raise bad_request("invalid_selection_field", "fields must list field names")
        if len(names) > MAX_FIELDS:
            raise bad_request(
                "invalid_selection_field", f"fields may list at most {MAX_FIELDS} names"
            )
        params.fields = names
    text = query.get("filter")
    if text is not None:
        params.filter = parse_filter(text)
    return params


def shown(text: str, length: int = 60) -> str:
    """A client's text as an error quotes it: repr, cut short (never echo 4,000 characters)."""
    return repr(text if len(text) <= length else text[:length] + "…")


def parse_filter(text: str) -> list[list[Condition]]:
    if len(text) > MAX_FILTER_LENGTH:
        raise bad_request(
            "invalid_filter_field", f"filter is longer than {MAX_FILTER_LENGTH} characters"
        )
    if "\x00" in text:  # PostgreSQL cannot even compare a text holding one
        raise bad_request("invalid_filter_field", "filter holds a NUL character")
    groups: list[list[Condition]] = [[]]
    position = 0
    conditions = 0
    while True:
        match = _TERM.match(text, position)
        if match is None:
            raise bad_request(
                "invalid_filter_field", f"cannot read filter at: {shown(text[position:])}"
            )
        conditions += 1
        if conditions > MAX_FILTER_CONDITIONS:
            raise bad_request(
                "invalid_filter_field",
                f"filter has more than {MAX_FILTER_CONDITIONS} conditions",
            )
        name, op, value = match.groups()
        groups[-1].append(Condition(name, op, value.replace("''", "'")))
        position = match.end()
        if position == len(text):
            return groups
        joined = _JOIN.match(text, position)
        if joined is None:
            raise bad_request(
                "invalid_filter_field",
                f"expected AND or OR in filter at: {shown(text[position:])}",
            )
        if joined.group(1) == "OR":
            groups.append([])
        position = joined.end()


def filter_q(groups: list[list[Condition]], columns: dict[str, Column]) -> Q:
    result = Q()
    for group in groups:
        both = Q()
        for condition in group:
            both &= _condition_q(condition, columns)
        result |= both
    return result


def filter_column(condition: Condition, columns: dict[str, Column]) -> Column:
    """The column a filter condition names; a 400 that lists the fields there are."""
    column = columns.get(condition.name)
    if column is None:
        raise bad_request(
            "invalid_filter_field",
            f"cannot filter on {shown(condition.name)}; fields: {', '.join(sorted(columns))}",
        )
    return column


def _condition_q(condition: Condition, columns: dict[str, Column]) -> Q:
    column = filter_column(condition, columns)
    value = typed_value(condition, column)
    if value is None:  # e.g. a sourcedId that is not one of ours: matches nothing
        return Q(pk__in=[]) if condition.op == "=" else Q()
    q = Q(**{f"{column.alias}__{_LOOKUP.get(condition.op, 'exact')}": value})
    return ~q if condition.op == "!=" else q


# What a filter's `user.sourcedId` (etc.) names: the reference type its ids are looked up as.
REFERENCE_TYPES = {
    "user": "user",
    "class": "class",
    "school": "org",
    "org": "org",
    "parent": "academicSession",
    "schoolYear": "academicSession",
    "course": "course",
}


def typed_value(condition: Condition, column: Column):
    value = condition.value
    if column.kind == "uuid":
        if condition.op not in ("=", "!="):
            raise bad_request(
                "invalid_filter_field", f"{condition.name} can only be compared with = or !="
            )
        # An outward id (a source's sourcedId) is compared as the record's id of ours.
        return our_id(value, REFERENCE_TYPES.get(condition.name.split(".")[0]))
    if column.kind == "email":  # kept in lower case (staff) or compared so (pupils)
        return value.lower()
    if column.kind in ("datetime", "date"):
        if condition.op == "~":
            raise bad_request("invalid_filter_field", f"{condition.name} cannot use ~")
        moment = _moment(value, column.kind)
        if moment is None:
            raise bad_request(
                "invalid_filter_field",
                f"{condition.name} needs a date (2026-09-01) or a date-time "
                f"(2026-09-01T00:00:00Z), not {shown(value)}",
            )
        return moment
    return value


def _moment(value: str, kind: str):
    try:
        day = parse_date(value)
        if day is not None:
            # A date alone means its first moment in UTC, the time zone of OneRoster dates.
            if kind == "date":
                return day
            return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    try:
        moment.astimezone(datetime.UTC)  # as the database compares it
    except OverflowError:  # 9999-12-31T23:59-05:00 is in the year 10000 in UTC
        return None
    return moment.date() if kind == "date" else moment


def _integer(query, name: str, default: int, minimum: int, maximum: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not _WHOLE_NUMBER.fullmatch(raw):  # int() also takes "1_0", " 10" and "١٠"
        raise bad_request("invaliddata", f"{name} must be a whole number")
    # 5,000 digits: past either end, no need to read them all.
    value = int(raw) if len(raw) <= 20 else -(2**64) if raw.startswith("-") else 2**64
    if value < minimum:
        raise bad_request("invaliddata", f"{name} must be at least {minimum}")
    if value > maximum:
        raise bad_request("invaliddata", f"{name} must be at most {maximum}")
    return value
