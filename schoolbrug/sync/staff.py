"""Teachers a source names (OneRoster): staff, their teacher assignment and their classes.

Directors and other roles come from the staff upload, not from a SIS export; a source only
adds what it knows: who teaches which class. Bulk reads, writes only what changed.
"""

from __future__ import annotations

import uuid

from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Assignment, Institution, SchoolYear, SourceAlias, Staff
from schoolbrug.sources.records import StaffRecord


def apply_staff(
    records: list[StaffRecord],
    *,
    source: str,
    institution: Institution,
    school_year: SchoolYear,
    class_pks: dict[str, int],
    record_audit,
) -> int:
    """Create or link each teacher; returns how many staff records were created."""
    records = [r for r in records if r.email or r.source_id]
    if not records:
        return 0
    staff = _existing_staff(records, source)
    created = _create_missing(records, staff, source, record_audit)
    assignments = dict(
        Assignment.objects.filter(
            institution=institution, role=Assignment.Role.TEACHER, staff__in=list(staff.values())
        ).values_list("staff_id", "pk")
    )
    new_assignments = [
        Assignment(
            staff=person,
            institution=institution,
            role=Assignment.Role.TEACHER,
            start_date=school_year.start_date,
        )
        for person in {p.pk: p for p in staff.values()}.values()
        if person.pk not in assignments
    ]
    Assignment.objects.bulk_create(new_assignments)
    assignments.update({a.staff_id: a.pk for a in new_assignments})
    _link_classes(records, staff, assignments, class_pks)
    return created


def _key(record: StaffRecord) -> str:
    return record.source_id or record.email.lower()


def _existing_staff(records: list[StaffRecord], source: str) -> dict[str, Staff]:
    aliases = dict(
        SourceAlias.objects.filter(
            source=source,
            kind=SourceAlias.Kind.STAFF,
            external_id__in=[r.source_id for r in records if r.source_id],
        ).values_list("external_id", "sourced_id")
    )
    own_ids = {r.source_id: _uuid(r.source_id) for r in records}
    rows = Staff.objects.filter(
        sourced_id__in=[*aliases.values(), *filter(None, own_ids.values())]
    ) | Staff.objects.filter(email__in=[r.email.lower() for r in records if r.email])
    by_sourced_id = {s.sourced_id: s for s in rows}
    by_email = {s.email.lower(): s for s in rows}
    found = {}
    for record in records:
        person = (
            by_sourced_id.get(aliases.get(record.source_id))
            or by_sourced_id.get(own_ids.get(record.source_id))
            or by_email.get(record.email.lower())
        )
        if person is not None:
            found[_key(record)] = person
    return found


def _create_missing(records, staff: dict[str, Staff], source: str, record_audit) -> int:
    new = {}
    for record in records:
        if _key(record) in staff or _key(record) in new or not record.email:
            continue
        person = Staff(
            email=record.email.lower(),
            given_name=record.given_name,
            family_name=record.family_name,
        )
        own = _uuid(record.source_id)
        if own and not Staff.objects.filter(sourced_id=own).exists():
            person.sourced_id = own
        new[_key(record)] = person
    Staff.objects.bulk_create(new.values())
    SourceAlias.objects.bulk_create(
        [
            SourceAlias(
                source=source,
                kind=SourceAlias.Kind.STAFF,
                external_id=record.source_id,
                sourced_id=new[_key(record)].sourced_id,
            )
            for record in records
            if record.source_id and _key(record) in new
        ],
        ignore_conflicts=True,
    )
    for person in new.values():
        record_audit(
            "staff", person.sourced_id, AuditEntry.Action.CREATE, {"email": (None, person.email)}
        )
    staff.update(new)
    return len(new)


def _link_classes(records, staff, assignments: dict[int, int], class_pks: dict[str, int]) -> None:
    through = Assignment.classes.through
    wanted = {
        (assignments[staff[_key(r)].pk], class_pks[code])
        for r in records
        if _key(r) in staff
        for code in r.class_codes
        if code in class_pks
    }
    existing = set(
        through.objects.filter(assignment_id__in=list(assignments.values())).values_list(
            "assignment_id", "schoolclass_id"
        )
    )
    new = wanted - existing
    through.objects.bulk_create([through(assignment_id=a, schoolclass_id=c) for a, c in new])
    if new:  # a link has no time of its own: the assignment changed (a delta export sees it)
        Assignment.objects.filter(pk__in={a for a, _ in new}).update(updated_at=timezone.now())


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return None
