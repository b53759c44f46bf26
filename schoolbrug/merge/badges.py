"""Scan badges a merge makes obsolete: listed for the merge report and printable again.

A badge carries the pupil's stable id (registry/badges.py), and a merge keeps every moving
pupil's `sourced_id` (issue 23), so normally this list is empty and no school prints a badge
again (seed 003's vendor reprints them all). It is computed from what the merge did, not
assumed: a pupil whose id did change (the fold joined them into a record the receiving side
already had, whose id wins) is listed with the old and the new code, and
`changed_badge_sheet` prints exactly those cards.

Reads the receiving database only; writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import NamedTuple

from schoolbrug.registry.badges import Badge, badge_code, badge_sheet
from schoolbrug.registry.models import Enrolment, Pupil


class ChangedBadge(NamedTuple):
    old_code: str
    new_code: str
    given_name: str
    family_name: str
    class_code: str  # the pupil's class in the latest school year they are enrolled in; "" none
    institution_number: str
    institution_name: str


def changed_badges(id_map: Mapping[str | uuid.UUID, str | uuid.UUID]) -> list[ChangedBadge]:
    """The pupils whose badge code changed: `id_map` maps a record's `sourced_id` before the
    merge to its id after (the fold report's `sourced_ids_replaced`: any kind of record; an
    id that maps to itself did not change). Only pupils of this database are listed, by
    school, class and name."""
    replaced = {
        uuid.UUID(str(new)): uuid.UUID(str(old))
        for old, new in id_map.items()
        if uuid.UUID(str(old)) != uuid.UUID(str(new))
    }
    if not replaced:
        return []
    pupils = list(Pupil.objects.filter(sourced_id__in=list(replaced)).select_related("institution"))
    classes = _latest_class_codes([p.pk for p in pupils])
    changed = [
        ChangedBadge(
            old_code=badge_code(replaced[pupil.sourced_id]),
            new_code=badge_code(pupil.sourced_id),
            given_name=pupil.given_name,
            family_name=pupil.family_name,
            class_code=classes.get(pupil.pk, ""),
            institution_number=pupil.institution.number,
            institution_name=pupil.institution.name,
        )
        for pupil in pupils
    ]
    return sorted(
        changed, key=lambda c: (c.institution_number, c.class_code, c.family_name, c.given_name)
    )


def _latest_class_codes(pupil_pks: list[int]) -> dict[int, str]:
    codes: dict[int, str] = {}
    for pupil_pk, code in (
        Enrolment.objects.filter(pupil_id__in=pupil_pks)
        .order_by("pupil_id", "-school_year__start_year")
        .values_list("pupil_id", "school_class__code")
    ):
        codes.setdefault(pupil_pk, code)
    return codes


def changed_badge_sheet(changed: list[ChangedBadge]) -> bytes:
    """The new cards of the changed badges, to print (one card per pupil, new code)."""
    return badge_sheet(
        "Badges met een nieuwe code na de samenvoeging",
        (
            Badge(c.given_name, c.family_name, c.class_code, c.institution_name, c.new_code)
            for c in changed
        ),
    )
