"""The pupils' login (seed 004 §4), made for a tablet: school → class → name → picture grid or
PIN pad → the products licensed to the pupil. No portal account: the pupil's session holds
their id only. Public pages, so they show no more than a class's login screen must (given
names and the family name's initial), and only classes with a login method set."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from schoolbrug.client_address import client_address
from schoolbrug.registry.models import Institution, SchoolClass

from . import licences, pupil_login, pupil_session
from .models import ClassLogin, LoginMethod
from .pictures import NAMES, svg


def schools(request: HttpRequest) -> HttpResponse:
    shown = Institution.objects.filter(
        classes__platform_login__isnull=False, classes__is_active=True
    ).distinct()
    return render(request, "platform/pupil_schools.html", {"schools": shown})


def _school(number: str) -> Institution:
    return get_object_or_404(Institution, number=number)


def classes(request: HttpRequest, number: str) -> HttpResponse:
    school = _school(number)
    shown = SchoolClass.objects.filter(
        institution=school, platform_login__isnull=False, is_active=True
    ).order_by("code")
    return render(request, "platform/pupil_classes.html", {"school": school, "classes": shown})


def _class(school: Institution, class_id: uuid.UUID) -> SchoolClass:
    school_class = get_object_or_404(
        SchoolClass.objects.select_related("platform_login"),
        institution=school,
        sourced_id=class_id,
        is_active=True,
    )
    if not ClassLogin.objects.filter(school_class=school_class).exists():
        raise Http404("Deze groep logt niet in op het leerplatform.")
    return school_class


def names(request: HttpRequest, number: str, class_id: uuid.UUID) -> HttpResponse:
    school = _school(number)
    school_class = _class(school, class_id)
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
        field = "pin" if login and login.method == LoginMethod.PIN else "plaatje"
        result = pupil_login.attempt(login, request.POST.get(field, "").strip(), address)
        if result.ok:
            response = redirect("platform:pupil_products")
            pupil_session.start(response, login.pupil_id)
            return response
        message = result.message
        status = 403 if result.refusal.endswith("locked") else 200
    school = _school(number)
    school_class = _class(school, class_id)
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
