"""The data manager and the ICT coordinator in a real browser: switch class-information
sharing on through the protocol, stop it through the consequences, and give an app chosen
(sub)classes. Like test_browser.py: Debian's chromium through Playwright, never a download.
Screenshots go to $SCHOOLBRUG_SCREENSHOTS (default: the test's temporary directory).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from playwright import sync_api

from schoolbrug.sharing import access, consent
from schoolbrug.sharing.models import AppGrant, Sharing

from .conftest import PASSWORD
from .test_browser import allow_orm_beside_playwright, page  # noqa: F401 (fixtures)

expect = sync_api.expect


def log_in(page, live_server, username: str) -> None:  # noqa: F811
    page.goto(live_server.url + "/")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("heading", name="Instellingen", exact=True)).to_be_visible()


def open_school_settings(page) -> None:  # noqa: F811
    page.get_by_role("link", name="Basisschool De Regenboog").first.click()
    page.get_by_role("link", name="Schoolinstellingen: klasinformatie delen").click()
    expect(page.get_by_role("heading", name="Schoolinstellingen")).to_be_visible()


@pytest.fixture(autouse=True)
def first_protocol(transactional_db):
    """The protocol the migration publishes: a live server's test flushes the database after
    it, migration data included, so the next one publishes it again."""
    migration = importlib.import_module("schoolbrug.sharing.migrations.0002_first_protocol")
    migration.publish(django_apps, None)


@pytest.fixture
def shots(tmp_path) -> Path:
    return Path(os.environ.get("SCHOOLBRUG_SCREENSHOTS", tmp_path))


def test_data_manager_activates_sharing_through_the_protocol(
    live_server,
    school,
    director,
    page,  # noqa: F811
    shots,
):
    log_in(page, live_server, "directie")
    open_school_settings(page)
    expect(page.locator("#sharing-state")).to_contain_text("Deze school deelt geen klasinformatie")
    expect(page.locator("ul.data-managers")).to_contain_text("directie@regenboog.be")

    page.get_by_role("link", name="Deel klasinformatie").click()
    expect(page.get_by_role("article", name="Protocol")).to_contain_text(
        "Het rijksregisternummer wordt onder dit protocol met geen enkele"
    )
    assert not Sharing.objects.exists()
    page.screenshot(path=shots / "protocol.png", full_page=True)
    page.get_by_role("button", name="Deel klasinformatie").click()

    expect(page.locator("#sharing-state")).to_contain_text("Deze school deelt klasinformatie sinds")
    assert Sharing.objects.get().activated_by == "directie@regenboog.be"
    page.screenshot(path=shots / "sharing-on.png", full_page=True)

    # The word "protocol" shows the accepted text again.
    page.locator("#sharing-state").get_by_role("link", name="protocol").click()
    expect(page.get_by_text("aanvaard door Directie Test (directie@regenboog.be)")).to_be_visible()
    expect(page.get_by_role("article", name="Protocol")).to_contain_text("1. Wat wordt gedeeld.")


def test_data_manager_stops_sharing_after_reading_the_consequences(
    live_server,
    school,
    director,
    page,  # noqa: F811
    shots,
):
    consent.activate(school.institution, "directie@regenboog.be")
    app, _ = access.create_app("Bingel")
    access.grant(app, school.institution, None, by="directie@regenboog.be")

    log_in(page, live_server, "directie")
    open_school_settings(page)
    page.get_by_role("link", name="Stop het delen van klasinformatie").click()
    dialog = page.get_by_role("alertdialog", name="Stop het delen van klasinformatie")
    expect(dialog).to_contain_text("De klasinformatie van 3 leerlingen wordt niet meer gedeeld.")
    expect(dialog.locator("ul.apps")).to_have_text("Bingel")
    page.screenshot(path=shots / "stop-consequences.png", full_page=True)
    assert consent.active_sharing(school.institution) is not None
    dialog.get_by_role("button", name="Stop het delen van klasinformatie").click()

    # Back on the first screen, where sharing can be switched on again.
    expect(page.locator("#sharing-state")).to_contain_text("Deze school deelt geen klasinformatie")
    expect(page.get_by_role("link", name="Deel klasinformatie")).to_be_visible()
    expect(page.locator("table.periods tbody tr")).to_have_count(1)
    assert not Sharing.objects.get().is_active


def test_ict_coordinator_grants_an_app_chosen_classes(
    live_server,
    school,
    subclasses,
    ict_coordinator,
    page,  # noqa: F811
    shots,
):
    app, _ = access.create_app("Bingel")
    log_in(page, live_server, "ict")
    page.get_by_role("link", name="Basisschool De Regenboog").first.click()
    page.get_by_role("link", name="Applicaties", exact=True).click()
    row = page.get_by_role("row", name="Bingel")
    expect(row).to_contain_text("geen toegang")
    row.get_by_role("link", name="Toegang geven").click()

    # Subclasses stand indented under their class.
    tree = page.locator("ul.class-tree li")
    expect(tree).to_have_text(
        [
            "1A",
            "1A Frans subklas van 1A",
            "1A wiskunde subklas van 1A",
            "2B",
        ]
    )
    indent = page.evaluate(
        "[...document.querySelectorAll('ul.class-tree li')].map("
        "li => parseFloat(getComputedStyle(li).paddingLeft))"
    )
    assert indent[0] == indent[3] < indent[1] == indent[2]
    page.get_by_label("1A wiskunde", exact=True).check()
    page.get_by_label("2B").check()
    page.screenshot(path=shots / "grant.png", full_page=True)
    page.get_by_role("button", name="Toegang tot de gekozen klassen").click()

    expect(page.get_by_role("row", name="Bingel")).to_contain_text("klassen: 1A wiskunde, 2B")
    grant = AppGrant.objects.get(app=app)
    assert sorted(grant.classes.values_list("code", flat=True)) == ["1A wiskunde", "2B"]
    assert grant.granted_by == "ict@regenboog.be"
