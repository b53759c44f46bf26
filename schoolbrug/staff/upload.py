"""The weekly staff upload (seed 001): who holds which assignment in which school.

One assignment a row, CSV or XLSX: `email, given_name, family_name, institution_number, role,
start_date, end_date`. Every row is checked first: one bad row refuses the file, and nothing
but the run is written. The plan (pure) creates staff and assignments, corrects names and end
dates, and ends the assignments an earlier upload created that this one no longer names: the
day before the import, never deleted. Assignments a source sync made (OneRoster teachers) are
left alone. The teaching links of an assignment that ends end the same day
(`staff_upload_links`). The data manager right follows by itself from director assignments
(`sharing.consent`).
"""

from __future__ import annotations

import datetime
import hashlib
import io
import logging
import re
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Assignment, Institution, Staff, Teaching
from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.tabular import header_key, parse_table

from .models import SyncRun
from .staff_upload_links import load_links, plan_links

log = logging.getLogger("schoolbrug.sync")

SOURCE = ORIGIN = "staff_upload"  # SyncRun.source, Assignment.origin
NAME_FIELDS = ("given_name", "family_name")
COLUMNS = ("email", *NAME_FIELDS, "institution_number", "role", "start_date", "end_date")
ASSIGNMENT_FIELDS = ("institution_number", "role", "start_date", "end_date", "origin")
ROLES = tuple(Assignment.Role.values)
MAX_ERRORS = 50  # bad rows listed; the rest is counted
LABELS = {
    "email": "Het e-mailadres",
    "given_name": "De voornaam",
    "family_name": "De familienaam",
    "institution_number": "Het instellingsnummer",
    "role": "De rol",
    "start_date": "De startdatum",
}
# A bad value: the Dutch text for the school, the English for the log (never the value).
MESSAGES = {
    "missing": ("{label} ontbreekt.", "value missing"),
    "email": ("Ongeldig e-mailadres '{value}'.", "invalid e-mail address"),
    "role": ("Onbekende rol '{value}': kies " + ", ".join(ROLES) + ".", "unknown role"),
    "institution": (
        "Onbekend instellingsnummer '{value}': niet in het register (let op voorloopnullen, "
        "bv. 012345).",
        "unknown institution number",
    ),
    "date": ("Ongeldige datum '{value}': schrijf JJJJ-MM-DD, bv. 2025-09-01.", "invalid date"),
    "order": ("De einddatum {value} ligt voor de startdatum.", "end date before start date"),
    "name": (
        "Andere naam voor dit e-mailadres dan op regel {first}.",
        "other name than on line {first}",
    ),
    "duplicate": (
        "Dubbele opdracht: dezelfde persoon, instelling, rol en startdatum als op regel {first}.",
        "duplicate assignment of line {first}",
    ),
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class UploadRejected(Exception):
    """Bad rows: nothing is written. `errors` lists at most MAX_ERRORS, `more` counts the rest."""

    def __init__(self, errors: list[BadInput], more: int = 0) -> None:
        super().__init__("; ".join(e.log_text() for e in errors))
        self.errors, self.more = errors, more


class Key(NamedTuple):
    """What identifies an assignment."""

    email: str  # lower case
    institution: str
    role: str
    start_date: datetime.date


@dataclass(frozen=True, slots=True)
class StaffRow:
    line: int
    email: str  # lower case
    given_name: str
    family_name: str
    institution_number: str
    role: str
    start_date: datetime.date
    end_date: datetime.date | None

    @property
    def key(self) -> Key:
        return Key(self.email, self.institution_number, self.role, self.start_date)


# --- read and check ---------------------------------------------------------------------


def read_file(path: Path) -> tuple[bytes, list[tuple[int, dict[str, str]]]]:
    """`(bytes, [(line, {column: text})])`; BadInput or UploadRejected if it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(
            "Het bestand kan niet gelezen worden.", f"cannot read: {exc.strerror}", file=path.name
        ) from exc
    if path.suffix.lower() == ".xlsx" or data.startswith(b"PK\x03\x04"):
        header_line, header, rows = _xlsx_rows(data, path.name)
    else:  # CSV in any encoding and separator we tolerate
        table = parse_table(data, file=path.name)
        header_line, header = table.header_line, [header_key(h).lower() for h in table.header]
        rows = [(line, dict(zip(header, cells, strict=False))) for line, cells in table.rows()]
    where = {"file": path.name, "line": header_line}
    missing = [
        BadInput(f"De kolom {c} ontbreekt in de kopregel.", "column missing", **where, field=c)
        for c in COLUMNS
        if c not in header
    ]
    if missing or not rows:
        raise UploadRejected(
            missing or [BadInput("Er staan geen opdrachten in.", "no rows", **where)]
        )
    return data, rows


def _xlsx_rows(data: bytes, file: str) -> tuple[int, list[str], list[tuple[int, dict]]]:
    """The first sheet: `(header line, header, [(line, {column: text})])`."""
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        values = [list(row) for row in sheet.iter_rows(values_only=True)]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError) as exc:
        raise BadInput(
            "Dit is geen leesbare Excel-werkmap (.xlsx).",
            f"not a readable XLSX workbook: {type(exc).__name__}",
            file=file,
        ) from exc
    start = next((i for i, row in enumerate(values) if any(_cell("", v) for v in row)), 0)
    header = [_cell("", v).strip().lower() for v in (values[start] if values else [])]
    rows = []
    for line, row in enumerate(values[start + 1 :], start=start + 2):
        cells = {name: _cell(name, value) for name, value in zip(header, row, strict=False)}
        if any(cells.values()):
            rows.append((line, cells))
    return start + 1, header, rows


def _cell(column: str, value) -> str:
    """A workbook cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):  # also datetime
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and column == "institution_number":
        return f"{value:06d}"  # a number cell lost its leading zeros
    return str(value)


def parse_rows(file: str, rows: list[tuple[int, dict]], institutions: set[str]) -> list[StaffRow]:
    """Check every row; UploadRejected lists the bad ones (up to MAX_ERRORS)."""
    errors: list[BadInput] = []
    parsed: list[StaffRow] = []
    first_names: dict[str, tuple[int, tuple[str, str]]] = {}
    first_lines: dict[Key, int] = {}
    for line, cells in rows:
        v = {c: (cells.get(c) or "").strip() for c in COLUMNS}
        email, role, number = v["email"].lower(), v["role"].lower(), v["institution_number"]
        start, end = _iso_date(v["start_date"]), _iso_date(v["end_date"])
        checks = [(c, "missing", not v[c]) for c in LABELS] + [
            ("email", "email", email and not _valid_email(email)),
            ("role", "role", role and role not in ROLES),
            ("institution_number", "institution", number and number not in institutions),
            ("start_date", "date", v["start_date"] and not start),
            ("end_date", "date", v["end_date"] and not end),
            ("end_date", "order", start and end and end < start),
        ]
        problems = [(column, code, None) for column, code, failed in checks if failed]
        name = (v["given_name"], v["family_name"])
        first, first_name = first_names.setdefault(email, (line, name))
        if email and first_name != name:
            problems.append(("given_name", "name", first))
        row = StaffRow(line, email, *name, number, role, start, end)
        first = first_lines.setdefault(row.key, line)
        if first != line and email and start:
            problems.append(("start_date", "duplicate", first))
        problems.sort(key=lambda problem: COLUMNS.index(problem[0]))  # in column order
        errors += [_error(file, line, c, code, v[c], ref) for c, code, ref in problems]
        parsed.append(row)
    if errors:
        raise UploadRejected(errors[:MAX_ERRORS], max(0, len(errors) - MAX_ERRORS))
    return parsed


def _error(file: str, line: int, column: str, code: str, value: str, first) -> BadInput:
    fill = {"value": value, "label": LABELS.get(column, column), "first": first}
    nl, en = (text.format(**fill) for text in MESSAGES[code])
    return BadInput(nl, en, file=file, line=line, field=column)


def _valid_email(email: str) -> bool:
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


def _iso_date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text) if _ISO_DATE.fullmatch(text) else None
    except ValueError:  # 2025-02-30
        return None


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
    ("teaching", "end"): "teaching_ended",  # with their assignment (staff_upload_links.py)
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


def load_state(rows: list[StaffRow]) -> tuple[list, list]:
    """The staff the file names, and the assignments it may match or end: bulk reads."""
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
    wanted = set(emails)
    return staff, [a for a in candidates if a.origin == ORIGIN or a.email_lower in wanted]


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
) -> dict:
    """Check, plan and (unless a dry run) apply one upload in one transaction; returns the
    report. Every run is recorded as a SyncRun, as the sync records its runs: applied, dry run,
    or bad input (the report then holds `errors`, and nothing else is written)."""
    path, today = Path(path), today or timezone.localdate()
    options = {"dry_run": dry_run, "file": path.name, "import_date": today.isoformat()}
    run = SyncRun(started_at=timezone.now(), started_by=actor, source=SOURCE, options=options)
    report = {
        "run_id": None,
        "source": SOURCE,
        "file": path.name,
        "dry_run": dry_run,
        "applied": False,
        "counts": {},
        "actions": [],
    }
    try:
        data, raw = read_file(path)
        institutions = dict(Institution.objects.values_list("number", "pk"))
        rows = parse_rows(path.name, raw, set(institutions))
    except (BadInput, UploadRejected) as exc:
        rejected = exc if isinstance(exc, UploadRejected) else UploadRejected([exc])
        for error in rejected.errors:
            log.warning("staff upload: bad input: %s", error.log_text())
        run.status, run.finished_at = SyncRun.Status.BAD_INPUT, run.started_at
        run.findings = [e.as_dict() for e in rejected.errors]
        run.save()
        return report | {"run_id": run.pk, "errors": run.findings, "more_errors": rejected.more}
    plan = plan_upload(rows, *load_state(rows), today)
    plan.changes.extend(plan_links(plan.changes, load_links(plan.changes)))
    run.status = SyncRun.Status.DRY_RUN if dry_run else SyncRun.Status.APPLIED
    run.source_hash, run.counts = hashlib.sha256(data).hexdigest(), plan.counts
    with transaction.atomic():
        run.save()
        if not dry_run:
            apply_plan(plan, run=run, institutions=institutions, actor=actor)
        run.finished_at = timezone.now()
        run.save(update_fields=["finished_at"])
    log.info("staff upload: %s %s", run.status, plan.counts)
    actions = [c.as_dict() for c in plan.changes]
    return report | {
        "run_id": run.pk,
        "applied": not dry_run,
        "counts": plan.counts,
        "actions": actions,
    }
