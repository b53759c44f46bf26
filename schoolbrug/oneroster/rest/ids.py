"""The ids the API shows and takes: a record from a OneRoster source under that source's
`sourcedId`, any other under ours (registry/outward.py decides which, for the CSV export too).

The segments select our ids (the keys the SQL pages and joins by); the objects of an answer
are rewritten at the end, with one lookup for the whole page (`show_outward`). An id that
comes in (a route's id, a filter on a sourcedId) is read the other way (`our_id`)."""

from __future__ import annotations

import re
import uuid

from schoolbrug.registry.models import SourceAlias
from schoolbrug.registry.outward import NAMESPACE_OF_TYPE, SOURCE, inward, outward_ids

from .kept import kept

UUID_LENGTH = 36
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _none_kept(version: str | None) -> bool:
    """Whether the registry holds no OneRoster source's id at all (in the data version
    `version`: known once for all workers, kept.py): then every id is ours, and a page needs
    no lookup (a registry filled from EDEXML, WISA or Informat only)."""
    if version is None:
        return False
    return not kept(
        f"outward-any:{version}", lambda: SourceAlias.objects.filter(source=SOURCE).exists()
    )


def our_id(value: str, kind: str | None = None, version: str | None = None) -> uuid.UUID | None:
    """Our id of the record the outward id `value` names (of the reference type `kind`, when
    known), else None. `version`: the data version the request reads (Visibility)."""
    if _none_kept(version):
        try:
            return uuid.UUID(value)
        except ValueError:
            return None
    return inward(value, NAMESPACE_OF_TYPE.get(kind or ""))


def show_outward(objects: list[dict], version: str | None = None) -> list[dict]:
    """The objects with every id of ours that a source gave an id of its own replaced by that
    id: sourcedIds, references (their href too) and a pupil's username and identifier (which
    are their id)."""
    if _none_kept(version):
        return objects
    found: set[str] = set()
    _collect(objects, found)
    ids = [text for text in found if _UUID.fullmatch(text)]
    mapping = outward_ids(ids) if ids else {}
    if mapping:
        seen: set[int] = set()
        for obj in objects:
            _replace(obj, mapping, seen)
    return objects


def _collect(value, found: set[str]) -> None:
    if isinstance(value, str):
        if len(value) == UUID_LENGTH:
            found.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found)


def _replace(value, mapping: dict[str, str], seen: set[int]) -> None:
    """In place: the objects of one answer share their org references (Context.org), each
    rewritten once."""
    if id(value) in seen:
        return
    seen.add(id(value))
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in list(items):
        if isinstance(item, str):
            if item in mapping:
                value[key] = mapping[item]
            elif key == "href":
                base, _, last = item.rpartition("/")
                if last in mapping:
                    value[key] = f"{base}/{mapping[last]}"
        elif isinstance(item, dict | list):
            _replace(item, mapping, seen)
