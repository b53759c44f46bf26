"""The ICT coordinator in a real browser on a tablet in portrait (768 px): a child licence's
"Koppelen" (choose the class, tick a pupil, "Toevoegen") and its seats, then the class's
codes and "Printversie", and "Nieuwe klascode" (cancelled, then confirmed). Screenshots for
the README go to $SCHOOLBRUG_SCREENSHOTS."""

from __future__ import annotations

import pytest
from playwright import sync_api

from schoolbrug.platform import pupil_login
from schoolbrug.platform.models import ClassLogin, LicenceSeat
from tests.web.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    HEIGHTS,
    WIDTHS,
    require_chromium,
    screenshot_dir,
    session_cookie,
)
from tests.web.test_browser import allow_orm_beside_playwright  # noqa: F401 (fixture)

from .conftest import make_catalogue

expect = sync_api.expect


@pytest.fixture
def school(transactional_db, django_user_model):
    from types import SimpleNamespace

    from schoolbrug.registry.models import Assignment
    from tests.web.conftest import make_school, make_staff, make_user

    school = make_school()
    school.catalogue = make_catalogue(school)
    make_staff(school.institution, "ict@regenboog.be", Assignment.Role.ICT_COORDINATOR)
    pupil_login.set_method(school.classes["1A"], "pin")
    return SimpleNamespace(
        **vars(school), ict=make_user(django_user_model, "ict", "ict@regenboog.be")
    )


def test_the_ict_coordinator_links_a_child_licence_on_a_tablet(live_server, school, tmp_path):
    require_chromium()
    shots = screenshot_dir(tmp_path)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale="nl-BE", viewport={"width": WIDTHS["tablet"], "height": HEIGHTS["tablet"]}
        )
        context.add_cookies([session_cookie(school.ict, live_server.url)])
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{live_server.url}/instellingen/012345/")
        page.get_by_role("link", name="Leerplatform: licenties en inloggegevens").click()
        expect(page.get_by_text("komen hier aan met de volgende synchronisatie")).to_be_visible()
        page.get_by_role("link", name="Licenties per kind").first.click()
        expect(page.get_by_text("2 licenties, 0 in gebruik, nog 2 beschikbaar.")).to_be_visible()
        page.get_by_role("link", name="Koppelen").click()
        page.get_by_label("Kies de groep van het kind").select_option(label="1A")
        page.get_by_role("button", name="Kiezen").click()
        page.get_by_label("Mila Janssens").check()
        page.get_by_role("button", name="Toevoegen").click()
        expect(page.get_by_text("2 licenties, 1 in gebruik, nog 1 beschikbaar.")).to_be_visible()
        page.screenshot(path=shots / "leerplatform-licenties.png", full_page=True)
        assert LicenceSeat.objects.get().pupil == school.pupils[1]

        page.goto(
            f"{live_server.url}/instellingen/012345/leerplatform/groepen/"
            f"{school.classes['1A'].sourced_id}/inloggen/"
        )
        expect(page.get_by_role("link", name="Printversie")).to_be_visible()
        page.screenshot(path=shots / "leerplatform-inloggegevens.png", full_page=True)

        # "Nieuwe klascode" asks first: cancelling keeps the code, confirming renews it.
        class_login = ClassLogin.objects.get(school_class=school.classes["1A"])
        page.get_by_role("button", name="Nieuwe klascode").click()
        expect(page.get_by_role("alert")).to_contain_text(
            f"Na een nieuwe klascode werkt de code {class_login.code} niet meer"
        )
        page.get_by_role("link", name="Annuleren").click()
        expect(page.get_by_role("button", name="Nieuwe klascode")).to_be_visible()
        assert ClassLogin.objects.get(pk=class_login.pk).code_version == 1
        page.get_by_role("button", name="Nieuwe klascode").click()
        page.get_by_role("button", name="Ja, maak een nieuwe klascode").click()
        expect(page.get_by_text("De groep heeft een nieuwe klascode.")).to_be_visible()
        renewed = ClassLogin.objects.get(pk=class_login.pk)
        assert renewed.code_version == 2 and renewed.code != class_login.code
        expect(page.locator("code.class-code")).to_have_text(renewed.code)
        # No request of the browser may still run when the live server stops (its thread
        # would close the test's shared SQLite connection).
        page.wait_for_load_state("networkidle")
        context.close()
        browser.close()
