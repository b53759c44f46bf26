"""The product catalogue file: `schoolbrug platform products load FILE` (CSV or XLSX).

Columns (header row, Dutch or English names, any order): code, naam/name, uitgever/publisher,
vak/subject, url. A product with a known code is updated, a new code added; nothing is ever
removed (licences point to products). Every row is checked before anything is written: one bad
row and the file writes nothing, with every problem named by file, line, field and reason.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from openpyxl.utils.exceptions import InvalidFileException

from .models import Product

COLUMNS = {
    "code": "code",
    "naam": "name",
    "name": "name",
    "uitgever": "publisher",
    "publisher": "publisher",
    "vak": "subject",
    "subject": "subject",
    "url": "url",
}
REQUIRED = ("code", "name")
DUTCH = {"code": "code", "name": "naam", "publisher": "uitgever", "subject": "vak", "url": "url"}
LIMITS = {f.name: f.max_length for f in Product._meta.concrete_fields if f.max_length}
# A catalogue is a few thousand products: far below this. A bigger file is a mistake (or worse),
# not something to read into memory.
# A file that is not what its name says (an .xlsx that is no workbook, a CSV without a
# delimiter): named as unreadable, never a traceback.
UNREADABLE = (
    OSError,
    ValueError,
    KeyError,
    IndexError,
    csv.Error,
    zipfile.BadZipFile,
    InvalidFileException,
)
MAX_BYTES = 20 * 1024 * 1024
# What Excel or a CP1252 decoder makes of a UTF-8 byte order mark before a CP1252 body.
MISREAD_BOM = "\ufeff".encode().decode("cp1252")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}, regel {self.line}, veld {self.field}: {self.reason}"


class BadCatalogue(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


@dataclass(frozen=True)
class Loaded:
    created: int
    updated: int
    unchanged: int


def read_rows(path: Path) -> list[list[str]]:
    if path.stat().st_size > MAX_BYTES:
        raise ValueError(f"groter dan {MAX_BYTES // (1024 * 1024)} MB")
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        return [
            ["" if cell is None else str(cell).strip() for cell in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252").removeprefix(MISREAD_BOM)
    dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=",;\t")
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), dialect)]


def parse(path: Path) -> list[dict]:
    """The file's products as dicts of Product fields, or BadCatalogue naming every problem."""
    name = path.name
    try:
        rows = read_rows(path)
    except UNREADABLE as error:
        raise BadCatalogue(
            [Problem(name, 1, "-", f"het bestand is niet te lezen ({error})")]
        ) from None
    if not rows or not any(rows[0]):
        raise BadCatalogue([Problem(name, 1, "-", "het bestand is leeg")])
    header = [COLUMNS.get(cell.lower()) for cell in rows[0]]
    problems = [
        Problem(name, 1, DUTCH[field], "deze kolom ontbreekt")
        for field in REQUIRED
        if field not in header
    ]
    if problems:
        raise BadCatalogue(problems)
    products, seen = [], {}
    check_url = URLValidator(schemes=["https", "http"])
    for line, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue
        values = {f: v for f, v in zip(header, row, strict=False) if f}
        for field in REQUIRED:
            if not values.get(field):
                problems.append(Problem(name, line, DUTCH[field], "is leeg"))
        for field, value in values.items():
            if any(ord(ch) < 32 for ch in value):  # NUL, which PostgreSQL refuses, and the like
                problems.append(Problem(name, line, DUTCH[field], "bevat een stuurteken"))
            if LIMITS.get(field) and len(value) > LIMITS[field]:
                problems.append(
                    Problem(name, line, DUTCH[field], f"langer dan {LIMITS[field]} tekens")
                )
        if values.get("url"):
            try:
                check_url(values["url"])
            except ValidationError:
                problems.append(Problem(name, line, "url", "geen geldig webadres (https://...)"))
        code = values.get("code", "")
        if code and code in seen:
            problems.append(Problem(name, line, "code", f"staat ook al op regel {seen[code]}"))
        seen.setdefault(code, line)
        products.append(values)
    if problems:
        raise BadCatalogue(problems)
    return products


@transaction.atomic
def load(path: Path) -> Loaded:
    """Add and update the catalogue from the file: all of it, or nothing."""
    rows = parse(path)
    known = {p.code: p for p in Product.objects.filter(code__in=[r["code"] for r in rows])}
    created = updated = 0
    for row in rows:
        product = known.get(row["code"])
        if product is None:
            Product.objects.create(**row)  # saved through the ORM: logged by audit.changes
            created += 1
            continue
        changed = {f: v for f, v in row.items() if getattr(product, f) != v}
        if changed:
            for field, value in changed.items():
                setattr(product, field, value)
            product.save()
            updated += 1
    return Loaded(created, updated, len(rows) - created - updated)
