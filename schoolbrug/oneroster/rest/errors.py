"""OneRoster 1.2 error payloads (imsx_StatusInfo) and the DRF exception handler that writes
them for every failure of the rostering API, authentication included; a fault of ours too
(server_error, Django's handler500)."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response

from schoolbrug.handlers import API_PREFIXES

log = logging.getLogger("schoolbrug.api")


class ApiError(exceptions.APIException):
    """A failure answered with an imsx_StatusInfo body; `code_minor` from the 1.2 vocabulary
    (invalid_filter_field, invalid_selection_field, invaliddata, unknownobject, ...)."""

    def __init__(self, status: int, code_minor: str, description: str) -> None:
        super().__init__(description)
        self.status_code = status
        self.code_minor = code_minor
        self.description = description


def bad_request(code_minor: str, description: str) -> ApiError:
    return ApiError(400, code_minor, description)


def not_found(kind: str, sourced_id: str) -> ApiError:
    # Same answer for an unknown id and for one this app may not see: nothing to tell apart.
    return ApiError(404, "unknownobject", f"no {kind} with sourcedId {sourced_id}")


def status_info(code_minor: str, description: str, *, major: str = "failure") -> dict:
    return {
        "imsx_codeMajor": major,
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_CodeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": "TargetEndSystem",
                    "imsx_codeMinorFieldValue": code_minor,
                }
            ]
        },
    }


def exception_handler(exc, context) -> Response | None:
    headers = {}
    if isinstance(exc, ApiError):
        status, minor, text = exc.status_code, exc.code_minor, exc.description
    elif isinstance(exc, Http404):
        status, minor, text = 404, "unknownobject", "unknown object"
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        status, minor = 401, "unauthorisedrequest"
        text = "a valid bearer token (OAuth2 client credentials) is required"
        headers["WWW-Authenticate"] = 'Bearer realm="oneroster"'
    elif isinstance(exc, exceptions.PermissionDenied):
        status, minor, text = 403, "forbidden", str(exc.detail)
    elif isinstance(exc, exceptions.MethodNotAllowed):
        status, minor, text = 405, "invaliddata", str(exc.detail)
        view = context.get("view")
        if view is not None:
            headers["Allow"] = ", ".join(view.allowed_methods)
    elif isinstance(exc, exceptions.Throttled):
        status, minor, text = 429, "server_busy", "too many requests"
    elif isinstance(exc, exceptions.APIException):
        status, minor, text = exc.status_code, "invaliddata", str(exc.detail)
    else:
        # A fault of ours: Django logs it with its traceback (django.request, settings.LOGGING)
        # and answers it with server_error below.
        return None
    log.info("oneroster api %s %s", status, minor)
    return Response(status_info(minor, text), status=status, headers=headers)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: an unknown address under the API answers JSON, the web UI's the portal's
    Dutch page (web/templates/404.html)."""
    if request.path.startswith(API_PREFIXES):
        return JsonResponse(status_info("unknownobject", "unknown path"), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the rostering API's clients read JSON, the web UI's people a Dutch page
    (web/templates/500.html)."""
    if request.path.startswith(API_PREFIXES):
        body = status_info("internal_server_error", "internal server error (logged)")
        return JsonResponse(body, status=500)
    return defaults.server_error(request)
