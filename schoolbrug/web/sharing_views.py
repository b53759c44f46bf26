"""The school's side of sharing class information (seed 001): "Schoolinstellingen" with the
protocol, which apps may read which (sub)classes, and the new or changed accounts per class.

The rules live in `sharing.consent` (who is data manager, switching on and off) and
`sharing.access` (granting, revoking, audited); these views only ask and show. Every page
is limited to the user's institutions (`permissions`).
"""

from __future__ import annotations

import csv
import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from schoolbrug.registry.models import Institution, Pupil
from schoolbrug.roles.permissions import (
    APP_MANAGER_REFUSAL,
    actor,
    institution_or_404,
    institutions_for,
    may_manage_apps,
    only_their_pupils,
    user_email,
)
from schoolbrug.sharing import access, consent
from schoolbrug.sharing.consent import AlreadyActive, RefusedError
from schoolbrug.sharing.models import App, ProtocolVersion

from . import queries, sharing_queries
from .sharing_forms import AcceptProtocolForm, GrantForm, SinceForm
from .views import _Echo, _with_bom, login

ACCOUNTS_DEFAULT_DAYS = 7

NO_EMAIL_REFUSAL = (
    "Je account heeft geen e-mailadres. Alleen wie vandaag een directeursopdracht heeft in deze "
    "school mag het delen van klasinformatie activeren of stoppen, en Schoolbrug herkent die "
    "opdracht aan het e-mailadres uit de personeelsupload."
)


def _data_manager_refusal(user, institution: Institution) -> str | None:
    """None when the user is a data manager of the institution today, else why not (Dutch)."""
    email = user_email(user)
    if not email:
        return NO_EMAIL_REFUSAL
    try:
        consent.require_data_manager(email, institution)
    except RefusedError as refused:
        return refused.reason_nl
    return None


def _refused(
    request: HttpRequest, institution: Institution, reason: str, status: int = 403
) -> HttpResponse:
    return render(
        request,
        "web/sharing_refused.html",
        {"institution": institution, "reason": reason},
        status=status,
    )


# Schoolinstellingen ------------------------------------------------------------------------


@login
def sharing_settings(request: HttpRequest, number: str) -> HttpResponse:
    institution = institution_or_404(request.user, number)
    active = consent.active_sharing(institution)
    periods = list(sharing_queries.sharing_periods(institution))
    managers = consent.data_managers(institution)
    names = sharing_queries.staff_names(
        [*managers, *(p.activated_by for p in periods), *(p.deactivated_by for p in periods)]
    )
    return render(
        request,
        "web/sharing_settings.html",
        {
            "institution": institution,
            "active": active,
            "periods": periods,
            "names": names,
            "data_managers": [(names.get(email.lower(), ""), email) for email in managers],
            "refusal": _data_manager_refusal(request.user, institution),
            "protocol": ProtocolVersion.current(),
        },
    )


@login
def sharing_activate(request: HttpRequest, number: str) -> HttpResponse:
    """The current protocol text and, on POST, accepting exactly that version."""
    institution = institution_or_404(request.user, number)
    if refusal := _data_manager_refusal(request.user, institution):
        return _refused(request, institution, refusal)
    protocol = ProtocolVersion.current()
    notice = ""
    if request.method == "POST":
        form = AcceptProtocolForm(request.POST)
        accepted = form.cleaned_data["protocol"] if form.is_valid() else None
        if protocol is not None and accepted == protocol.version:
            try:
                consent.activate(institution, user_email(request.user), protocol)
            except AlreadyActive as already:
                # A second click, or two at once: what is the case now, not an error.
                messages.info(request, already.reason_nl)
                return redirect("web:sharing", number=institution.number)
            except RefusedError as refused:
                status = 403 if _data_manager_refusal(request.user, institution) else 409
                return _refused(request, institution, refused.reason_nl, status)
            return redirect("web:sharing", number=institution.number)
        notice = (
            "Het protocol is intussen gewijzigd. Lees de nieuwe versie hieronder en bevestig "
            "opnieuw als je akkoord gaat."
        )
    elif consent.active_sharing(institution) is not None:
        return redirect("web:sharing", number=institution.number)
    return render(
        request,
        "web/sharing_activate.html",
        {
            "institution": institution,
            "protocol": protocol,
            "notice": notice,
            # What switching on shares, before the protocol is read (seed 001).
            "shared": sharing_queries.sharing_preview(institution),
        },
        status=409 if notice else 200,
    )


@login
def sharing_deactivate(request: HttpRequest, number: str) -> HttpResponse:
    """What stopping means (apps, pupils) and, on POST, stopping."""
    institution = institution_or_404(request.user, number)
    if refusal := _data_manager_refusal(request.user, institution):
        return _refused(request, institution, refusal)
    if request.method == "POST":
        try:
            consent.deactivate(institution, user_email(request.user))
        except RefusedError as refused:
            status = 403 if _data_manager_refusal(request.user, institution) else 409
            return _refused(request, institution, refused.reason_nl, status)
        return redirect("web:sharing", number=institution.number)
    active = consent.active_sharing(institution)
    if active is None:
        return redirect("web:sharing", number=institution.number)
    return render(
        request,
        "web/sharing_deactivate.html",
        {
            "institution": institution,
            "active": active,
            "names": sharing_queries.staff_names([active.activated_by]),
            "consequences": consent.consequences(institution),
        },
    )


@login
def protocol_text(request: HttpRequest, version: str) -> HttpResponse:
    """A protocol version exactly as published (and accepted); with ?instelling= also when
    that school accepted it, if the user works there."""
    protocol = get_object_or_404(ProtocolVersion, version=version)
    institution = None
    accepted = []
    if number := request.GET.get("instelling", "").strip():
        institution = institutions_for(request.user).filter(number=number).first()
        if institution is not None:
            accepted = sharing_queries.sharing_periods(institution).filter(protocol=protocol)
    return render(
        request,
        "web/sharing_protocol.html",
        {
            "protocol": protocol,
            "institution": institution,
            "accepted": accepted,
            "names": sharing_queries.staff_names(p.activated_by for p in accepted),
            "is_current": protocol == ProtocolVersion.current(),
        },
    )


# Applicaties ---------------------------------------------------------------------------------


@login
def apps(request: HttpRequest, number: str) -> HttpResponse:
    institution = institution_or_404(request.user, number)
    may_manage = may_manage_apps(request.user, institution)
    return render(
        request,
        "web/apps_list.html",
        {
            "institution": institution,
            "rows": sharing_queries.app_access(institution),
            "may_manage": may_manage,
            "refusal": "" if may_manage else APP_MANAGER_REFUSAL,
            "active": consent.active_sharing(institution),
        },
    )


@login
def app_access(request: HttpRequest, number: str, app_id: int) -> HttpResponse:
    """One app's access to the school: all classes or chosen (sub)classes; POST grants."""
    institution = institution_or_404(request.user, number)
    app = get_object_or_404(App, pk=app_id)
    may_manage = may_manage_apps(request.user, institution)
    classes = sharing_queries.grant_classes(institution)
    codes = [c.code for c in classes]
    (row,) = sharing_queries.app_access(institution, App.objects.filter(pk=app.pk))
    if request.method == "POST":
        if not may_manage:
            return _refused(request, institution, APP_MANAGER_REFUSAL)
        form = GrantForm(request.POST, class_codes=codes)
        if form.is_valid():
            try:
                access.grant(app, institution, form.class_codes(), by=actor(request.user))
            except RefusedError as refused:
                form.add_error(None, refused.reason_nl)
            else:
                return redirect("web:apps", number=institution.number)
        chosen = set(request.POST.getlist("klassen"))
    else:
        form = GrantForm(class_codes=codes)
        chosen = set(row.class_codes)
    return render(
        request,
        "web/apps_access.html",
        {
            "institution": institution,
            "app": app,
            "row": row,
            "classes": classes,
            "chosen": chosen,
            "form": form,
            "may_manage": may_manage,
            "refusal": "" if may_manage else APP_MANAGER_REFUSAL,
        },
        status=400 if form.errors else 200,
    )


@login
@require_POST
def app_revoke(request: HttpRequest, number: str, app_id: int) -> HttpResponse:
    institution = institution_or_404(request.user, number)
    app = get_object_or_404(App, pk=app_id)
    if not may_manage_apps(request.user, institution):
        return _refused(request, institution, APP_MANAGER_REFUSAL)
    try:
        access.revoke(app, institution, by=actor(request.user))
    except RefusedError as refused:
        return _refused(request, institution, refused.reason_nl, status=409)
    return redirect("web:apps", number=institution.number)


# Nieuwe of gewijzigde accounts -----------------------------------------------------------------


def _since_form(request: HttpRequest) -> SinceForm:
    default = timezone.localdate() - datetime.timedelta(days=ACCOUNTS_DEFAULT_DAYS)
    form = SinceForm(request.GET, default=default)
    form.is_valid()
    return form


def _account_groups(request: HttpRequest, institution: Institution, since: datetime.date):
    """The new or changed accounts of the pupils the user sees (a teacher: their classes')."""
    school_year = queries.school_year_shown(institution)
    groups = sharing_queries.changed_accounts(
        institution,
        school_year,
        sharing_queries.start_of_day(since),
        pupils=only_their_pupils(Pupil.objects.all(), request.user),
    )
    return school_year, groups


@login
def accounts(request: HttpRequest, number: str) -> HttpResponse:
    institution = institution_or_404(request.user, number)
    form = _since_form(request)
    context = {"institution": institution, "form": form, "groups": [], "school_year": None}
    if form.is_valid():
        since = form.since()
        school_year, groups = _account_groups(request, institution, since)
        total, new_total = sharing_queries.account_totals(groups)
        context.update(
            since=since, school_year=school_year, groups=groups, total=total, new_total=new_total
        )
    else:
        context["since_value"] = request.GET.get("sinds", "")
    return render(request, "web/accounts_list.html", context, status=200)


@login
def accounts_csv(request: HttpRequest, number: str) -> HttpResponse:
    """The same list as CSV for Excel: semicolons and a UTF-8 byte order mark."""
    institution = institution_or_404(request.user, number)
    form = _since_form(request)
    if not form.is_valid():
        return HttpResponse(
            " ".join(form.errors["sinds"]), status=400, content_type="text/plain; charset=utf-8"
        )
    since = form.since()
    _, groups = _account_groups(request, institution, since)
    writer = csv.writer(_Echo(), delimiter=";")
    lines = (writer.writerow(row) for row in sharing_queries.account_csv_rows(groups))
    response = StreamingHttpResponse(_with_bom(lines), content_type="text/csv; charset=utf-8")
    filename = f"accounts-{institution.number}-sinds-{since.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
