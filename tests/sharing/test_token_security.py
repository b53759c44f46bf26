"""The token endpoint under attack: wrong client secrets are answered only up to a limit, per
client id and per address, and then 429 until the window passes (the right secret too); only
the client-credentials grant is accepted; tokens are stored as a hash only."""

from __future__ import annotations

import base64
import hashlib
import logging

import pytest
from django_ratelimit import core as ratelimit_core
from oauth2_provider.models import AccessToken

from tests.sharing.conftest import API

pytestmark = pytest.mark.django_db

PER_CLIENT = 10  # SCHOOLBRUG_TOKEN_FAILURES_PER_CLIENT
PER_ADDRESS = 30  # SCHOOLBRUG_TOKEN_FAILURES_PER_ADDRESS
WINDOW = 15 * 60  # SCHOOLBRUG_TOKEN_FAILURE_WINDOW_MINUTES


def token(client, client_id: str, secret: str, address: str = "203.0.113.7", **form):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return client.post(
        "/oauth/token/",
        {"grant_type": "client_credentials", **form},
        HTTP_AUTHORIZATION=f"Basic {basic}",
        REMOTE_ADDR=address,
    )


def assert_too_many(response) -> int:
    assert response.status_code == 429, response.content
    body = response.json()
    assert body["error"] == "temporarily_unavailable"
    assert "too many failed attempts" in body["error_description"]
    wait = int(response["Retry-After"])
    assert 0 < wait <= WINDOW
    assert response["Cache-Control"] == "no-store"
    return wait


@pytest.fixture
def later(monkeypatch):
    """Move django-ratelimit's clock on by `seconds` (its windows are fixed)."""
    real = ratelimit_core.time.time

    class Clock:
        offset = 0

        @staticmethod
        def time():
            return real() + Clock.offset

    monkeypatch.setattr(ratelimit_core, "time", Clock)

    def move(seconds: int) -> None:
        Clock.offset += seconds

    return move


def test_wrong_secrets_are_answered_up_to_the_limit_then_429_even_for_the_right_one(
    client, app, settings, later
):
    assert settings.SCHOOLBRUG_TOKEN_FAILURES_PER_CLIENT == PER_CLIENT
    answers = [token(client, app.client_id, f"fout-{n}") for n in range(40)]
    assert [a.status_code for a in answers[:PER_CLIENT]] == [401] * PER_CLIENT
    assert all(a.json()["error"] == "invalid_client" for a in answers[:PER_CLIENT])
    for answer in answers[PER_CLIENT:]:
        assert_too_many(answer)

    # The right secret, from that address: refused until the window passes.
    wait = assert_too_many(token(client, app.client_id, app.secret))
    later(wait + 1)
    good = token(client, app.client_id, app.secret)
    assert good.status_code == 200, good.content
    assert good.json()["access_token"]


def test_wrong_secrets_for_an_app_from_one_address_do_not_lock_the_app_out_elsewhere(client, app):
    """A client id is no secret (it is in the vendor's configuration and its logs): counted
    per client id alone, anyone who knew it kept the app from every token, from every school,
    with ten requests each quarter of an hour. A secret of 128 random characters is not
    guessed either way; the count is per client id from one address, and per address."""
    for n in range(PER_CLIENT):
        assert token(client, app.client_id, f"fout-{n}", address="192.0.2.66").status_code == 401
    assert_too_many(token(client, app.client_id, app.secret, address="192.0.2.66"))
    good = token(client, app.client_id, app.secret, address="198.51.100.9")  # the app's server
    assert good.status_code == 200, good.content


def test_one_address_trying_many_clients_is_limited_too(client, app):
    for n in range(PER_ADDRESS):
        assert token(client, f"client-{n}", "fout").status_code == 401
    assert_too_many(token(client, app.client_id, app.secret))
    # Another address is not affected.
    assert token(client, app.client_id, app.secret, address="198.51.100.9").status_code == 200


def test_good_requests_never_count(client, app):
    for _ in range(PER_CLIENT * 2):
        assert token(client, app.client_id, app.secret).status_code == 200
    for n in range(PER_CLIENT - 1):
        assert token(client, app.client_id, f"fout-{n}").status_code == 401
    assert token(client, app.client_id, app.secret).status_code == 200


def test_secrets_in_the_form_body_count_the_same(client, app):
    for n in range(PER_CLIENT):
        response = client.post(
            "/oauth/token/",
            {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": n},
            REMOTE_ADDR="192.0.2.1",
        )
        assert response.status_code == 401
    assert_too_many(token(client, app.client_id, app.secret, address="192.0.2.1"))


@pytest.mark.parametrize(
    "grant",
    ["password", "authorization_code", "refresh_token", "implicit", "", "urn:x"],
)
def test_only_the_client_credentials_grant_is_accepted(client, app, grant):
    response = token(client, app.client_id, app.secret, grant_type=grant, username="u")
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_tokens_are_stored_as_a_hash_only(client, app, served):
    issued = token(client, app.client_id, app.secret).json()["access_token"]
    stored = AccessToken.objects.get()
    assert issued not in (stored.token, stored.token_checksum)
    assert stored.token_checksum == hashlib.sha256(issued.encode()).hexdigest()
    users = client.get(f"{API}/users", HTTP_AUTHORIZATION=f"Bearer {issued}")
    assert users.status_code == 200  # the API finds the token by its hash


def test_the_rostering_api_has_no_lock_out_or_limit_on_its_path():
    from schoolbrug.handlers import API_MIDDLEWARE

    # The read-only mode of a database merge refuses writes only while a merge runs (a
    # primary-key read at most once a second): no lock-out, no limit.
    assert API_MIDDLEWARE == [
        "django.middleware.security.SecurityMiddleware",
        "schoolbrug.merge.readonly.ReadOnlyMiddleware",
    ]


def test_no_secret_or_token_reaches_a_log_set_to_debug(client, app, caplog):
    # oauthlib logs "Issuing token …" with the token itself at DEBUG: an operator who sets the
    # root logger to DEBUG to chase a problem must not find vendors' tokens in the log.
    with caplog.at_level(logging.DEBUG):
        bad = token(client, app.client_id, "fout-geheim")
        good = token(client, app.client_id, app.secret)
        assert bad.status_code == 401 and good.status_code == 200, good.content
        access = good.json()["access_token"]
        listed = client.get(f"{API}/classes", HTTP_AUTHORIZATION=f"Bearer {access}")
        assert listed.status_code in (200, 403), listed.content
        logging.getLogger("tests.probe").debug("probe")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "probe" in logged, "the log did not take DEBUG lines: the test would prove nothing"
    for secret in (access, app.secret, "fout-geheim"):
        assert secret not in logged
