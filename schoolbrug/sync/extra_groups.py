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
    current = _current(groups)
    if not current and not any(codes for _, codes in extra.members):
        return
    find = _PupilFinder(source, institution_pk, institution_number)
    wanted: set[tuple[int, int]] = set()
    for record, codes in extra.members:
        pupil = find(record)
        if pupil is not None:
            wanted.update((pupil, groups[code]) for code in codes if code in groups)
    kept = {pk for record in extra.kept if (pk := find(record)) is not None}
    sourced_ids = find.sourced_ids
    code_of = {pk: code for code, pk in groups.items()}
    ended = [
        (membership, pair)
        for pair, membership in current.items()
        if pair not in wanted and pair[0] not in kept
    ]
    if ended:
        now = timezone.now()
        SubclassMembership.objects.filter(pk__in=[m for m, _ in ended]).update(
            ended_at=now, updated_at=now
        )
    started = sorted(wanted - current.keys())
    SubclassMembership.objects.bulk_create(
        SubclassMembership(pupil_id=pupil, subclass_id=group) for pupil, group in started
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
        SchoolClass.objects.filter(
            pk__in={g for _, (_, g) in ended} | {g for _, g in started}
        ).update(updated_at=timezone.now())


def _current(groups: dict[str, int]) -> dict[tuple[int, int], int]:
    """(pupil pk, group pk) → membership pk, of the live memberships of these groups."""
    return {
        (pupil, group): pk
        for pk, pupil, group in SubclassMembership.objects.filter(
            subclass_id__in=groups.values(), ended_at__isnull=True
        ).values_list("pk", "pupil_id", "subclass_id")
    }


class _PupilFinder:
    """The registry pupil a record speaks of, as the planner matched it: national number,
    the source's id (alias), our own id."""

    def __init__(self, source: str, institution_pk: int, institution_number: str):
        rows = Pupil.objects.filter(institution_id=institution_pk).values_list(
            "pk", "sourced_id", "national_number"
        )
        self.sourced_ids: dict[int, uuid.UUID] = {}
        self.by_number: dict[str, int] = {}
        by_sourced_id: dict[str, int] = {}
        for pk, sourced_id, number in rows:
            self.sourced_ids[pk] = sourced_id
            by_sourced_id[str(sourced_id)] = pk
            if number:
                self.by_number[number] = pk
        self.by_source_id = {
            external_id: by_sourced_id[str(sourced_id)]
            for external_id, sourced_id in SourceAlias.objects.filter(
                source=source, scope=institution_number, kind=SourceAlias.Kind.PUPIL
            ).values_list("external_id", "sourced_id")
            if str(sourced_id) in by_sourced_id
        }
        self.by_sourced_id = by_sourced_id

    def __call__(self, record: PupilRecord) -> int | None:
        if record.national_number and record.national_number in self.by_number:
            return self.by_number[record.national_number]
        found = self.by_source_id.get(record.source_id)
        return found if found is not None else self.by_sourced_id.get(record.source_id)
