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

`outward_ids(ids)` maps a batch (a page of the API: two indexed queries); `OutwardIds.load()`
reads every OneRoster alias once, for an export that writes most of them; `inward(text)` is
the record an outward id names.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from .models import SourceAlias

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
    """str(our id) → the source's id, for the ids of `sourced_ids` that have one (the others
    are their own outward id)."""
    wanted = sorted({uuid.UUID(str(i)) for i in sourced_ids})
    first: dict[uuid.UUID, tuple[int, str, str]] = {}  # our id → (pk, namespace, external id)
    for chunk in _chunks(wanted):
        rows = SourceAlias.objects.filter(source=SOURCE, sourced_id__in=chunk).values_list(
            "pk", "kind", "external_id", "sourced_id"
        )
        for pk, kind, external_id, sourced_id in rows:
            if kind in NAMESPACE_OF and (sourced_id not in first or pk < first[sourced_id][0]):
                first[sourced_id] = (pk, NAMESPACE_OF[kind], external_id)
    claims = _first_claims({(ns, ext) for _, ns, ext in first.values()})
    return {
        str(sourced_id): external_id
        for sourced_id, (_, namespace, external_id) in first.items()
        if claims.get((namespace, external_id)) == sourced_id
    }


def _first_claims(wanted: set[tuple[str, str]]) -> dict[tuple[str, str], uuid.UUID]:
    """(namespace, external id) → the record the earliest alias gave that id."""
    found: dict[tuple[str, str], tuple[int, uuid.UUID]] = {}
    for namespace in {ns for ns, _ in wanted}:
        externals = sorted(ext for ns, ext in wanted if ns == namespace)
        for chunk in _chunks(externals):
            rows = SourceAlias.objects.filter(
                source=SOURCE, kind__in=NAMESPACES[namespace], external_id__in=chunk
            ).values_list("pk", "external_id", "sourced_id")
            for pk, external_id, sourced_id in rows:
                key = (namespace, external_id)
                if key not in found or pk < found[key][0]:
                    found[key] = (pk, sourced_id)
    return {key: sourced_id for key, (_, sourced_id) in found.items()}


def inward(text: str, namespace: str | None = None) -> uuid.UUID | None:
    """Our id of the record whose outward id is `text` (in `namespace`, else in any), else
    `text` itself when it is a UUID (our own id: links made before a source's ids were kept
    go on working), else None."""
    kinds = NAMESPACES[namespace] if namespace else tuple(NAMESPACE_OF)
    rows = (
        SourceAlias.objects.filter(source=SOURCE, kind__in=kinds, external_id=text)
        .order_by("pk")
        .values_list("kind", "sourced_id")
    )
    seen = set()
    for kind, sourced_id in rows:
        if NAMESPACE_OF[kind] in seen:
            continue  # a later claim of the same id in its namespace: not this one's
        seen.add(NAMESPACE_OF[kind])
        if outward_ids([sourced_id]).get(str(sourced_id)) == text:
            return sourced_id
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


class OutwardIds:
    """Every outward id at once (an export): `ids[our id]` → what to write."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping

    @classmethod
    def load(cls) -> OutwardIds:
        claims: dict[tuple[str, str], uuid.UUID] = {}
        first: dict[uuid.UUID, tuple[str, str]] = {}
        rows = (
            SourceAlias.objects.filter(source=SOURCE, kind__in=list(NAMESPACE_OF))
            .order_by("pk")
            .values_list("kind", "external_id", "sourced_id")
        )
        for kind, external_id, sourced_id in rows.iterator(chunk_size=10_000):
            key = (NAMESPACE_OF[kind], external_id)
            claims.setdefault(key, sourced_id)
            first.setdefault(sourced_id, key)
        return cls(
            {str(sid): key[1] for sid, key in first.items() if claims[key] == sid},
        )

    def __getitem__(self, sourced_id) -> str:
        text = str(sourced_id)
        return self.mapping.get(text, text)
