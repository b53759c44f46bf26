"""A secretary's visit in a real browser: log in, open the school, find a pupil, read the
findings of the last sync.

Uses Debian's chromium (`apt-get install chromium`) through Playwright; it never downloads
a browser. Screenshots of the home page and the run page go to $SCHOOLBRUG_SCREENSHOTS
(default: the test's temporary directory) for a person to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.urls import reverse
from playwright import sync_api

from .browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from .conftest import NATIONAL_NUMBERS, PASSWORD


@pytest.fixture(autouse=True)
def allow_orm_beside_playwright(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test and
    # its fixtures make are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page():
    require_chromium()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="nl-BE", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        context.close()
        browser.close()


def test_secretary_finds_a_pupil_and_reads_the_findings(
    live_server, school, secretary, page, tmp_path
):
    shots = Path(os.environ.get("SCHOOLBRUG_SCREENSHOTS", tmp_path))
    expect = sync_api.expect

    # Not logged in: the Dutch login page.
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", name="Aanmelden bij Schoolbrug")).to_be_visible()
    page.get_by_label("Gebruikersnaam").fill("secretariaat")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()

    # Home: the school with its counts and its last run; the stylesheet is served.
    expect(page.get_by_role("heading", name="Instellingen", exact=True)).to_be_visible()
    row = page.get_by_role("row", name="Basisschool De Regenboog")
    expect(row).to_contain_text("toegepast")
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") == "flex"
    page.screenshot(path=shots / "home.png", full_page=True)

    # The school: classes with the leavers last, then a pupil search.
    row.get_by_role("link", name="Basisschool De Regenboog").click()
    expect(page.get_by_role("heading", name="Klassen")).to_be_visible()
    class_links = page.locator("table").first.locator("tbody tr td:first-child a")
    expect(class_links).to_have_text(["1A", "2B", "Schoolverlaters"])
    page.get_by_label("Leerling zoeken").fill("mila")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_role("heading", name="Leerlingen zoeken")).to_be_visible()
    page.get_by_role("link", name="Mila").click()

    # The pupil: masked national number, never the full one, never in the address bar.
    expect(page.get_by_role("heading", name="Mila Janssens")).to_be_visible()
    expect(page.locator("dd.nn")).to_have_text("16.02.15-***.**")
    expect(page.get_by_text("Wijzigingen gebeuren in je administratiepakket").first).to_be_visible()
    assert str(school.pupils[1].sourced_id) in page.url
    assert not any(nn in page.content() or nn in page.url for nn in NATIONAL_NUMBERS)

    # The runs and the findings of the last one.
    page.get_by_role("link", name="Synchronisaties", exact=True).click()
    page.locator("table.runs tbody tr").first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Meldingen")).to_be_visible()
    expect(page.get_by_role("heading", name="Fouten")).to_be_visible()
    expect(page.get_by_role("heading", name="Waarschuwingen")).to_be_visible()
    expect(page.locator("table.findings").first).to_contain_text("leerlingen.csv")
    assert page.url.endswith(reverse("web:run", args=[school.run.pk]))
    page.screenshot(path=shots / "run.png", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Rapport downloaden (JSON)").click()
    assert download.value.suggested_filename == f"synchronisatie-{school.run.pk}.json"
