"""Log-in lock-out with django-axes: what Schoolbrug adds to it.

Axes counts wrong passwords per user name and address (settings.py) and refuses that pair for
a cool-off once the limit is reached. Here: the backend that checks it, which leaves log-ins
without a request alone (a command or the shell has no address to lock), and the Dutch page a
locked-out person gets, with status 429 and `Retry-After`.
"""

from __future__ import annotations

import math

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class LockoutBackend(AxesStandaloneBackend):
    def authenticate(self, request: HttpRequest | None, username=None, password=None, **kwargs):
        if request is None:
            return None  # not an HTTP log-in: nothing to count, the next backend decides
        return super().authenticate(request, username, password, **kwargs)


def locked_out_page(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    cool_off = get_cool_off(request)
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else 0
    response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    if cool_off:
        response["Retry-After"] = str(math.ceil(cool_off.total_seconds()))
    return response
