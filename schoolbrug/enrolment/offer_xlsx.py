"""A LOP's offer and free places as XLSX, and the same file read back after editing (seed 002's
"Export"/"Import" pages): every row checked (bad rows named by row and column), a preview of
what changes, then applied in one transaction through `editing.save_offers`, so the rights
check and the audit log are the same as on the edit page.

The first column is the offer's id: rows are matched by it, never by position.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.db import transaction

from . import editing
from .admin_groups import programme_sort_key
from .models import Lop, LopSchool, Offer

# (column header, offer field or None for a read-only column)
COLUMNS = (
    ("id", None),
    ("Schooljaar", None),
    ("School", None),
    ("Code", None),
    ("Opleiding", None),
    ("Capaciteit", "capacity"),
    ("Vrije plaatsen", "free_places"),
    ("Vrije plaatsen indicator", "free_places_indicator"),
    ("Zittende leerlingen", "seated_pupils"),
    ("Percentage indicator", "indicator_percentage"),
    ("Achtervoegsel", "suffix"),
    ("Extra info", "extra_info"),
    ("Vanaf", "starts_on"),
    ("Tot", "ends_on"),
)
HEADERS = tuple(name for name, _ in COLUMNS)
# A LOP of 150 schools exports about 3,000 rows in under 300 kB.
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000


def _offers(lop: Lop):
    offers = Offer.objects.filter(school__lop=lop).select_related(
        "group", "school__institution", "school__site"
    )
    return sorted(
        offers,
        key=lambda o: (o.school.display_name.casefold(), o.year, programme_sort_key(o.group)),
    )


def export(lop: Lop) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Aanbod"
    sheet.append(HEADERS)
    for offer in _offers(lop):
        values = [
            offer.pk,
            lop.year_label(offer.year),
            offer.school.display_name,
            offer.group.code,
            offer.group.name,
        ]
        for _, name in COLUMNS[5:]:
            value = getattr(offer, name)
            values.append(float(value) if name == "indicator_percentage" and value else value)
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class Change:
    offer: Offer
    field: str
    old: object
    new: object


def _text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "date") and callable(value.date):  # openpyxl gives datetimes for dates
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read(lop: Lop, data: bytes):
    """({offer id: {field: text}}, [Change], [(row, column, Dutch reason)])."""
    from openpyxl import load_workbook

    if len(data) > MAX_BYTES:
        return {}, [], [(1, "bestand", "groter dan 20 MB: dat is geen export van dit LOP")]
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is no XLSX
        return {}, [], [(1, "bestand", "geen Excel-bestand (.xlsx)")]
    rows = []
    # A small file can unpack to millions of rows: stop reading past the limit.
    for row in book.worksheets[0].iter_rows(values_only=True):
        if len(rows) > MAX_ROWS:
            book.close()
            return {}, [], [(len(rows) + 1, "bestand", f"meer dan {MAX_ROWS} rijen")]
        rows.append(row)
    book.close()
    if not rows or tuple(_text(c) for c in rows[0][: len(HEADERS)]) != HEADERS:
        return {}, [], [(1, "kolommen", "verwacht: de kolommen van de export")]
    offers = {o.pk: o for o in _offers(lop)}
    wanted, changes, errors, seen = {}, [], [], set()
    for number, row in enumerate(rows[1:], start=2):
        row = list(row) + [None] * (len(HEADERS) - len(row))
        if not any(_text(v) for v in row):
            continue
        offer = offers.get(int(row[0])) if _text(row[0]).isdigit() else None
        if offer is None:
            errors.append((number, "id", f"'{_text(row[0])}' is geen aanbod van dit LOP"))
            continue
        if offer.pk in seen:
            errors.append((number, "id", "staat er twee keer"))
            continue
        seen.add(offer.pk)
        texts = {}
        for index, (header, name) in enumerate(COLUMNS):
            if name is None:
                continue
            text = _text(row[index])
            try:
                value = editing.parse_value(name, text)
            except ValueError as reason:
                errors.append((number, header, str(reason)))
                continue
            if value != getattr(offer, name):
                texts[name] = text
                changes.append(Change(offer, name, getattr(offer, name), value))
        if texts:
            wanted[offer.pk] = texts
    return wanted, changes, errors


def apply(user, lop: Lop, wanted: dict[int, dict[str, str]]) -> int:
    """Everything at once, or nothing (editing.Refused / Invalid from any school)."""
    by_school: dict[int, dict] = {}
    for offer_id, school_id in Offer.objects.filter(pk__in=wanted, school__lop=lop).values_list(
        "pk", "school_id"
    ):
        by_school.setdefault(school_id, {})[offer_id] = wanted[offer_id]
    changed = 0
    with transaction.atomic():
        for school in LopSchool.objects.filter(pk__in=by_school).select_related("lop"):
            changed += editing.save_offers(user, school, by_school[school.pk])
    return changed
