"""Reading and checking the weekly staff upload (`upload.py`): a CSV (any encoding and separator
the sync tolerates) or the first sheet of an XLSX workbook, one assignment a row. Every row is
checked before anything is planned: one bad row refuses the file, naming file, line, column
and reason (the value only in the Dutch text for the school, never in the log)."""

from __future__ import annotations

import datetime
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from schoolbrug.registry.models import Assignment
from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.tabular import parse_table

NAME_FIELDS = ("given_name", "family_name")
COLUMNS = ("email", *NAME_FIELDS, "institution_number", "role", "start_date", "end_date")
ROLES = tuple(Assignment.Role.values)
# A school's own export speaks Dutch: its headers, role names and dd/mm/jjjj dates are taken
# as they are, beside the English of the CLI's documented format. Compared without case,
# accents, spaces or punctuation (`_plain`).
COLUMN_NAMES_NL = {
    "email": "e-mailadres",
    "given_name": "voornaam",
    "family_name": "familienaam",
    "institution_number": "instellingsnummer",
    "role": "rol",
    "start_date": "startdatum",
    "end_date": "einddatum",
}
HEADER_ALIASES = {
    "email": ("email", "emailadres", "mail", "mailadres"),
    "given_name": ("givenname", "voornaam", "roepnaam"),
    "family_name": ("familyname", "familienaam", "achternaam", "naam"),
    "institution_number": (
        "institutionnumber",
        "instellingsnummer",
        "instellingsnr",
        "instelling",
        "schoolnummer",
    ),
    "role": ("role", "rol", "functie", "ambt"),
    "start_date": ("startdate", "startdatum", "begindatum", "vanaf", "van"),
    "end_date": ("enddate", "einddatum", "tot", "totenmet"),
}
ROLE_ALIASES = {
    Assignment.Role.DIRECTOR: ("director", "directeur", "directrice", "directie"),
    Assignment.Role.TEACHER: (
        "teacher",
        "leerkracht",
        "leraar",
        "lerares",
        "onderwijzer",
        "kleuteronderwijzer",
    ),
    Assignment.Role.ICT_COORDINATOR: ("ictcoordinator", "ictcoordinatrice", "ict"),
    Assignment.Role.CARE_TEAM: ("careteam", "zorgteam", "zorgcoordinator", "zorgleerkracht"),
    Assignment.Role.SECRETARY: (
        "secretary",
        "secretariaat",
        "secretaris",
        "secretaresse",
        "administratiefmedewerker",
    ),
}
ROLE_NAMES_NL = ", ".join(str(label) for label in Assignment.Role.labels)
MAX_ERRORS = 50  # bad rows listed; the rest is counted
# A workbook is read within these bounds, whatever it claims: a few kB of XLSX can declare
# the sheet's full width (16 384 columns, each row padded to it when read) or unpack to
# gigabytes, and the page's 10 MB limit is on the packed size.
XLSX_MAX_UNPACKED = 100 * 1024 * 1024
XLSX_MAX_COLUMNS = 100
MAX_ROWS = 50_000  # a board's staff list is a few thousand assignments
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
    "role": ("Onbekende rol '{value}': kies " + ROLE_NAMES_NL + ".", "unknown role"),
    "institution": (
        "Onbekend instellingsnummer '{value}': niet in het register (let op voorloopnullen, "
        "bv. 012345).",
        "unknown institution number",
    ),
    "date": ("Ongeldige datum '{value}': schrijf DD/MM/JJJJ, bv. 01/09/2025.", "invalid date"),
    "other_school": (
        "Deze regel hoort bij instelling '{value}': laad hier alleen het personeel van {first} op.",
        "row of another institution",
    ),
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
_DUTCH_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


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


def read_file(
    path: Path, *, institution: str | None = None
) -> tuple[bytes, list[tuple[int, dict[str, str]]], dict[str, str]]:
    """`(bytes, [(line, {column: text})], {column: header as in the file})`, columns by their
    English name whatever the file calls them; BadInput or UploadRejected if it cannot be
    read. For one `institution`'s list (the page) the institution column may be left out."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(
            "Het bestand kan niet gelezen worden.", f"cannot read: {exc.strerror}", file=path.name
        ) from exc
    if path.suffix.lower() == ".xlsx" or data.startswith(b"PK\x03\x04"):
        header_line, header, raw_rows = _xlsx_rows(data, path.name)
    else:  # CSV in any encoding and separator we tolerate
        table = parse_table(data, file=path.name)
        header_line, header = table.header_line, [h.strip() for h in table.header]
        raw_rows = list(table.rows())
        if len(raw_rows) > MAX_ROWS:
            raise _too_many_rows(path.name)
    columns = _columns(header)
    headers = {column: header[i].strip() for column, i in columns.items()}
    rows = [
        (line, {column: (cells[i] if i < len(cells) else "") for column, i in columns.items()})
        for line, cells in raw_rows
    ]
    where = {"file": path.name, "line": header_line}
    optional = {"institution_number"} if institution else set()
    missing = [
        BadInput(
            f"De kolom {COLUMN_NAMES_NL[c]} ontbreekt in de kopregel.",
            "column missing",
            **where,
            field=COLUMN_NAMES_NL[c],
        )
        for c in COLUMNS
        if c not in columns and c not in optional
    ]
    if missing or not rows:
        raise UploadRejected(
            missing or [BadInput("Er staan geen opdrachten in.", "no rows", **where)]
        )
    return data, rows, headers


def _columns(header: list[str]) -> dict[str, int]:
    """Which position of the header holds which column (English or Dutch names)."""
    # The documented English name (any case) first: an "E-mail" beside an "email" column is
    # another column, not the address.
    columns = {
        name.strip().lower(): position
        for position, name in reversed(list(enumerate(header)))
        if name.strip().lower() in COLUMNS
    }
    for position, name in enumerate(header):
        if position in columns.values():
            continue
        key = _plain(name)
        for column, aliases in HEADER_ALIASES.items():
            if key in aliases and column not in columns:
                columns[column] = position
                break
    return columns


def _plain(text: str) -> str:
    """Lower case without accents, spaces or punctuation: 'ICT-coördinator' → 'ictcoordinator'."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


def _role(text: str) -> str:
    key = _plain(text)
    return next((role for role, names in ROLE_ALIASES.items() if key in names), "")


def _xlsx_rows(data: bytes, file: str) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    """The first sheet: `(header line, header, [(line, [cell text])])`."""
    from openpyxl import load_workbook

    try:
        unpacked = sum(item.file_size for item in zipfile.ZipFile(io.BytesIO(data)).infolist())
        if unpacked > XLSX_MAX_UNPACKED:
            raise BadInput(
                "Deze Excel-werkmap is uitgepakt groter dan "
                f"{XLSX_MAX_UNPACKED // (1024 * 1024)} MB: is het wel de personeelslijst?",
                "XLSX workbook unpacks beyond the limit",
                file=file,
            )
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        values = []
        for row in sheet.iter_rows(values_only=True, max_col=XLSX_MAX_COLUMNS):
            if len(values) > MAX_ROWS:
                raise _too_many_rows(file)
            values.append(list(row))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError) as exc:
        raise BadInput(
            "Dit is geen leesbare Excel-werkmap (.xlsx).",
            f"not a readable XLSX workbook: {type(exc).__name__}",
            file=file,
        ) from exc
    start = next((i for i, row in enumerate(values) if any(_cell("", v) for v in row)), 0)
    header = [_cell("", v).strip() for v in (values[start] if values else [])]
    columns = _columns(header)
    number_at = columns.get("institution_number")
    rows = []
    for line, row in enumerate(values[start + 1 :], start=start + 2):
        cells = [
            _cell("institution_number" if i == number_at else "", value)
            for i, value in enumerate(row)
        ]
        if any(cells):
            rows.append((line, cells))
    return start + 1, header, rows


def _too_many_rows(file: str) -> BadInput:
    return BadInput(
        f"Dit bestand heeft meer dan {MAX_ROWS} regels: is het wel de personeelslijst?",
        "more rows than the limit",
        file=file,
    )


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


def parse_rows(
    file: str,
    rows: list[tuple[int, dict]],
    institutions: set[str],
    *,
    headers: dict[str, str] | None = None,
    only: str | None = None,
) -> list[StaffRow]:
    """Check every row; UploadRejected lists the bad ones (up to MAX_ERRORS), each naming
    the column as the file's header does (`headers`). With `only` (one school's list, from
    its page) every row belongs to that institution: an empty number is that one, another
    number refuses the row."""
    errors: list[BadInput] = []
    parsed: list[StaffRow] = []
    first_names: dict[str, tuple[int, tuple[str, str]]] = {}
    first_lines: dict[Key, int] = {}
    for line, cells in rows:
        v = {c: (cells.get(c) or "").strip() for c in COLUMNS}
        if only and not v["institution_number"]:
            v["institution_number"] = only
        email, role, number = v["email"].lower(), _role(v["role"]), v["institution_number"]
        start, end = _date(v["start_date"]), _date(v["end_date"])
        checks = [(c, "missing", not v[c]) for c in LABELS] + [
            ("email", "email", email and not _valid_email(email)),
            ("role", "role", v["role"] and not role),
            ("institution_number", "other_school", only and number and number != only),
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
        if any(code == "other_school" for _c, code, _r in problems):
            problems = [(c, code, only) for c, code, _r in problems if code == "other_school"]
        named = headers or {}
        errors += [
            _error(file, line, c, code, v[c], ref, named.get(c, c)) for c, code, ref in problems
        ]
        parsed.append(row)
    if errors:
        raise UploadRejected(errors[:MAX_ERRORS], max(0, len(errors) - MAX_ERRORS))
    return parsed


def _error(
    file: str, line: int, column: str, code: str, value: str, first, header: str
) -> BadInput:
    fill = {"value": value, "label": LABELS.get(column, column), "first": first}
    nl, en = (text.format(**fill) for text in MESSAGES[code])
    return BadInput(nl, en, file=file, line=line, field=header or column)


def _valid_email(email: str) -> bool:
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


def _date(text: str) -> datetime.date | None:
    """2025-09-01 or 01/09/2025 (also 1-9-2025, 01.09.2025): day before month, as a Flemish
    or Dutch export writes it."""
    try:
        if _ISO_DATE.fullmatch(text):
            return datetime.date.fromisoformat(text)
        if found := _DUTCH_DATE.fullmatch(text):
            day, month, year = (int(part) for part in found.groups())
            return datetime.date(year, month, day)
    except ValueError:  # 2025-02-30
        return None
    return None
