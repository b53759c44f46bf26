"""Every unique constraint of every folded table, checked while planning: a moving row whose
unique value the receiving side already holds would stop the fold at execute (its one
transaction rolls back), so the plan names it first and execute refuses it before the site
goes read-only.

A constraint needs no check here when the fold resolves it itself: the table joins on exactly
those fields (tables.py's `join_on`: the same row, not added), the plan renames the field
(`rename`: user names, app names, payment references) or another collision list of the plan
names it (`listed_by`: institution numbers, class codes). Every other one is checked, as the
fold will write the row: a foreign key to a parent the fold joins points to the receiving
row (a product both sides have by its code: its line items, results and score scales then
meet the receiving product's), a foreign key to an added parent is new and collides with
nothing; a joined row is not added, so it collides with nothing either. (Candidates a person
confirms after the plan join too; no unique constraint of today's tables passes through one.)

Reads both databases and writes nothing. Values that are secret or personal (a national
number, a token, an encrypted column) are never put in the plan: only the moving row's id."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q, TextField, UniqueConstraint
from django.db.models.functions import Cast

from schoolbrug.encryption import EncryptedTextField

from .folder import Context, join_key
from .tables import FOLD, Rule, all_models, rule_for

CHUNK = 5000
EXAMPLES = 10  # rows named per constraint in the plan (the count says how many in all)
# Fields whose values never go into a plan: named by id only.
_SECRET = re.compile(r"national_number|password|secret|token|digest|pin|key|hash")
# How people call the tables a unique clash is most likely in (others: their label).
DUTCH = {
    "platform.GradebookLineItem": "opdrachten van het puntenboek (lineItems)",
    "platform.GradebookCategory": "categorieën van het puntenboek",
    "platform.ScoreScale": "scoreschalen van het puntenboek",
    "platform.ProductResult": "resultaten van een product",
    "platform.Product": "producten",
}


@dataclass(frozen=True)
class Unique:
    model: type
    name: str
    fields: tuple[str, ...]
    condition: Q | None = None

    @property
    def label(self) -> str:
        return self.model._meta.label


def constraints(model) -> list[Unique]:
    """The model's unique constraints: unique fields, unique_together, UniqueConstraints."""
    found = [
        Unique(model, f.name, (f.name,))
        for f in model._meta.concrete_fields
        if f.unique and not f.primary_key
    ]
    found += [Unique(model, "_".join(t), tuple(t)) for t in model._meta.unique_together]
    for c in model._meta.constraints:
        if isinstance(c, UniqueConstraint):
            # A constraint on expressions has no fields: unchecked() names it, and its test fails.
            found.append(Unique(model, c.name, tuple(c.fields), c.condition))
    return found


def handled(unique: Unique, rule: Rule) -> bool:
    """The fold or another of the plan's collision lists resolves this constraint."""
    fields = set(unique.fields)
    if not fields:
        return False
    if rule.join_on and fields == set(rule.join_on):
        return True
    if rule.rename and rule.rename[1] in fields:
        return True
    return bool(fields & set(rule.listed_by))


def to_check() -> list[Unique]:
    """Every unique constraint of a folded table that the plan must check."""
    found = []
    for model in all_models():
        rule = rule_for(model)
        if rule is None or rule.action != FOLD:
            continue
        found += [u for u in constraints(model) if not handled(u, rule)]
    return found


def unchecked() -> list[str]:
    """Constraints this module cannot check (on expressions, not fields): must stay empty."""
    return [f"{u.label}.{u.name}" for u in to_check() if not u.fields]


class Joins:
    """Which moving rows the fold will join to a receiving row (by `join_on`), per table:
    old id -> (receiving id, the key as shown)."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.maps: dict[str, dict] = {}

    def of(self, model) -> dict:
        label = model._meta.label
        if label not in self.maps:
            self.maps[label] = {}  # a table whose key names itself: no join through itself
            self.maps[label] = self._compute(model)
        return self.maps[label]

    def _compute(self, model) -> dict:
        rule = rule_for(model)
        if rule is None or rule.action != FOLD or not rule.join_on:
            return {}
        fields = [model._meta.get_field(n) for n in rule.join_on]
        names = [f.attname for f in fields]
        receiving = {}
        rows = model._base_manager.using(DEFAULT_DB_ALIAS).values_list("pk", *names)
        for pk, *values in rows.iterator(chunk_size=CHUNK):
            key = join_key(values, rule.join_casefold)
            if key is not None:
                receiving.setdefault(key, pk)
        parents = [self.of(f.related_model) if f.is_relation else None for f in fields]
        joined = {}
        moving = self.ctx.rows(model, rule).values_list("pk", *names)
        for pk, *values in moving.iterator(chunk_size=CHUNK):
            mapped = []
            for value, parent in zip(values, parents, strict=True):
                if parent is not None:
                    value = parent[value][0] if value in parent else None
                mapped.append(value)
            if None in mapped:
                continue
            target = receiving.get(join_key(mapped, rule.join_casefold))
            if target is not None:
                shown = "/".join(str(v) for v in values if not isinstance(v, int))
                joined[pk] = (target, shown or str(pk))
        return joined


def _shown(model, name: str, value) -> str:
    field = model._meta.get_field(name)
    if isinstance(field, EncryptedTextField) or _SECRET.search(field.name):
        return "…"
    return str(value)


def _norm(values) -> tuple:
    """A key comparable across both databases (a UUID or a date as its text)."""
    return tuple(v if isinstance(v, int | str) else str(v) for v in values)


def _row_key(row, key_at) -> tuple | None:
    """The row's key as the fold writes it (a joined parent's receiving id), or None."""
    key = []
    for i, joined in key_at:
        value = row[i]
        if value is None:
            return None
        if joined is not None:
            value = joined[value][0]
        key.append(value if isinstance(value, int | str) else str(value))
    return tuple(key)


def _clashes(unique: Unique, joins: Joins) -> tuple[int, list[dict]]:
    """How many moving rows would collide on `unique`, and the first few of them."""
    model, ctx = unique.model, joins.ctx
    rule = rule_for(model)
    fields = [model._meta.get_field(n) for n in unique.fields]
    names = [f.attname for f in fields]
    moving = ctx.rows(model, rule)
    receiving = model._base_manager.using(DEFAULT_DB_ALIAS)
    if unique.condition is not None:
        moving, receiving = moving.filter(unique.condition), receiving.filter(unique.condition)
    parents = {}
    for f in fields:
        if not f.is_relation:
            continue
        parents[f.attname] = joins.of(f.related_model)
        if not parents[f.attname]:
            return 0, []  # every parent is added: a new id collides with nothing
        # Only rows pointing at a joined parent can meet a receiving row.
        moving = moving.filter(**{f"{f.attname}__in": list(parents[f.attname])})
        targets = {target for target, _ in parents[f.attname].values()}
        receiving = receiving.filter(**{f"{f.attname}__in": list(targets)})
    dropped = [model._meta.get_field(n).attname for n in rule.drop_if_joined]
    for name in dropped:
        parents.setdefault(name, joins.of(model._meta.get_field(name).related_model))
    own_joins = joins.of(model) if rule.join_on else {}
    # A UUID read as its text (no UUID object per row): hyphens dropped below, as SQLite
    # keeps it without them and PostgreSQL with.
    texts = {
        f.attname: Cast(f.attname, TextField())
        for f in fields
        if not f.is_relation and f.get_internal_type() == "UUIDField"
    }
    moving = moving.annotate(**{f"_text_{n}": e for n, e in texts.items()})
    receiving = receiving.annotate(**{f"_text_{n}": e for n, e in texts.items()})
    names = [f"_text_{n}" if n in texts else n for n in names]
    has_sourced_id = any(f.name == "sourced_id" for f in model._meta.concrete_fields)
    columns = ["pk", *(["sourced_id"] if has_sourced_id else [])]
    columns += [n for n in (*names, *dropped) if n not in columns]
    at = {name: i for i, name in enumerate(columns)}
    key_at = [(at[n], parents.get(n)) for n in names]
    dropped_at = [(at[n], parents[n]) for n in dropped]
    # One read of the receiving side's keys (cheaper than asking for each chunk's).
    taken = {_norm(v) for v in receiving.values_list(*names).iterator(CHUNK)}
    if texts:
        taken = {tuple(v.replace("-", "") for v in key) for key in taken}
    if not taken:
        return 0, []
    seen, hits, count = set(), [], 0
    for row in moving.order_by("pk").values_list(*columns).iterator(CHUNK):
        if own_joins and row[0] in own_joins:
            continue  # joined: not added
        if dropped_at and any(row[i] in joined for i, joined in dropped_at):
            continue  # left out with its joined parent
        key = _row_key(row, key_at)
        if key is None:
            continue  # NULLs are distinct
        if texts:
            key = tuple(v.replace("-", "") for v in key)
        if key in taken or key in seen:  # the receiving side's, or one moved before it
            count += 1
            if len(hits) < EXAMPLES:
                hits.append(dict(zip(columns, row, strict=True)))
        seen.add(key)
    examples = []
    for values in hits:
        example = {"id": str(values["sourced_id"] if has_sourced_id else values["pk"])}
        for f in fields:
            value = values.get(f.attname, values.get(f"_text_{f.attname}"))
            joined = parents.get(f.attname)
            example[f.name] = joined[value][1] if joined else _shown(model, f.name, value)
        examples.append(example)
    return count, examples


def unique_values(ctx: Context) -> list[dict]:
    """The plan's list: per clashing constraint, which table, on which fields, how many rows
    and the first few. Execute refuses a plan with any."""
    joins = Joins(ctx)
    found = []
    for unique in to_check():
        count, examples = _clashes(unique, joins)
        if count:
            found.append(
                {
                    "table": unique.label,
                    "name": DUTCH.get(unique.label, unique.label),
                    "fields": list(unique.fields),
                    "rows": count,
                    "examples": examples,
                }
            )
    return sorted(found, key=lambda f: (f["table"], f["fields"]))


def sentence(clash: dict) -> str:
    """One clash in Dutch: what, how many, an example."""
    example = (clash.get("examples") or [{}])[0]
    shown = ", ".join(f"{k} {v}" for k, v in example.items() if k != "id")
    return (
        f"{clash['rows']} rij(en) in {clash['name']} ({', '.join(clash['fields'])}) "
        f"bestaan al in de ontvangende databank (bv. {shown or example.get('id', '')})"
    )
