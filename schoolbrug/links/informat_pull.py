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

Before each request the URL is checked and its host resolved (`public_address`): https to a
public address of an allowed host only. The request then goes to exactly the address that was
checked (urllib3, with the host name for TLS and `Host`), so a DNS answer that changes between
the check and the connection cannot send the secret elsewhere.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import urllib.parse
from dataclasses import dataclass

import urllib3

from schoolbrug.sources.errors import BadInput

from . import public_address

# The logger keeps its name from before the move into links/: operators filter logs by it.
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
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json",
        "InstituteNo": str(institution_number),
    }
    return _fetch("GET", credentials.pupils_url, None, headers, MAX_BYTES, "pupils")


def _access_token(credentials: InformatCredentials) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
    }
    if credentials.scope:
        form["scope"] = credentials.scope
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
    }
    body = urllib.parse.urlencode(form).encode("ascii")
    where = safe_url(credentials.token_url)
    answer = _fetch("POST", credentials.token_url, body, headers, MAX_TOKEN_BYTES, "token")
    try:
        data = json.loads(answer.decode("utf-8"))
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


STEPS = {"token": "het aanmelden", "pupils": "het ophalen van de leerlingen"}


def _fetch(
    method: str, url: str, body: bytes | None, headers: dict[str, str], limit: int, step: str
) -> bytes:
    where = safe_url(url)
    try:
        parts = public_address.check_url(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = public_address.public_addresses(parts.hostname or "", port)
    except public_address.RefusedAddress as refused:
        log.warning("informat pull: %s: refused %s (%s)", step, where, refused.reason_en)
        raise BadInput(
            f"Schoolbrug maakt geen verbinding met {where}: {refused.reason_nl}",
            f"refused to connect to {where}: {refused.reason_en}",
            file=where,
        ) from None
    except (OSError, UnicodeError) as error:  # the name does not resolve
        raise _no_connection(error, where, step) from None
    target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    headers = {**headers, "Host": parts.netloc.rpartition("@")[2]}
    error: Exception | None = None
    for address in addresses:  # the checked addresses, in the resolver's order
        pool = _pool(parts.scheme, address, port, parts.hostname or "")
        try:
            response = pool.urlopen(
                method,
                target,
                body=body,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
            )
        except (urllib3.exceptions.HTTPError, OSError) as failed:
            error = failed
            pool.close()
            continue
        try:
            return _read(response, where, limit, step)
        finally:
            response.release_conn()
            pool.close()
    raise _no_connection(error, where, step)


def _pool(scheme: str, address: str, port: int, host: str) -> urllib3.HTTPConnectionPool:
    timeout = urllib3.Timeout(connect=TIMEOUT, read=TIMEOUT)
    if scheme == "http":  # only to this machine, in tests (public_address)
        return urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
    return urllib3.HTTPSConnectionPool(
        address,
        port,
        timeout=timeout,
        retries=False,
        ssl_context=tls_context(),
        server_hostname=host,  # SNI and the certificate check use the name, not the address
        assert_hostname=host,
    )


def tls_context() -> ssl.SSLContext:
    """The system's trusted certificates, with host name checks."""
    return ssl.create_default_context()


def _read(response, where: str, limit: int, step: str) -> bytes:
    status = response.status
    if status >= 300:
        log.warning("informat pull: %s: HTTP %s at %s", step, status, where)
        raise BadInput(
            _http_message(status, where, step), f"HTTP {status} from {where}", file=where
        )
    try:
        data = response.read(limit + 1)
    except (urllib3.exceptions.HTTPError, OSError) as error:
        raise _no_connection(error, where, step) from None
    if len(data) > limit:
        raise BadInput(
            f"Het antwoord van {where} is groter dan {limit // (1024 * 1024) or 1} MB.",
            f"the answer of {where} is too large",
            file=where,
        )
    return data


def _no_connection(error: Exception | None, where: str, step: str) -> BadInput:
    reason = _connection_problem(error)
    log.warning("informat pull: %s: no connection to %s (%s)", step, where, reason[1])
    return BadInput(
        f"Informat is niet bereikbaar op {where} ({reason[0]}). Controleer het adres en "
        "probeer later opnieuw.",
        f"cannot reach {where}: {reason[1]}",
        file=where,
    )


def _connection_problem(error: Exception | None) -> tuple[str, str]:
    """(Dutch, English) words for why there was no answer; never the error's own text, which
    may repeat the address with its user info."""
    causes = []
    while error is not None and len(causes) < 5:
        causes.append(error)
        error = getattr(error, "reason", None) or error.__cause__ or error.__context__
    for cause in causes:
        if isinstance(cause, socket.gaierror):
            return "de servernaam is onbekend", "unknown host name"
        if isinstance(cause, ssl.SSLError | urllib3.exceptions.SSLError):
            return "de beveiligde verbinding mislukte", "TLS failed"
        if isinstance(cause, ConnectionRefusedError):
            return "de verbinding werd geweigerd", "connection refused"
    for cause in causes:
        if isinstance(cause, TimeoutError | socket.timeout) or (
            isinstance(cause, urllib3.exceptions.TimeoutError)
            and not isinstance(cause, urllib3.exceptions.NewConnectionError)
        ):
            return "geen antwoord binnen de tijd", "timed out"
        if isinstance(cause, UnicodeError | ValueError):
            return "het adres is onleesbaar", "unreadable URL"
    name = type(causes[-1]).__name__ if causes else "no address"
    return "geen verbinding", name


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
