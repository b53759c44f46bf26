"""The error pages speak Dutch in the portal's layout (issue 19), with DEBUG off as in
production; the rostering API keeps answering JSON; Django's admin is for superusers only."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from .conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False


def assert_in_layout(html: str) -> None:
    assert '<html lang="nl-BE">' in html
    assert 'class="skip-link" href="#inhoud">Naar de inhoud</a>' in html
    assert '<main id="inhoud"' in html
    assert "web/schoolbrug.css" in html and "web/favicon.svg" in html
    # Django's own English pages say these.
    for english in ("Not Found", "Server Error", "Forbidden", "was not found on this server"):
        assert english not in html


def test_an_unknown_address_is_a_dutch_404_in_the_layout(client):
    response = client.get("/bestaat-niet/")
    assert response.status_code == 404
    html = response.content.decode()
    assert_in_layout(html)
    assert "<h1>Pagina niet gevonden</h1>" in html
    assert "Naar de startpagina" in html
    # Not logged in: no menu.
    assert "Hoofdmenu" not in html


def test_another_schools_page_is_the_same_404_with_the_menu(client, school, other_school, teacher):
    client.force_login(teacher)
    response = client.get(reverse("web:institution", args=[other_school.institution.number]))
    assert response.status_code == 404
    html = response.content.decode()
    assert_in_layout(html)
    assert "<h1>Pagina niet gevonden</h1>" in html
    assert 'aria-label="Hoofdmenu"' in html and "Afmelden" in html
    # Nothing of the other school on it.
    assert other_school.institution.name not in html


def test_a_fault_of_ours_is_a_dutch_500_without_details(settings):
    settings.ROOT_URLCONF = "tests.web.error_urls"
    client = Client(raise_request_exception=False)
    response = client.get("/kapot/")
    assert response.status_code == 500
    html = response.content.decode()
    assert_in_layout(html)
    assert "<h1>Er liep iets mis</h1>" in html
    assert "logboek van de server" in html
    assert "RuntimeError" not in html and "a fault of ours" not in html


def test_the_api_keeps_answering_json_for_an_unknown_address():
    response = Client().get("/ims/oneroster/gradebook/v1p2/bestaat-niet")
    assert response.status_code == 404
    body = json.loads(response.content)
    assert body["imsx_codeMajor"] == "failure"
    assert body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == (
        "unknownobject"
    )


def test_a_form_without_its_token_gets_a_dutch_403(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    html = response.content.decode()
    assert_in_layout(html)
    assert "<h1>Formulier verlopen</h1>" in html


def test_the_admin_is_for_superusers_only(client, django_user_model):
    staff = make_user(django_user_model, "medewerker", is_staff=True)
    client.force_login(staff)
    # A staff flag alone: the admin sends them to its log-in, the portal shows no link to it.
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert reverse("admin:index") not in client.get(reverse("web:home")).content.decode()

    root = make_user(django_user_model, "beheerder", is_staff=True, is_superuser=True)
    client.force_login(root)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "Schoolbrug-beheer (alleen voor de beheerders van de installatie)" in (
        response.content.decode()
    )
    assert reverse("admin:index") in client.get(reverse("web:home")).content.decode()
