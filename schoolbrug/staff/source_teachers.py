"""Teachers a source names (OneRoster): staff, their teacher assignment and their classes.

Directors and other roles come from the staff upload, not from a SIS export; a source only
says who teaches which class. A bulk set names every teacher of the school: a teaching link
it no longer sends ends the day of the sync (its last day is the day before). A delta names
only what changed: an enrollment `tobedeleted` ends its link, and silence ends nothing. A
link sent again after it ended is a new link (a new period with a new id): apps that saw the
old one `tobedeleted` never see that id come back. Links are never deleted, and every start
and end is in the audit log (the sync run). Bulk reads, writes only what changed.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import (
    Assignment,
    Institution,
    SchoolYear,
    SourceAlias,
    Staff,
    Teaching,
)
from schoolbrug.sources.records import StaffRecord

ONE_DAY = datetime.timedelta(days=1)
# Sources whose teacher keys are unique only within one school: an EDEXML file's keys are the
# school package's own ("LK1" in every school), so their aliases are scoped by institution
# number as pupils' are. OneRoster's sourcedIds are global (scope "").
SCOPED_BY_INSTITUTION = {"edexml"}


def apply_staff(
    records: list[StaffRecord],
    *,
    source: str,
    institution: Institution,
    school_year: SchoolYear,
    class_pks: dict[str, int],
    record_audit: Callable,
    complete: bool = False,
    today: datetime.date | None = None,
) -> int:
    """Create or link each teacher, and end the links the source no longer sends; returns
    how many staff records were created.

    `complete`: the records are all the institution's teachers (a bulk set), so a link to
    one of its classes (`class_pks`, subclasses aside: no SIS sends those) that they do not
    name ends. Links start and end on the school year's day for `today` (default: today)."""
    records = [r for r in records if r.email or r.source_id]
    if not records:
        return 0
    day = school_year.day_within(today or timezone.localdate())
    scope = institution.number if source in SCOPED_BY_INSTITUTION else ""
    staff = _existing_staff(records, source, scope)
    _add_emails(records, staff, record_audit)
    created = _create_missing(records, staff, source, scope, record_audit)
    begins = {_key(r): r.begin_date for r in records if r.begin_date}
    assignments = _teacher_assignments(institution, staff, school_year, day, begins)
    wanted, ended = _pairs(records, staff, class_pks)
    links = _current_links(institution, class_pks, day)
    _end_links(links, wanted, ended, complete, day, record_audit)
    _start_links(links, wanted, assignments, staff, class_pks, day, record_audit)
    return created


def _key(record: StaffRecord) -> str:
    return record.source_id or record.email.lower()


def _existing_staff(records: list[StaffRecord], source: str, scope: str) -> dict[str, Staff]:
    aliases = dict(
        SourceAlias.objects.filter(
            source=source,
            scope=scope,
            kind=SourceAlias.Kind.STAFF,
            external_id__in=[r.source_id for r in records if r.source_id],
        ).values_list("external_id", "sourced_id")
    )
    own_ids = {r.source_id: _uuid(r.source_id) for r in records}
    rows = Staff.objects.filter(
        sourced_id__in=[*aliases.values(), *filter(None, own_ids.values())]
    ) | Staff.objects.filter(email__in=[r.email.lower() for r in records if r.email])
    by_sourced_id = {s.sourced_id: s for s in rows}
    by_email = {s.email.lower(): s for s in rows if s.email}
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


def _add_emails(records, staff: dict[str, Staff], record_audit) -> None:
    """A teacher known by key alone whose record now gives an e-mail address gets it (unless
    someone else already has it: then they stay as they are)."""
    for record in records:
        person = staff.get(_key(record))
        email = record.email.lower()
        if person is None or person.email or not email:
            continue
        if Staff.objects.filter(email=email).exists():
            continue
        person.email = email
        person.save(update_fields=["email", "updated_at"])
        record_audit("staff", person.sourced_id, AuditEntry.Action.UPDATE, {"email": (None, email)})


def _create_missing(records, staff: dict[str, Staff], source: str, scope: str, record_audit) -> int:
    new = {}
    for record in records:
        if _key(record) in staff or _key(record) in new:
            continue
        person = Staff(
            email=record.email.lower() or None,
            given_name=record.given_name,
            family_name=record.family_name,
        )
        own = _uuid(record.source_id)
        if own and not Staff.objects.filter(sourced_id=own).exists():
            person.sourced_id = own
        new[_key(record)] = person
    Staff.objects.bulk_create(new.values())
    staff.update(new)
    # Every teacher found keeps the source's key, also one first found by e-mail: a later
    # file without the address still finds them. Our own id read back (our export) is no
    # source's key: it would make an alias of itself.
    SourceAlias.objects.bulk_create(
        [
            SourceAlias(
                source=source,
                scope=scope,
                kind=SourceAlias.Kind.STAFF,
                external_id=record.source_id,
                sourced_id=staff[_key(record)].sourced_id,
            )
            for record in records
            if record.source_id
            and _key(record) in staff
            and _uuid(record.source_id) != staff[_key(record)].sourced_id
        ],
        ignore_conflicts=True,
    )
    for person in new.values():
        record_audit(
            "staff",
            person.sourced_id,
            AuditEntry.Action.CREATE,
            {"email": (None, person.email), "name": (None, str(person))},
        )
    return len(new)


def _teacher_assignments(
    institution: Institution, staff: dict[str, Staff], school_year: SchoolYear, day, begins
) -> dict[int, int | None]:
    """Staff pk → the teacher assignment in the institution that runs on `day` (one is made
    for whoever has none at all, from the day their role began (`begins`, by record key),
    else from the school year's first day); None for whoever has only ones that ended or have not
    started: the staff upload ended them, and a SIS that still names them gives no class."""
    people = {p.pk: p for p in staff.values()}
    began = {staff[key].pk: begin for key, begin in begins.items() if key in staff}
    rows = Assignment.objects.filter(
        institution=institution, role=Assignment.Role.TEACHER, staff_id__in=list(people)
    ).order_by("pk")
    chosen: dict[int, int | None] = {}
    for pk, staff_pk, start, end in rows.values_list("pk", "staff_id", "start_date", "end_date"):
        running = start <= day and (end is None or end >= day)
        if chosen.get(staff_pk) is None:
            chosen[staff_pk] = pk if running else None
    new = [
        Assignment(
            staff=person,
            institution=institution,
            role=Assignment.Role.TEACHER,
            start_date=began.get(pk) or school_year.start_date,
        )
        for pk, person in people.items()
        if pk not in chosen
    ]
    Assignment.objects.bulk_create(new)
    chosen.update({a.staff_id: a.pk for a in new})
    return chosen


def _pairs(records, staff, class_pks: dict[str, int]) -> tuple[set, set]:
    """(staff pk, class pk) the records teach, and those a delta says they no longer do."""
    wanted, ended = set(), set()
    for record in records:
        person = staff.get(_key(record))
        if person is None:
            continue
        wanted |= {(person.pk, class_pks[c]) for c in record.class_codes if c in class_pks}
        ended |= {(person.pk, class_pks[c]) for c in record.ended_class_codes if c in class_pks}
    return wanted, ended - wanted


@dataclass(slots=True)
class _Link:
    pk: int
    sourced_id: uuid.UUID
    assignment_pk: int
    staff_pk: int
    class_pk: int
    email: str
    class_code: str
    is_subclass: bool
    end_date: datetime.date | None
    runs: bool  # it counts on the day (Teaching.active_on)

    @property
    def pair(self) -> tuple[int, int]:
        return self.staff_pk, self.class_pk


def _current_links(institution: Institution, class_pks: dict[str, int], day) -> list[_Link]:
    """The links to the institution's classes of the year that have not ended by `day`."""
    links = Teaching.objects.filter(
        assignment__institution=institution,
        assignment__role=Assignment.Role.TEACHER,
        schoolclass_id__in=list(class_pks.values()),
    )
    counting = set(links.active_on(day).values_list("pk", flat=True))
    rows = (
        links.not_ended_on(day)
        .order_by("pk")
        .values_list(
            "pk", "sourced_id", "assignment_id", "assignment__staff_id", "schoolclass_id",
            "assignment__staff__email", "schoolclass__code", "schoolclass__parent_id", "end_date",
            "assignment__staff__given_name", "assignment__staff__family_name",
        )
    )  # fmt: skip
    found = []
    for row in rows:
        *values, parent, end, given, family = row
        values[5] = values[5] or f"{given} {family}"  # a teacher known by key alone: the name
        found.append(_Link(*values, parent is not None, end, row[0] in counting))
    return found


def _end_links(links, wanted: set, ended: set, complete: bool, day, record_audit) -> None:
    """End the links a bulk set no longer sends (`complete`) or a delta deletes (`ended`):
    their last day is the day before `day`."""
    now, last_day = timezone.now(), day - ONE_DAY
    finished = [
        link
        for link in links
        if link.pair in ended or (complete and link.pair not in wanted and not link.is_subclass)
    ]
    Teaching.objects.bulk_update(
        [Teaching(pk=link.pk, end_date=last_day, updated_at=now) for link in finished],
        ["end_date", "updated_at"],
        batch_size=500,
    )
    for link in finished:
        record_audit(
            "teaching",
            link.sourced_id,
            AuditEntry.Action.END,
            {**_what(link.email, link.class_code), "end_date": (link.end_date, last_day)},
        )
        links.remove(link)


def _start_links(links, wanted: set, assignments: dict, staff, class_pks, day, record_audit):
    """A new link from `day` on for each pair taught that no running link covers."""
    covered = {link.pair for link in links if link.runs}
    emails = {person.pk: person.email or str(person) for person in staff.values()}
    codes = {pk: code for code, pk in class_pks.items()}
    new = [
        (staff_pk, Teaching(assignment_id=assignment, schoolclass_id=class_pk, start_date=day))
        for staff_pk, class_pk in sorted(wanted - covered)
        if (assignment := assignments.get(staff_pk)) is not None
    ]
    Teaching.objects.bulk_create([link for _, link in new], batch_size=500)
    for staff_pk, link in new:
        record_audit(
            "teaching",
            link.sourced_id,
            AuditEntry.Action.CREATE,
            {**_what(emails[staff_pk], codes[link.schoolclass_id]), "start_date": (None, day)},
        )


def _what(email: str, class_code: str) -> dict:
    """Who teaches which class, as the history shows it with every start and end (a
    teacher without e-mail address by name)."""
    return {"teacher": (email, email), "class": (class_code, class_code)}


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return None
