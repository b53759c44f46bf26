"""A class's scan badges as a PDF (registry/badges.py): one card per pupil with the code of
their stable id, for the staff who see the class (roles/permissions.may_print_badges)."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from schoolbrug.registry.badges import Badge, badge_sheet
from schoolbrug.registry.models import SchoolClass
from schoolbrug.roles.permissions import may_print_badges

from . import queries


@login_required(login_url="login")
def class_badges(request: HttpRequest, sourced_id: uuid.UUID) -> HttpResponse:
    school_class = get_object_or_404(
        SchoolClass.objects.select_related("institution"), sourced_id=sourced_id
    )
    # A class the user may not see is a 404, as its page is: it tells nothing about it.
    if not may_print_badges(request.user, school_class):
        raise Http404
    enrolments = queries.class_pupils(school_class).select_related("school_class")
    name = school_class.institution.name
    pdf = badge_sheet(
        f"Badges klas {school_class.code}",
        (
            Badge(
                e.pupil.given_name,
                e.pupil.family_name,
                e.school_class.code,
                name,
                e.pupil.sourced_id,
            )
            for e in enrolments
        ),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="badges-{school_class.sourced_id}.pdf"'
    response["Cache-Control"] = "no-store"  # names of children: not kept by a shared browser
    return response
