"""The generic table folder: reads one table of the moving side in chunks, maps its foreign
keys in memory, joins rows the receiving side already has (tables.py's `join_on`), and writes
the rest in multi-row INSERTs with new ids (old id + the receiving table's highest id, so the
order of the moving side's rows is kept and no id needs asking for). No per-row queries.

Rows are written with their values exactly as read (timestamps, `sourced_id`s, encrypted
columns as their ciphertext): Django's `save()` and `bulk_create()` would stamp `auto_now`
fields with the time of the merge, and the API shows those as dateLastModified."""

from __future__ import annotations

import graphlib
import logging
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import JSONField, Max, TextField
from django.db.models.functions import Cast

from schoolbrug.encryption import EncryptedTextField

from .tables import FOLD, Rule

log = logging.getLogger(__name__)
CHUNK = 5000
# Types whose Python value the database driver takes as it is (no Django preparation).
_PLAIN = {
    "AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField", "EmailField",
    "ForeignKey", "IntegerField", "OneToOneField", "PositiveBigIntegerField",
    "PositiveIntegerField", "PositiveSmallIntegerField", "SlugField", "SmallIntegerField",
    "TextField", "URLField",
}  # fmt: skip
_PLAIN_POSTGRES = _PLAIN | {"DateField", "DateTimeField", "UUIDField", "TimeField"}


class Context:
    """What moves: the source's alias, the chosen institutions (source ids) and numbers."""

    def __init__(self, alias: str, institutions: list[int], numbers: list[str], whole: bool):
        self.alias = alias
        self.institutions = institutions
        self.numbers = numbers
        self.whole = whole
        self.notes: dict = {}  # what a rule's rewrite tells the report

    def source_ids(self, model, path: str):
        rows = model._base_manager.using(self.alias)
        return rows.filter(**{f"{path}__in": self.institutions}).values("sourced_id")

    def source_values(self, model, path: str, name: str):
        rows = model._base_manager.using(self.alias)
        return rows.filter(**{f"{path}__in": self.institutions}).values(name)

    def rows(self, model, rule: Rule):
        """The source's rows of `model` that move (a queryset on the source)."""
        rows = model._base_manager.using(self.alias)
        if rule.never is not None:
            rows = rows.exclude(rule.never)
        if rule.scope is not None and not self.whole:
            # IN over a subquery: one row once, however many paths lead to it.
            chosen = model._base_manager.using(self.alias).filter(rule.scope(self))
            rows = rows.filter(pk__in=chosen.values("pk"))
        return rows


@dataclass
class TableState:
    """The id map of one table: added rows are old id + offset, joined ones are listed."""

    offset: int = 0
    keeps_pk: bool = False
    added: set = field(default_factory=set)
    joined: dict = field(default_factory=dict)
    counts: dict = field(default_factory=lambda: dict(read=0, added=0, joined=0, left=0))
    # old sourced_id -> the receiving record's (joined rows of a model with one)
    sourced: dict = field(default_factory=dict)

    def new_id(self, old):
        joined = self.joined.get(old)
        if joined is not None:
            return joined
        if old in self.added:
            return old if self.keeps_pk else old + self.offset
        return None


def write_order(models_by_label: dict[str, type]) -> list[str]:
    """Parents before children (a child's foreign keys are mapped with its parents' maps)."""
    graph = graphlib.TopologicalSorter()
    for label, model in models_by_label.items():
        parents = {
            f.related_model._meta.label
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model is not model
        }
        graph.add(label, *(p for p in parents if p in models_by_label))
    return list(graph.static_order())


class Writer:
    """Writes rows into the receiving database: PostgreSQL's COPY (the fastest way in), else
    multi-row INSERTs of as many rows a statement as the database takes."""

    def __init__(self, model, fields: list):
        self.connection = connections[DEFAULT_DB_ALIAS]
        quote = self.connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        table = quote(model._meta.db_table)
        self.copy_sql = f"COPY {table} ({columns}) FROM STDIN"
        self.head = f"INSERT INTO {table} ({columns}) VALUES "
        self.one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        self.postgres = self.connection.vendor == "postgresql"
        limit = self.connection.features.max_query_params or 65535
        self.batch = 20000 if self.postgres else max(1, min(2000, (limit - 1) // len(fields)))
        plain = _PLAIN_POSTGRES if self.postgres else _PLAIN
        raw = (EncryptedTextField, JSONField) if self.postgres else (EncryptedTextField,)
        self.prepare = [
            (i, lambda value, f=f: f.get_db_prep_save(value, self.connection))
            for i, f in enumerate(fields)
            if not isinstance(f, raw) and f.get_internal_type() not in plain
        ]
        self.pending: list = []

    def add(self, row: list) -> None:
        for i, prepare in self.prepare:
            if row[i] is not None:
                row[i] = prepare(row[i])
        self.pending.append(row)
        if len(self.pending) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        with self.connection.cursor() as cursor:
            if self.postgres:
                with cursor.copy(self.copy_sql) as copy:
                    for row in self.pending:
                        copy.write_row(row)
            else:
                params = [value for row in self.pending for value in row]
                cursor.execute(self.head + ", ".join([self.one] * len(self.pending)), params)
        self.pending = []


def join_key(values, casefold: bool):
    if any(v is None for v in values) or list(values) == [""]:
        return None  # no key, no join (two accounts without e-mail are not one)
    if casefold:
        values = tuple(v.casefold() if isinstance(v, str) else v for v in values)
    return tuple(str(v) if not isinstance(v, (int, str)) else v for v in values)


class TableFolder:
    """Folds one table; `states` holds the maps of the tables folded before it."""

    def __init__(self, model, rule: Rule, ctx: Context, states: dict, plan_links: dict):
        self.model, self.rule, self.ctx, self.states = model, rule, ctx, states
        self.fields = list(model._meta.concrete_fields)
        self.pk_index = self.fields.index(model._meta.pk)
        self.renames = plan_links.get("renames", {}).get(rule.rename[0], {}) if rule.rename else {}
        self.forced = plan_links.get("forced", {}).get(model._meta.label, {})
        self.sourced_map = plan_links.setdefault("sourced", {})

    def _receiving_keys(self) -> dict:
        if not self.rule.join_on:
            return {}
        names = [self.model._meta.get_field(n).attname for n in self.rule.join_on]
        rows = self.model._base_manager.using(DEFAULT_DB_ALIAS).values_list("pk", *names)
        keys = {}
        for pk, *values in rows.iterator(chunk_size=CHUNK):
            key = join_key(values, self.rule.join_casefold)
            if key is not None:
                keys.setdefault(key, pk)
        return keys

    def _source_rows(self):
        names, annotations = [], {}
        postgres = connections[DEFAULT_DB_ALIAS].vendor == "postgresql"
        for f in self.fields:
            # The ciphertext, not the secret; JSON as its text when COPY takes it as it is
            # (no parsing and dumping in Python: a pupil has three such columns).
            if isinstance(f, EncryptedTextField) or (postgres and isinstance(f, JSONField)):
                annotations[f"_raw_{f.attname}"] = Cast(f.attname, TextField())
                names.append(f"_raw_{f.attname}")
            else:
                names.append(f.attname)
        rows = self.ctx.rows(self.model, self.rule).annotate(**annotations)
        return rows.order_by("pk").values_list(*names).iterator(chunk_size=CHUNK)

    def fold(self) -> TableState:
        model, rule = self.model, self.rule
        pk = model._meta.pk
        keeps_pk = pk.get_internal_type() not in ("AutoField", "BigAutoField")
        top = 0
        if not keeps_pk:
            top = model._base_manager.using(DEFAULT_DB_ALIAS).aggregate(top=Max("pk"))["top"]
        state = TableState(offset=top or 0, keeps_pk=keeps_pk)
        self.states[model._meta.label] = state
        keys = self._receiving_keys()
        relations = [
            (i, f, self.states.get(f.related_model._meta.label), self._mapper(f, state))
            for i, f in enumerate(self.fields)
            if f.is_relation and f is not pk
        ]
        key_index = [self.fields.index(model._meta.get_field(n)) for n in rule.join_on]
        drop_index = {self.fields.index(model._meta.get_field(n)) for n in rule.drop_if_joined}
        index = self._index
        set_index = {index(n): v for n, v in rule.set_values.items()}
        rename_index = index(rule.rename[1]) if rule.rename else None
        sourced_index = self._sourced_index()
        rewrite = rule.rewrite(self.ctx) if rule.rewrite else None
        attnames = [f.attname for f in self.fields]
        writer = Writer(model, self.fields)
        for source_row in self._source_rows():
            row = list(source_row)
            state.counts["read"] += 1
            old = row[self.pk_index]
            if not self._map_relations(row, relations, drop_index, state):
                continue
            if sourced_index is not None:
                row[sourced_index] = self.sourced_map.get(row[sourced_index], row[sourced_index])
            forced = self.forced.get(old)
            key = join_key([row[i] for i in key_index], rule.join_casefold) if key_index else None
            target = forced if forced is not None else keys.get(key) if key else None
            if target is not None:
                state.joined[old] = target
                state.counts["joined"] += 1
                continue
            state.added.add(old)
            row[self.pk_index] = old if keeps_pk else old + state.offset
            if key is not None:
                keys[key] = row[self.pk_index]
            for i, value in set_index.items():
                row[i] = value
            if rename_index is not None:
                row[rename_index] = self.renames.get(row[rename_index], row[rename_index])
            if rewrite is not None:
                named = dict(zip(attnames, row, strict=True))
                rewrite(named)
                row = [named[name] for name in attnames]
            writer.add(row)
            state.counts["added"] += 1
        writer.flush()
        self._note_sourced(state)
        log.info("merge fold: %s %s", model._meta.label, state.counts)
        return state

    def _index(self, name: str) -> int:
        return self.fields.index(self.model._meta.get_field(name))

    def _sourced_index(self):
        if not self.rule.refers_sourced_id:
            return None
        return self.fields.index(self.model._meta.get_field("sourced_id"))

    def _mapper(self, f, state: TableState):
        """old id -> new id for the foreign key `f` (None: its parent stays behind)."""
        if f.related_model is not self.model:
            parent = self.states.get(f.related_model._meta.label)
            return parent.new_id if parent is not None else (lambda old: None)
        # A tree in one table (a subclass's class, a grading period's term): the parent may
        # come after its child in id order, so the moving ids are read first.
        moving = set(self.ctx.rows(self.model, self.rule).values_list("pk", flat=True))
        return lambda old: old + state.offset if old in moving else None

    def _map_relations(self, row, relations, drop_index, state) -> bool:
        for i, f, parent, mapper in relations:
            value = row[i]
            if value is None:
                continue
            if i in drop_index and parent is not None and value in parent.joined:
                state.counts["left"] += 1
                return False
            new = mapper(value)
            if new is None and not f.null:  # a required parent stays behind: so does the row
                state.counts["left"] += 1
                return False
            row[i] = new
        return True

    def _note_sourced(self, state: TableState) -> None:
        """Joined records of a model with our ids: their old id -> the receiving one's."""
        if not self.rule.follows_sourced_id or not state.joined:
            return
        old_ids = dict(
            self.model._base_manager.using(self.ctx.alias)
            .filter(pk__in=list(state.joined))
            .values_list("pk", "sourced_id")
        )
        new_ids = dict(
            self.model._base_manager.using(DEFAULT_DB_ALIAS)
            .filter(pk__in=list(set(state.joined.values())))
            .values_list("pk", "sourced_id")
        )
        for old, new in state.joined.items():
            if old_ids[old] != new_ids[new]:
                state.sourced[old_ids[old]] = new_ids[new]
        self.sourced_map.update(state.sourced)


def fold_all(ctx: Context, plan_links: dict, rules: dict, models_by_label: dict) -> dict:
    states: dict[str, TableState] = {}
    folded = {label: m for label, m in models_by_label.items() if rules[label].action == FOLD}
    for label in write_order(folded):
        TableFolder(folded[label], rules[label], ctx, states, plan_links).fold()
    return states
