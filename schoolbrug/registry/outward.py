"""The id the world sees for one of our records: the OneRoster source's `sourcedId` when the
record came from a OneRoster set (its SourceAlias), else our own `sourced_id`. Ours stays the
key inside; only what leaves (the CSV export, the REST API) and what comes in by id (a
REST lookup or filter) goes through here, so an app that was linked to the SIS directly keeps
its links when the school puts Schoolbrug in between.

The rule, one for every reader (deterministic, so the CSV export and the API agree):

* A record's outward id is the external id of its first OneRoster alias (lowest pk: the first
  one an import gave it); a record with aliases from several sets keeps the first.
* Unless another record of the same namespace was given that id earlier (an alias with a lower
  pk): two institutions' sets may both call a pupil `1001`, and an app that sees both must not
  get two users with one id. The later record then falls back to our own id.
* Namespaces are what an app looks up by id together: users (pupils and staff), classes,
  orgs, courses, enrollments and academic sessions.

The rule is applied once, when aliases are written (`refresh_outward`, one UPDATE after a
sync that wrote any): the alias it picks is marked `outward`. Readers then read marked aliases
only: `outward_ids(ids)` maps a page of the API (one query, one index probe per id: a page of
5000 users costs ~15 ms more, not the ~150 ms the rule itself costs per page);
`OutwardIds.load()` reads them all for an export; `inward(text)` is the record an outward id
names. SQL can join them too (`registry_sourcealias ... WHERE outward`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import connection
from django.db.models import Q

from .models import Pupil, SourceAlias

SOURCE = "oneroster"
Kind = SourceAlias.Kind
NAMESPACES: dict[str, tuple[str, ...]] = {
    "users": (Kind.PUPIL, Kind.STAFF),
    "classes": (Kind.CLASS,),
    "orgs": (Kind.INSTITUTION,),
    "courses": (Kind.COURSE,),
    "enrollments": (Kind.ENROLLMENT,),
    "academicSessions": (Kind.SESSION,),
}
NAMESPACE_OF = {kind: name for name, kinds in NAMESPACES.items() for kind in kinds}
# What a OneRoster reference `type` (or a route's object) is looked up among.
NAMESPACE_OF_TYPE = {
    "user": "users",
    "student": "users",
    "teacher": "users",
    "class": "classes",
    "org": "orgs",
    "school": "orgs",
    "course": "courses",
    "enrollment": "enrollments",
    "academicSession": "academicSessions",
    "term": "academicSessions",
    "gradingPeriod": "academicSessions",
    "demographics": "users",  # a user's demographics have the user's id
}
_CHUNK = 2000  # ids per IN (...): well below SQLite's limit of bound values


def _chunks(values: list) -> Iterable[list]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def outward_ids(sourced_ids: Iterable[uuid.UUID | str]) -> dict[str, str]:
    """str(our id) → the source's id, for the ids of `sourced_ids` (UUIDs, or their text)
    that have one (the others are their own outward id)."""
    texts = {str(i).lower() for i in sourced_ids}
    if not texts:
        return {}
    table = SourceAlias._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one array: planned as fast for 5000 as for 1
            cursor.execute(
                f"SELECT CAST(sourced_id AS text), external_id FROM {table}"
                " WHERE outward AND sourced_id = ANY(CAST(%s AS uuid[]))",
                [sorted(texts)],
            )
            return dict(cursor.fetchall())
        wanted = sorted(uuid.UUID(text) for text in texts)
        found = {}
        for chunk in _chunks([u.hex for u in wanted]):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT sourced_id, external_id FROM {table}"
                f" WHERE outward AND sourced_id IN ({marks})",
                chunk,
            )
            for sourced_id, external_id in cursor.fetchall():
                found[str(uuid.UUID(sourced_id))] = external_id
        return found


def inward(text: str, namespace: str | None = None) -> uuid.UUID | None:
    """Our id of the record whose outward id is `text` (in `namespace`, else in any), else
    `text` itself when it is a UUID (our own id: links made before a source's ids were kept
    go on working), else None."""
    kinds = NAMESPACES[namespace] if namespace else tuple(NAMESPACE_OF)
    found = (
        SourceAlias.objects.filter(source=SOURCE, outward=True, kind__in=kinds, external_id=text)
        .order_by("pk")
        .values_list("sourced_id", flat=True)
        .first()
    )
    if found is not None:
        return found
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


# The rule as SQL, for each alias `a` of the source: no alias of the same record (in its
# namespace) came before it, and no other alias in that namespace gave the same id before it.
# Both NOT EXISTS read an index: (sourced_id) and (source, external_id).
_SAME_NAMESPACE = (
    "({x}.kind = a.kind OR ({x}.kind IN ('pupil', 'staff') AND a.kind IN ('pupil', 'staff')))"
)
RULE_SQL = (
    "NOT EXISTS (SELECT 1 FROM registry_sourcealias b WHERE b.sourced_id = a.sourced_id"
    f" AND b.source = a.source AND b.id < a.id AND {_SAME_NAMESPACE.format(x='b')})"
    " AND NOT EXISTS (SELECT 1 FROM registry_sourcealias c WHERE c.source = a.source"
    f" AND c.external_id = a.external_id AND c.id < a.id AND {_SAME_NAMESPACE.format(x='c')})"
)


def refresh_outward() -> int:
    """Mark the alias the rule picks for each record, unmark the others; returns how many
    changed. One statement (the rows it does not change are not written): after a sync that
    wrote aliases, and in the migration that brought the mark."""
    table = SourceAlias._meta.db_table
    kinds = ", ".join(f"'{kind}'" for kind in NAMESPACE_OF)
    rule = f"(a.kind IN ({kinds}) AND {RULE_SQL})"
    with connection.cursor() as cursor:
        # SQLite's UPDATE takes no alias: the rule reads the row being updated as `a`
        # through a self-join on its id.
        cursor.execute(
            f"UPDATE {table} SET outward = NOT outward WHERE id IN ("
            f"SELECT a.id FROM {table} a WHERE a.source = %s AND a.outward <> {rule})",
            [SOURCE],
        )
        return cursor.rowcount


class OutwardIds:
    """Every outward id at once (an export): `ids[our id]` → what to write."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping

    @classmethod
    def load(cls, institution_numbers: Iterable[str] | None = None) -> OutwardIds:
        """All of them, or those of these institutions' records (their pupils, classes,
        courses and enrollments are scoped by institution number; staff and institutions are
        not): a region's export need not hold every id of the register."""
        aliases = SourceAlias.objects.filter(outward=True)
        if institution_numbers is not None:
            numbers = list(institution_numbers)
            # A pupil who came from another school keeps the id that school's set gave.
            pupils = Pupil.objects.filter(institution__number__in=numbers).values("sourced_id")
            aliases = aliases.filter(
                Q(scope__in=["", *numbers]) | Q(kind=Kind.PUPIL, sourced_id__in=pupils)
            )
        rows = aliases.values_list("sourced_id", "external_id")
        return cls({str(sid): external for sid, external in rows.iterator(chunk_size=10_000)})

    def __getitem__(self, sourced_id) -> str:
        text = str(sourced_id)
        return self.mapping.get(text, text)
