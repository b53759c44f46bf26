"""The enrolment site in a real browser (Debian's chromium through Playwright, never a
download): a parent on a phone reads free places; a school admin edits within their rights
and is refused outside them; a LOP expert adds a school admin and compares with the official
offer; a site admin switches to a school admin's view and back. Screenshots go to
$SCHOOLBRUG_SCREENSHOTS (default: the test's temporary directory)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core import mail
from playwright import sync_api

from schoolbrug.audit.models import AuditEntry
from schoolbrug.enrolment.models import Offer, Period, SchoolAdminRights, Year
from schoolbrug.roles.models import RoleGrant
from tests.web.conftest import PASSWORD, fast_password_hasher  # noqa: F401 - autouse
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, allow_orm_beside_playwright  # noqa: F401

from .test_official import OFFERED_CSV, make_pius

expect = sync_api.expect


def browser_page(width: int):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run should have installed it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    playwright = sync_api.sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    context = browser.new_context(locale="nl-BE", viewport={"width": width, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.width = width
    return playwright, browser, page


@pytest.fixture
def phone():
    playwright, browser, page = browser_page(390)
    yield page
    browser.close()
    playwright.stop()


@pytest.fixture
def desktop():
    playwright, browser, page = browser_page(1280)
    yield page
    browser.close()
    playwright.stop()


@pytest.fixture
def shots(tmp_path) -> Path:
    return Path(os.environ.get("SCHOOLBRUG_SCREENSHOTS", tmp_path))


def log_in(page, live_server, user) -> None:
    user.set_password(PASSWORD)
    user.save()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill(user.username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("button", name="Afmelden")).to_be_visible()


def test_a_parent_reads_free_places_on_a_phone(live_server, lop_world, phone, shots):
    lop_world.lop.double_quota = True
    lop_world.lop.save()
    phone.goto(live_server.url + "/aanmelden/noordrand/")
    expect(phone.get_by_role("heading", name="Vrije plaatsen LOP Noordrand")).to_be_visible()
    school = phone.locator("article.lop-school").filter(has_text="School so").first
    row = school.locator("tbody tr").first
    expect(row).to_contain_text("1ste leerjaar A")
    expect(row.locator("td.free").first).to_have_text("10")
    expect(school.locator("thead").first).to_contain_text("IND")
    following = school.locator("table.lop-offer").nth(1)
    expect(following.locator("caption")).to_have_text("2027-2028")
    expect(following.locator("td.free").first).to_have_text("10")
    for table in school.locator("table.lop-offer").all():  # both years, one under the other
        right = table.evaluate("e => e.getBoundingClientRect().right")
        assert right <= phone.width + 1, f"a year's table ends at {right}px"
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= phone.width + 1, f"the page scrolls sideways: {width}px"
    phone.screenshot(path=shots / "enrolment-public-390.png", full_page=False)


def test_a_school_admin_edits_within_rights_and_is_refused_outside(live_server, lop_world, desktop):
    SchoolAdminRights.objects.create(
        lop=lop_world.lop, school_type="so", period=Period.CURRENT, free_places=True
    )
    offer = lop_world.offers[("so", Year.CURRENT)]
    log_in(desktop, live_server, lop_world.admins["so"])
    desktop.goto(live_server.url + f"/aanmelden/noordrand/scholen/{offer.school_id}/")
    expect(desktop.locator(f'input[name="o{offer.pk}-capacity"]')).to_be_disabled()
    desktop.locator(f'input[name="o{offer.pk}-free_places"]').fill("6")
    desktop.locator("section.lop-edit").first.get_by_role("button", name="Bewaren").click()
    expect(desktop.get_by_text("Het aanbod is bewaard.")).to_be_visible()
    assert Offer.objects.get(pk=offer.pk).free_places == 6
    # outside the rights: the field made editable by hand, as a hand-made POST would
    capacity = desktop.locator(f'input[name="o{offer.pk}-capacity"]')
    capacity.evaluate("e => e.disabled = false")
    capacity.fill("99")
    desktop.locator("section.lop-edit").first.get_by_role("button", name="Bewaren").click()
    expect(desktop.get_by_role("heading", name="Niet toegestaan")).to_be_visible()
    assert Offer.objects.get(pk=offer.pk).capacity == 20


def test_an_expert_adds_a_school_admin_and_compares_with_the_official_offer(
    live_server, lop_world, desktop, shots
):
    pius = make_pius(lop_world)
    log_in(desktop, live_server, lop_world.expert)
    desktop.goto(live_server.url + "/aanmelden/noordrand/beheer/schoolbeheerders/")
    row = desktop.locator("tbody tr").filter(has_text="Bovenbouw")
    row.get_by_label("E-mailadres").fill("nieuw@pius.example")
    row.get_by_role("button", name="Toevoegen").click()
    expect(desktop.get_by_text("kreeg een uitnodiging")).to_be_visible()
    assert mail.outbox[0].to == ["nieuw@pius.example"]
    assert RoleGrant.objects.filter(user__email="nieuw@pius.example", lop_school=pius).exists()

    desktop.goto(live_server.url + f"/aanmelden/noordrand/beheer/scholen/{pius.pk}/vergelijken/")
    desktop.locator('input[name="file"]').set_input_files(str(OFFERED_CSV))
    desktop.get_by_role("button", name="Inlezen").click()
    expect(desktop.locator("tr.missing")).to_have_count(36)
    expect(desktop.locator("tr.extra")).to_have_count(1)
    desktop.screenshot(path=shots / "enrolment-compare-1280.png", full_page=False)
    desktop.locator("tr.extra").get_by_role("button", name="verwijderen").click()
    expect(desktop.locator("tr.extra")).to_have_count(0)
    desktop.locator("tr.missing").first.get_by_role("button", name="toevoegen").click()
    expect(desktop.locator("tr.missing")).to_have_count(35)


def test_a_site_admin_switches_to_a_school_admins_view_and_back(live_server, lop_world, desktop):
    admin = lop_world.admins["so"]
    admin.first_name, admin.last_name = "Sam", "Beheerder"
    admin.save()
    log_in(desktop, live_server, lop_world.site_admin)
    desktop.goto(live_server.url + "/personen/")
    desktop.get_by_role("button", name="Bekijk als Sam Beheerder").click()
    banner = desktop.get_by_role("region", name="Meekijken")
    expect(banner).to_contain_text("Sam Beheerder")
    school = lop_world.schools["so"]
    desktop.goto(live_server.url + f"/aanmelden/noordrand/scholen/{school.pk}/")
    expect(desktop.get_by_role("heading", name="School so")).to_be_visible()
    assert desktop.goto(live_server.url + "/aanmelden/noordrand/beheer/").status == 404
    desktop.goto(live_server.url + f"/aanmelden/noordrand/scholen/{school.pk}/")
    desktop.get_by_role("region", name="Meekijken").get_by_role(
        "button", name="Terug naar mijn account"
    ).click()
    desktop.goto(live_server.url + "/aanmelden/noordrand/beheer/")
    expect(desktop.get_by_role("heading", name="Beheer LOP Noordrand")).to_be_visible()
    actions = AuditEntry.objects.filter(action__startswith="view").values_list("action", flat=True)
    assert list(actions) == ["view_end", "view_as"]
