"""The LOP expert's log page and its downloads (`log.py`)."""

from __future__ import annotations

import csv
import datetime
import io

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from schoolbrug.audit import presenters

from . import log
from .admin_views import XLSX
from .views import _expert_lop_or_404, login

SHOWN = 200


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _filters(request: HttpRequest) -> dict:
    return {
        "institution": request.GET.get("school", "").strip(),
        "person": request.GET.get("persoon", "").strip(),
        "since": _date(request.GET.get("van", "")),
        "until": _date(request.GET.get("tot", "")),
    }


@login
def log_page(request: HttpRequest, lop: str) -> HttpResponse:
    the_lop = _expert_lop_or_404(request, lop)
    filters = _filters(request)
    entries = list(log.filtered(log.lop_entries(the_lop), **filters)[:SHOWN])
    for entry in entries:
        entry.change_list = presenters.change_rows(entry.changes)
        entry.entity_text = presenters.entity_label(entry.entity)
    schools = the_lop.schools.select_related("institution").order_by("institution__number")
    return render(
        request,
        "enrolment/log.html",
        {
            "lop": the_lop,
            "entries": entries,
            "shown": SHOWN,
            "schools": schools,
            "query": request.GET.urlencode(),
            **filters,
        },
    )


@login
def log_download(request: HttpRequest, lop: str, kind: str) -> HttpResponse:
    the_lop = _expert_lop_or_404(request, lop)
    if kind not in ("csv", "xlsx"):
        raise Http404("Alleen CSV of Excel.")
    entries = log.filtered(log.lop_entries(the_lop), **_filters(request))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if kind == "xlsx":
        response = HttpResponse(log.as_xlsx(entries.iterator()), content_type=XLSX)
    else:
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out, delimiter=";")
        writer.writerows(log.rows(entries.iterator()))
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"logboek-{the_lop.slug}-{stamp}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
