"""The old → new internal numbers of the moved records (pupils, staff, classes,
institutions), as CSV and XLSX for the schools' records (seed 003: the vendor hands out
these lists too; here only the internal numbers change, never the `sourced_id` apps use).

A number is the record's id; the fold gave every added row old id + the table's offset, and
the report lists the joined ones. A cell that a spreadsheet would read as a formula is
written as text (a leading apostrophe)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from openpyxl import Workbook

from schoolbrug.registry.models import Pupil, SchoolClass, Staff

HEADER = ["soort", "oud nummer", "nieuw nummer", "id (sourced_id)", "naam", "instelling", "wijze"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
KINDS = {
    "registry.Pupil": "leerling",
    "registry.Staff": "personeelslid",
    "registry.SchoolClass": "klas",
}


def neutral(value) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def _staff_joined(report: dict) -> dict[int, int]:
    return {int(k): v for k, v in report["joined"].get("registry.Staff", {}).items()}


def rows(report: dict) -> Iterator[list]:
    """One row per moved pupil, class and staff member: kind, old, new, id, name, school."""
    numbers = report["institutions"]
    offsets = report["offsets"]
    offset = offsets.get("registry.Pupil", 0)
    pupils = Pupil.objects.filter(institution__number__in=numbers, pk__gt=offset)
    for pk, sourced_id, family, given, school in (
        pupils.order_by("pk")
        .values_list("pk", "sourced_id", "family_name", "given_name", "institution__number")
        .iterator(chunk_size=5000)
    ):
        yield ["leerling", pk - offset, pk, str(sourced_id), f"{family} {given}", school, "nieuw"]
    offset = offsets.get("registry.SchoolClass", 0)
    classes = SchoolClass.objects.filter(institution__number__in=numbers, pk__gt=offset)
    for pk, sourced_id, code, school in classes.order_by("pk").values_list(
        "pk", "sourced_id", "code", "institution__number"
    ):
        yield ["klas", pk - offset, pk, str(sourced_id), code, school, "nieuw"]
    offset = offsets.get("registry.Staff", 0)
    staff = Staff.objects.filter(assignments__institution__number__in=numbers).distinct()
    joined = {new: old for old, new in _staff_joined(report).items()}
    for pk, sourced_id, given, family in staff.order_by("pk").values_list(
        "pk", "sourced_id", "given_name", "family_name"
    ):
        if pk in joined:
            yield ["personeelslid", joined[pk], pk, str(sourced_id), f"{given} {family}", "",
                   "samengevoegd met een bestaand personeelslid"]  # fmt: skip
        elif pk > offset:
            yield ["personeelslid", pk - offset, pk, str(sourced_id), f"{given} {family}", "",
                   "nieuw"]  # fmt: skip


def write_csv(report: dict, path) -> Path:
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(HEADER)
        for row in rows(report):
            writer.writerow([neutral(v) for v in row])
    return path


def write_xlsx(report: dict, path) -> Path:
    path = Path(path)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("oud-nieuw")
    sheet.append(HEADER)
    for row in rows(report):
        sheet.append([neutral(v) for v in row])
    book.save(path)
    return path
