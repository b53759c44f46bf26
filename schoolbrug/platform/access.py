"""What every admin page of the platform asks first: the institution (404 for another
school's, as the rest of the portal) and the one permission module (403 with the reason)."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from schoolbrug.registry.models import Institution, SchoolClass, SchoolYear
from schoolbrug.roles import permissions

# Like the portal's pages: an anonymous visitor goes to the log-in page. (The platform does not
# import web/: nothing outside web/ does.)
login = login_required(login_url="login")


class Forbidden(Exception):
    def __init__(self, institution: Institution, reason: str) -> None:
        super().__init__(reason)
        self.institution = institution
        self.reason = reason


def admin_institution(request: HttpRequest, number: str) -> Institution:
    institution = permissions.institution_or_404(request.user, number)
    if not permissions.may_administer_platform(request.user, institution):
        raise Forbidden(institution, permissions.PLATFORM_ADMIN_REFUSAL)
    return institution


def current_classes(institution: Institution):
    """The SIS's classes of the school year shown (no subclasses, no leavers class)."""
    return SchoolClass.objects.filter(
        institution=institution,
        school_year=school_year_of(institution),
        parent__isnull=True,
        is_leavers=False,
        is_active=True,
    ).order_by("code")


def school_year_of(institution: Institution) -> SchoolYear | None:
    """The school year of the institution's newest classes: the one the sync keeps now."""
    return (
        SchoolYear.objects.filter(classes__institution=institution).order_by("-start_year").first()
    )


def login_class(request: HttpRequest, number: str, class_id: uuid.UUID) -> SchoolClass:
    """A class whose pupils' codes the user may see: its teachers and the ICT coordinator."""
    institution = permissions.institution_or_404(request.user, number)
    school_class = (
        SchoolClass.objects.select_related("institution")
        .filter(institution=institution, sourced_id=class_id, is_active=True)
        .first()
    )
    if school_class is None:
        raise Http404("Geen groep met dit id.")
    if not permissions.may_manage_class_logins(request.user, school_class):
        raise Forbidden(institution, permissions.CLASS_LOGIN_REFUSAL)
    return school_class


def refused(request: HttpRequest, forbidden: Forbidden) -> HttpResponse:
    return render(
        request,
        "platform/refused.html",
        {"institution": forbidden.institution, "reason": forbidden.reason},
        status=403,
    )


def guarded(view):
    """Turns `Forbidden` into the 403 page, for every admin view."""

    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Forbidden as forbidden:
            return refused(request, forbidden)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper
