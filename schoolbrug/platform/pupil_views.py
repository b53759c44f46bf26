"""The pupils' login (seed 004 §4), made for a tablet: the class code (once per device) →
the pupil's name → picture grid or PIN pad → the products licensed to the pupil. No portal
account: the pupil's session holds their id only.

Public pages, but a class's names (given names and the family name's initial, personal data
of minors) only on a device set up for the class (class_codes.py): an unknown visitor sees a
box for the class code and nothing about any school, class or pupil."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from schoolbrug.client_address import client_address
from schoolbrug.registry.models import Institution, SchoolClass

from . import class_codes, licences, pupil_login, pupil_session
from .models import ClassLogin, LoginMethod
from .pictures import NAMES, svg

WRONG_CODE = "Die klascode kennen we niet. Kijk nog eens goed of vraag je juf of meester."
TOO_MANY = (
    "Op dit toestel is te vaak een verkeerde klascode getypt. Wacht even of vraag je juf of "
    "meester om hulp."
)


def schools(request: HttpRequest) -> HttpResponse:
    """The start page: the classes this device was set up for, and the box for a class code."""
    message, status = "", 200
    if request.method == "POST":
        if not class_codes.guesses_left(request):
            message, status = TOO_MANY, 429
        else:
            login = class_codes.find(request, request.POST.get("klascode", ""))
            if login is not None:
                school_class = login.school_class
                response = redirect(
                    "platform:pupil_names", school_class.institution.number, school_class.sourced_id
                )
                class_codes.remember(request, response, login)
                return response
            message, status = WRONG_CODE, 400
    return render(
        request,
        "platform/pupil_schools.html",
        {"device_classes": class_codes.devices_classes(request), "message": message},
        status=status,
    )


def classes(request: HttpRequest, number: str) -> HttpResponse:
    """Once a school's list of classes; now the start page (which shows this device's)."""
    return redirect("platform:pupil_schools")


def _school(number: str) -> Institution:
    return get_object_or_404(Institution, number=number)


class NotSetUp(Exception):
    """This device was not set up for the class (or its code was renewed since)."""


def _class(request: HttpRequest, school: Institution, class_id: uuid.UUID) -> SchoolClass:
    school_class = get_object_or_404(
        SchoolClass.objects.select_related("platform_login"),
        institution=school,
        sourced_id=class_id,
        is_active=True,
    )
    login = ClassLogin.objects.filter(school_class=school_class).first()
    if login is None:
        raise Http404("Deze groep logt niet in op het leerplatform.")
    if not class_codes.allows(request, school_class.pk, login.code_version):
        raise NotSetUp
    return school_class


def names(request: HttpRequest, number: str, class_id: uuid.UUID) -> HttpResponse:
    school = _school(number)
    try:
        school_class = _class(request, school, class_id)
    except NotSetUp:
        return redirect("platform:pupil_schools")
    return render(
        request,
        "platform/pupil_names.html",
        {
            "school": school,
            "school_class": school_class,
            "pupils": pupil_login.class_pupils(school_class),
        },
    )


def sign_in(request: HttpRequest, number: str, class_id: uuid.UUID, pupil_id: uuid.UUID):
    message, status = "", 200
    if request.method == "POST":
        # The answer first, with one query: at nine whole schools log in at once.
        address = client_address(request)
        login = pupil_login.login_for(class_id, pupil_id, address)
        if login is not None and not class_codes.allows(
            request, login.class_pk, login.code_version
        ):
            # Not counted as a wrong try: nothing was tried, and a child cannot fix it.
            return render(request, "platform/pupil_schools.html", _not_set_up(request), status=403)
        field = "pin" if login and login.method == LoginMethod.PIN else "plaatje"
        result = pupil_login.attempt(login, request.POST.get(field, "").strip(), address)
        if result.ok:
            response = redirect("platform:pupil_products")
            pupil_session.start(response, login.pupil_id)
            return response
        message = result.message
        status = 403 if result.refusal.endswith("locked") else 200
    school = _school(number)
    try:
        school_class = _class(request, school, class_id)
    except NotSetUp:
        if request.method == "POST":
            return render(request, "platform/pupil_schools.html", _not_set_up(request), status=403)
        return redirect("platform:pupil_schools")
    pupil = get_object_or_404(pupil_login.class_pupils(school_class), sourced_id=pupil_id)
    return render(
        request,
        "platform/pupil_sign_in.html",
        {
            "school": school,
            "school_class": school_class,
            "pupil": pupil,
            "method": school_class.platform_login.method,
            "pictures": [(name, svg(name, 88)) for name in NAMES],
            "digits": ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"],
            "message": message,
        },
        status=status,
    )


def _not_set_up(request: HttpRequest) -> dict:
    return {
        "device_classes": class_codes.devices_classes(request),
        "message": "Dit toestel is (nog) niet ingesteld voor deze groep. Typ de klascode.",
    }


def products(request: HttpRequest) -> HttpResponse:
    pupil = pupil_session.pupil(request)
    if pupil is None:
        return redirect("platform:pupil_schools")
    return render(
        request,
        "platform/pupil_products.html",
        {"pupil": pupil, "products": licences.licensed_products(pupil)},
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    response = redirect("platform:pupil_schools")
    pupil_session.end(response)
    return response
