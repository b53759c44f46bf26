"""A request body too large is refused before anything reads it.

Django streams a multipart body to a temporary file as soon as anything touches
`request.POST` or `request.FILES`, and the CSRF check touches it for every POST: without this,
a file of gigabytes is written to disk before the view gets to say it is too large, by
whoever sends it, logged in or not. The middleware compares the declared Content-Length (a
WSGI body is never read past it) with the view's limit, before the CSRF check runs.

Views that take uploads say their own limit with `@max_request_size`; every other view is
held to SCHOOLBRUG_MAX_REQUEST_BYTES. A view's larger limit is a logged-in user's only: the
CSRF check reads the body before the view's log-in check does anything, so whoever is not
logged in is held to the default, unless the view checks who sends it before it reads the
body (`for_anyone`: the SIS upload's token). A proxy in front may still set a limit of its own."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

log = logging.getLogger("schoolbrug.requests")

# Room for the multipart boundaries and the other form fields around the files.
FORM_OVERHEAD_BYTES = 1024 * 1024


def max_request_size(
    limit: int, *, for_anyone: bool = False, only_for: Callable | None = None
) -> Callable:
    """The largest body this view accepts, in bytes: its files plus FORM_OVERHEAD_BYTES. Above
    the default for a logged-in user only, and of those only for whom `only_for(user)` is true
    when given (the people who may post there); for anyone with `for_anyone` (a view exempt
    from the CSRF check that knows who sends it before it reads the body)."""

    def mark(view: Callable) -> Callable:
        view.max_request_bytes = limit + FORM_OVERHEAD_BYTES
        view.max_request_bytes_for_anyone = for_anyone
        view.max_request_bytes_only_for = only_for
        return view

    return mark


def _limit(request: HttpRequest, view) -> int:
    default = settings.SCHOOLBRUG_MAX_REQUEST_BYTES
    limit = getattr(view, "max_request_bytes", default)
    if limit <= default or getattr(view, "max_request_bytes_for_anyone", False):
        return limit
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return default
    only_for = getattr(view, "max_request_bytes_only_for", None)
    return limit if only_for is None or only_for(user) else default


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.0f} MB"


class RequestSizeMiddleware:
    def __init__(self, get_response: Callable):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, args, kwargs) -> HttpResponse | None:
        limit = _limit(request, view)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body for a length it cannot parse
        if length <= limit:
            return None
        log.warning(
            "request refused: a body of %d bytes to %s, the limit there is %d",
            length,
            request.resolver_match.view_name if request.resolver_match else "?",
            limit,
        )
        message = (
            f"Wat je stuurt is te groot ({_megabytes(length)}); hier kan ten hoogste "
            f"{_megabytes(limit)}. Is het wel het juiste bestand?"
        )
        if "text/html" in request.headers.get("Accept", ""):
            response = render(request, "413.html", {"message": message}, status=413)
        else:
            response = JsonResponse(
                {
                    "error": "too_large",
                    "message": message,
                    "message_en": f"the request body of {length} bytes exceeds {limit} bytes",
                },
                status=413,
                json_dumps_params={"ensure_ascii": False},
            )
        # No `Connection: close`, though the body is left unread: PEP 3333 leaves hop-by-hop
        # headers to the server (wsgiref, the demo's, answers 500 for one; gunicorn drops it).
        # The server skips the unread rest: gunicorn's sync worker closes every connection,
        # runserver reads it away unstored.
        return response
