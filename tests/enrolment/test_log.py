"""A LOP's log: its offers', rights' and school admins' changes (not another LOP's), newest
first, filtered by school, person and date, downloaded as CSV and XLSX."""

from __future__ import annotations

import csv
import datetime
import io

from openpyxl import load_workbook

from schoolbrug.audit.context import acting
from schoolbrug.enrolment import editing
from schoolbrug.enrolment.models import Lop, LopSchool, Offer, Period, SchoolAdminRights, Year
from schoolbrug.registry.models import Institution

URL = "/aanmelden/noordrand/beheer/logboek/"


def changes(world):
    with acting("een@lop.example", "test"):
        so = world.offers[("so", Year.NEXT)]
        editing.save_offers(world.expert, so.school, {so.pk: {"capacity": "31"}})
    with acting("twee@lop.example", "test"):
        bao = world.offers[("bao", Year.NEXT)]
        editing.save_offers(world.expert, bao.school, {bao.pk: {"capacity": "32"}})
        SchoolAdminRights.objects.create(
            lop=world.lop, school_type="so", period=Period.CURRENT, capacity=True
        )
    other = Lop.objects.create(name="Ander LOP", slug="ander", current_year_start=2026)
    school = LopSchool.objects.create(
        lop=other,
        institution=Institution.objects.create(number="777777", name="Elders"),
        school_type="so",
    )
    with acting("elders@lop.example", "test"):
        Offer.objects.create(school=school, year="next", group=world.groups[6246], capacity=9)
        SchoolAdminRights.objects.create(lop=other, school_type="so", period=Period.CURRENT)


def test_the_log_shows_this_lops_changes_newest_first(client, lop_world):
    changes(lop_world)
    client.force_login(lop_world.expert)
    page = client.get(URL).content.decode()
    assert "elders@lop.example" not in page
    first, second = page.index("twee@lop.example"), page.index("een@lop.example")
    assert first < second
    assert "rechten van schoolbeheerders" in page and "capaciteit: 20 → 31" in page


def test_filters_by_school_person_and_date(client, lop_world):
    changes(lop_world)
    client.force_login(lop_world.expert)
    so_number = lop_world.schools["so"].institution.number
    page = client.get(URL, {"school": so_number}).content.decode()
    assert "een@lop.example" in page and "32" not in page.split("<tbody>")[1]
    page = client.get(URL, {"persoon": "twee@"}).content.decode()
    assert "een@lop.example" not in page and "twee@lop.example" in page
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    assert "Geen wijzigingen." in client.get(URL, {"van": tomorrow}).content.decode()


def test_downloads_as_csv_and_xlsx(client, lop_world):
    changes(lop_world)
    client.force_login(lop_world.expert)
    data = client.get("/aanmelden/noordrand/beheer/logboek.csv", {"persoon": "een@"})
    rows = list(csv.reader(io.StringIO(data.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2 and rows[1][1] == "een@lop.example" and rows[1][5] == "offer"
    book = load_workbook(io.BytesIO(client.get("/aanmelden/noordrand/beheer/logboek.xlsx").content))
    actors = [row[1] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert actors.count("twee@lop.example") == 2 and "elders@lop.example" not in actors
    assert client.get("/aanmelden/noordrand/beheer/logboek.exe").status_code == 404


def test_a_school_admin_has_no_log_page(client, lop_world):
    client.force_login(lop_world.admins["so"])
    assert client.get(URL).status_code == 404


def test_a_cell_excel_would_run_is_plain_text_in_both_downloads(client, lop_world):
    """An e-mail address may start with "=", "+" or "-": the actor's cell must not become a
    formula in Excel (openpyxl even writes a string starting with "=" as one)."""
    actor = '=HYPERLINK("http://x.example")@lop.example'
    with acting(actor, "test"):
        so = lop_world.offers[("so", Year.NEXT)]
        editing.save_offers(lop_world.expert, so.school, {so.pk: {"capacity": "33"}})
    client.force_login(lop_world.expert)
    data = client.get("/aanmelden/noordrand/beheer/logboek.csv")
    rows = list(csv.reader(io.StringIO(data.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][1] == f"'{actor}"
    content = client.get("/aanmelden/noordrand/beheer/logboek.xlsx").content
    book = load_workbook(io.BytesIO(content))
    cell = book.active.cell(row=2, column=2)
    assert cell.data_type == "s" and cell.value == f"'{actor}"


def test_another_lops_offer_at_the_same_institution_is_not_in_this_log(client, lop_world):
    so = lop_world.schools["so"]
    other = Lop.objects.create(name="Ander LOP", slug="ander", current_year_start=2026)
    with acting("elders@lop.example", "test"):
        elsewhere = LopSchool.objects.create(
            lop=other, institution=so.institution, school_type="bao"
        )
        offer = Offer.objects.create(
            school=elsewhere, year="next", group=lop_world.groups[6246], capacity=9
        )
        editing.save_offers(lop_world.site_admin, elsewhere, {offer.pk: {"capacity": "8"}})
    with acting("een@lop.example", "test"):
        mine = lop_world.offers[("so", Year.NEXT)]
        editing.save_offers(lop_world.expert, so, {mine.pk: {"capacity": "31"}})
    client.force_login(lop_world.expert)
    data = client.get("/aanmelden/noordrand/beheer/logboek.csv")
    actors = [
        row[1] for row in csv.reader(io.StringIO(data.content.decode("utf-8-sig")), delimiter=";")
    ]
    assert "een@lop.example" in actors and "elders@lop.example" not in actors
