"""Licenties (seed 004 §3.4–3.5): per group ("Koppelen", choose a class, "Toevoegen") and per
child (seats available shown; choose class, then pupils; "Ontkoppelen" undoes a mistake).
The rules and the seat count live in `licences.py`; these views ask and show."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from schoolbrug.registry.models import Pupil

from . import licences, pupil_login
from .access import admin_institution, current_classes, guarded, login
from .models import Licence
from .refusals import Refused

KINDS = {"groep": Licence.Kind.GROUP, "kind": Licence.Kind.CHILD}


def _licence(institution, licence_id: int) -> Licence:
    return get_object_or_404(
        Licence.objects.select_related("product"), institution=institution, pk=licence_id
    )


@login
@guarded
def licence_list(request: HttpRequest, number: str, kind: str = "groep") -> HttpResponse:
    institution = admin_institution(request, number)
    if kind not in KINDS:
        raise Http404("Geen soort licentie met deze naam.")
    rows = []
    for licence in Licence.objects.filter(institution=institution, kind=KINDS[kind]).select_related(
        "product"
    ):
        used = licences.used_seats(licence)
        rows.append(
            {
                "licence": licence,
                "used": used,
                "available": max(licence.seats - used, 0),
                "over": max(used - licence.seats, 0),
                "classes": licence.class_links.select_related("school_class").order_by(
                    "school_class__code"
                ),
                "seats": licence.seat_links.select_related("pupil").order_by(
                    "pupil__family_name", "pupil__given_name"
                ),
            }
        )
    return render(
        request,
        "platform/licences.html",
        {"institution": institution, "kind": kind, "rows": rows},
    )


@login
@guarded
def licence_link(request: HttpRequest, number: str, licence_id: int) -> HttpResponse:
    """ "Koppelen": a group licence takes a class, a child licence pupils of one class."""
    institution = admin_institution(request, number)
    licence = _licence(institution, licence_id)
    classes = current_classes(institution)
    class_id = request.POST.get("groep") or request.GET.get("groep")
    chosen = _class_or_none(classes, class_id)
    back = "groep" if licence.kind == Licence.Kind.GROUP else "kind"
    if request.method == "POST" and chosen is not None:
        try:
            if licence.kind == Licence.Kind.GROUP:
                licences.link_class(licence, chosen)
                messages.success(
                    request, f"Groep {chosen.code} is gekoppeld aan {licence.product.name}."
                )
            else:
                wanted = _uuids(request.POST.getlist("leerling"))
                pupils = (
                    list(pupil_login.class_pupils(chosen).filter(sourced_id__in=wanted))
                    if wanted
                    else []
                )
                if not pupils:
                    raise Refused("Kies minstens één leerling.", "no pupil chosen")
                count = licences.link_pupils(licence, pupils)
                messages.success(
                    request, f"{count} leerling(en) gekoppeld aan {licence.product.name}."
                )
            return redirect("platform:licences", institution.number, back)
        except Refused as refused:
            return render(
                request,
                "platform/licence_link.html",
                _link_context(institution, licence, classes, chosen, refused.reason_nl),
                status=409,
            )
    return render(
        request,
        "platform/licence_link.html",
        _link_context(institution, licence, classes, chosen, ""),
    )


def _uuids(values: list[str]) -> list[uuid.UUID]:
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(value))
        except ValueError:
            continue
    return found


def _class_or_none(classes, class_id: str | None):
    try:
        return classes.filter(sourced_id=class_id).first() if class_id else None
    except ValidationError:  # not a UUID: as if none was chosen
        return None


def _link_context(institution, licence, classes, chosen, error: str) -> dict:
    held = set(licence.seat_links.values_list("pupil_id", flat=True))
    linked = set(licence.class_links.values_list("school_class_id", flat=True))
    return {
        "institution": institution,
        "licence": licence,
        "classes": [c for c in classes if c.pk not in linked],
        "chosen": chosen,
        "pupils": [p for p in pupil_login.class_pupils(chosen)] if chosen else [],
        "held": held,
        "available": licences.available_seats(licence),
        "error": error,
        "back": "groep" if licence.kind == Licence.Kind.GROUP else "kind",
    }


@login
@guarded
@require_POST
def licence_unlink(request: HttpRequest, number: str, licence_id: int) -> HttpResponse:
    """ "Ontkoppelen": a class from a group licence, or a pupil from a child licence."""
    institution = admin_institution(request, number)
    licence = _licence(institution, licence_id)
    if licence.kind == Licence.Kind.GROUP:
        school_class = _class_or_none(current_classes(institution), request.POST.get("groep"))
        if school_class is None:
            raise Http404("Geen groep met dit id.")
        licences.unlink_class(licence, school_class)
        messages.success(request, f"Groep {school_class.code} is ontkoppeld.")
        return redirect("platform:licences", institution.number, "groep")
    try:
        pupil = Pupil.objects.filter(
            institution=institution, sourced_id=request.POST.get("leerling") or None
        ).first()
    except ValidationError:
        pupil = None
    if pupil is None:
        raise Http404("Geen leerling met dit id.")
    licences.unlink_pupils(licence, [pupil])
    messages.success(request, f"{pupil.given_name} {pupil.family_name} is ontkoppeld.")
    return redirect("platform:licences", institution.number, "kind")
