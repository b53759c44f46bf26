"""Pupils log in on a tablet-sized window in a real browser (Debian's chromium through
Playwright, never a download): a picture class and a PIN class, tapping only. Screenshots go
to $SCHOOLBRUG_SCREENSHOTS (default: the test's temporary directory); the README's are these."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright import sync_api

from schoolbrug.platform import licences, pupil_login
from schoolbrug.platform.models import ClassLogin, PupilLogin
from tests.web.conftest import make_school
from tests.web.test_browser import (  # noqa: F401 (fixture)
    CHROMIUM,
    CHROMIUM_ARGS,
    allow_orm_beside_playwright,
)

from .conftest import make_catalogue

expect = sync_api.expect
TABLET = {"width": 1024, "height": 768}


@pytest.fixture
def tablet():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run should have installed it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="nl-BE", viewport=TABLET, has_touch=True)
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        page.wait_for_load_state("networkidle")  # nothing running when the live server stops
        context.close()
        browser.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    return Path(os.environ.get("SCHOOLBRUG_SCREENSHOTS", tmp_path))


@pytest.fixture
def school(transactional_db):
    school = make_school()
    school.catalogue = make_catalogue(school)
    licences.link_class(school.catalogue.group, school.classes["1A"])
    return school


def _to_pupil(page, live_server, school, name: str, shots: Path | None = None) -> None:
    """A tablet not yet set up: the class code typed once (as printed on the sheet), then
    the class's names; the school list of old is gone."""
    page.goto(live_server.url + "/leerplatform/")
    expect(page.get_by_role("heading", name="Typ de klascode")).to_be_visible()
    expect(page.get_by_text("Basisschool De Regenboog")).to_have_count(0)
    code = ClassLogin.objects.get(school_class=school.classes["1A"]).code
    page.get_by_label("Klascode").fill(code.lower())
    if shots:
        page.screenshot(path=shots / "leerplatform-klascode.png")
    page.get_by_role("button", name="Verder").tap()
    expect(page.get_by_role("heading", name="Wie ben jij?")).to_be_visible()
    page.get_by_role("link", name=name).tap()
    expect(page.get_by_role("heading", name=f"Dag {name.split()[0]}!")).to_be_visible()


def test_a_pupil_taps_their_picture_on_a_tablet(live_server, school, tablet, shots):
    pupil_login.set_method(school.classes["1A"], "pictures")
    mila = school.pupils[1]
    picture = PupilLogin.objects.get(pupil=mila).picture
    wrong = "zon" if picture != "zon" else "maan"
    _to_pupil(tablet, live_server, school, "Mila J.", shots)
    tablet.screenshot(path=shots / "leerplatform-plaatjes.png")
    tablet.get_by_role("button", name=wrong, exact=True).tap()
    expect(tablet.get_by_role("alert")).to_contain_text("Dat klopt niet")
    tablet.get_by_role("button", name=picture, exact=True).tap()
    expect(tablet.get_by_role("link", name="Rekenrijk")).to_be_visible()
    tablet.screenshot(path=shots / "leerplatform-lesmateriaal.png")


def test_a_pupil_types_their_pin_on_the_pad(live_server, school, tablet, shots):
    pupil_login.set_method(school.classes["1A"], "pin")
    pupil_login.change_pin(school.pupils[0], "2580")
    _to_pupil(tablet, live_server, school, "Jan P.")
    for digit in "258":
        tablet.get_by_role("button", name=digit, exact=True).tap()
    tablet.screenshot(path=shots / "leerplatform-pincode.png")
    tablet.get_by_role("button", name="0", exact=True).tap()  # the fourth digit sends it
    expect(tablet.get_by_role("heading", name="kies waarmee je wilt werken")).to_be_visible()
    expect(tablet.get_by_role("link", name="Rekenrijk")).to_be_visible()
    tablet.get_by_role("button", name="Afmelden").tap()
    # The tablet remembers its class: the next child taps it, no code again.
    expect(tablet.get_by_role("heading", name="Kies je groep")).to_be_visible()
    tablet.get_by_role("link", name="1A").tap()
    expect(tablet.get_by_role("link", name="Mila J.")).to_be_visible()
