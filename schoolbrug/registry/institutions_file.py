"""Institutions from a list file into the registry: number, name and level, in bulk.

Reads `instellingen.csv` as `schoolbrug generate` writes it (instellingsnummer;naam;niveau;
vestigingsnummer;gemeente) and the government's list of sites, whose columns are named
schoolnummer, naam, onderwijsniveau, intern_vplnummer. UTF-8 (with or without BOM) or
Windows-1252; `;` or `,`. One row per site: an institution with several sites has several
rows, and its first row gives the name.

Levels: basis / BaO / BuBaO → primary, secundair / SO / BuSO → secondary. Rows of other levels
(HO, volwassenenonderwijs) are skipped: the registry holds primary and secondary schools.
"""

from __future__ import annotations

import copy
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from schoolbrug.audit.changes import record_bulk
from schoolbrug.registry.models import Institution
from schoolbrug.registry.signals import institutions_saved
from schoolbrug.sources.errors import BadInput

COLUMN_ALIASES = {
    "number": ("instellingsnummer", "schoolnummer"),
    "name": ("naam",),
    "level": ("niveau", "onderwijsniveau"),
}
LEVELS = {
    "basis": Institution.Level.PRIMARY,
    "basisonderwijs": Institution.Level.PRIMARY,
    "bao": Institution.Level.PRIMARY,
    "bubao": Institution.Level.PRIMARY,
    "primary": Institution.Level.PRIMARY,
    "secundair": Institution.Level.SECONDARY,
    "secundair onderwijs": Institution.Level.SECONDARY,
    "so": Institution.Level.SECONDARY,
    "buso": Institution.Level.SECONDARY,
    "secondary": Institution.Level.SECONDARY,
}
NAME_MAX = Institution._meta.get_field("name").max_length
# The government's institution numbers have at most six digits; the column takes longer ids
# (INSTITUTION_IDENTIFIER_LENGTH) for a source's school that has no such number.
NUMBER_MAX = 6


@dataclass(frozen=True, slots=True)
class InstitutionRow:
    number: str
    name: str
    level: str  # Institution.Level


@dataclass(frozen=True, slots=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int
    skipped: int  # rows of a level the registry does not hold

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def load_institutions(path: str | Path) -> int:
    """Create or update the file's institutions; returns how many institutions it lists."""
    return load_institutions_file(path).total


def load_institutions_file(path: str | Path) -> LoadResult:
    """As `load_institutions`, with counts of what changed (for the command's report)."""
    rows, skipped = read_institutions(path)
    return save_institutions(rows, skipped=skipped)


def read_institutions(path: str | Path) -> tuple[list[InstitutionRow], int]:
    """One row per institution number, in file order, and the number of rows skipped.
    Raises BadInput (file, line, column) for a file or row that cannot be read."""
    path = Path(path)
    text = _decode(path.read_bytes(), path.name)
    header_line = text.partition("\n")[0]
    delimiter = ";" if header_line.count(";") >= header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [cell.strip().lower() for cell in next(reader, [])]
    index = {}
    for key, aliases in COLUMN_ALIASES.items():
        found = [header.index(alias) for alias in aliases if alias in header]
        if not found:
            raise BadInput(
                f"De kolom {aliases[0]} ontbreekt in de kopregel.",
                f"column {aliases[0]} missing from the header",
                file=path.name,
                line=1,
            )
        index[key] = found[0]
    rows: dict[str, InstitutionRow] = {}
    skipped = 0
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        number, name, level = (
            (cells[index[k]].strip() if index[k] < len(cells) else "") for k in COLUMN_ALIASES
        )
        if not (number.isdigit() and len(number) <= NUMBER_MAX):
            raise BadInput(
                f"Ongeldig instellingsnummer {number!r}: verwacht 1 tot {NUMBER_MAX} cijfers.",
                f"invalid institution number {number!r}",
                file=path.name,
                line=line,
                field=header[index["number"]],
            )
        if not name:
            raise BadInput(
                "De naam van de instelling ontbreekt.",
                "institution name missing",
                file=path.name,
                line=line,
                field=header[index["name"]],
            )
        if level.lower() not in LEVELS:
            skipped += 1
            continue
        rows.setdefault(number, InstitutionRow(number, name[:NAME_MAX], LEVELS[level.lower()]))
    return list(rows.values()), skipped


def save_institutions(rows: list[InstitutionRow], *, skipped: int = 0) -> LoadResult:
    """Bulk create and update: one read of the table, one insert, one update statement per
    batch; institutions the list does not name are left alone. Bulk statements send no
    signals, so the audit entries are written here, in bulk too, through the same log."""
    existing = {institution.number: institution for institution in Institution.objects.all()}
    now = timezone.now()
    new, changed = [], []
    for row in rows:
        if (before := existing.get(row.number)) is None:
            new.append(Institution(number=row.number, name=row.name, level=row.level))
        elif (before.name, before.level) != (row.name, row.level):
            after = copy.copy(before)
            after.name, after.level, after.updated_at = row.name, row.level, now
            changed.append((before, after))
    with transaction.atomic():
        Institution.objects.bulk_create(new, batch_size=500)
        Institution.objects.bulk_update(
            [after for _, after in changed], ["name", "level", "updated_at"], batch_size=500
        )
        record_bulk(Institution, [(None, institution) for institution in new] + changed)
        if changed:
            institutions_saved.send(sender=Institution, pks=[after.pk for _, after in changed])
    return LoadResult(len(new), len(changed), len(rows) - len(new) - len(changed), skipped)


def _decode(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise BadInput(
            "Het bestand is niet te lezen als UTF-8 of Windows-1252.",
            "cannot decode as UTF-8 or Windows-1252",
            file=file,
        ) from error
