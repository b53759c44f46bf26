"""Collections written as SQL: users and enrollments, the ones consumers page through by the
thousand (a nightly sync of a whole school group, 5000 rows a page).

Built from the ORM, such a page spent most of its time in Python composing and compiling the
visibility subqueries; here a segment is a few strings put together per request, with the
visibility subqueries of Visibility.class_sql. On PostgreSQL every statement is prepared once
per connection (the same text for every page, the values bound apart), so planning the joins
is not paid per page. Ids and moments come out as the answer writes them (uuid_text,
moment_text); only SQLite's 32-digit UUIDs and its dates are decoded in Python.
"""

from __future__ import annotations

import datetime
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import psycopg
from django.db import connection
from django.utils.dateparse import parse_date

from .params import Column, Condition, filter_column, typed_value


@dataclass(frozen=True)
class SqlSegment:
    """SELECT columns FROM source WHERE conditions, ordered by `key` (unique, indexed)."""

    columns: dict[str, tuple[str, tuple]]  # alias -> (SQL expression, its parameters)
    source: str  # FROM and JOINs
    source_params: tuple
    key: str  # e.g. "p.id": the order of pages and what bookmarks hold
    conditions: tuple[tuple[str, tuple], ...] = ()
    # Columns joined equal to `key` (e.pupil_id = p.id): a page bounded by bookmarks
    # says so of them too, or PostgreSQL may merge-join them from their first row.
    key_equals: tuple[str, ...] = ()
    # alias -> what SELECT shows, where it differs from what filters compare (a moment
    # shown as OneRoster text, compared as a moment).
    shown: dict[str, str] = field(default_factory=dict)
    filtered: bool = False  # by a client's `filter`: not prepared (see _execute)
    # A condition every row meets already, which lets PostgreSQL read a range of keys where
    # the app sees few rows per school (counts.SPARSE) through an index per school instead
    # of row by row: 50 ms -> 3 ms for a page that crosses the gap between two schools.
    sparse_hint: tuple[str, tuple] | None = None

    def where(self, sql: str, *params) -> SqlSegment:
        return replace(self, conditions=(*self.conditions, (sql, params)))

    def starting_at(self, start) -> SqlSegment:
        return self._key_bound(">=", start)

    def ending_at(self, last) -> SqlSegment:
        return self._key_bound("<=", last)

    def _key_bound(self, op: str, value) -> SqlSegment:
        segment = self
        for column in (self.key, *self.key_equals):
            segment = segment.where(f"{column} {op} %s", value)
        return segment

    def sparse(self) -> SqlSegment:
        if self.sparse_hint is None:
            return self
        sql, params = self.sparse_hint
        return self.where(sql, *params)

    def where_value(self, alias: str, value) -> SqlSegment:
        expression, params = self.columns[alias]
        return self.where(f"{expression} = %s", *params, db_value(value))

    def body(self) -> tuple[str, list]:
        """FROM ... WHERE ..., with its parameters."""
        params = list(self.source_params)
        where = " AND ".join(f"({sql})" for sql, _ in self.conditions) or "1 = 1"
        for _, condition_params in self.conditions:
            params += condition_params
        return f"FROM {self.source} WHERE {where}", params

    def select(self, aliases: Sequence[str]) -> tuple[str, list]:
        params: list = []
        for alias in aliases:
            params += self.columns[alias][1]
        columns = ", ".join(f"{self.shown.get(a, self.columns[a][0])} AS {a}" for a in aliases)
        body, body_params = self.body()
        return f"SELECT {columns}, {self.key} AS o_key {body}", params + body_params

    def matching(self, groups: list[list[Condition]], columns: dict[str, Column]) -> SqlSegment:
        """The rows a OneRoster `filter` keeps (parsed by params.parse_filter)."""
        ors, params = [], []
        for group in groups:
            ands = []
            for condition in group:
                sql, condition_params = self._condition(condition, columns)
                ands.append(sql)
                params += condition_params
            ors.append(" AND ".join(ands))
        segment = self.where(" OR ".join(f"({sql})" for sql in ors), *params)
        return replace(segment, filtered=True)

    def _condition(self, condition: Condition, columns: dict[str, Column]) -> tuple[str, list]:
        column = filter_column(condition, columns)
        value = typed_value(condition, column)
        expression, expression_params = self.columns[column.alias]
        params = list(expression_params)
        if value is None:  # e.g. a sourcedId that is not one of ours: matches nothing
            return ("1 = 0" if condition.op == "=" else "1 = 1"), []
        if condition.op == "~":
            escaped = str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            if connection.vendor == "postgresql":
                return f"UPPER(CAST({expression} AS text)) LIKE UPPER(%s)", [
                    *params,
                    f"%{escaped}%",
                ]
            return f"{expression} LIKE %s ESCAPE '\\'", [*params, f"%{escaped}%"]
        value = db_value(value)
        if condition.op == "!=":
            # As the ORM's exclude(): a row without a value differs from any value.
            return f"NOT ({expression} = %s AND {expression} IS NOT NULL)", [
                *params,
                value,
                *params,
            ]
        return f"{expression} {condition.op} %s", [*params, value]


def db_value(value):
    ops = connection.ops
    if isinstance(value, uuid.UUID):
        return value if connection.features.has_native_uuid_field else value.hex
    if isinstance(value, datetime.datetime):
        return ops.adapt_datetimefield_value(value)
    if isinstance(value, datetime.date):
        return ops.adapt_datefield_value(value)
    return value


# --- values as both databases give them back ------------------------------------------------


def moment_text(expression: str) -> str:
    """SQL: a moment as OneRoster writes it, `2026-09-01T07:30:00.123Z` (UTC): formatting
    5000 moments in Python costs more than the rest of the page."""
    if connection.vendor == "postgresql":
        return f"""to_char({expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""
    return f"strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', {expression})"  # stored as UTC text


def uuid_text(expression: str) -> str:
    """SQL: a UUID as text (PostgreSQL); SQLite keeps 32 hex digits: see as_uuid_text."""
    if connection.vendor == "postgresql":
        return f"CAST({expression} AS text)"
    return expression


def as_uuid_text(value) -> str | None:
    if value is None or len(value) == 36:
        return value
    return str(uuid.UUID(value))


def as_date(value) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return parse_date(value)


def limit(count: int, skip: int) -> str:
    """LIMIT and OFFSET written into the text, not bound: with a bound LIMIT, PostgreSQL's
    generic plan of a prepared page assumes a tenth of the table and it would plan every
    page anew (or, forced to the generic plan, join the whole table for an early page).
    A page's text then differs only by a few offsets after its bookmark."""
    return f" LIMIT {int(count)} OFFSET {int(skip)}"


def fetch(
    sql: str, params: Sequence, aliases: Sequence[str], decoders: dict, prepare: bool = True
) -> list[tuple]:
    """Rows as tuples in the order of `aliases` (then `o_key`), decoded where `decoders`
    names a column. Tuples, not dicts by alias: a page of 5000 is built 2.3x faster from
    them (people.user_json)."""
    rows = _execute(sql, params, prepare).fetchall()
    if connection.vendor == "postgresql":  # which gives ids and dates back as they are shown
        return rows
    steps = [(i, decoders[name]) for i, name in enumerate(aliases) if name in decoders]
    if not steps:
        return rows
    decoded = []
    for row in rows:
        row = list(row)
        for i, decode in steps:
            row[i] = decode(row[i])
        decoded.append(tuple(row))
    return decoded


def scalar(sql: str, params: Sequence, prepare: bool = True):
    return _execute(sql, params, prepare).fetchone()[0]


def fetch_one(sql: str, params: Sequence) -> tuple | None:
    return _execute(sql, params).fetchone()


def _execute(sql: str, params: Sequence, prepare: bool = True):
    if not prepare or connection.vendor != "postgresql" or connection.queries_logged:
        # Django's cursor: values written into the text, so PostgreSQL plans with them (the
        # session's plan_cache_mode would give even an unnamed statement the generic plan);
        # also elsewhere, and where queries are being recorded (tests, DEBUG).
        cursor = connection.cursor()
        cursor.execute(sql, list(params))
        return cursor
    connection.ensure_connection()
    raw = connection.connection
    if raw not in _GENERIC:
        # Plan a prepared page once, without its values: PostgreSQL would otherwise go on
        # planning it per execution (its estimate for an unknown key is a third of the
        # table), which costs more than running it. A page with a client's filter is not
        # prepared: how selective `dateLastModified>` is depends on its value.
        raw.execute("SET plan_cache_mode = force_generic_plan")
        # Django turns psycopg's prepared statements off (None); ours say when to prepare.
        raw.prepare_threshold = _NEVER_BY_ITSELF
        _GENERIC.add(raw)
    # Server-side binding: the values travel apart from the text, which psycopg prepares.
    cursor = psycopg.Cursor(raw)
    cursor.execute(sql, list(params), prepare=prepare)
    return cursor


# Connections whose session plans prepared statements once (Django prepares nothing).
_NEVER_BY_ITSELF = 2**31 - 1
_GENERIC: weakref.WeakSet = weakref.WeakSet()
