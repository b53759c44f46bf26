"""The address a request came from, for the log-in lock-out and the token endpoint's limits.

`REMOTE_ADDR` unless `SCHOOLBRUG_PROXY_COUNT` says how many reverse proxies of our own stand in
front and append to `X-Forwarded-For`: then the address the outermost of them saw. Entries to
the left of those were written by the client and are never believed (a client could otherwise
pick a new address for every guess).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    proxies = settings.SCHOOLBRUG_PROXY_COUNT
    address = request.META.get("REMOTE_ADDR", "")
    if proxies > 0:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return "0.0.0.0"  # unreadable: all such requests share one counter
