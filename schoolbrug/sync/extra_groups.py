"""The extra groups a source puts pupils in besides their class (EDEXML's combined groups).

A combined group is a class of the registry (created, updated and deactivated by the plan like
any other, `ClassRecord.is_combined`, curriculum "samengestelde groep", no year of its own)
whose pupils are memberships (`SubclassMembership`, the registry's "pupil in a group besides
their class"), not enrolments. Unlike a subclass the school made, the source is the master:

* an accepted pupil is in exactly the combined groups the source names: a membership it
  names is started, one it no longer names is ended (ended, never deleted, like a subclass's);
* a rejected or deferred pupil keeps theirs (the source's record of them is not trusted), and
  a leaver, or a pupil no longer in the export, leaves all of them.

The planner hands the source's word over (`plan_extra_groups`, pure); apply compares it with
the database in the sync's transaction (`apply_extra_groups`) and audits every start and end
on the pupil, with the run as reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Pupil, SchoolClass, SourceAlias, SubclassMembership
from schoolbrug.sources.records import COMBINED_CURRICULUM, PupilRecord, Snapshot

from . import bulk


@dataclass(slots=True)
class ExtraGroups:
    members: list[tuple[PupilRecord, tuple[str, ...]]] = field(default_factory=list)
    kept: list[PupilRecord] = field(default_factory=list)  # rejected or deferred: untouched


def plan_extra_groups(snapshot: Snapshot, validation) -> ExtraGroups | None:
    """What the source says of its pupils' extra groups; None when it says nothing of them."""
    if not snapshot.has_extra_groups:
        return None
    combined = {code for code, c in validation.classes.items() if c.is_combined}
    return ExtraGroups(
        members=[
            (record, tuple(c for c in record.extra_class_codes if c in combined))
            for record in validation.accepted
            if not record.is_leaver
        ],
        kept=[*validation.rejected, *validation.deferred],
    )


def apply_extra_groups(
    extra: ExtraGroups,
    *,
    source: str,
    institution_pk: int,
    institution_number: str,
    school_year_pk: int,
    record_audit: Callable,
) -> None:
    """Start and end memberships of the institution's combined groups as `extra` says."""
    groups = dict(
        SchoolClass.objects.filter(
            institution_id=institution_pk,
            school_year_id=school_year_pk,
            parent__isnull=True,
            curriculum=COMBINED_CURRICULUM,
        ).values_list("code", "pk")
    )
    if not groups:
        return
    current, sourced_ids = _current(groups)
    members = [(record, codes) for record, codes in extra.members if codes]
    if not current and not members:
        return
    # Only the pupils in a group (or kept as they are) are looked up: a school of 100,000
    # pupils has a few thousand in combined groups.
    found = _find_pupils(
        [r for r, _ in members] + (extra.kept if current else []),
        source,
        institution_pk,
        institution_number,
    )
    wanted: set[tuple[int, int]] = set()
    for record, codes in members:
        if (pupil := found.get(id(record))) is not None:
            wanted.update((pupil[0], groups[code]) for code in codes if code in groups)
            sourced_ids[pupil[0]] = pupil[1]
    kept = {found[id(r)][0] for r in extra.kept if id(r) in found} if current else set()
    code_of = {pk: code for code, pk in groups.items()}
    ended = [
        (membership, pair)
        for pair, membership in current.items()
        if pair not in wanted and pair[0] not in kept
    ]
    now = timezone.now()
    if ended:
        SubclassMembership.objects.filter(pk__in=[m for m, _ in ended]).update(
            ended_at=now, updated_at=now
        )
    started = sorted(wanted - current.keys())
    bulk.insert(
        [
            bulk.new_row(SubclassMembership, pupil_id=pupil, subclass_id=group)
            for pupil, group in started
        ]
    )
    for _, (pupil, group) in ended:
        record_audit(
            "pupil", sourced_ids[pupil], AuditEntry.Action.UPDATE, {"group": (code_of[group], None)}
        )
    for pupil, group in started:
        record_audit(
            "pupil", sourced_ids[pupil], AuditEntry.Action.UPDATE, {"group": (None, code_of[group])}
        )
    if ended or started:
        # The groups change with their members (apps' counts, a delta export).
        changed = {g for _, (_, g) in ended} | {g for _, g in started}
        SchoolClass.objects.filter(pk__in=changed).update(updated_at=now)


def _current(groups: dict[str, int]) -> tuple[dict[tuple[int, int], int], dict[int, uuid.UUID]]:
    """((pupil pk, group pk) → membership pk, pupil pk → sourced id) of these groups' live
    memberships."""
    current, sourced_ids = {}, {}
    for pk, pupil, group, sourced_id in SubclassMembership.objects.filter(
        subclass_id__in=groups.values(), ended_at__isnull=True
    ).values_list("pk", "pupil_id", "subclass_id", "pupil__sourced_id"):
        current[pupil, group] = pk
        sourced_ids[pupil] = sourced_id
    return current, sourced_ids


_CHUNK = 900  # below SQLite's oldest limit of variables per statement


def _find_pupils(
    records: list[PupilRecord], source: str, institution_pk: int, institution_number: str
) -> dict[int, tuple[int, uuid.UUID]]:
    """id(record) → (pupil pk, sourced id) of the registry pupil each record speaks of, as the
    planner matched it: national number, the source's id (its alias), our own id."""
    pupils = Pupil.objects.filter(institution_id=institution_pk)
    by_number: dict[str, tuple[int, uuid.UUID]] = {}
    numbers = sorted({r.national_number for r in records if r.national_number})
    for chunk in _chunks(numbers):
        for pk, sourced_id, number in pupils.filter(national_number__in=chunk).values_list(
            "pk", "sourced_id", "national_number"
        ):
            by_number[number] = (pk, sourced_id)
    keys = sorted({r.source_id for r in records if r.national_number not in by_number})
    aliased: dict[str, uuid.UUID] = {}
    for chunk in _chunks(keys):
        aliased.update(
            SourceAlias.objects.filter(
                source=source,
                scope=institution_number,
                kind=SourceAlias.Kind.PUPIL,
                external_id__in=chunk,
            ).values_list("external_id", "sourced_id")
        )
    wanted_ids = set(aliased.values()) | {u for k in keys if (u := _uuid(k)) is not None}
    by_sourced_id: dict[uuid.UUID, int] = {}
    for chunk in _chunks(sorted(wanted_ids)):
        by_sourced_id.update(pupils.filter(sourced_id__in=chunk).values_list("sourced_id", "pk"))
    found = {}
    for record in records:
        if (hit := by_number.get(record.national_number)) is not None:
            found[id(record)] = hit
            continue
        sourced_id = aliased.get(record.source_id) or _uuid(record.source_id)
        if sourced_id is not None and (pk := by_sourced_id.get(sourced_id)) is not None:
            found[id(record)] = (pk, sourced_id)
    return found


def _chunks(values: list) -> list[list]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]


def _uuid(value: str) -> uuid.UUID | None:
    if len(value) != 36:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
