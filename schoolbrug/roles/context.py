"""What the layout needs to know of the user's roles: the menu's "Personen", "API-toegang" and
"Beheer" links."""

from __future__ import annotations

from django.http import HttpRequest

from . import permissions


def roles(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: only pages that show the menu ask.
    return {
        "administers_people": lambda: permissions.administers_people(user),
        "may_use_django_admin": permissions.may_use_django_admin(user),
        "is_site_admin": lambda: permissions.is_site_admin(user),
        "viewing_as": getattr(request, "real_user", None) is not None,
    }
