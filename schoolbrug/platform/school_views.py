"""Schoolgegevens (seed 004 §3.3): what the SIS sent, read-only, in five tabs for the ICT
coordinator. Nothing here is changed: the SIS is the master and the next sync brings changes."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from schoolbrug.registry.models import Assignment, Enrolment, Pupil, Teaching

from .access import admin_institution, current_classes, guarded, login

TABS = {
    "gegevens": "Gegevens",
    "groepen": "Groepen",
    "ict-coordinatoren": "ICT-coördinatoren",
    "leerkrachten": "Leerkrachten",
    "leerlingen": "Leerlingen",
}


def _current_assignments(institution, role):
    today = timezone.localdate()
    return (
        Assignment.objects.filter(institution=institution, role=role, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("staff")
        .order_by("staff__family_name", "staff__given_name")
    )


@login
@guarded
def school_data(request: HttpRequest, number: str, tab: str = "gegevens") -> HttpResponse:
    institution = admin_institution(request, number)
    if tab not in TABS:
        raise Http404("Geen tabblad met deze naam.")
    classes = current_classes(institution)
    context = {"institution": institution, "tab": tab, "tabs": TABS.items()}
    today = timezone.localdate()
    if tab == "gegevens":
        context["counts"] = {
            "classes": classes.count(),
            "pupils": Pupil.objects.filter(
                enrolments__school_class__in=classes, is_leaver=False
            ).count(),
        }
    elif tab == "groepen":
        detail = request.GET.get("details", "")
        context["classes"] = classes.annotate(
            pupil_count=Count("enrolments", filter=Q(enrolments__pupil__is_leaver=False))
        )
        context["detail"] = detail
        if detail:
            try:
                opened = classes.filter(sourced_id=detail).first()
            except ValidationError:  # not a UUID (a changed link): as if none was opened
                opened = None
            if opened is not None:
                context["opened"] = opened
                context["opened_teachers"] = [
                    t.assignment.staff
                    for t in Teaching.objects.active_on(today)
                    .filter(schoolclass=opened)
                    .select_related("assignment__staff")
                ]
                context["opened_pupils"] = (
                    Enrolment.objects.filter(school_class=opened, pupil__is_leaver=False)
                    .select_related("pupil")
                    .order_by("class_number", "pupil__family_name")
                )
    elif tab == "ict-coordinatoren":
        context["people"] = _current_assignments(institution, Assignment.Role.ICT_COORDINATOR)
    elif tab == "leerkrachten":
        links = Teaching.objects.active_on(today).filter(schoolclass__in=classes)
        context["people"] = _current_assignments(
            institution, Assignment.Role.TEACHER
        ).prefetch_related(
            Prefetch("teaching_set", queryset=links.select_related("schoolclass"), to_attr="links")
        )
    else:
        context["enrolments"] = (
            Enrolment.objects.filter(school_class__in=classes, pupil__is_leaver=False)
            .select_related("pupil", "school_class")
            .order_by("school_class__code", "class_number", "pupil__family_name")
        )
    return render(request, "platform/school_data.html", context)
