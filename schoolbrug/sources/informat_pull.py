"""Informat over HTTP: fetch an institution's pupils with OAuth2 client credentials.

1. POST the token URL (form encoded): `grant_type=client_credentials`, `client_id`,
   `client_secret` and, when set, `scope`; the answer is JSON with `access_token`.
2. GET the pupils URL (the link's base URL) with `Authorization: Bearer <access token>` and
   the header `InstituteNo: <institution number>`; the answer is the JSON `parse_informat`
   reads.

What goes wrong (no connection, a refusal, an answer that is not what was asked) raises
`BadInput` with a Dutch message that names the URL, without user info, query string or
fragment, and never the client secret or a token. Redirects are not followed: the bearer token
is not handed to another address.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from schoolbrug.sources.errors import BadInput

log = logging.getLogger("schoolbrug.sources.informat_pull")

TIMEOUT = 60.0  # seconds per request
MAX_BYTES = 512 * 1024 * 1024  # a pupils answer larger than this is refused
MAX_TOKEN_BYTES = 64 * 1024
FILE = "leerlingen.json"  # the name the pulled answer is saved and reported under


@dataclass(frozen=True, repr=False)
class InformatCredentials:
    pupils_url: str
    token_url: str
    client_id: str
    client_secret: str
    scope: str = ""

    def __repr__(self) -> str:
        return (
            f"InformatCredentials(pupils_url={safe_url(self.pupils_url)!r}, "
            f"token_url={safe_url(self.token_url)!r}, client_id={self.client_id!r})"
        )

    def missing(self) -> list[str]:
        """The Dutch names of the settings that are not filled in."""
        names = {
            "pupils_url": "basis-URL",
            "token_url": "token-URL",
            "client_id": "client-id",
            "client_secret": "client-secret",
        }
        return [label for key, label in names.items() if not getattr(self, key).strip()]


def safe_url(url: str) -> str:
    """The URL to show or log: scheme, host, port and path; no user info, query or fragment."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(onleesbaar adres)"
    if ":" in host:
        host = f"[{host}]"
    return urllib.parse.urlunsplit((parts.scheme, host + port, parts.path, "", ""))


def pull_pupils(credentials: InformatCredentials, institution_number: str) -> bytes:
    """The pupils JSON of one institution, as Informat sends it (bytes, not yet parsed)."""
    if missing := credentials.missing():
        raise BadInput(
            "De Informat-koppeling is niet volledig ingesteld: "
            + ", ".join(missing)
            + " ontbreekt. Vul dit aan op de pagina 'Koppeling met het administratiepakket'.",
            "the Informat link is incomplete: " + ", ".join(missing) + " missing",
            file=FILE,
        )
    token = _access_token(credentials)
    request = urllib.request.Request(
        credentials.pupils_url,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "InstituteNo": str(institution_number),
        },
        method="GET",
    )
    return _fetch(request, credentials.pupils_url, MAX_BYTES, "pupils")


def _access_token(credentials: InformatCredentials) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
    }
    if credentials.scope:
        form["scope"] = credentials.scope
    request = urllib.request.Request(
        credentials.token_url,
        data=urllib.parse.urlencode(form).encode("ascii"),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
        method="POST",
    )
    where = safe_url(credentials.token_url)
    body = _fetch(request, credentials.token_url, MAX_TOKEN_BYTES, "token")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        data = None
    token = data.get("access_token") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        raise BadInput(
            f"Het antwoord van {where} bevat geen toegangstoken (access_token). Controleer de "
            "token-URL.",
            f"the answer of {where} holds no access_token",
            file=where,
        )
    return token


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx then raises HTTPError below


_opener = urllib.request.build_opener(_NoRedirect)


STEPS = {"token": "het aanmelden", "pupils": "het ophalen van de leerlingen"}


def _fetch(request: urllib.request.Request, url: str, limit: int, step: str) -> bytes:
    where = safe_url(url)
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            data = response.read(limit + 1)
    except urllib.error.HTTPError as error:
        error.close()
        log.warning("informat pull: %s: HTTP %s at %s", step, error.code, where)
        raise BadInput(
            _http_message(error.code, where, step),
            f"HTTP {error.code} from {where}",
            file=where,
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = _connection_problem(error)
        log.warning("informat pull: %s: no connection to %s (%s)", step, where, reason[1])
        raise BadInput(
            f"Informat is niet bereikbaar op {where} ({reason[0]}). Controleer het adres en "
            "probeer later opnieuw.",
            f"cannot reach {where}: {reason[1]}",
            file=where,
        ) from None
    if len(data) > limit:
        raise BadInput(
            f"Het antwoord van {where} is groter dan {limit // (1024 * 1024) or 1} MB.",
            f"the answer of {where} is too large",
            file=where,
        )
    return data


def _connection_problem(error: Exception) -> tuple[str, str]:
    """(Dutch, English) words for why there was no answer; never the error's own text, which
    may repeat the address with its user info."""
    reason = getattr(error, "reason", error)
    if isinstance(reason, socket.gaierror):
        return "de servernaam is onbekend", "unknown host name"
    if isinstance(reason, ssl.SSLError):
        return "de beveiligde verbinding mislukte", "TLS failed"
    if isinstance(reason, ConnectionRefusedError):
        return "de verbinding werd geweigerd", "connection refused"
    if isinstance(reason, TimeoutError) or "timed out" in str(reason):
        return "geen antwoord binnen de tijd", "timed out"
    if isinstance(error, ValueError):
        return "het adres is onleesbaar", "unreadable URL"
    return "geen verbinding", type(reason).__name__


def _http_message(code: int, where: str, step: str) -> str:
    if code in (401, 403):
        hint = (
            "Controleer client-id en client-secret."
            if step == "token"
            else "Controleer of de webservices voor dit instellingsnummer geactiveerd zijn."
        )
        return f"Informat weigerde de toegang (HTTP {code}) bij {STEPS[step]} op {where}. {hint}"
    if 300 <= code < 400:
        return (
            f"{where} verwijst door naar een ander adres (HTTP {code}). Vul het juiste adres in; "
            "Schoolbrug volgt geen doorverwijzingen met aanmeldgegevens."
        )
    if code == 404:
        return f"Het adres {where} bestaat niet (HTTP 404) bij {STEPS[step]}. Controleer de URL."
    return f"Informat antwoordde met een fout (HTTP {code}) bij {STEPS[step]} op {where}."
