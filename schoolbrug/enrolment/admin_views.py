"""The LOP expert's page of school admins (`school_admins.py`): list, add by e-mail (with
an invitation mail for a new address), remove, and the Excel template's bulk add."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from schoolbrug.roles.accounts import send_invitation
from schoolbrug.roles.models import RoleGrant

from . import school_admins
from .models import LopSchool
from .views import _expert_lop_or_404, login

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _invite(request, added: school_admins.Added) -> None:
    if added.invited:
        send_invitation(request, added.user, request.user)


@login
@require_http_methods(["GET", "POST"])
def school_admins_page(request: HttpRequest, lop: str) -> HttpResponse:
    the_lop = _expert_lop_or_404(request, lop)
    row_errors = []
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "add":
            school = get_object_or_404(LopSchool, pk=request.POST.get("school"), lop=the_lop)
            try:
                added = school_admins.add_admin(school, request.POST.get("email", ""), request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect("enrolment:school_admins", lop=lop)
            _invite(request, added)
            if added.already:
                text = _("%(email)s was al schoolbeheerder van %(school)s.")
            elif added.invited:
                text = _("%(email)s is schoolbeheerder van %(school)s en kreeg een uitnodiging.")
            else:
                text = _("%(email)s is nu schoolbeheerder van %(school)s.")
            messages.success(request, text % {"email": added.user.email, "school": school})
            return redirect("enrolment:school_admins", lop=lop)
        if action == "remove":
            grant = get_object_or_404(
                RoleGrant.objects.current(),
                pk=request.POST.get("grant"),
                lop=the_lop,
                role=RoleGrant.Role.SCHOOL_ADMIN,
            )
            school_admins.remove_admin(grant)
            messages.success(
                request, _("%(email)s is geen schoolbeheerder meer.") % {"email": grant.user.email}
            )
            return redirect("enrolment:school_admins", lop=lop)
        if action == "upload":
            upload = request.FILES.get("file")
            data = upload.read() if upload else b""
            pairs, row_errors = school_admins.read_template(the_lop, data)
            if not row_errors:
                for added in school_admins.apply_template(pairs, request.user):
                    _invite(request, added)
                messages.success(request, _("%(n)d rijen verwerkt.") % {"n": len(pairs)})
                return redirect("enrolment:school_admins", lop=lop)
            status = 400
    grants = school_admins.current_admins(the_lop)
    schools = [
        (school, grants.get(school.pk, []))
        for school in the_lop.schools.select_related("institution", "site").order_by("id")
    ]
    return render(
        request,
        "enrolment/school_admins.html",
        {"lop": the_lop, "schools": schools, "row_errors": row_errors},
        status=status,
    )


@login
def admins_template(request: HttpRequest, lop: str) -> HttpResponse:
    the_lop = _expert_lop_or_404(request, lop)
    response = HttpResponse(school_admins.template_xlsx(the_lop), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="schoolbeheerders-{the_lop.slug}.xlsx"'
    return response
