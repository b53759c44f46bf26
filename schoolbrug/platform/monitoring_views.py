"""Uitwisseling resultaten (seed 004 §5): the ICT coordinator switches on the exchange with
the pupil-monitoring system ("Koppeling toevoegen": the system, the authorization key it
issued, explicit consent, "Opslaan") and reads its status: state, last delivery, failures and
retries. Only exercise results are ever sent."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Max, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from schoolbrug.roles.permissions import actor

from .access import admin_institution, guarded, login
from .models import MonitoringLink, ProductResult

KEY_MAX = 64  # UWLR's autorisatiesleutel: tpString64


def _systems() -> dict[str, str]:
    return {
        name: system["label"]
        for name, system in settings.SCHOOLBRUG_MONITORING_SYSTEMS.items()
        if system.get("url")
    }


@login
@guarded
def monitoring(request: HttpRequest, number: str) -> HttpResponse:
    institution = admin_institution(request, number)
    link = MonitoringLink.objects.filter(institution=institution).first()
    systems = _systems()
    errors: dict[str, str] = {}
    if request.method == "POST":
        if request.POST.get("actie") == "stoppen" and link is not None:
            link.active = False
            link.save()
            return redirect("platform:monitoring", number)
        system = request.POST.get("systeem", "")
        key = request.POST.get("sleutel", "").strip()
        if system not in systems:
            errors["systeem"] = "Kies het leerlingvolgsysteem."
        if not key or len(key) > KEY_MAX or not key.isprintable():
            errors["sleutel"] = (
                f"Vul de autorisatiesleutel in die je van het leerlingvolgsysteem kreeg "
                f"(1 tot {KEY_MAX} tekens)."
            )
        if request.POST.get("toestemming") != "ja":
            errors["toestemming"] = (
                "Zonder uitdrukkelijke toestemming van de school worden geen resultaten verstuurd."
            )
        if not errors:
            link = link or MonitoringLink(institution=institution)
            link.system, link.authorization_key, link.active = system, key, True
            link.consent_by, link.consent_at = actor(request.user), timezone.now()
            link.save()  # logged by audit.changes, the key only as "gewijzigd"
            return redirect("platform:monitoring", number)
    results = ProductResult.objects.filter(institution=institution, kind="exercise")
    # Waiting: not delivered and not deleted by its product (a deleted one is never sent).
    waiting = Q(delivered_at__isnull=True, deleted_at__isnull=True)
    status = results.aggregate(
        delivered=Count("pk", filter=Q(delivered_at__isnull=False)),
        waiting=Count("pk", filter=waiting),
        last_delivery=Max("delivered_at"),
        failed_attempts=Sum("attempts", filter=waiting),
    )
    last_error = (
        results.filter(waiting).exclude(last_error="").values_list("last_error", flat=True).first()
    )
    return render(
        request,
        "platform/monitoring.html",
        {
            "institution": institution,
            "link": link,
            "systems": systems,
            "errors": errors,
            "status": status,
            "last_error": last_error,
            "tests_kept": ProductResult.objects.filter(
                institution=institution, kind="test"
            ).count(),
        },
        status=400 if errors else 200,
    )
