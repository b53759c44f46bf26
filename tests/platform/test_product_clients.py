"""API-toegang: the platform's operator (a site admin) gives a product its OAuth2 client for
the gradebook API, shows the secret once, makes a new one and revokes it; nobody else reaches
the pages. The secret works at the token endpoint and the gradebook API, a revoked client gets
401, and the secret is never stored or logged in plain text."""

from __future__ import annotations

import base64
import io
import logging
import re

import lxml.html
import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from oauth2_provider.models import Application

from schoolbrug.audit.models import AuditEntry
from schoolbrug.platform import gradebook, licences
from schoolbrug.platform.models import ProductResult
from schoolbrug.roles.models import RoleGrant
from tests.platform.test_gradebook_api import line_item, put, result
from tests.roles.conftest import grant
from tests.web.conftest import make_user

pytestmark = pytest.mark.django_db
SECRET = re.compile(r"<dt>Client secret</dt><dd><code>([^<]+)</code></dd>")
CLIENT_ID = re.compile(r"<dt>Client id</dt><dd><code>([^<]+)</code></dd>")


@pytest.fixture
def operator(django_user_model):
    user = make_user(django_user_model, "beheerder", "beheer@schoolbrug.test")
    grant(user, RoleGrant.Role.SITE_ADMIN)
    return user


def page_url(product) -> str:
    return reverse("platform:product_client", args=[product.sourced_id])


def token_answer(client, client_id: str, secret: str):
    auth = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return client.post(
        "/oauth/token/",
        {"grant_type": "client_credentials", "scope": " ".join(gradebook.GRADEBOOK_SCOPES)},
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )


def bearer(client, client_id: str, secret: str) -> dict:
    answer = token_answer(client, client_id, secret)
    assert answer.status_code == 200, answer.content
    return {"HTTP_AUTHORIZATION": f"Bearer {answer.json()['access_token']}"}


def test_only_the_platform_operator_reaches_the_pages(client, platform_school, people, operator):
    product = platform_school.catalogue.rekenen
    lists = reverse("platform:product_clients")
    assert client.get(lists).status_code == 302  # to the log-in page
    for user in (people.ict, people.teacher, people.secretary):
        client.force_login(user)
        assert client.get(lists).status_code == 404
        assert client.get(page_url(product)).status_code == 404
        assert client.post(page_url(product), {"actie": "aanmaken"}).status_code == 404
    assert not Application.objects.exists()
    client.force_login(operator)
    listing = client.get(lists)
    assert listing.status_code == 200
    assert "Rekenrijk" in listing.content.decode() and "API-toegang" in listing.content.decode()
    client.post(page_url(product), {"actie": "aanmaken"})
    for url in (lists, page_url(product)):
        assert_cells_name_their_column(client.get(url).content)


def assert_cells_name_their_column(html: bytes) -> None:
    """As tests/web/test_layout.py: on a phone a cell shows its column's name (data-label)."""
    tables = lxml.html.fromstring(html).xpath("//main//table")
    assert tables
    for table in tables:
        headers = [" ".join(th.text_content().split()) for th in table.xpath("./thead//th")]
        rows = table.xpath("./tbody/tr")
        assert rows
        for row in rows:
            assert [td.get("data-label") for td in row.xpath("./td")] == headers


def test_the_secret_shown_once_works_and_a_revoked_client_gets_401(
    client, platform_school, operator, caplog
):
    caplog.set_level(logging.DEBUG)
    s = platform_school
    product = s.catalogue.rekenen
    licences.link_class(s.catalogue.group, s.classes["1A"])
    client.force_login(operator)
    created = client.post(page_url(product), {"actie": "aanmaken"})
    assert created.status_code == 200 and created["Cache-Control"] == "no-store"
    page = created.content.decode()
    secret, client_id = SECRET.search(page)[1], CLIENT_ID.search(page)[1]
    assert "maar één keer getoond" in page
    product.refresh_from_db()
    assert product.app.client_id == client_id
    assert set(product.app.scopes) == set(gradebook.GRADEBOOK_SCOPES)
    # Shown once: the page does not show it again.
    assert secret not in client.get(page_url(product)).content.decode()
    assert client.post(page_url(product), {"actie": "aanmaken"}).status_code == 400

    headers = bearer(client, client_id, secret)
    assert put(client, "/lineItems/blok-1", line_item(s), headers).status_code == 201
    assert put(client, "/results/r-1", result(s.pupils[0]), headers).status_code == 201

    # "Nieuw geheim" asks first; then the old secret and its tokens stop working.
    asked = client.post(page_url(product), {"actie": "nieuw-geheim"}).content.decode()
    assert "Ja, maak een nieuw geheim" in asked and not SECRET.search(asked)
    renewed = client.post(page_url(product), {"actie": "nieuw-geheim", "bevestigd": "ja"})
    new_secret = SECRET.search(renewed.content.decode())[1]
    assert new_secret != secret
    assert token_answer(client, client_id, secret).status_code == 401
    assert put(client, "/results/r-1", result(s.pupils[0], 8), headers).status_code == 401
    headers = bearer(client, client_id, new_secret)
    assert put(client, "/results/r-1", result(s.pupils[0], 8), headers).status_code in (200, 201)

    # "Intrekken" asks first; then the client is gone: 401 for its token and its secret.
    asked = client.post(page_url(product), {"actie": "intrekken"}).content.decode()
    assert "Ja, trek de toegang in" in asked
    product.refresh_from_db()
    assert product.app is not None
    client.post(page_url(product), {"actie": "intrekken", "bevestigd": "ja"})
    product.refresh_from_db()
    assert product.app is None and not Application.objects.exists()
    assert put(client, "/results/r-1", result(s.pupils[0], 9), headers).status_code == 401
    assert token_answer(client, client_id, new_secret).status_code == 401
    assert ProductResult.objects.get().score == 8

    # Audited: who and when, on the page too.
    reasons = set(AuditEntry.objects.values_list("reason", flat=True))
    assert {
        "API-toegang voor product REK-1",
        "nieuw geheim voor product REK-1",
        "API-toegang van product REK-1 ingetrokken",
    } <= reasons
    history = client.get(page_url(product)).content.decode()
    for what in ("API-toegang gegeven", "Nieuw geheim", "Ingetrokken"):
        assert f'<td data-label="Wat">{what}</td>' in history
    assert '<td data-label="Wie">beheer@schoolbrug.test</td>' in history

    # Never in plain text: not in the database (any table), not in the logs.
    for plain in (secret, new_secret):
        assert plain not in caplog.text
        assert not _in_database(plain)


def _in_database(value: str) -> bool:
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - the database's own names
            if any(value in str(cell) for row in cursor.fetchall() for cell in row):
                return True
    return False


def test_the_cli_gives_renews_and_revokes_access(client, platform_school, caplog):
    caplog.set_level(logging.DEBUG)
    product = platform_school.catalogue.taal
    out = io.StringIO()
    call_command("platform", "products", "api-toegang", "TAAL-1", "--as", "operator", stdout=out)
    text = out.getvalue()
    client_id = re.search(r"client id: (\S+)", text)[1]
    secret = re.search(r"client secret: (\S+)", text)[1]
    assert token_answer(client, client_id, secret).status_code == 200
    out = io.StringIO()
    call_command("platform", "products", "api-toegang", "TAAL-1", "--nieuw-geheim", stdout=out)
    renewed = re.search(r"client secret: (\S+)", out.getvalue())[1]
    assert token_answer(client, client_id, secret).status_code == 401
    assert token_answer(client, client_id, renewed).status_code == 200
    call_command(
        "platform", "products", "api-toegang", "TAAL-1", "--intrekken", stdout=io.StringIO()
    )
    product.refresh_from_db()
    assert product.app is None
    assert token_answer(client, client_id, renewed).status_code == 401
    assert secret not in caplog.text and renewed not in caplog.text
    assert AuditEntry.objects.filter(actor="operator").exists()
