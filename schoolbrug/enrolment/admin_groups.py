"""The government's list of administrative groups (programmes), and their order on the page.

`sync_admin_groups` reads the list as CSV, XLSX or TXT (the columns of the open-data list:
administratievegroep_code, administratievegroep_omschrijving, graad, finaliteit, onderwijsvorm,
duaal; a leerjaar column is optional), adds new codes, updates changed ones and deletes
nothing: a code the list no longer holds stays (an offer may use it) and is counted as
missing. A bad row stops the whole load before anything is written. The changes are written in
bulk and logged in bulk (`audit.changes.record_bulk`), so a list of 9,630 groups is quick.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import F

from schoolbrug.audit import changes

from .models import NEWCOMERS_CODE, AdministrativeGroup, Lop

REQUIRED = ("administratievegroep_code", "administratievegroep_omschrijving")
COLUMNS = {
    "administratievegroep_code": "code",
    "administratievegroep_omschrijving": "name",
    "graad": "stage",
    "finaliteit": "finality",
    "onderwijsvorm": "form",
    "leerjaar": "year",
    "duaal": "dual",
}
TRUE = {"true", "ja", "1", "waar", "yes"}
FALSE = {"false", "nee", "0", "onwaar", "no", ""}
# The seed's order of secondary programmes: by form, then stage, year and name.
FORM_ORDER = ("GSO", "ASO", "BSO", "TSO", "HBO", "KSO", "999")
STAGE_ORDER = {"eerste": 1, "tweede": 2, "derde": 3, "vierde": 4, "hoger": 5}
YEAR_IN_NAME = re.compile(r"^\s*(\d+)\s*(?:ste|de|e)\b", re.IGNORECASE)


MAX_CODE = 2_147_483_647  # what the code column holds on every database
NAME_LENGTH = AdministrativeGroup._meta.get_field("name").max_length


class ListError(ValueError):
    """A list that cannot be loaded: Dutch, naming file, line, field and reason."""


@dataclass(frozen=True, slots=True)
class Counts:
    added: int
    updated: int
    unchanged: int
    missing: int

    def __str__(self) -> str:
        return (
            f"added={self.added} updated={self.updated} "
            f"unchanged={self.unchanged} missing={self.missing}"
        )


def _rows_from_text(text: str, name: str) -> list[list[str]]:
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        return [row for row in reader]
    except csv.Error as error:  # a NUL byte, a stray line break: a file that is no list
        raise ListError(
            f"{name}, regel {reader.line_num}: geen leesbare CSV-regel ({error})."
        ) from None


# Excel's "Unicode text" is UTF-16 with a byte order mark; without one we try UTF-8, then
# Windows' Latin-1 (cp1252), the two a Flemish spreadsheet saves.
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _rows_from_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        return [
            ["" if cell is None else str(cell) for cell in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    finally:
        book.close()


def read_rows(path: Path) -> list[list[str]]:
    if path.suffix.lower() == ".xlsx":
        try:
            return _rows_from_xlsx(path)
        except Exception as error:  # openpyxl raises many kinds for a file that is no XLSX
            raise ListError(f"{path.name}: geen leesbaar Excel-bestand ({error}).") from None
    raw = path.read_bytes()
    encodings = ("utf-16",) if raw.startswith(UTF16_BOMS) else ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        return _rows_from_text(text, path.name)
    raise ListError(f"{path.name}: onleesbare tekst.")  # cp1252 decodes nearly anything


def year_of(name: str, given: str = "") -> str:
    """The year (leerjaar) as the list gives it, else as its name starts ("2e leerjaar …")."""
    if given.strip():
        return given.strip()
    found = YEAR_IN_NAME.match(name)
    return found.group(1) if found else ""


def parse(path: Path) -> list[AdministrativeGroup]:
    """The groups of the list, unsaved; ListError for the first bad line."""
    rows = read_rows(path)
    if not rows:
        raise ListError(f"{path.name}: het bestand is leeg.")
    header = [cell.strip().lower() for cell in rows[0]]
    absent = [name for name in REQUIRED if name not in header]
    if absent:
        raise ListError(f"{path.name}, regel 1: kolom {', '.join(absent)} ontbreekt.")
    where = {column: header.index(column) for column in COLUMNS if column in header}
    groups: dict[int, AdministrativeGroup] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {
            COLUMNS[column]: (row[index].strip() if index < len(row) else "")
            for column, index in where.items()
        }
        code_text = values["code"]
        if not code_text.isdigit():
            raise ListError(
                f"{path.name}, regel {line}, administratievegroep_code: "
                f"'{code_text}' is geen code (alleen cijfers)."
            )
        code = int(code_text)
        if code > MAX_CODE:
            raise ListError(
                f"{path.name}, regel {line}, administratievegroep_code: "
                f"'{code_text}' is te groot voor een code."
            )
        if code in groups:
            raise ListError(
                f"{path.name}, regel {line}, administratievegroep_code: {code} staat er twee keer."
            )
        if not values["name"]:
            raise ListError(f"{path.name}, regel {line}, administratievegroep_omschrijving: leeg.")
        if len(values["name"]) > NAME_LENGTH:
            raise ListError(
                f"{path.name}, regel {line}, administratievegroep_omschrijving: "
                f"langer dan {NAME_LENGTH} tekens."
            )
        dual = values.get("dual", "").lower()
        if dual not in TRUE | FALSE:
            raise ListError(f"{path.name}, regel {line}, duaal: '{dual}' is geen ja/nee.")
        groups[code] = AdministrativeGroup(
            code=code,
            name=values["name"],
            form=values.get("form", "").upper(),
            stage=values.get("stage", ""),
            year=year_of(values["name"], values.get("year", "")),
            finality=values.get("finality", ""),
            dual=dual in TRUE,
        )
    return list(groups.values())


FIELDS = ("name", "form", "stage", "year", "finality", "dual")


def sync_admin_groups(path: Path) -> Counts:
    listed = parse(path)
    with transaction.atomic():
        known = {g.code: g for g in AdministrativeGroup.objects.select_for_update()}
        new = [g for g in listed if g.code not in known]
        changed_pairs = []
        for group in listed:
            stored = known.get(group.code)
            if stored is None or all(getattr(stored, f) == getattr(group, f) for f in FIELDS):
                continue
            before = AdministrativeGroup(pk=stored.pk, **{f: getattr(stored, f) for f in FIELDS})
            before.code = stored.code
            for name in FIELDS:
                setattr(stored, name, getattr(group, name))
            changed_pairs.append((before, stored))
        created = AdministrativeGroup.objects.bulk_create(new, batch_size=1000)
        if any(g.pk is None for g in created):  # a backend that returns no ids
            by_code = dict(
                AdministrativeGroup.objects.filter(code__in=[g.code for g in new]).values_list(
                    "code", "pk"
                )
            )
            for group in created:
                group.pk = by_code[group.code]
        AdministrativeGroup.objects.bulk_update(
            [after for _, after in changed_pairs], FIELDS, batch_size=1000
        )
        changes.record_bulk(AdministrativeGroup, [(None, g) for g in created])
        changes.record_bulk(AdministrativeGroup, changed_pairs)
        if new or changed_pairs:  # bulk statements send no signal: the public pages' version
            Lop.objects.update(version=F("version") + 1)
    listed_codes = {g.code for g in listed}
    missing = sum(1 for code in known if code not in listed_codes and code != NEWCOMERS_CODE)
    return Counts(
        added=len(new),
        updated=len(changed_pairs),
        unchanged=len(listed) - len(new) - len(changed_pairs),
        missing=missing,
    )


def stage_rank(stage: str) -> int:
    if not stage.strip():
        return 99
    first = stage.strip().split()[0].lower()
    return STAGE_ORDER.get(first, 50)


def year_rank(year: str) -> int:
    return int(year) if year.isdigit() else 99


def programme_sort_key(group: AdministrativeGroup) -> tuple:
    """GSO, ASO, BSO, TSO, HBO, KSO, 999, any other form, (none); then stage, year, name."""
    form = group.form.strip().upper()
    if form in FORM_ORDER:
        form_rank = (FORM_ORDER.index(form), "")
    elif form:
        form_rank = (len(FORM_ORDER), form)
    else:
        form_rank = (len(FORM_ORDER) + 1, "")
    return (
        form_rank,
        stage_rank(group.stage),
        year_rank(group.year),
        group.name.casefold(),
        group.code,
    )
