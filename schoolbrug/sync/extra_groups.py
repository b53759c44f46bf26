"""The extra groups a source puts pupils in besides their class (EDEXML's combined groups).

A combined group is a class of the registry (created, updated and deactivated by the plan like
any other, `ClassRecord.is_combined`, curriculum "samengestelde groep", no year of its own)
whose pupils are memberships (`SubclassMembership`, the registry's "pupil in a group besides
their class"), not enrolments. Unlike a subclass the school made, the source is the master:

* an accepted pupil is in exactly the combined groups the source names: a membership it
  names is started, one it no longer names is ended (ended, never deleted, like a subclass's);
* a rejected or deferred pupil keeps theirs (the source's record of them is not trusted), and
  a leaver, or a pupil no longer in the export, leaves all of them.

The planner hands the source's word over with the registry pupil each record matched
(`plan_extra_groups`, pure); apply learns the ids of the pupils it creates, compares with the
memberships in the database in the sync's transaction (`apply_extra_groups`) and audits every
start and end on the pupil, with the run as reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import SchoolClass, SubclassMembership
from schoolbrug.sources.records import COMBINED_CURRICULUM, PupilRecord, Snapshot

from . import bulk

Pupil = tuple[int, uuid.UUID]  # a registry pupil: (pk, sourced id)


@dataclass(slots=True)
class ExtraGroups:
    # Accepted pupils in at least one group: the record, its groups, and the registry pupil
    # it was matched to (None: a new pupil, whose id apply learns when it is inserted).
    members: list[tuple[PupilRecord, tuple[str, ...], Pupil | None]] = field(default_factory=list)
    kept: set[int] = field(default_factory=set)  # pks of rejected or deferred pupils: untouched


def plan_extra_groups(
    snapshot: Snapshot, validation, find: Callable[[PupilRecord], object]
) -> ExtraGroups | None:
    """What the source says of its pupils' extra groups; None when it says nothing of them.
    `find`: the registry pupil (PupilState) a record speaks of, as the planner matches."""
    if not snapshot.has_extra_groups:
        return None
    combined = {code for code, c in validation.classes.items() if c.is_combined}
    extra = ExtraGroups()
    for record in validation.accepted:
        if record.is_leaver or not record.extra_class_codes:
            continue
        codes = tuple(c for c in record.extra_class_codes if c in combined)
        if codes:
            current = find(record)
            pupil = None if current is None else (current.pk, current.sourced_id)
            extra.members.append((record, codes, pupil))
    for record in (*validation.rejected, *validation.deferred):
        if (current := find(record)) is not None:
            extra.kept.add(current.pk)
    return extra


def apply_extra_groups(
    extra: ExtraGroups,
    *,
    institution_pk: int,
    school_year_pk: int,
    new_pupils: dict[int, Pupil],
    record_audit: Callable,
) -> None:
    """Start and end memberships of the institution's combined groups as `extra` says.
    `new_pupils`: id(record) → the pupil inserted for it by this sync."""
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
    if not current and not extra.members:
        return
    wanted: set[tuple[int, int]] = set()
    for record, codes, pupil in extra.members:
        if pupil is None:
            pupil = new_pupils.get(id(record))
        if pupil is not None:
            wanted.update((pupil[0], groups[code]) for code in codes if code in groups)
            sourced_ids[pupil[0]] = pupil[1]
    code_of = {pk: code for code, pk in groups.items()}
    ended = [
        (membership, pair)
        for pair, membership in current.items()
        if pair not in wanted and pair[0] not in extra.kept
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
