"""In a real browser (issue 19): the secretary uploads the school's staff list, reads the
preview, applies it, and reads the history as sentences. What the database holds before and
after is checked in test_staff_upload_page.py: an ORM query here, inside Playwright's event
loop, opens a PostgreSQL connection of its own that outlives the test database."""

from __future__ import annotations

import pytest
from playwright import sync_api

from .conftest import PASSWORD
from .test_browser import allow_orm_beside_playwright, page  # noqa: F401 (fixtures)

STAFF_LIST = (
    "E-mailadres;Voornaam;Familienaam;Rol;Startdatum;Einddatum\r\n"
    "lies.peeters@regenboog.be;Lies;Peeters;Leerkracht;01/09/2025;\r\n"
    "tom.maes@regenboog.be;Tom;Maes;ICT-coördinator;01/09/2025;30/06/2026\r\n"
)


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"


def test_secretary_uploads_the_staff_list_and_reads_the_history(
    live_server,
    school,
    secretary,
    page,  # noqa: F811 (the fixture)
    tmp_path,
):
    expect = sync_api.expect
    staff_list = tmp_path / "personeel.csv"
    staff_list.write_bytes(STAFF_LIST.encode("cp1252"))

    page.goto(live_server.url + "/")
    page.get_by_label("Gebruikersnaam").fill("secretariaat")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.get_by_role("link", name="Basisschool De Regenboog").first.click()
    page.get_by_role("link", name="Personeel opladen").click()

    # The preview: what would change, nothing changed yet.
    expect(page.get_by_role("heading", name="Personeel opladen")).to_be_visible()
    page.get_by_label("Personeelslijst (CSV of Excel)").set_input_files(str(staff_list))
    page.get_by_role("button", name="Bekijk wat er verandert").click()
    expect(page.get_by_role("heading", name="Wat personeel.csv zou wijzigen")).to_be_visible()
    expect(page.get_by_text("Dit is een proefdraai: er is nog niets gewijzigd.")).to_be_visible()
    tom = page.get_by_role("row", name="Tom Maes").filter(has_text="Nieuwe opdracht")
    expect(tom).to_contain_text("ict-coördinator vanaf 01/09/2025, tot 30/06/2026")

    # Applying it.
    page.get_by_role("button", name="Toepassen").click()
    expect(page.get_by_role("status")).to_contain_text("Toegepast: 2 nieuwe personeelsleden")

    # The history reads as sentences, with the person who did it by name.
    page.get_by_role("link", name="Logboek", exact=True).click()
    page.get_by_label("Persoon").fill("Tom Maes")
    page.get_by_role("button", name="Tonen").click()
    sentence = page.locator("td.sentence").filter(has_text="Opdracht Tom Maes")
    expect(sentence).to_contain_text(
        "Opdracht Tom Maes (ict-coördinator, 012345) werd aangemaakt door An Secretaris "
        "(secretariaat@regenboog.be), bij de import van personeel.csv."
    )
    row = page.get_by_role("row").filter(has=sentence)
    expect(row).to_contain_text("startdatum: 01/09/2025")
    expect(row).to_contain_text("einddatum: 30/06/2026")
    expect(page.locator("td.sentence").filter(has_text="Opdracht Lies")).to_have_count(0)
