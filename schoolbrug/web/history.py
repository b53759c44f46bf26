"""The log as people read it (issue 19): each entry a Dutch sentence naming whom it is about
and who did it, filters by person, kind and date, and the download as CSV or Excel.

The names come from the registry in a few bulk reads per page (or per chunk of a
download); the sentences themselves are `audit.sentences`. Who sees which entries is
`roles.permissions.only_their_audit`, as before.
"""

from __future__ import annotations

import datetime
import io
import uuid
from collections.abc import Callable, Iterable, Iterator

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from schoolbrug.audit import sentences
from schoolbrug.audit.models import AuditEntry
from schoolbrug.audit.presenters import entity_label
from schoolbrug.registry.models import (
    Assignment,
    Enrolment,
    Institution,
    Pupil,
    SchoolClass,
    Staff,
    Teaching,
)
from schoolbrug.roles.permissions import only_their_pupils
from schoolbrug.sources.findings import mask_national_numbers_in

# --- filters ------------------------------------------------------------------------------


def parse_day(text: str) -> datetime.date | None:
    """A date field's value: 2026-12-06 (the browser's date input) or 06/12/2026."""
    text = (text or "").strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def filter_entries(
    entries: QuerySet[AuditEntry],
    user,
    *,
    person: str = "",
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> QuerySet[AuditEntry]:
    """`person`: who did it (address or name), or the pupil or staff member it is about (by
    name; only pupils the user may see). Dates: whole days, both included."""
    if since:
        entries = entries.filter(at__gte=_start(since))
    if until:
        entries = entries.filter(at__lt=_start(until + datetime.timedelta(days=1)))
    person = person.strip()
    if person:
        words = person.split()
        pupils = only_their_pupils(Pupil.objects.all(), user)
        staff = Staff.objects.all()
        users = get_user_model().objects.all()
        for word in words:
            by_name = Q(given_name__icontains=word) | Q(family_name__icontains=word)
            pupils = pupils.filter(by_name)
            staff = staff.filter(by_name | Q(email__icontains=word))
            users = users.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
                | Q(username__icontains=word)
            )
        actors = {a.lower() for a in staff.values_list("email", flat=True) if a}
        actors |= {u.email.lower() for u in users if u.email} | {
            u.get_username() for u in users if not u.email
        }
        entries = entries.filter(
            Q(actor__icontains=person)
            | Q(actor__in=actors)
            | Q(entity_sourced_id__in=pupils.values("sourced_id"))
            | Q(entity_sourced_id__in=staff.values("sourced_id"))
            | Q(
                entity_sourced_id__in=Assignment.objects.filter(staff__in=staff).values(
                    "sourced_id"
                )
            )
            | Q(
                entity_sourced_id__in=Teaching.objects.filter(assignment__staff__in=staff).values(
                    "sourced_id"
                )
            )
        )
    return entries


def _start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


# --- names ---------------------------------------------------------------------------------


def subject_names(entries: Iterable[AuditEntry]) -> dict[uuid.UUID, str]:
    """Whom each entry is about, by its sourced id: a pupil's or staff member's name, a class
    code, an assignment's person and role, ... (nothing for what has no name)."""
    ids: dict[str, set] = {}
    for entry in entries:
        ids.setdefault(entry.entity, set()).add(entry.entity_sourced_id)
    names: dict[uuid.UUID, str] = {}

    def person(given: str, family: str) -> str:
        return f"{given} {family}".strip()

    if wanted := ids.get("pupil"):
        for sid, given, family in Pupil.objects.filter(sourced_id__in=wanted).values_list(
            "sourced_id", "given_name", "family_name"
        ):
            names[sid] = person(given, family)
    if wanted := ids.get("class", set()) | ids.get("subclass", set()):
        names.update(
            SchoolClass.objects.filter(sourced_id__in=wanted).values_list("sourced_id", "code")
        )
    if wanted := ids.get("staff"):
        for sid, given, family in Staff.objects.filter(sourced_id__in=wanted).values_list(
            "sourced_id", "given_name", "family_name"
        ):
            names[sid] = person(given, family)
    if wanted := ids.get("assignment"):
        roles = dict(Assignment.Role.choices)
        for sid, given, family, role, number in Assignment.objects.filter(
            sourced_id__in=wanted
        ).values_list(
            "sourced_id",
            "staff__given_name",
            "staff__family_name",
            "role",
            "institution__number",
        ):
            names[sid] = f"{person(given, family)} ({roles.get(role, role)}, {number})"
    if wanted := ids.get("teaching"):
        for sid, given, family, code in Teaching.objects.filter(sourced_id__in=wanted).values_list(
            "sourced_id",
            "assignment__staff__given_name",
            "assignment__staff__family_name",
            "schoolclass__code",
        ):
            names[sid] = f"{person(given, family)}, {code}"
    if wanted := ids.get("enrolment"):
        for sid, given, family, code in Enrolment.objects.filter(sourced_id__in=wanted).values_list(
            "sourced_id", "pupil__given_name", "pupil__family_name", "school_class__code"
        ):
            names[sid] = f"{person(given, family)} in {code}"
    if wanted := ids.get("institution"):
        names.update(
            Institution.objects.filter(sourced_id__in=wanted).values_list("sourced_id", "name")
        )
    return names


def actor_names(entries: Iterable[AuditEntry]) -> dict[str, str]:
    """E-mail address or username (lower case) → the person's name, from the staff list or
    their account."""
    actors: set[str] = set()
    for entry in entries:
        actors.update(part.strip().lower() for part in entry.actor.split(" als "))
    actors -= set(sentences.MACHINES)
    if not actors:
        return {}
    names: dict[str, str] = {}
    users = get_user_model().objects.annotate(email_lower=Lower("email"))
    for email, username, first, last in users.filter(
        Q(email_lower__in=actors) | Q(username__in=actors)
    ).values_list("email_lower", "username", "first_name", "last_name"):
        full = f"{first} {last}".strip()
        if full:
            names.setdefault(email or username, full)
            names.setdefault(username, full)
    for email, given, family in (
        Staff.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=actors)
        .values_list("email_lower", "given_name", "family_name")
    ):
        names.setdefault(email, f"{given} {family}".strip())
    return names


def decorate(entries: list[AuditEntry], care_shown: Callable[[AuditEntry], bool]) -> None:
    """Give each entry of a page its `sentence`, `subject` and `change_list`."""
    subjects, actors = subject_names(entries), actor_names(entries)
    for entry in entries:
        entry.subject = subjects.get(entry.entity_sourced_id, "")
        entry.sentence = sentences.sentence(entry, entry.subject, actors)
        entry.change_list = sentences.change_phrases(entry.changes, hide_care=not care_shown(entry))


# --- downloads ----------------------------------------------------------------------------

HEADER = (
    "tijdstip",
    "wat er gebeurde",
    "instelling",
    "soort",
    "over",
    "actie",
    "wijzigingen",
    "door",
    "reden",
    "synchronisatie",
    "id",
)
CHUNK = 2000


def rows(
    entries: Iterable[AuditEntry], care_shown: Callable[[AuditEntry], bool]
) -> Iterator[list[str]]:
    """The log as table rows (header first), in chunks so a large log streams."""
    yield list(HEADER)
    chunk: list[AuditEntry] = []
    for entry in entries:
        chunk.append(entry)
        if len(chunk) == CHUNK:
            yield from _chunk_rows(chunk, care_shown)
            chunk = []
    yield from _chunk_rows(chunk, care_shown)


def _chunk_rows(chunk: list[AuditEntry], care_shown) -> Iterator[list[str]]:
    if not chunk:
        return
    decorate(chunk, care_shown)
    for entry in chunk:
        yield [
            timezone.localtime(entry.at).strftime("%d/%m/%Y %H:%M:%S"),
            entry.sentence,
            entry.institution_number,
            entity_label(entry.entity),
            entry.subject,
            entry.get_action_display(),
            sentences.changes_text(entry.change_list),
            sentences.who(entry.actor),
            mask_national_numbers_in(entry.reason),
            str(entry.sync_run_id or ""),
            str(entry.entity_sourced_id),
        ]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: str) -> str:
    """A cell a spreadsheet will not run: text starting with = + - @ (or a tab or carriage
    return) gets a leading apostrophe (OWASP's advice against CSV/formula injection)."""
    value = "" if value is None else str(value)
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def xlsx_bytes(table: Iterable[list[str]]) -> bytes:
    """The rows as an Excel workbook, every cell text (never a formula)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Logboek")
    for position, row in enumerate(table):
        if position == 0:
            from openpyxl.cell import WriteOnlyCell

            header = []
            for value in row:
                heading = WriteOnlyCell(sheet, value=cell(value))
                heading.font = Font(bold=True)
                header.append(heading)
            sheet.append(header)
            continue
        sheet.append([cell(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
