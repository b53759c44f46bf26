"""The enrolment site's pages (Dutch URLs under /aanmelden/): the public page of a LOP, a
school's edit page for its admins and the LOP expert, and the expert's own pages. Every page
asks the one permission module (`roles.permissions`); every save goes through `editing.py`,
which checks each field against the rights."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from schoolbrug.roles import permissions

from . import editing, public_cache, rights
from .forms import RightsForm
from .models import FreeEnrolmentStart, FreePlacesSnapshot, Lop, LopSchool, Offer, Period, Year
from .queries import lop_overview, school_view

login = login_required(login_url="login")
FIELD_NAME = re.compile(r"^o(\d+)-([a-z_]+)$")


def public_page(request: HttpRequest, lop: str) -> HttpResponse:
    """Parents, no login: every school by type with capacity and free places."""
    the_lop = public_cache.lop_by_slug(lop)
    if the_lop is None:
        raise Http404("Geen LOP met dit adres.")
    # No `user` when schoolbrug.handlers serves a parent's request without the web UI's
    # middleware (no session cookie).
    user = getattr(request, "user", None)
    anonymous = user is None or not user.is_authenticated
    if anonymous:
        kept = public_cache.get(the_lop)
        if kept is not None:
            return _kept_response(request, kept)
    response = render(
        request,
        "enrolment/public.html",
        {
            "lop": the_lop,
            "groups": lop_overview(the_lop),
            "current_label": the_lop.year_label(Year.CURRENT),
            "next_label": the_lop.year_label(Year.NEXT),
        },
    )
    if anonymous:
        return _kept_response(
            request, public_cache.put(the_lop, response.content, response["Content-Type"])
        )
    return response


def _kept_response(request: HttpRequest, kept: public_cache.Kept) -> HttpResponse:
    gzipped = "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", "")
    response = HttpResponse(kept.gzipped if gzipped else kept.plain, content_type=kept.content_type)
    if gzipped:
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    return response


def _school_or_404(request, lop: str, school: int) -> LopSchool:
    found = get_object_or_404(
        LopSchool.objects.select_related("lop", "institution", "site"), pk=school, lop__slug=lop
    )
    if not permissions.may_edit_lop_school(request.user, found):
        raise Http404("Geen school van dit LOP die je beheert.")
    return found


def _wanted(post) -> dict[int, dict[str, str]]:
    """{offer id: {field: text}} of what the person changed: a field sent with the value the
    page showed (`s<id>-<field>`) and that value again is left out, so a second person who
    saves the same school from an older page does not undo the first one's change. A field
    sent without it (a hand-made POST) counts as it is, and is checked as any other."""
    wanted: dict[int, dict[str, str]] = {}
    for key, value in post.items():
        matched = FIELD_NAME.match(key)
        if not matched:
            continue
        shown = post.get(f"s{key[1:]}")
        if shown is not None and shown.strip() == value.strip():
            continue
        wanted.setdefault(int(matched.group(1)), {})[matched.group(2)] = value
    return wanted


def _refused(request, school: LopSchool, refused: editing.Refused) -> HttpResponse:
    return render(
        request,
        "enrolment/refused.html",
        {"school": school, "lop": school.lop, "refused": refused.refused},
        status=403,
    )


@login
@require_http_methods(["GET", "POST"])
def school_edit(request: HttpRequest, lop: str, school: int) -> HttpResponse:
    the_school = _school_or_404(request, lop, school)
    today = timezone.localdate()
    problems = []
    if request.method == "POST":
        try:
            if "add_code" in request.POST:
                code = request.POST.get("add_code", "").strip()
                year = request.POST.get("add_year", "")
                if year not in Year.values or not code.isdigit():
                    raise editing.Invalid([(code or "-", "group", _("geen geldige code of jaar"))])
                editing.add_programme(request.user, the_school, year, int(code), today)
            elif "remove" in request.POST:
                remove = request.POST["remove"]
                if not (remove.isascii() and remove.isdigit()):
                    raise Http404("Geen aanbod van deze school.")
                offer = get_object_or_404(Offer, pk=int(remove), school=the_school)
                editing.remove_programme(request.user, offer, today)
            else:
                editing.save_offers(request.user, the_school, _wanted(request.POST), today)
            messages.success(request, _("Het aanbod is bewaard."))
            return redirect("enrolment:school", lop=lop, school=school)
        except editing.Refused as refused:
            return _refused(request, the_school, refused)
        except editing.Invalid as invalid:
            problems = invalid.problems
    view = school_view(
        the_school, list(Offer.objects.filter(school=the_school).select_related("group"))
    )
    years = []
    for year in Year.values:
        allowed = permissions.lop_fields_allowed(request.user, the_school, year, today)
        may = permissions.lop_rights_for(request.user, the_school, year, today)
        years.append(
            {
                "key": year,
                "label": the_school.lop.year_label(year),
                "period": Period(rights.period_of(the_school, year, today)).label,
                "editable": [f for f in rights.OFFER_FIELDS if allowed is None or f in allowed],
                "programmes": may is None or rights.PROGRAMMES in may,
                "offers": [
                    o
                    for o in (
                        [getattr(r, year) for r in view.rows] + [getattr(view, f"newcomers_{year}")]
                    )
                    if o is not None
                ],
            }
        )
    return render(
        request,
        "enrolment/school_edit.html",
        {
            "school": the_school,
            "lop": the_school.lop,
            "years": years,
            "fields": rights.OFFER_FIELDS,
            "problems": problems,
            "expert": permissions.is_lop_expert(request.user, the_school.lop),
        },
        status=400 if problems else 200,
    )


def _expert_lop_or_404(request, lop: str) -> Lop:
    the_lop = get_object_or_404(Lop, slug=lop)
    if not permissions.is_lop_expert(request.user, the_lop):
        raise Http404("Geen LOP waarvan je deskundige bent.")
    return the_lop


@login
@require_http_methods(["GET", "POST"])
def expert_home(request: HttpRequest, lop: str) -> HttpResponse:
    """The LOP expert's page: schools, the rights per type and period, AN for every school."""
    the_lop = _expert_lop_or_404(request, lop)
    form = RightsForm(the_lop, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("De rechten zijn bewaard."))
        return redirect("enrolment:expert", lop=lop)
    schools = LopSchool.objects.filter(lop=the_lop).select_related("institution", "site")
    return render(
        request,
        "enrolment/expert.html",
        {
            "lop": the_lop,
            "schools": schools,
            "form": form,
            "starts": FreeEnrolmentStart.objects.filter(lop=the_lop),
            "snapshots": FreePlacesSnapshot.objects.filter(lop=the_lop).defer("xlsx"),
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@login
@require_POST
def newcomers_everywhere(request: HttpRequest, lop: str) -> HttpResponse:
    the_lop = _expert_lop_or_404(request, lop)
    added = editing.add_newcomers_everywhere(the_lop)
    messages.success(request, _("AN toegevoegd bij %(n)d aanbod(en).") % {"n": added})
    return redirect("enrolment:expert", lop=lop)


@login
def snapshot_download(request: HttpRequest, lop: str, pk: int) -> HttpResponse:
    the_lop = _expert_lop_or_404(request, lop)
    snapshot = get_object_or_404(FreePlacesSnapshot, pk=pk, lop=the_lop)
    response = HttpResponse(
        bytes(snapshot.xlsx),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"vrije-plaatsen-{the_lop.slug}-{snapshot.school_year}-1-juli.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def lop_index(request: HttpRequest) -> HttpResponse:
    """Every LOP's public page; for a logged-in person also the LOPs they keep and the schools
    they administer (the way in after logging in)."""
    user = getattr(request, "user", None)
    experts, schools = [], []
    if user is not None and user.is_authenticated:
        lops = Lop.objects.order_by("name")
        experts = [lop for lop in lops if permissions.is_lop_expert(user, lop)]
        schools = LopSchool.objects.filter(
            pk__in=permissions.administered_lop_schools(user)
        ).select_related("lop", "institution", "site")
    return render(
        request,
        "enrolment/index.html",
        {"lops": Lop.objects.order_by("name"), "experts": experts, "schools": schools},
    )
