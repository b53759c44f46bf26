"""The Informat pull sends a school's client secret only over https to a public address of an
allowed host, to exactly the address it checked, and follows no redirect.

Real servers run here, on 127.0.0.1 only: an https one with a certificate made for the name
`informat.test` (the name is resolved by a stand-in resolver, the certificate trusted by the
test), and a plain one that would see any request that got through."""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from schoolbrug.links import informat_pull, public_address
from schoolbrug.links.informat_pull import InformatCredentials, pull_pupils
from schoolbrug.sources.errors import BadInput

from .link_data import informat_json

NAME = "informat.test"
SECRET = "geheim-van-de-school"
PUPILS = informat_json(2)


class Recording(BaseHTTPRequestHandler):
    requests: list[dict]
    redirect_to = ""

    def log_message(self, *args) -> None:
        pass

    def _answer(self, status: int, body: bytes, **headers: str) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        self.requests.append({"path": self.path, "host": self.headers["Host"], "form": form})
        if self.redirect_to:
            self._answer(302, b"", Location=self.redirect_to)
            return
        self._answer(200, json.dumps({"access_token": "toegang"}).encode())

    def do_GET(self) -> None:
        self.requests.append({"path": self.path, "host": self.headers["Host"]})
        self._answer(200, PUPILS)


def _serve(context: ssl.SSLContext | None):
    handler = type("Handler", (Recording,), {"requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.handler = handler
    return server, thread


def _stop(server, thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    assert not thread.is_alive()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A certificate for informat.test (and 127.0.0.1), signed by itself."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(NAME), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def informat(certificate, monkeypatch, settings):
    """An https Informat on 127.0.0.1 that the pull knows as https://informat.test:PORT."""
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server, thread = _serve(context)

    def trusting_context() -> ssl.SSLContext:
        client = ssl.create_default_context()
        client.load_verify_locations(cert)
        return client

    monkeypatch.setattr(informat_pull, "tls_context", trusting_context)
    settings.SCHOOLBRUG_INFORMAT_HOSTS = [NAME]
    server.base = f"https://{NAME}:{server.server_port}"
    yield server
    _stop(server, thread)


@pytest.fixture
def bystander():
    """A plain server on 127.0.0.1 that a refused request must never reach."""
    server, thread = _serve(None)
    server.base = f"http://127.0.0.1:{server.server_port}"
    yield server
    _stop(server, thread)


@pytest.fixture
def resolver(monkeypatch):
    """Names resolve as the test says; any other look-up of them fails the test."""
    answers: dict[str, list[str]] = {}
    asked: list[str] = []

    def resolve(host, port):
        asked.append(host)
        return [ipaddress.ip_address(a) for a in answers[host]]

    real = socket.getaddrinfo

    def no_second_lookup(host, *args, **kwargs):
        assert host not in answers, f"{host} looked up again, past the check"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(public_address, "_resolve", resolve)
    monkeypatch.setattr(socket, "getaddrinfo", no_second_lookup)
    resolver = type("Resolver", (), {"answers": answers, "asked": asked})
    return resolver


def credentials(base: str, token_base: str | None = None) -> InformatCredentials:
    return InformatCredentials(
        pupils_url=f"{base}/1/students?schoolYear=2025-26",
        token_url=f"{token_base or base}/connect/token",
        client_id="regenboog",
        client_secret=SECRET,
    )


def test_the_pull_goes_over_https_to_the_address_it_checked(informat, resolver, settings):
    settings.SCHOOLBRUG_INFORMAT_ALLOW_LOOPBACK = True  # informat.test is 127.0.0.1 here
    resolver.answers[NAME] = ["127.0.0.1"]

    assert pull_pupils(credentials(informat.base), "012345") == PUPILS

    token_request, pupils_request = informat.handler.requests
    assert token_request["form"]["client_secret"] == [SECRET]
    assert pupils_request["path"] == "/1/students?schoolYear=2025-26"
    # TLS and Host carry the name; the connection went to the address resolved once per URL.
    assert token_request["host"] == f"{NAME}:{informat.server_port}"
    assert resolver.asked == [NAME, NAME]


def test_a_name_that_now_points_inward_is_refused_before_any_connection(
    informat, resolver, settings
):
    for inward in ("127.0.0.1", "10.0.0.7", "169.254.169.254", "::ffff:127.0.0.1", "::1"):
        resolver.answers[NAME] = [inward]
        with pytest.raises(BadInput) as refused:
            pull_pupils(credentials(informat.base), "012345")
        assert "intern of speciaal netwerkadres" in refused.value.reason_nl
        assert SECRET not in refused.value.user_text() + refused.value.log_text()
    assert informat.handler.requests == []


@pytest.mark.parametrize(
    "base",
    [
        "https://localhost:{port}",
        "https://127.0.0.1:{port}",
        "https://10.0.0.1:{port}",
        "https://169.254.169.254",
        "https://[::1]:{port}",
        "https://[::ffff:127.0.0.1]:{port}",
        "http://127.0.0.1:{port}",
        "http://informat.test:{port}",
    ],
)
def test_inward_and_plain_http_urls_are_refused_and_nothing_is_sent(
    base, bystander, informat, resolver, settings
):
    settings.SCHOOLBRUG_INFORMAT_HOSTS = []  # any public host: the address rule alone
    resolver.answers[NAME] = ["127.0.0.1"]
    url = base.format(port=bystander.server_port)
    with pytest.raises(BadInput) as refused:
        pull_pupils(credentials(url), "012345")
    assert "Schoolbrug maakt geen verbinding met" in refused.value.reason_nl
    assert bystander.handler.requests == [] and informat.handler.requests == []


def test_a_redirect_is_not_followed_so_the_secret_stays_home(
    informat, bystander, resolver, settings
):
    settings.SCHOOLBRUG_INFORMAT_ALLOW_LOOPBACK = True
    resolver.answers[NAME] = ["127.0.0.1"]
    for target in (f"{bystander.base}/steal", "http://169.254.169.254/latest/meta-data/"):
        informat.handler.redirect_to = target
        with pytest.raises(BadInput) as refused:
            pull_pupils(credentials(informat.base), "012345")
        assert "verwijst door naar een ander adres (HTTP 302)" in refused.value.reason_nl
    assert bystander.handler.requests == []
    assert len(informat.handler.requests) == 2  # the two token requests, nothing after them


def test_the_test_server_on_127_0_0_1_is_reached_only_with_the_test_setting(bystander, settings):
    settings.SCHOOLBRUG_INFORMAT_HOSTS = []
    with pytest.raises(BadInput):
        pull_pupils(credentials(bystander.base), "012345")
    assert bystander.handler.requests == []

    settings.SCHOOLBRUG_INFORMAT_ALLOW_LOOPBACK = True
    assert pull_pupils(credentials(bystander.base), "012345") == PUPILS
    assert len(bystander.handler.requests) == 2


def test_a_host_outside_the_allow_list_is_refused(informat, resolver, settings):
    settings.SCHOOLBRUG_INFORMAT_ALLOW_LOOPBACK = True
    settings.SCHOOLBRUG_INFORMAT_HOSTS = ["*.informatsoftware.be"]
    resolver.answers[NAME] = ["127.0.0.1"]
    with pytest.raises(BadInput) as refused:
        pull_pupils(credentials(informat.base), "012345")
    assert "geen server van Informat" in refused.value.reason_nl
    assert informat.handler.requests == []


def test_a_certificate_for_another_name_is_refused(certificate, informat, resolver, settings):
    settings.SCHOOLBRUG_INFORMAT_ALLOW_LOOPBACK = True
    settings.SCHOOLBRUG_INFORMAT_HOSTS = []
    resolver.answers["andere.test"] = ["127.0.0.1"]
    with pytest.raises(BadInput) as refused:
        pull_pupils(credentials(f"https://andere.test:{informat.server_port}"), "012345")
    assert "de beveiligde verbinding mislukte" in refused.value.reason_nl
    assert [r["form"]["client_secret"] for r in informat.handler.requests] == []
