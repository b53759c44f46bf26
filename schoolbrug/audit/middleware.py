"""The web UI's requests (pages and admin) change data as the logged-in user: this middleware
opens the audit context of each request. The user and the page are read only when a change
is logged, so a request that changes nothing pays nothing for it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from .context import acting, actor_for_user

ADMIN_REASON = "beheer"


def request_reason(request: HttpRequest) -> str:
    """'beheer' in the Django admin; elsewhere the page's name ('web: link')."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return f"web {request.path}"[:200]
    if match.namespace == "admin" or match.app_name == "admin":
        return ADMIN_REASON
    return f"web: {match.url_name or match.view_name}"


def request_actor(request: HttpRequest) -> str:
    """The logged-in user; "admin als persoon" while an admin sees the portal as another
    person (`roles/view_as.py` keeps the admin as `request.real_user`)."""
    user = getattr(request, "user", None)
    real = getattr(request, "real_user", None)
    if real is not None:
        return f"{actor_for_user(real)} als {actor_for_user(user)}"
    return actor_for_user(user)


class AuditContextMiddleware:
    """After AuthenticationMiddleware: `request.user` is who the log names."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with acting(
            lambda: request_actor(request),
            lambda: request_reason(request),
        ):
            return self.get_response(request)
