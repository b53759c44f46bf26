"""Subclasses on a class's page (seed 001: apps "per (sub)klas"): making one, choosing its
pupils, removing it. The rules live in `sharing.subclasses`, who may in
`permissions.may_manage_subclasses`; these views only ask and show. A class the user does not
see (another school's, or one a teacher does not teach) answers 404, a change by someone who
may not 403, and neither changes anything.
"""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from schoolbrug.registry.models import SchoolClass
from schoolbrug.roles.permissions import (
    SUBCLASS_MANAGER_REFUSAL,
    actor,
    may_manage_subclasses,
    only_their_classes,
)
from schoolbrug.sharing import subclasses
from schoolbrug.sharing.models import App
from schoolbrug.sharing.subclasses import SubclassError

from .views import login


def class_or_404(request: HttpRequest, sourced_id: uuid.UUID) -> SchoolClass:
    """A class (or subclass) the user sees (a teacher: the classes they teach); 404 otherwise,
    as on the class page: a class one cannot see is not there."""
    return get_object_or_404(
        only_their_classes(
            SchoolClass.objects.select_related("institution", "school_year", "parent", "site"),
            request.user,
        ),
        sourced_id=sourced_id,
    )


def _refused(request: HttpRequest, school_class: SchoolClass, reason: str, status: int = 403):
    return render(
        request,
        "web/subclass_refused.html",
        {"school_class": school_class, "institution": school_class.institution, "reason": reason},
        status=status,
    )


@login
def subclass_new(request: HttpRequest, sourced_id: uuid.UUID) -> HttpResponse:
    """A new subclass of this class: a name, then its pupils ticked."""
    parent = class_or_404(request, sourced_id)
    if not may_manage_subclasses(request.user, parent.institution):
        return _refused(request, parent, SUBCLASS_MANAGER_REFUSAL)
    name, chosen, error = "", set(), ""
    if request.method == "POST":
        name = request.POST.get("naam", "")
        chosen = set(request.POST.getlist("leerlingen"))
        try:
            subclass = subclasses.create_subclass(parent, name, chosen, by=actor(request.user))
        except SubclassError as refused:
            error = refused.reason_nl
        else:
            return redirect("web:class", sourced_id=subclass.sourced_id)
    return _form(request, parent, None, name, chosen, error)


@login
def subclass_members(request: HttpRequest, sourced_id: uuid.UUID) -> HttpResponse:
    """Which pupils of the class are in this subclass; POST makes the ticked ones it."""
    subclass = class_or_404(request, sourced_id)
    if not subclass.is_subclass:
        raise Http404("Geen subklas.")
    if not may_manage_subclasses(request.user, subclass.institution):
        return _refused(request, subclass, SUBCLASS_MANAGER_REFUSAL)
    error = ""
    if request.method == "POST":
        chosen = set(request.POST.getlist("leerlingen"))
        try:
            subclasses.set_members(subclass, chosen, by=actor(request.user))
        except SubclassError as refused:
            error = refused.reason_nl
        else:
            return redirect("web:class", sourced_id=subclass.sourced_id)
    else:
        chosen = {
            str(pupil)
            for pupil in subclasses.current_members(subclass).values_list(
                "pupil__sourced_id", flat=True
            )
        }
    return _form(request, subclass.parent, subclass, subclass.code, chosen, error)


def _form(request, parent, subclass, name: str, chosen: set[str], error: str) -> HttpResponse:
    if subclass is not None and not subclass.is_active:
        error = error or f"Subklas {subclass.code} is verwijderd en kan niet meer gewijzigd worden."
    return render(
        request,
        "web/subclass_form.html",
        {
            "parent": parent,
            "subclass": subclass,
            "institution": parent.institution,
            "enrolments": subclasses.class_enrolments(parent),
            "name": name,
            "chosen": chosen,
            "error": error,
        },
        status=400 if error else 200,
    )


@login
def subclass_remove(request: HttpRequest, sourced_id: uuid.UUID) -> HttpResponse:
    """What removing means (its members, the apps granted it) and, on POST, removing."""
    subclass = class_or_404(request, sourced_id)
    if not subclass.is_subclass:
        raise Http404("Geen subklas.")
    if not may_manage_subclasses(request.user, subclass.institution):
        return _refused(request, subclass, SUBCLASS_MANAGER_REFUSAL)
    if request.method == "POST":
        try:
            subclasses.remove_subclass(subclass, by=actor(request.user))
        except SubclassError as refused:
            return _refused(request, subclass, refused.reason_nl, status=409)
        return redirect("web:class", sourced_id=subclass.parent.sourced_id)
    if not subclass.is_active:
        return redirect("web:class", sourced_id=subclass.sourced_id)
    return render(
        request,
        "web/subclass_remove.html",
        {
            "subclass": subclass,
            "institution": subclass.institution,
            "members": subclasses.current_members(subclass).count(),
            "apps": list(
                App.objects.filter(
                    grants__classes=subclass, grants__institution=subclass.institution
                ).values_list("name", flat=True)
            ),
        },
    )
