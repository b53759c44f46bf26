"""Where Schoolbrug may send a school's credentials: https, to a public address of an allowed
host. A guard against server-side request forgery through the Informat link.

A school user types the link's URLs, and the scheduler then posts the client secret there and
fetches from there. Without this guard the URL could name `localhost`, a private address or a
cloud's metadata address (169.254.169.254), and Schoolbrug would send the secret to, or read
from, a machine inside its own network. So:

* `check_url` refuses a URL that is not https, carries user info, or names a host outside
  `SCHOOLBRUG_INFORMAT_HOSTS` (patterns; empty: any host) or a literal address that is not
  public. The link form calls it at save, the pull before every request.
* `public_addresses` resolves the host and refuses it when any address it resolves to is not
  public (loopback, private, link-local, shared, multicast, reserved, unspecified; an IPv6 form
  that embeds an IPv4 address is judged by that address). The pull then connects to exactly
  those addresses, so a second DNS answer cannot swap in another one (DNS rebinding).

`SCHOOLBRUG_INFORMAT_ALLOW_LOOPBACK` (tests only) lets 127.0.0.0/8 and ::1 through, over http
or https, for a test server on this machine; nothing else.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import socket
import urllib.parse

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedAddress(Exception):
    """The URL may not be used; the reason in Dutch (for the school) and English (for logs)."""

    def __init__(self, reason_nl: str, reason_en: str) -> None:
        self.reason_nl = reason_nl
        self.reason_en = reason_en
        super().__init__(reason_en)


def check_url(url: str) -> urllib.parse.SplitResult:
    """The URL's parts, if it may be used; RefusedAddress otherwise. Resolves nothing."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise RefusedAddress("Het adres is onleesbaar.", "unreadable URL") from None
    if not host:
        raise RefusedAddress("Het adres bevat geen servernaam.", "no host in the URL")
    if parts.username is not None or parts.password is not None:
        raise RefusedAddress(
            "Zet geen gebruikersnaam of wachtwoord in het adres; vul client-id en client-secret "
            "in de velden ervoor in.",
            "user info in the URL",
        )
    literal = _literal_address(host)
    loopback = _loopback_allowed() and (
        host == "localhost" if literal is None else _unwrapped(literal).is_loopback
    )
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise RefusedAddress(
            "Gebruik een https-adres: de aanmeldgegevens en de leerlingen gaan erover.",
            "not an https URL",
        )
    if loopback:
        return parts
    if literal is not None and not is_public(literal):
        raise RefusedAddress(_NOT_PUBLIC_NL, f"{literal} is not a public address")
    if host == "localhost" or host.endswith(".localhost"):
        raise RefusedAddress(_NOT_PUBLIC_NL, "localhost is not a public address")
    if not host_allowed(host):
        raise RefusedAddress(
            f"De server {host} is geen server van Informat. Gebruik het adres dat Informat "
            "je gaf; vraag de beheerder van Schoolbrug als dat toch klopt.",
            f"host {host} is not in SCHOOLBRUG_INFORMAT_HOSTS",
        )
    return parts


def public_addresses(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, all public; RefusedAddress if one is not. A name that
    does not resolve raises socket.gaierror."""
    literal = _literal_address(host)
    found = [literal] if literal is not None else _resolve(host, port)
    allow_loopback = _loopback_allowed()
    addresses: list[str] = []
    for address in found:
        if not (is_public(address) or (allow_loopback and _unwrapped(address).is_loopback)):
            raise RefusedAddress(_NOT_PUBLIC_NL, f"{host} resolves to a non-public address")
        if str(address) not in addresses:
            addresses.append(str(address))
    return addresses


def is_public(address: IPAddress) -> bool:
    """Reachable on the public internet, and not a special-purpose address of any kind."""
    address = _unwrapped(address)
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
        or (address.version == 6 and address.is_site_local)
    )


def host_allowed(host: str) -> bool:
    """Is `host` one of SCHOOLBRUG_INFORMAT_HOSTS (`*.example.be` matches every name under
    example.be)? An empty list allows any host."""
    patterns = settings.SCHOOLBRUG_INFORMAT_HOSTS
    return not patterns or any(fnmatch.fnmatchcase(host, pattern) for pattern in patterns)


_NOT_PUBLIC_NL = (
    "Dit adres wijst naar een intern of speciaal netwerkadres (zoals localhost of een privé-"
    "adres). Schoolbrug stuurt aanmeldgegevens alleen naar publieke servers."
)


def _resolve(host: str, port: int) -> list[IPAddress]:
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(answer[4][0].split("%", 1)[0]) for answer in answers]


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _unwrapped(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 form carries (::ffff:a.b.c.d, 6to4, NAT64), else itself."""
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _loopback_allowed() -> bool:
    return bool(getattr(settings, "SCHOOLBRUG_INFORMAT_ALLOW_LOOPBACK", False))
