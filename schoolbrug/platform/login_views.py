"""Pupils' codes (seed 004 §4): the class's teachers and the ICT coordinator see them, change
the class's method ("Wijzig login methode voor de groep"), one pupil's PIN or picture
("Wachtwoord/leerlingplaatje wijzigen"), unlock a pupil, renew the class code ("Nieuwe
klascode", confirmed first: it ends every device's access to the class) and print the sheet
("Printversie")."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from schoolbrug.roles import permissions

from . import class_codes, class_numbers, pupil_login, sheets
from .access import guarded, login, login_class
from .models import ClassLogin, LoginMethod
from .pictures import NAMES, svg


@login
@guarded
def class_logins(request: HttpRequest, number: str, class_id: uuid.UUID) -> HttpResponse:
    school_class = login_class(request, number, class_id)
    if request.method == "POST":
        method = request.POST.get("methode", "")
        if method in LoginMethod.values:
            pupil_login.set_method(school_class, method)
            messages.success(request, "De inlogmethode van de groep is gewijzigd.")
        return redirect("platform:class_logins", number, class_id)
    return _codes_page(request, school_class)


def _codes_page(request: HttpRequest, school_class, confirm_renew: bool = False) -> HttpResponse:
    """The class's codes page; with `confirm_renew` it asks "Nieuwe klascode" again."""
    method = pupil_login.method_of(school_class)
    class_login = None
    if method:
        pupil_login.ensure_logins(school_class)  # a pupil added by hand since the last sync
        class_login = class_codes.ensure_code(ClassLogin.objects.get(school_class=school_class))
    rows = [
        {
            "pupil": pupil,
            "login": login_row,
            "picture": svg(login_row.picture, 40) if login_row and login_row.picture else "",
            "locked": bool(login_row and pupil_login.is_locked(login_row)),
        }
        for pupil, login_row in pupil_login.login_rows(school_class)
    ]
    response = render(
        request,
        "platform/class_logins.html",
        {
            "institution": school_class.institution,
            "school_class": school_class,
            "method": method,
            "class_login": class_login,
            "methods": LoginMethod.choices,
            "rows": rows,
            "new_numbers": class_numbers.recent_changes([row["pupil"] for row in rows]),
            "is_admin": permissions.may_administer_platform(request.user, school_class.institution),
            "confirm_renew": confirm_renew and class_login is not None,
        },
    )
    # The PINs and the class code, as on the sheet: not kept by a shared browser or proxy.
    response["Cache-Control"] = "no-store"
    return response


@login
@guarded
@require_POST
def renew_code(request: HttpRequest, number: str, class_id: uuid.UUID) -> HttpResponse:
    """ "Nieuwe klascode": the devices set up with the old one lose the class (audited). A POST
    without `bevestigd=ja` only shows what will happen, with a confirm and a cancel button."""
    school_class = login_class(request, number, class_id)
    class_login = get_object_or_404(ClassLogin, school_class=school_class)
    if request.POST.get("bevestigd") != "ja":
        return _codes_page(request, school_class, confirm_renew=True)
    class_codes.renew(class_login)
    messages.success(
        request,
        "De groep heeft een nieuwe klascode. Toestellen die met de oude code werkten, moeten "
        "opnieuw ingesteld worden.",
    )
    return redirect("platform:class_logins", number, class_id)


@login
@guarded
@require_POST
def set_up_device(request: HttpRequest, number: str, class_id: uuid.UUID) -> HttpResponse:
    """ "Dit toestel instellen voor deze klas": the teacher's own login stands for the code."""
    school_class = login_class(request, number, class_id)
    class_login = class_codes.ensure_code(get_object_or_404(ClassLogin, school_class=school_class))
    response = redirect("platform:pupil_names", number, class_id)
    class_codes.remember(request, response, class_login)
    return response


def _pupil(school_class, pupil_id: uuid.UUID):
    return get_object_or_404(pupil_login.class_pupils(school_class), sourced_id=pupil_id)


@login
@guarded
def change_login(
    request: HttpRequest, number: str, class_id: uuid.UUID, pupil_id: uuid.UUID
) -> HttpResponse:
    school_class = login_class(request, number, class_id)
    pupil = _pupil(school_class, pupil_id)
    pupil_login.ensure_logins(school_class)
    error = ""
    if request.method == "POST":
        pin = request.POST.get("pincode", "").strip()
        picture = request.POST.get("plaatje", "")
        if pin:
            if pupil_login.valid_pin(pin):
                pupil_login.change_pin(pupil, pin)
            else:
                error = "Een pincode bestaat uit precies 4 cijfers."
        elif picture in NAMES:
            pupil_login.change_picture(pupil, picture)
        else:
            error = "Typ een nieuwe pincode of kies een plaatje."
        if not error:
            messages.success(request, f"De inloggegevens van {pupil.given_name} zijn gewijzigd.")
            return redirect("platform:class_logins", number, class_id)
    return render(
        request,
        "platform/change_login.html",
        {
            "institution": school_class.institution,
            "school_class": school_class,
            "pupil": pupil,
            "method": pupil_login.method_of(school_class),
            "pictures": [(name, svg(name, 56)) for name in NAMES],
            "error": error,
        },
        status=400 if error else 200,
    )


@login
@guarded
@require_POST
def unlock(request: HttpRequest, number: str, class_id: uuid.UUID, pupil_id: uuid.UUID):
    school_class = login_class(request, number, class_id)
    pupil = _pupil(school_class, pupil_id)
    if pupil_login.unlock(pupil):
        messages.success(request, f"{pupil.given_name} kan weer inloggen.")
    return redirect("platform:class_logins", number, class_id)


@login
@guarded
def print_sheet(request: HttpRequest, number: str, class_id: uuid.UUID) -> HttpResponse:
    school_class = login_class(request, number, class_id)
    pupil_login.ensure_logins(school_class)
    class_login = ClassLogin.objects.filter(school_class=school_class).first()
    if class_login is not None:
        class_codes.ensure_code(class_login)
    pdf = sheets.class_sheet(
        school_class,
        pupil_login.method_of(school_class),
        pupil_login.login_rows(school_class),
        class_code=class_login.code if class_login else "",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="inloggegevens-{school_class.pk}.pdf"'
    response["Cache-Control"] = "no-store"  # codes: not kept by a shared browser or proxy
    return response
