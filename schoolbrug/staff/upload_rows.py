"""Reading and checking the weekly staff upload (`upload.py`): a CSV (any encoding and separator
the sync tolerates) or the first sheet of an XLSX workbook, one assignment a row. Every row is
checked before anything is planned: one bad row refuses the file, naming file, line, column
and reason (the value only in the Dutch text for the school, never in the log)."""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from schoolbrug.registry.models import Assignment
from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.tabular import header_key, parse_table

NAME_FIELDS = ("given_name", "family_name")
COLUMNS = ("email", *NAME_FIELDS, "institution_number", "role", "start_date", "end_date")
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
