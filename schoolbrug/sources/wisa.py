"""WISA: a pupils export and a classes export (CSV) → one `Snapshot` (seed 000).

Columns (header names match case-insensitively, ignoring surrounding spaces):

* pupils, required: KLAS, KLASNUMMER, NAAM, VOORNAAM, GEBOORTEDATUM, WISAID, STAMBOEKNUMMER,
  GESLACHT, RIJKSREGISTERNR.
* pupils, optional, the pupil's main record ("hoofding"): STRAAT, STRAATNR, BUSNR, POSTCODE,
  WOONPLAATS (→ `address`), EMAIL, GSM or else TELEFOON (→ `email`, `phone`).
* pupils, optional, the parents' addresses: the same names with `_VADER`, `_MOEDER` or
  `_VOOGD` appended (EMAIL_VADER, GSM_MOEDER, STRAAT_VOOGD, …) → `contacts["father"]`,
  `contacts["mother"]`, `contacts["guardian"]`; a role appears only when it has a value.
* classes, required: KLAS, GRAAD, LEERJAAR, VAKKENPAKKET. LEERJAAR may list several years for
  a multi-grade class: "1,2", "1-2" (a range: "1-3" is 1, 2 and 3), "1/2", "1+2"; `years`
  then lists them and `year` is the lowest. A single year leaves `years` empty.

A school whose export names columns differently gives a mapping (`load_mapping`): our column
name → theirs, for both files, or for one file with a `pupils.` / `classes.` prefix.

Class codes are matched exactly on the platform: "every letter and space counts". So a
class code is kept exactly as its cell holds it (the CSV quotes removed), inner, leading and
trailing spaces included, and "1A " in the pupils file does not match "1A" in the classes
file: validation reports CLASS_UNKNOWN and the school fixes it in WISA. The one exception is
an export that pads *every* header cell with spaces (`KLAS ; NAAM ; …`, an aligned export):
there the padding is formatting, so that file's class codes are stripped as well. All other
values (names, dates, numbers, e-mail) are always stripped of surrounding spaces.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from operator import itemgetter
from pathlib import Path

from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.findings import Finding, make_finding
from schoolbrug.sources.records import ClassRecord, PupilRecord, Snapshot
from schoolbrug.sources.tabular import (
    Memo,
    Table,
    compact_national_number,
    gc_paused,
    header_key,
    normalise_gender,
    parse_class_number,
    parse_date,
    read_table,
)

# Our column name → canonical PupilRecord field.
PUPIL_COLUMNS = {
    "KLAS": "class_code",
    "KLASNUMMER": "class_number",
    "NAAM": "family_name",
    "VOORNAAM": "given_name",
    "GEBOORTEDATUM": "birth_date",
    "WISAID": "source_id",
    "STAMBOEKNUMMER": "registration_number",
    "GESLACHT": "gender",
    "RIJKSREGISTERNR": "national_number",
}
# Our column name (without role suffix) → address / contact field.
ADDRESS_COLUMNS = {
    "STRAAT": "street",
    "STRAATNR": "number",
    "BUSNR": "box",
    "POSTCODE": "postal_code",
    "WOONPLAATS": "city",
}
TELECOM_COLUMNS = {"EMAIL": "email", "GSM": "phone", "TELEFOON": "phone"}
ROLE_SUFFIXES = {"VADER": "father", "MOEDER": "mother", "VOOGD": "guardian"}
CLASS_COLUMNS = {
    "KLAS": "code",
    "GRAAD": "stage",
    "LEERJAAR": "year",
    "VAKKENPAKKET": "curriculum",
}
OPTIONAL_PUPIL_COLUMNS = (
    *ADDRESS_COLUMNS,
    *TELECOM_COLUMNS,
    *(f"{name}_{suffix}" for suffix in ROLE_SUFFIXES for name in (*ADDRESS_COLUMNS, "EMAIL")),
    *(f"{name}_{suffix}" for suffix in ROLE_SUFFIXES for name in ("GSM", "TELEFOON")),
)
PUPIL_SCOPE_COLUMNS = frozenset((*PUPIL_COLUMNS, *OPTIONAL_PUPIL_COLUMNS))
CLASS_SCOPE_COLUMNS = frozenset(CLASS_COLUMNS)
KNOWN_COLUMNS = PUPIL_SCOPE_COLUMNS | CLASS_SCOPE_COLUMNS
SCOPES = ("pupils", "classes")
_MAPPING_HEADERS = {"SCHOOLBRUG", "ONZE KOLOM", "KOLOM", "OURS", "COLUMN", "FROM"}


def parse_wisa(
    pupils_path: str | Path,
    classes_path: str | Path,
    institution_number: str,
    mapping: dict[str, str] | None = None,
) -> Snapshot:
    """Read one institution's WISA pupils and classes exports.

    Raises `BadInput` when a file cannot be read as CSV or lacks a required column. Rows
    it can read but not trust (more cells than the header) are kept, with a finding in
    `Snapshot.findings` that makes validation reject them.
    """
    mapping = mapping or {}
    pupils_table = read_table(pupils_path)
    classes_table = read_table(classes_path)
    pupil_index = _columns(pupils_table, "pupils", PUPIL_COLUMNS, mapping)
    class_index = _columns(classes_table, "classes", CLASS_COLUMNS, mapping)
    findings: list[Finding] = []
    with gc_paused():
        pupils = _read_pupils(pupils_table, pupil_index, findings)
    classes = _read_classes(classes_table, class_index)
    # The pupil's own e-mail too: findings name the school's column.
    named = {**PUPIL_COLUMNS, "EMAIL": "email"}
    columns = {
        named[ours]: pupils_table.header[i].strip() for ours, i in pupil_index if ours in named
    }
    columns.update(
        {f"class.{CLASS_COLUMNS[ours]}": classes_table.header[i].strip() for ours, i in class_index}
    )
    combined = hashlib.sha256((pupils_table.sha256 + classes_table.sha256).encode("ascii"))
    return Snapshot(
        source="wisa",
        institution_number=str(institution_number),
        classes=classes,
        pupils=pupils,
        files={"pupils": pupils_table.file, "classes": classes_table.file},
        source_hash=combined.hexdigest(),
        key="national_number",
        findings=findings,
        classes_known=True,
        columns=columns,
    )


PUPILS_FILE = "leerlingen.csv"
CLASSES_FILE = "klassen.csv"


def parse_wisa_folder(folder: Path, mapping: dict[str, str] | None = None) -> Snapshot:
    """One institution's folder of a region export: named by its institution number,
    holding leerlingen.csv and klassen.csv."""
    folder = Path(folder)
    return parse_wisa(folder / PUPILS_FILE, folder / CLASSES_FILE, folder.name, mapping=mapping)


def load_mapping(path: str | Path) -> dict[str, str]:
    """Read a column mapping: our column name → the school's column name.

    JSON: an object, `{"KLAS": "Klascode", "classes.LEERJAAR": "Jaar"}`.
    CSV: two columns per line, ours then theirs, `;` or `,`; an optional first line
    `schoolbrug;export`. Our names are checked, so a typo fails here, not at the sync.
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        pairs = _mapping_pairs_json(path)
    else:
        pairs = _mapping_pairs_csv(path)
    mapping: dict[str, str] = {}
    for line, ours, theirs in pairs:
        key = _mapping_key(ours)
        if key is None:
            raise BadInput(
                f"Onbekende kolomnaam '{ours}' in het koppelbestand. Gebruik een van: "
                + ", ".join(sorted(KNOWN_COLUMNS))
                + " (eventueel met 'pupils.' of 'classes.' ervoor).",
                f"unknown column name in mapping: {ours!r}",
                file=path.name,
                line=line,
                field=ours,
            )
        if not theirs.strip():
            raise BadInput(
                f"Geen kolomnaam van de export bij '{ours}' in het koppelbestand.",
                f"empty export column name for {ours!r} in mapping",
                file=path.name,
                line=line,
                field=ours,
            )
        mapping[key] = theirs.strip()
    return mapping


def _mapping_key(name: str) -> str | None:
    scope, dot, column = name.strip().partition(".")
    scope = scope.lower()
    if dot and scope in SCOPES:
        allowed = PUPIL_SCOPE_COLUMNS if scope == "pupils" else CLASS_SCOPE_COLUMNS
        column = header_key(column)
        return f"{scope}.{column}" if column in allowed else None
    column = header_key(name)
    return column if column in KNOWN_COLUMNS else None


def _mapping_pairs_json(path: Path) -> list[tuple[int | None, str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(
            "Het koppelbestand kan niet gelezen worden.",
            f"cannot read mapping file: {exc}",
            file=path.name,
        ) from exc
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"Het koppelbestand is geen geldige JSON: {exc.msg}.",
            f"mapping is not valid JSON: {exc.msg}",
            file=path.name,
            line=exc.lineno,
            field=str(exc.colno),
        ) from exc
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise BadInput(
            'Het koppelbestand moet een JSON-object zijn: {"KLAS": "Klascode", ...}.',
            "mapping JSON must be an object of strings",
            file=path.name,
        )
    return [(None, ours, theirs) for ours, theirs in data.items()]


def _mapping_pairs_csv(path: Path) -> list[tuple[int | None, str, str]]:
    table = read_table(path)
    pairs: list[tuple[int | None, str, str]] = []
    if header_key(table.header[0]) not in _MAPPING_HEADERS:
        pairs.append((table.header_line, *_two_cells(table.header, table, table.header_line)))
    for line, cells in table.rows():
        pairs.append((line, *_two_cells(cells, table, line)))
    return pairs


def _two_cells(cells: list[str], table: Table, line: int) -> tuple[str, str]:
    filled = [cell for cell in cells if cell.strip()]
    if len(filled) != 2:
        raise BadInput(
            "Elke regel van het koppelbestand heeft twee kolommen: onze kolomnaam en die van "
            "de export.",
            "each mapping line needs two cells: our column name, the export's column name",
            file=table.file,
            line=line,
        )
    return filled[0], filled[1]


def _their_name(ours: str, scope: str, mapping: dict[str, str]) -> str:
    return mapping.get(f"{scope}.{ours}") or mapping.get(ours) or ours


def _columns(
    table: Table, scope: str, required: dict[str, str], mapping: dict[str, str]
) -> list[tuple[str, int]]:
    """(our name, position) for every column we read; BadInput naming the missing ones."""
    index = table.column_index()
    found: list[tuple[str, int]] = []
    missing: list[str] = []
    for ours in required:
        theirs = _their_name(ours, scope, mapping)
        position = index.get(header_key(theirs))
        if position is None:
            missing.append(theirs if theirs == ours else f"{theirs} ({ours})")
        else:
            found.append((ours, position))
    if missing:
        names = ", ".join(missing)
        raise BadInput(
            f"Verplichte kolom(men) ontbreken in de kopregel: {names}. Controleer de export "
            "of geef een koppelbestand met de kolomnamen van je pakket.",
            f"required column(s) missing from the header: {names}",
            file=table.file,
            line=table.header_line,
            field=names,
        )
    if scope == "pupils":
        for ours in OPTIONAL_PUPIL_COLUMNS:
            position = index.get(header_key(_their_name(ours, scope, mapping)))
            if position is not None:
                found.append((ours, position))
    return found


# PupilRecord's first fields in order: the hot loop passes them by position, which is twice
# as fast as by keyword at a million rows. Adding fields at the end keeps this valid.
_POSITIONAL = (
    "line",
    "source_id",
    "class_code",
    "class_number",
    "family_name",
    "given_name",
    "gender",
    "birth_date",
    "national_number",
    "registration_number",
    "email",
    "phone",
    "contacts",
    "care_record",
    "raw_gender",
    "raw_birth_date",
    "address",
)
assert PupilRecord.__match_args__[: len(_POSITIONAL)] == _POSITIONAL, "PupilRecord reordered"


def _read_pupils(
    table: Table, columns: list[tuple[str, int]], findings: list[Finding]
) -> list[PupilRecord]:
    """One PupilRecord per data row.

    Written for speed at a million rows: every cell is stripped once in C (the class code
    is taken before that: it is exact), repeated values (dates, genders, class numbers)
    are parsed once, groups of cells are picked with `itemgetter`.
    """
    position = dict(columns)
    i_code = position["KLAS"]
    i_number = position["KLASNUMMER"]
    i_family = position["NAAM"]
    i_given = position["VOORNAAM"]
    i_birth = position["GEBOORTEDATUM"]
    i_source = position["WISAID"]
    i_registration = position["STAMBOEKNUMMER"]
    i_gender = position["GESLACHT"]
    i_national = position["RIJKSREGISTERNR"]
    i_email = position.get("EMAIL")
    i_gsm = position.get("GSM")
    i_telephone = position.get("TELEFOON")
    address = _group(position, "")
    roles = [
        (role, group)
        for suffix, role in ROLE_SUFFIXES.items()
        if (group := _group(position, suffix))
    ]
    width = len(table.header)
    strip_codes = table.is_padded
    strip = str.strip
    dates = Memo(parse_date)
    dates[""] = None
    genders = Memo(normalise_gender)
    class_numbers = Memo(parse_class_number)
    pupils: list[PupilRecord] = []
    append = pupils.append
    reader, previous, offset = table.reader()
    try:
        for row in reader:
            end = reader.line_num
            line = previous + 1
            if end != line:
                table.check_multiline(row, line + offset)
            previous = end
            cells = len(row)
            if cells < width:
                if not any(row):
                    continue  # blank line
                row.extend([""] * (width - cells))
            values = list(map(strip, row))
            code = values[i_code] if strip_codes else row[i_code] if values[i_code] else ""
            national = values[i_national]
            if len(national) != 11:
                national = compact_national_number(national)
            phone = "" if i_gsm is None else values[i_gsm]
            if not phone and i_telephone is not None:
                phone = values[i_telephone]
            contacts = {}
            for role, (fields, pick) in roles:
                found = pick(values)
                if any(found):
                    contacts[role] = _filled(fields, found)
            record = PupilRecord(
                line + offset,
                values[i_source],
                code,
                class_numbers[values[i_number]],
                values[i_family],
                values[i_given],
                genders[values[i_gender]],
                dates[values[i_birth]],
                national,
                values[i_registration],
                "" if i_email is None else values[i_email],
                phone,
                contacts,
                {},
                values[i_gender],
                values[i_birth],
                _filled(address[0], address[1](values)) if address else {},
            )
            if cells > width and any(values[width:]):
                findings.append(_too_many_cells(table, record, cells, width))
            elif not (code or national or record.family_name or record.source_id) and not any(
                values
            ):
                continue  # a row of spaces only
            append(record)
    except csv.Error as exc:
        raise table.unreadable(exc, previous + 1 + offset) from exc
    return pupils


_GROUP_COLUMNS = (
    *ADDRESS_COLUMNS.items(),
    ("EMAIL", "email"),
    # TELEFOON before GSM: when both are filled the later one (GSM) wins in _filled.
    ("TELEFOON", "phone"),
    ("GSM", "phone"),
)


def _group(
    position: dict[str, int], suffix: str
) -> tuple[tuple[str, ...], Callable[[list[str]], tuple[str, ...]]] | None:
    """(fields, pick) for one role's address and telecom cells that the export has.

    Suffix "" is the pupil's own address (its e-mail and phone are fields of their own).
    """
    cells = [
        (field, position[key])
        for name, field in _GROUP_COLUMNS
        if (key := f"{name}_{suffix}" if suffix else name) in position
        and (suffix or field not in ("email", "phone"))
    ]
    if not cells:
        return None
    fields = tuple(field for field, _ in cells)
    if len(cells) == 1:
        only = cells[0][1]
        return fields, lambda values: (values[only],)
    return fields, itemgetter(*(i for _, i in cells))


def _filled(fields: tuple[str, ...], values: tuple[str, ...]) -> dict[str, str]:
    """field → value for the values that are not empty; a later field of the same name wins."""
    if all(values):
        return dict(zip(fields, values, strict=True))
    return {field: value for field, value in zip(fields, values, strict=True) if value}


def _too_many_cells(table: Table, record: PupilRecord, cells: int, width: int) -> Finding:
    return make_finding(
        "ROW_TOO_MANY_CELLS",
        file=table.file,
        line=record.line,
        national_number=record.national_number,
        class_code=record.class_code,
        pupil_name=f"{record.given_name} {record.family_name}".strip(),
        value=f"{cells} in plaats van {width}",
    )


def _read_classes(table: Table, columns: list[tuple[str, int]]) -> list[ClassRecord]:
    position = dict(columns)
    width = len(table.header)
    strip_codes = table.is_padded
    classes: list[ClassRecord] = []
    for line, row in table.rows():
        if len(row) < width:
            row.extend([""] * (width - len(row)))
        code = row[position["KLAS"]]
        if strip_codes or code.isspace():
            code = code.strip()
        if not code:
            continue  # no pupil can name a class without a code
        years = parse_years(row[position["LEERJAAR"]])
        classes.append(
            ClassRecord(
                code=code,
                stage=row[position["GRAAD"]].strip(),
                year=years[0] if years else None,
                curriculum=row[position["VAKKENPAKKET"]].strip(),
                years=years if len(years) > 1 else (),
                line=line,
            )
        )
    return classes


def parse_years(value: str) -> tuple[int, ...]:
    """LEERJAAR → the years it names, ascending; () when empty or unreadable.

    "3" → (3,); "1,2", "1 en 2", "1/2", "1+2" → (1, 2); "1-3" → (1, 2, 3).
    """
    text = "-".join(part.strip() for part in value.lower().split("-")).replace(" en ", ",")
    for separator in ("/", "+", ";", " "):
        text = text.replace(separator, ",")
    years: set[int] = set()
    for part in filter(None, text.split(",")):
        low, dash, high = part.partition("-")
        if not (low.isascii() and low.isdigit()) or (
            dash and not (high.isascii() and high.isdigit())
        ):
            return ()
        first, last = int(low), int(high) if dash else int(low)
        if last < first or last - first > 12:
            return ()
        years.update(range(first, last + 1))
    return tuple(sorted(years))
