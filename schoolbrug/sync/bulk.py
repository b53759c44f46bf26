"""Fast inserts for the sync's large creates.

Django's bulk_create compiles and adapts every value of every row in Python; for a region's
first night (millions of rows) that is most of the time. Here each column's conversion is
chosen once, ids are reserved up front, and rows go in with COPY on PostgreSQL and one
executemany elsewhere. Same rows, same defaults: callers pass ordinary model instances.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from operator import attrgetter
from types import SimpleNamespace

import orjson
from django.db import connection
from django.db.models import Model


def new_row(model: type[Model], **values) -> SimpleNamespace:
    """A row to `insert`, with the model's defaults: a model instance costs tens of
    microseconds to build, this a few, and a region's first night builds millions.
    Foreign keys are given by their column (`institution_id=`)."""
    constants, factories, names = _defaults(model)
    if not names.issuperset(values):
        raise TypeError(f"{model.__name__} has no fields {sorted(set(values) - names)}")
    row = dict(constants)
    for name, factory in factories:
        if name not in values:
            row[name] = factory()
    row.update(values)
    return SimpleNamespace(model=model, pk=None, **row)


@cache
def _defaults(model: type[Model]) -> tuple[dict, list[tuple[str, Callable]], frozenset[str]]:
    constants, factories = {}, []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.has_default() and callable(field.default):
            factories.append((field.attname, field.default))
        else:
            constants[field.attname] = (
                field.get_default() if field.has_default() or not field.null else None
            )
    names = frozenset(constants) | {name for name, _ in factories}
    return constants, factories, names


def insert(objs: Sequence[Model | SimpleNamespace]) -> None:
    """Insert model instances (or `new_row`s) and set their primary keys; the caller holds
    the transaction."""
    if not objs:
        return
    first = objs[0]
    meta = _model_of(first)._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            now = field.pre_save(objs[0], add=True)
            for obj in objs[1:]:
                setattr(obj, field.attname, now)
    converters = [_converter(field) for field in fields]
    ids = _reserve_ids(meta.db_table, meta.pk.column, len(objs))
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
    if not isinstance(first, SimpleNamespace):
        for obj in objs:
            obj._state.adding = False
    rows = _rows(objs, ["pk", *[f.attname for f in fields]], [_same, *converters])
    columns = [meta.pk.column, *[f.column for f in fields]]
    table = connection.ops.quote_name(meta.db_table)
    column_list = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({column_list}) VALUES ({marks})", rows)


def update(objs: Sequence[Model], field_names: Sequence[str]) -> None:
    """Write the named fields of saved instances, one parameterised UPDATE per row sent as a
    batch (pipelined on PostgreSQL). Django's bulk_update builds one CASE per column, whose
    compile and execution grow with the square of the batch; this stays linear."""
    if not objs:
        return
    meta = _model_of(objs[0])._meta
    fields = [meta.get_field(name) for name in field_names]
    fields += [f for f in meta.concrete_fields if getattr(f, "auto_now", False) and f not in fields]
    for field in fields:
        if getattr(field, "auto_now", False):
            now = field.pre_save(objs[0], add=False)
            for obj in objs[1:]:
                setattr(obj, field.attname, now)
    converters = [_converter(field) for field in fields]
    rows = _rows(objs, [*[f.attname for f in fields], "pk"], [*converters, _same])
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s",
            rows,
        )


def _rows(objs: Sequence, attnames: list[str], converters: list[Callable]) -> list[list]:
    """Each object's values in `attnames` order, converted for the database: attributes
    fetched in one C call, converters applied only where a column needs one."""
    fetch = attrgetter(*attnames)
    convert = [(i, c) for i, c in enumerate(converters) if c is not _same]
    rows = []
    for obj in objs:
        row = list(fetch(obj))
        for i, converter in convert:
            row[i] = converter(row[i])
        rows.append(row)
    return rows


def _model_of(obj) -> type[Model]:
    return obj.model if isinstance(obj, SimpleNamespace) else type(obj)


def _reserve_ids(table: str, pk_column: str, count: int) -> range | list[int]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk_column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the sync's transaction holds the write lock, so nobody else takes these.
        cursor.execute(
            f"SELECT COALESCE(MAX({connection.ops.quote_name(pk_column)}), 0) "
            f"FROM {connection.ops.quote_name(table)}"
        )
        start = cursor.fetchone()[0] + 1
        return range(start, start + count)


def _converter(field) -> Callable:
    kind = field.get_internal_type()
    if kind == "JSONField":
        return _empty_json_fast
    if kind == "UUIDField" and connection.vendor != "postgresql":
        return lambda value: None if value is None else value.hex
    if kind in ("DateTimeField", "DateField", "BooleanField", "DecimalField"):
        # A sync's rows share a handful of timestamps and dates: convert each once.
        cache: dict = {}

        def convert(value):
            try:
                return cache[value]
            except KeyError:
                cache[value] = result = field.get_db_prep_save(value, connection)
                return result

        return convert
    return _same


def _same(value):
    return value


def _empty_json_fast(value) -> str | None:
    if value is None:
        return None
    if not value:
        return "[]" if isinstance(value, list) else "{}"
    return orjson.dumps(value).decode()
