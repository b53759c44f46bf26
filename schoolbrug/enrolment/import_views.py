"""The LOP expert's offer export and import (`offer_xlsx.py`): upload, preview, apply."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import editing, offer_xlsx
from .admin_views import XLSX
from .views import _expert_lop_or_404, login

SESSION_KEY = "schoolbrug_offer_import"


@login
def offer_export(request: HttpRequest, lop: str) -> HttpResponse:
    the_lop = _expert_lop_or_404(request, lop)
    response = HttpResponse(offer_xlsx.export(the_lop), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="aanbod-{the_lop.slug}.xlsx"'
    return response


@login
@require_http_methods(["GET", "POST"])
def offer_import(request: HttpRequest, lop: str) -> HttpResponse:
    the_lop = _expert_lop_or_404(request, lop)
    context = {"lop": the_lop, "changes": None, "errors": []}
    status = 200
    if request.method == "POST" and request.POST.get("action") == "apply":
        wanted = {int(k): v for k, v in request.session.pop(SESSION_KEY, {}).items()}
        if not wanted:
            messages.error(request, _("Er is geen voorbeeld meer om toe te passen."))
            return redirect("enrolment:offer_import", lop=lop)
        try:
            changed = offer_xlsx.apply(request.user, the_lop, wanted)
        except (editing.Refused, editing.Invalid) as error:
            messages.error(request, _("Niets toegepast: %(why)s") % {"why": error})
            return redirect("enrolment:offer_import", lop=lop)
        messages.success(request, _("%(n)d aanbod(en) bijgewerkt.") % {"n": changed})
        return redirect("enrolment:offer_import", lop=lop)
    if request.method == "POST":
        upload = request.FILES.get("file")
        wanted, changes, errors = offer_xlsx.read(the_lop, upload.read() if upload else b"")
        if errors:
            context["errors"] = errors
            status = 400
        else:
            request.session[SESSION_KEY] = {str(k): v for k, v in wanted.items()}
            context["changes"] = changes
    return render(request, "enrolment/offer_import.html", context, status=status)
