"""The token endpoint under attack: a limit on wrong client secrets, per client and address.

An app's client secret is the key to the pupils of every school that granted it. Without a
limit anyone could try secrets as fast as the server answers. Failures (`invalid_client`: a
wrong secret or an unknown client) are counted per address and per client id from an
address in Django's default cache (django-ratelimit's fixed windows); once either count
reaches its limit, the endpoint answers that address 429 with an OAuth-style JSON error and
`Retry-After` until the window ends, the right secret included, so guessing on does not pay.
Only failures count: an app that asks for a token every minute never meets the limit.

Also: apps get tokens by the client-credentials grant only; any other grant is refused here,
before the toolkit looks at it.

Only the token and revoke endpoints pay for this (a cache read per request); the rostering
API, which checks bearer tokens, has nothing added.
"""

from __future__ import annotations

import base64
import binascii
import json
import urllib.parse

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_ratelimit.core import get_usage
from oauth2_provider import views as oauth2_views

from schoolbrug.client_address import client_address

GROUP = "schoolbrug.oauth.failures"
GRANT_TYPE = "client_credentials"


def _client_id(request: HttpRequest) -> str:
    """The client id the request claims: from HTTP Basic (RFC 6749 2.3.1) or the form."""
    kind, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if kind.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return urllib.parse.unquote_plus(decoded.partition(":")[0])
    return request.POST.get("client_id", "")


def _counters(request: HttpRequest) -> list[tuple[str, int]]:
    """(counter, limit) that a failure of this request adds to: per address, and per client id
    from that address. Not per client id alone: a client id is no secret, and anyone who knew
    one would keep the app from every token, everywhere, with a few wrong secrets."""
    address = client_address(request)
    counters = [(f"address:{address}", settings.SCHOOLBRUG_TOKEN_FAILURES_PER_ADDRESS)]
    if client_id := _client_id(request):
        counters.append(
            (f"client:{address}:{client_id}", settings.SCHOOLBRUG_TOKEN_FAILURES_PER_CLIENT)
        )
    return counters


def _usage(request: HttpRequest, counter: str, limit: int, *, increment: bool) -> dict | None:
    window = settings.SCHOOLBRUG_TOKEN_FAILURE_WINDOW_MINUTES * 60
    return get_usage(
        request,
        group=GROUP,
        key=lambda group, request: counter,
        rate=(limit, window),
        increment=increment,
    )


def oauth_error(status: int, error: str, description: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


class FailureLimited:
    """Mixin for the toolkit's views that authenticate a client."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        counters = _counters(request)
        for counter, limit in counters:
            usage = _usage(request, counter, limit, increment=False)
            if usage is not None and usage["count"] >= limit:
                wait = max(1, usage["time_left"])
                return oauth_error(
                    429,
                    "temporarily_unavailable",
                    f"too many failed attempts: try again in {wait} seconds",
                    Retry_After=str(wait),
                )
        response = super().post(request, *args, **kwargs)
        if _is_client_failure(response):
            for counter, limit in counters:
                _usage(request, counter, limit, increment=True)
        return response


def _is_client_failure(response: HttpResponse) -> bool:
    if response.status_code == 401:
        return True
    if response.status_code != 400:
        return False
    try:
        return json.loads(response.content).get("error") == "invalid_client"
    except (ValueError, AttributeError):
        return False


class TokenView(FailureLimited, oauth2_views.TokenView):
    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.POST.get("grant_type") != GRANT_TYPE:
            return oauth_error(
                400,
                "unsupported_grant_type",
                "this server issues tokens by the client_credentials grant only",
            )
        return super().post(request, *args, **kwargs)


class RevokeTokenView(FailureLimited, oauth2_views.RevokeTokenView):
    pass
