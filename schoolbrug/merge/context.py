"""What the layout needs of a merge: the read-only banner and the menu's "Samenvoeging"."""

from __future__ import annotations

from django.http import HttpRequest

from . import readonly


def merge(request: HttpRequest) -> dict:
    found = {
        "merge_read_only": readonly.is_read_only,  # lazy: asked by the layout
        "merge_read_only_message": readonly.MESSAGE,
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from .views import sees_merge_pages

        found["merge_pages"] = lambda: sees_merge_pages(user)
    return found
