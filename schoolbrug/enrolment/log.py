"""A LOP's own audit log (seed 002's "logbestand"): every change to its offers, schools,
rights, start dates and school admins, newest first, filtered by school, person and date, and
downloadable as CSV and XLSX. The entries are the audit log's (`audit/`); this picks a LOP's.

Offers and LOP schools are found by their institution number (their entries keep it after a
delete); rights, start dates, the LOP itself and its role grants by their entity ids.
"""

from __future__ import annotations

import datetime
import io

from django.db.models import Q, QuerySet

from schoolbrug.audit.audited import derived_id
from schoolbrug.audit.models import AuditEntry
from schoolbrug.audit.presenters import audit_csv_rows
from schoolbrug.roles.models import RoleGrant

from .models import Lop, LopSchool, Offer


def _ids(model, queryset) -> list:
    return [derived_id(model._meta.label_lower, pk) for pk in queryset.values_list("pk", flat=True)]


def lop_entries(lop: Lop) -> QuerySet[AuditEntry]:
    numbers = list(lop.schools.values_list("institution__number", flat=True).distinct())
    ids = [
        derived_id(Lop._meta.label_lower, lop.pk),
        *_ids(lop.rights.model, lop.rights.all()),
        *_ids(lop.free_enrolment_starts.model, lop.free_enrolment_starts.all()),
        *_ids(RoleGrant, RoleGrant.objects.filter(lop=lop)),
    ]
    entries = AuditEntry.objects.filter(
        Q(entity__in=("offer", "lop_school"), institution_number__in=numbers)
        | Q(
            entity__in=("lop", "school_rights", "free_enrol_start", "role"),
            entity_sourced_id__in=ids,
        )
    )
    # An institution may be a school of two LOPs (sites in two regions): the other LOP's
    # offers and schools there carry the same number and are none of this LOP's business.
    others = LopSchool.objects.filter(institution__number__in=numbers).exclude(lop=lop)
    if others.exists():
        entries = entries.exclude(
            Q(
                entity="offer",
                entity_sourced_id__in=_ids(Offer, Offer.objects.filter(school__in=others)),
            )
            | Q(entity="lop_school", entity_sourced_id__in=_ids(LopSchool, others))
        )
    return entries.order_by("-at", "-id")


def filtered(
    entries: QuerySet[AuditEntry],
    institution: str = "",
    person: str = "",
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> QuerySet[AuditEntry]:
    if institution:
        entries = entries.filter(institution_number=institution)
    if person:
        entries = entries.filter(actor__icontains=person)
    if since:
        entries = entries.filter(at__date__gte=since)
    if until:
        entries = entries.filter(at__date__lte=until)
    return entries


# A cell that starts with one of these is a formula to Excel (and openpyxl writes a string
# that starts with "=" as one): an e-mail address may legally start with "=", "+" or "-".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def rows(entries):
    """The audit log's CSV rows with every cell that a spreadsheet would run made plain text."""
    for row in audit_csv_rows(entries):
        yield [_cell(value) for value in row]


def as_xlsx(entries) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Logboek")
    for row in rows(entries):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
