"""Roles in a real browser at 1280, 768 and 390 px: log in, a site admin sees the portal as a
teacher and comes back, the teacher sees only their classes and the new class numbers, and
another school's page is a 404. Debian's chromium through Playwright, never a download (as
tests/web/test_browser.py). Screenshots go to $SCHOOLBRUG_SCREENSHOTS (default: the test's
temporary directory), named by page and width.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright import sync_api

from schoolbrug.audit.models import AuditEntry
from tests.web.conftest import NATIONAL_NUMBERS, PASSWORD
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, allow_orm_beside_playwright  # noqa: F401

from .test_start_page import number_changed

expect = sync_api.expect
WIDTHS = (1280, 768, 390)


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def page(request):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run should have installed it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    width = request.param
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="nl-BE", viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.width = width
        yield page
        context.close()
        browser.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    return Path(os.environ.get("SCHOOLBRUG_SCREENSHOTS", tmp_path))


@pytest.fixture
def changed_numbers(board_schools):
    """The first sync was long ago; today Jan (1A) got number 11 and Noah (2B) number 4."""
    school = board_schools.regenboog
    AuditEntry.objects.update(at=timezone.now() - datetime.timedelta(days=90))
    number_changed(school, school.pupils[0], 1, 11)
    number_changed(school, school.pupils[2], None, 4)
    return board_schools


def log_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", name="Aanmelden bij Schoolbrug")).to_be_visible()
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("heading", name="Instellingen", exact=True)).to_be_visible()


def fits(page, selector: str) -> None:
    """The element ends inside the window at this width (a table scrolls in its own box).
    The other pages' layout on a phone is not this test's (the layout work of issue 19)."""
    right = page.locator(selector).first.evaluate("e => e.getBoundingClientRect().right")
    assert right <= page.width + 1, f"{selector} ends at {right}px in a {page.width}px window"


def test_a_site_admin_looks_as_the_teacher_and_comes_back(
    live_server, changed_numbers, page, shots
):
    log_in(page, live_server, "sitebeheer")
    schools = page.locator("main table").first
    expect(schools).to_contain_text("Vrije Basisschool Sint-Jozef")
    page.get_by_role("link", name="Personen").click()
    expect(page.get_by_role("heading", name="Personen")).to_be_visible()
    page.get_by_role("button", name="Bekijk als Julie Eenaa").click()

    banner = page.get_by_role("region", name="Meekijken")
    expect(banner).to_contain_text("Je bekijkt Schoolbrug als Julie Eenaa")
    expect(page.get_by_role("heading", name="Nieuwe klasnummers in je klassen")).to_be_visible()
    expect(page.locator("table.class-number-changes")).to_contain_text("Jan Peeters")
    expect(page.locator("main")).not_to_contain_text("Sint-Jozef")
    fits(page, ".view-as form")
    fits(page, "section.class-numbers .table-scroll")
    page.screenshot(path=shots / f"view-as-{page.width}.png", full_page=True)

    banner.get_by_role("button", name="Terug naar mijn account").click()
    expect(page.get_by_role("heading", name="Personen")).to_be_visible()
    expect(page.get_by_role("region", name="Meekijken")).to_have_count(0)
    page.get_by_role("link", name="Instellingen", exact=True).click()
    expect(page.locator("main table").first).to_contain_text("Vrije Basisschool Sint-Jozef")
    assert list(
        AuditEntry.objects.filter(action__startswith="view").values_list("action", flat=True)
    ) == ["view_end", "view_as"]


def test_a_teacher_sees_only_their_class_and_the_new_numbers(
    live_server, changed_numbers, page, shots
):
    school = changed_numbers.regenboog
    log_in(page, live_server, "juf")
    changes = page.locator("table.class-number-changes")
    expect(changes).to_contain_text("Jan Peeters")
    expect(changes.locator("tbody tr")).to_have_count(1)  # not Noah of 2B
    assert not any(nn in page.content() for nn in NATIONAL_NUMBERS)
    fits(page, "section.class-numbers .table-scroll")
    page.screenshot(path=shots / f"teacher-start-{page.width}.png", full_page=True)

    page.locator("main table").last.get_by_role("link", name="Basisschool De Regenboog").click()
    expect(page.get_by_role("heading", name="Klassen")).to_be_visible()
    class_links = page.locator("table").first.locator("tbody tr td:first-child a")
    expect(class_links).to_have_text(["1A"])

    # Another class of the school and another school answer 404, and tell nothing of them.
    for path in (
        reverse("web:class", args=[school.classes["2B"].sourced_id]),
        reverse("web:institution", args=[changed_numbers.other.institution.number]),
        reverse("web:pupil", args=[changed_numbers.other.pupils[0].sourced_id]),
    ):
        assert page.goto(live_server.url + path).status == 404
        # The text, not the markup: a random CSRF token in the log-out form may hold "2B".
        text = page.locator("body").inner_text()
        assert "Sint-Jozef" not in text and "2B" not in text
