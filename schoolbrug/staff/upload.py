"""The weekly staff upload (seed 001): who holds which assignment in which school.

One assignment a row, CSV or XLSX: `email, given_name, family_name, institution_number, role,
start_date, end_date`. Every row is checked first: one bad row refuses the file, and nothing
but the run is written. The plan (pure) creates staff and assignments, corrects names and end
dates, and ends the assignments an earlier upload created that this one no longer names: the
day before the import, never deleted. Assignments a source sync made (OneRoster teachers) are
left alone. The teaching links of an assignment that ends end the same day
(`upload_links`). The data manager right follows by itself from director assignments
(`sharing.consent`).
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.db import DatabaseError
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Assignment, Institution, Staff, Teaching
from schoolbrug.sources.errors import BadInput
from schoolbrug.sync.locking import InstitutionBusy, institutions_locked
from schoolbrug.sync.models import SyncRun

from .upload_links import load_links, plan_links
from .upload_rows import NAME_FIELDS, Key, StaffRow, UploadRejected, parse_rows, read_file

log = logging.getLogger("schoolbrug.sync")

SOURCE = ORIGIN = "staff_upload"  # SyncRun.source, Assignment.origin
ASSIGNMENT_FIELDS = ("institution_number", "role", "start_date", "end_date", "origin")
BUSY_MESSAGE = (
    "Er liep net een synchronisatie of een andere personeelsupload van deze school. Er is "
    "niets gewijzigd; probeer het over enkele minuten opnieuw."
)


# --- plan -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """One planned change, as the report lists it and the audit records it."""

    entity: str  # "staff" or "assignment"
    action: str  # AuditEntry.Action: create, update or end
    email: str
    changes: dict  # {"field": [old, new]}, dates in ISO
    line: int | None = None  # the file's row; None for an assignment it no longer names
    key: Key | None = None  # of an assignment
    pk: int | None = None  # of the registry row it changes
    sourced_id: uuid.UUID | None = None

    def as_dict(self) -> dict:
        data = {"entity": self.entity, "action": self.action, "email": self.email}
        if self.key:
            data |= {
                "institution": self.key.institution,
                "role": self.key.role,
                "start_date": self.key.start_date.isoformat(),
            }
        return data | {"line": self.line, "changes": self.changes}


COUNT_NAMES = {
    ("staff", "create"): "staff_created",
    ("staff", "update"): "staff_updated",
    ("assignment", "create"): "assignments_created",
    ("assignment", "update"): "assignments_updated",
    ("assignment", "end"): "assignments_ended",
    ("teaching", "end"): "teaching_ended",  # with their assignment (upload_links.py)
    ("teaching", "update"): "teaching_extended",
}


@dataclass(frozen=True, slots=True)
class Plan:
    changes: list[Change]
    unchanged: int  # assignments the file names as they are
    staff_pks: dict[str, int]  # the staff already known, by e-mail address
    names: dict[str, tuple[str, str]]  # e-mail address → (given, family) as in the file

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(COUNT_NAMES.values(), 0)
        for change in self.changes:
            counts[COUNT_NAMES[change.entity, change.action]] += 1
        return counts | {"unchanged": self.unchanged}


def plan_upload(rows: list[StaffRow], staff: list, assignments: list, today: datetime.date) -> Plan:
    """What the upload changes, given the registry's state (`load_state`) on the import day."""
    known, names = {}, {}
    for person in sorted(staff, key=lambda s: s.pk):
        known.setdefault(person.email_lower, person)
    for row in rows:
        names.setdefault(row.email, (row.given_name, row.family_name))
    changes, unchanged = _plan_assignments(rows, assignments, today)
    changes[:0] = _plan_staff(names, known)
    return Plan(changes, unchanged, {email: p.pk for email, p in known.items()}, names)


def _plan_staff(names: dict[str, tuple[str, str]], known: dict) -> list[Change]:
    """New staff, and new names of known staff (the e-mail address is the key)."""
    changes = []
    for email, new in names.items():
        if (person := known.get(email)) is None:
            created = dict(zip(NAME_FIELDS, ([None, n] for n in new), strict=True))
            changes.append(Change("staff", "create", email, {"email": [None, email]} | created))
            continue
        old = (person.given_name, person.family_name)
        diff = {f: [o, n] for f, o, n in zip(NAME_FIELDS, old, new, strict=True) if o != n}
        if diff:
            changes.append(
                Change("staff", "update", email, diff, pk=person.pk, sourced_id=person.sourced_id)
            )
    return changes


def _plan_assignments(
    rows: list[StaffRow], assignments: list, today: datetime.date
) -> tuple[list[Change], int]:
    """New assignments, changed end dates, and the upload's own assignments it no longer
    names ended the day before `today` (unless they ended before). Returns the changes and
    how many assignments stay as they are."""
    existing, changes, named, unchanged = {}, [], set(), 0
    for state in sorted(assignments, key=lambda a: a.pk):
        existing.setdefault(_key(state), state)
    for row in rows:
        if (state := existing.get(row.key)) is None:
            dates = {"start_date": [None, _iso(row.start_date)]}
            dates["end_date"] = [None, _iso(row.end_date)]
            changes.append(Change("assignment", "create", row.email, dates, row.line, row.key))
            continue
        named.add(state.pk)
        if state.end_date == row.end_date:
            unchanged += 1
            continue
        end = {"end_date": [_iso(state.end_date), _iso(row.end_date)]}
        changes.append(_change("update", state, end, row.line))
    yesterday = _iso(today - datetime.timedelta(days=1))
    for state in sorted(assignments, key=lambda a: (_key(a), a.pk)):
        if state.origin != ORIGIN or state.pk in named:
            continue  # a source's assignment, or named by this upload
        if state.end_date is None or state.end_date >= today:
            changes.append(_change("end", state, {"end_date": [_iso(state.end_date), yesterday]}))
    return changes, unchanged


def _change(action: str, state, changes: dict, line: int | None = None) -> Change:
    """A change to an assignment the registry holds."""
    key = _key(state)
    return Change("assignment", action, key.email, changes, line, key, state.pk, state.sourced_id)


def _key(state) -> Key:
    return Key(state.email_lower, state.institution_number, state.role, state.start_date)


def _iso(day: datetime.date | None) -> str | None:
    return day.isoformat() if day else None


def load_state(rows: list[StaffRow], institution: str | None = None) -> tuple[list, list]:
    """The staff the file names, and the assignments it may match or end: bulk reads. For
    one `institution`'s list only that institution's assignments (it ends no other's)."""
    emails = sorted({r.email for r in rows})
    staff = []
    for start in range(0, len(emails), 500):  # within any database's parameter limit
        staff += (
            Staff.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=emails[start : start + 500])
            .values_list("pk", "sourced_id", "email_lower", *NAME_FIELDS, named=True)
        )
    numbers = sorted({r.institution_number for r in rows})
    candidates = (
        Assignment.objects.filter(Q(origin=ORIGIN) | Q(institution__number__in=numbers))
        .annotate(email_lower=Lower("staff__email"), institution_number=F("institution__number"))
        .values_list("pk", "sourced_id", "email_lower", *ASSIGNMENT_FIELDS, named=True)
    )
    if institution:
        candidates = candidates.filter(institution__number=institution)
    wanted = set(emails)
    return staff, [a for a in candidates if a.origin == ORIGIN or a.email_lower in wanted]


def locked_numbers(rows: list[StaffRow], institution: str | None) -> list[str]:
    """The institutions an upload may change: the one of its page, else those the file names
    and those whose uploaded assignments it may end."""
    if institution:
        return [institution]
    numbers = {r.institution_number for r in rows}
    numbers |= set(
        Assignment.objects.filter(origin=ORIGIN).values_list("institution__number", flat=True)
    )
    return sorted(numbers)


# --- apply and run ----------------------------------------------------------------------


def apply_plan(plan: Plan, *, run: SyncRun, institutions: dict[str, int], actor: str) -> None:
    """Write the plan with bulk statements; the caller holds the transaction."""
    now = timezone.now()
    kind = {key: [c for c in plan.changes if (c.entity, c.action) == key] for key in COUNT_NAMES}
    new_staff = [Staff(email=c.email, **_names(plan, c)) for c in kind["staff", "create"]]
    Staff.objects.bulk_create(new_staff, batch_size=500)
    staff_pks = plan.staff_pks | {person.email: person.pk for person in new_staff}
    Staff.objects.bulk_update(
        [Staff(pk=c.pk, updated_at=now, **_names(plan, c)) for c in kind["staff", "update"]],
        [*NAME_FIELDS, "updated_at"],
        batch_size=500,
    )
    new_assignments = [
        Assignment(
            staff_id=staff_pks[c.email],
            institution_id=institutions[c.key.institution],
            role=c.key.role,
            start_date=c.key.start_date,
            end_date=c.changes["end_date"][1],
            origin=ORIGIN,
        )
        for c in kind["assignment", "create"]
    ]
    Assignment.objects.bulk_create(new_assignments, batch_size=500)
    Assignment.objects.bulk_update(
        [
            Assignment(pk=c.pk, end_date=c.changes["end_date"][1], updated_at=now)
            for c in kind["assignment", "update"] + kind["assignment", "end"]
        ],
        ["end_date", "updated_at"],
        batch_size=500,
    )
    Teaching.objects.bulk_update(
        [
            Teaching(pk=c.pk, end_date=c.changes["end_date"][1], updated_at=now)
            for c in kind["teaching", "end"] + kind["teaching", "update"]
        ],
        ["end_date", "updated_at"],
        batch_size=500,
    )
    created = kind["staff", "create"] + kind["assignment", "create"]
    ids = {
        id(c): obj.sourced_id for c, obj in zip(created, new_staff + new_assignments, strict=True)
    }
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                at=now,
                actor=actor,
                reason=f"import {run.options['file']}",
                sync_run=run,
                institution_number=c.key.institution if c.key else "",
                entity=c.entity,
                entity_sourced_id=c.sourced_id or ids[id(c)],
                action=c.action,
                changes=c.changes,
            )
            for c in plan.changes
        ],
        batch_size=500,
    )


def _names(plan: Plan, change: Change) -> dict[str, str]:
    return dict(zip(NAME_FIELDS, plan.names[change.email], strict=True))


def run_upload(
    path: str | Path,
    *,
    dry_run: bool = False,
    actor: str = "cli",
    today: datetime.date | None = None,
    institution: str | None = None,
    file_name: str | None = None,
) -> dict:
    """Check, plan and (unless a dry run) apply one upload in one transaction that holds the
    institutions' sync lock (`sync.locking`: an upload and a sync, or two uploads, of one
    school never plan on the same state); returns the report. Every run is recorded as a
    SyncRun, as the sync records its runs: applied, dry run, bad input (the report then
    holds `errors`, and nothing else is written) or busy. `institution`: one school's list
    (the portal's page): rows of another school are refused, and it ends only that school's
    uploaded assignments. `file_name`: the name the person gave the file (a stored copy's)."""
    path, today = Path(path), today or timezone.localdate()
    name = file_name or path.name
    options = {"dry_run": dry_run, "file": name, "import_date": today.isoformat()}
    run = SyncRun(started_at=timezone.now(), started_by=actor, source=SOURCE, options=options)
    run.institution_number = institution or ""
    report = {
        "run_id": None,
        "source": SOURCE,
        "file": name,
        "dry_run": dry_run,
        "applied": False,
        "counts": {},
        "actions": [],
    }
    try:
        data, raw, headers = read_file(path, institution=institution)
        institutions = dict(Institution.objects.values_list("number", "pk"))
        rows = parse_rows(name, raw, set(institutions), headers=headers, only=institution)
    except (BadInput, UploadRejected) as exc:
        rejected = exc if isinstance(exc, UploadRejected) else UploadRejected([exc])
        for error in rejected.errors:
            log.warning("staff upload: bad input: %s", error.log_text())
        run.status, run.finished_at = SyncRun.Status.BAD_INPUT, run.started_at
        run.findings = [e.as_dict() for e in rejected.errors]
        run.save()
        return report | {"run_id": run.pk, "errors": run.findings, "more_errors": rejected.more}
    run.source_hash = hashlib.sha256(data).hexdigest()
    try:
        with institutions_locked(locked_numbers(rows, institution), wait=True):
            plan = plan_upload(rows, *load_state(rows, institution), today)
            plan.changes.extend(plan_links(plan.changes, load_links(plan.changes)))
            run.status = SyncRun.Status.DRY_RUN if dry_run else SyncRun.Status.APPLIED
            run.counts = plan.counts
            run.save()
            if not dry_run:
                apply_plan(plan, run=run, institutions=institutions, actor=actor)
            run.finished_at = timezone.now()
            run.save(update_fields=["finished_at"])
    except InstitutionBusy:
        log.warning("staff upload: an institution was being synced elsewhere; refused")
        run.pk = None
        run.status, run.finished_at = SyncRun.Status.BUSY, timezone.now()
        try:
            run.save()
        except DatabaseError as error:  # SQLite: the other writer still holds the file
            run.pk = None
            log.warning("staff upload: the busy run could not be stored (%s)", type(error).__name__)
        return report | {"run_id": run.pk, "busy": True, "message": BUSY_MESSAGE}
    log.info("staff upload: %s %s", run.status, plan.counts)
    actions = [c.as_dict() for c in plan.changes]
    return report | {
        "run_id": run.pk,
        "applied": not dry_run,
        "counts": plan.counts,
        "actions": actions,
    }
