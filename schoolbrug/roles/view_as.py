"""Switch view: a site admin, or a board admin within their board, sees the portal as another
person sees it, to answer "what does this teacher see?" without their password.

The session holds whom the admin looks as. For every request of that session the middleware
checks again that the admin still may (a grant that ended ends the switch), then makes the
viewed person `request.user`, so every permission check answers as for them, and keeps the
admin as `request.real_user`. The change log names "admin als persoon" for anything logged
meanwhile (`audit/middleware.py`), but nothing should be: a data protection officer expects
looking, not acting, so every request that could change data (any method but GET, HEAD and
OPTIONS) is refused with a Dutch page, except switching back and logging out. Starting and
stopping are entries of the change log themselves, on the viewed person's account.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from schoolbrug.audit.audited import derived_id
from schoolbrug.audit.context import actor_for_user
from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Assignment

from . import permissions
from .models import RoleGrant

SESSION_KEY = "schoolbrug_view_as"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def people_in_reach(admin):
    """The accounts `admin` may look as: everyone else for a site admin; for a board admin
    the people who work today only at institutions of their board and hold no granted role."""
    users = get_user_model().objects.filter(is_active=True).exclude(pk=admin.pk)
    if permissions.is_site_admin(admin):
        # A granted site admin is no superuser: looking as one would open what only a
        # superuser sees (Django's admin, read-only but whole).
        return users if admin.is_superuser else users.filter(is_superuser=False)
    if not permissions.is_board_admin(admin):
        return users.none()
    today = timezone.localdate()
    current = Q(start_date__lte=today) & (Q(end_date__isnull=True) | Q(end_date__gte=today))
    # E-mail addresses compared in lower case, as the permission module does.
    assignments = Assignment.objects.filter(current).annotate(address=Lower("staff__email"))
    boards = permissions.board_admin_boards(admin)
    inside = assignments.filter(institution__board_id__in=boards).values("address")
    outside = assignments.exclude(institution__board_id__in=boards).values("address")
    granted = RoleGrant.objects.current().values("user_id")
    return (
        users.annotate(address=Lower("email"))
        .filter(is_superuser=False, address__in=inside)
        .exclude(email="")
        .exclude(address__in=outside)
        .exclude(pk__in=granted)
    )


def may_view_as(admin, person) -> bool:
    return people_in_reach(admin).filter(pk=person.pk).exists()


def _log(admin, person, action: str) -> None:
    AuditEntry.objects.create(
        at=timezone.now(),
        actor=actor_for_user(admin),
        reason="web: meekijken",
        entity="user",
        entity_sourced_id=derived_id("auth.user", person.pk),
        action=action,
        changes={"bekeken_als": [None, actor_for_user(person)]},
    )


def start(request: HttpRequest, person) -> None:
    """The admin now sees the portal as `person` (checked by the caller)."""
    request.session[SESSION_KEY] = person.pk
    _log(request.user, person, AuditEntry.Action.VIEW_AS)


def stop(request: HttpRequest) -> None:
    """Back to the admin's own view; logged when a switch was on."""
    person_pk = request.session.pop(SESSION_KEY, None)
    real = getattr(request, "real_user", None)
    if person_pk is None or real is None:
        return
    person = get_user_model().objects.filter(pk=person_pk).first()
    if person is not None:
        _log(real, person, AuditEntry.Action.VIEW_END)
    request.user = real
    del request.real_user


class ViewAsMiddleware:
    """After AuthenticationMiddleware and before the audit context's middleware."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        person_pk = session.get(SESSION_KEY) if session is not None else None
        if person_pk is not None:
            refused = self._switch(request, person_pk)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _switch(self, request: HttpRequest, person_pk) -> HttpResponse | None:
        admin = request.user
        person = get_user_model().objects.filter(pk=person_pk).first()
        if not admin.is_authenticated or person is None or not may_view_as(admin, person):
            request.session.pop(SESSION_KEY, None)
            return None
        request.real_user = admin
        request.user = person
        if request.method in SAFE_METHODS or request.path in _allowed_while_viewing():
            return None
        return render(request, "roles/view_as_refused.html", status=403)


def _allowed_while_viewing() -> tuple[str, ...]:
    return (reverse("roles:view_as_stop"), reverse("logout"))
