"""The LOP expert's comparison of a school's offer with the official one (`official.py`):
left what Onderwijs Vlaanderen says, right what the LOP site shows; one click adds a
programme that is missing here or removes one not offered officially (audited, as every offer
change). The official offer read last is kept in the session per school."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import editing, official
from .models import AdministrativeGroup, LopSchool, Offer, Year
from .views import _expert_lop_or_404, _refused, login

SESSION_KEY = "schoolbrug_official_offer"


@login
@require_http_methods(["GET", "POST"])
def compare(request: HttpRequest, lop: str, school: int) -> HttpResponse:
    the_lop = _expert_lop_or_404(request, lop)
    the_school = get_object_or_404(
        LopSchool.objects.select_related("lop", "institution", "site"), pk=school, lop=the_lop
    )
    year = request.GET.get("jaar", Year.NEXT)
    if year not in Year.values:
        year = Year.NEXT
    stored = request.session.get(SESSION_KEY, {})
    key = str(the_school.pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "fetch":
                offered = official.fetch_api(the_school)
            elif action == "upload":
                upload = request.FILES.get("file")
                if upload is None:
                    raise official.OfficialError(_("Kies een CSV-bestand."))
                offered = official.read_csv(upload.read(), the_school)
            else:
                offered = None
            if offered is not None:
                stored[key] = {str(code): name for code, name in offered.items()}
                request.session[SESSION_KEY] = stored
            elif action == "add":
                code = int(request.POST["code"])
                name = stored.get(key, {}).get(str(code))
                # One click adds what the official offer names: a code it does not name (a
                # hand-made POST) makes no administrative group of its own.
                if name is None:
                    raise official.OfficialError(
                        _("Code %(code)s staat niet in het officiële aanbod van deze school.")
                        % {"code": code}
                    )
                AdministrativeGroup.objects.get_or_create(code=code, defaults={"name": name})
                editing.add_programme(request.user, the_school, year, code)
            elif action == "remove":
                offer = get_object_or_404(Offer, pk=request.POST["offer"], school=the_school)
                editing.remove_programme(request.user, offer)
        except official.OfficialError as error:
            messages.error(request, str(error))
        except editing.Refused as refused:
            return _refused(request, the_school, refused)
        except (KeyError, ValueError):
            messages.error(request, _("Onvolledige vraag."))
        return redirect(f"{request.path}?jaar={year}")
    offered = {int(code): name for code, name in stored.get(key, {}).items()}
    return render(
        request,
        "enrolment/compare.html",
        {
            "lop": the_lop,
            "school": the_school,
            "year": year,
            "year_label": the_lop.year_label(year),
            "other_year": Year.CURRENT if year == Year.NEXT else Year.NEXT,
            "lines": official.compare(the_school, year, offered) if key in stored else None,
            "api": bool(settings.SCHOOLBRUG_ONDERWIJS_API_KEY),
        },
    )
