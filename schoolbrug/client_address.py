"""The address a request came from, for the log-in lock-out and the token endpoint's limits.

`REMOTE_ADDR` unless `SCHOOLBRUG_PROXY_COUNT` says how many reverse proxies of our own stand in
front and append to `X-Forwarded-For`: then the address the outermost of them saw. Entries to
the left of those were written by the client and are never believed (a client could otherwise
pick a new address for every guess).

An IPv6 address counts as its /64 network, the block one subscriber gets (each guess could
otherwise come from another of its 2^64 addresses); an IPv4 address written as IPv6
(`::ffff:203.0.113.7`) as that IPv4 address.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

IPV6_PREFIX = 64
NETWORK_MASK = ((1 << IPV6_PREFIX) - 1) << (128 - IPV6_PREFIX)


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
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "0.0.0.0"  # unreadable: all such requests share one counter
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Address(int(parsed) & NETWORK_MASK))
    return str(parsed)
