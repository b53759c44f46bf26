"""The log reads as Dutch sentences (issue 19): whom an entry is about by name, who did it
and why, every field in Dutch with its values as a school writes them; filters by person,
kind and date; the download as CSV and Excel without formulas."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Assignment

from .conftest import NATIONAL_NUMBERS, SECRETARY_EMAIL, make_staff, make_user
from .test_views import assert_no_national_number, content

pytestmark = pytest.mark.django_db


def log(school, entity, sourced_id, action="update", changes=None, **extra):
    defaults = {
        "at": timezone.now(),
        "actor": SECRETARY_EMAIL,
        "reason": "web: pupil",
        "institution_number": school.institution.number,
    }
    return AuditEntry.objects.create(
        entity=entity,
        entity_sourced_id=sourced_id,
        action=action,
        changes=changes or {},
        **(defaults | extra),
    )


def row_of(page: str, text: str) -> str:
    """The table row of the history that holds `text`."""
    rows = page.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")
    found = [row for row in rows if text in row]
    assert found, f"no row with {text!r}"
    return found[0]


def test_a_pupils_change_reads_as_a_sentence_with_dutch_values(client, school, secretary):
    jan = school.pupils[0]
    log(
        school,
        "pupil",
        jan.sourced_id,
        changes={
            "address": [
                {"street": "Kerkstraat", "number": "1", "postal_code": "9000", "city": "Gent"},
                {
                    "street": "Stationsstraat",
                    "number": "2",
                    "box": "3",
                    "postal_code": "9000",
                    "city": "Gent",
                },
            ],
            "birth_date": ["2015-07-30", "2015-07-31"],
            "is_leaver": [True, False],
            "national_number": [None, NATIONAL_NUMBERS[0]],
        },
    )
    client.force_login(secretary)

    page = content(client.get(reverse("web:audit") + "?entiteit=pupil"))

    row = row_of(page, "Stationsstraat")
    assert (
        "Leerling Jan Peeters werd gewijzigd door An Secretaris (secretariaat@regenboog.be), "
        "in het portaal." in row
    )
    assert "adres</span>: Kerkstraat 1, 9000 Gent → Stationsstraat 2 bus 3, 9000 Gent" in row
    assert "geboortedatum</span>: 30/07/2015 → 31/07/2015" in row
    assert "schoolverlater</span>: ja → nee" in row
    assert "rijksregisternummer</span>: 15.07.30-***.**" in row
    assert "{" not in row and "True" not in row and "is_leaver" not in row
    assert_no_national_number(page, "the log")


def test_who_and_why_sync_import_and_switched_view(client, school, secretary, django_user_model):
    admin = make_user(
        django_user_model,
        "beheer",
        "beheer@schoolbrug.test",
        first_name="Bea",
        last_name="Heer",
        is_superuser=True,
    )
    assignment = make_staff(school.institution, "lies@regenboog.be", Assignment.Role.TEACHER)
    log(
        school,
        "assignment",
        assignment.sourced_id,
        "create",
        {"start_date": [None, "2025-09-01"], "end_date": [None, None]},
        reason="import personeel.csv",
    )
    log(
        school,
        "class",
        school.classes["2B"].sourced_id,
        "update",
        {"year": [1, 2]},
        actor=f"beheer@schoolbrug.test als {SECRETARY_EMAIL}",
        reason="web: class",
    )
    client.force_login(admin)

    page = content(client.get(reverse("web:audit")))

    sync = row_of(page, "Klas 1A werd aangemaakt")
    assert re.search(
        r"door An Secretaris \(secretariaat\), bij synchronisatie \d+ \(wisa\)\.", sync
    )
    imported = row_of(page, "bij de import van personeel.csv")
    assert "Opdracht Lies Test (leerkracht, 012345) werd aangemaakt door An Secretaris" in imported
    assert "startdatum</span>: 01/09/2025" in imported
    switched = row_of(page, "Klas 2B")
    assert (
        "door Bea Heer (beheer@schoolbrug.test) als An Secretaris "
        "(secretariaat@regenboog.be), in het portaal."
    ) in switched
    assert "leerjaar</span>: 1 → 2" in switched


def test_filters_by_person_kind_and_date(client, school, secretary):
    mila, noah = school.pupils[1], school.pupils[2]
    last_year = timezone.now() - datetime.timedelta(days=400)
    log(school, "pupil", mila.sourced_id, changes={"given_name": ["Mil", "Mila"]})
    log(
        school,
        "pupil",
        noah.sourced_id,
        changes={"given_name": ["Noa", "Noah"]},
        at=last_year,
        actor="iemand@regenboog.be",
    )
    client.force_login(secretary)
    audit = reverse("web:audit")

    about_mila = content(client.get(audit + "?persoon=janssens mila"))
    assert "Mil → Mila" in about_mila and "Noa → Noah" not in about_mila
    by_someone = content(client.get(audit + "?persoon=iemand@"))
    assert "Noa → Noah" in by_someone and "Mil → Mila" not in by_someone
    day = (timezone.localdate() - datetime.timedelta(days=400)).isoformat()
    that_day = content(client.get(audit + f"?van={day}&tot={day}"))
    assert "Noa → Noah" in that_day and "Mil → Mila" not in that_day
    classes = content(client.get(audit + "?entiteit=class"))
    assert "Klas 1A werd aangemaakt" in classes and "Leerling" not in row_of(classes, "Klas 1A")
    # Filters carry over to the downloads.
    download = content(client.get(reverse("web:audit_csv") + "?persoon=janssens+mila"))
    assert "Mil → Mila" in download and "Noa → Noah" not in download


def test_csv_and_xlsx_hold_the_sentences_and_no_formulas(client, school, secretary):
    evil = '=HYPERLINK("http://example.com","klik")'
    log(
        school,
        "pupil",
        school.pupils[0].sourced_id,
        changes={"given_name": ["Jan", evil]},
        reason="@SUM(1+1)",
    )
    client.force_login(secretary)

    text = content(client.get(reverse("web:audit_csv") + "?entiteit=pupil"))
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert table[0][:3] == ["tijdstip", "wat er gebeurde", "instelling"]
    evil_row = next(row for row in table if "SUM" in row[8])
    assert evil_row[8] == "'@SUM(1+1)"
    assert evil_row[1].startswith("Leerling Jan Peeters werd gewijzigd door An Secretaris")
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in table for cell in row)
    assert_no_national_number(text, "the CSV")

    response = client.get(reverse("web:audit_xlsx") + "?entiteit=pupil")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert sheet["B1"].value == "wat er gebeurde"
    assert all(c.data_type != "f" for c in cells)
    assert any(c.value == "'@SUM(1+1)" for c in cells)
    assert_no_national_number(" ".join(str(c.value) for c in cells), "the workbook")


def test_a_teacher_still_sees_only_what_concerns_them(client, school, django_user_model):
    from schoolbrug.registry.models import Teaching

    assignment = make_staff(school.institution, "leerkracht@regenboog.be")
    Teaching.objects.create(assignment=assignment, schoolclass=school.classes["2B"])
    teacher = make_user(django_user_model, "leerkracht", "leerkracht@regenboog.be")
    log(school, "pupil", school.pupils[0].sourced_id, changes={"given_name": ["Ja", "Jan"]})
    log(school, "pupil", school.pupils[2].sourced_id, changes={"given_name": ["No", "Noah"]})
    client.force_login(teacher)

    page = content(client.get(reverse("web:audit")))
    by_name = content(client.get(reverse("web:audit") + "?persoon=peeters"))

    assert "Leerling Noah Maes werd gewijzigd" in page
    assert "Jan Peeters" not in page and "Ja → Jan" not in page
    assert "Ja → Jan" not in by_name


VALID_NUMBER = "85073003328"  # passes the register's check, as one in free text must


def test_a_national_number_in_a_reason_is_masked_on_the_page_and_in_the_downloads(
    client, school, secretary
):
    """A reason holds what a person or a file name brought in: an export saved under a
    pupil's national number (`import 85073003328.csv`) is shown masked, as everywhere."""
    log(
        school,
        "pupil",
        school.pupils[0].sourced_id,
        changes={"given_name": ["Ja", "Jan"]},
        reason=f"import {VALID_NUMBER}.csv",
    )
    client.force_login(secretary)

    page = content(client.get(reverse("web:audit")))
    assert "bij de import van" in page
    assert "85.07.30-***.**.csv" in page and "03328" not in page
    csv_text = content(client.get(reverse("web:audit_csv")))
    assert "import 85.07.30-***.**.csv" in csv_text and "03328" not in csv_text
    sheet = load_workbook(io.BytesIO(client.get(reverse("web:audit_xlsx")).content)).active
    cells = " ".join(str(c.value) for row in sheet.iter_rows() for c in row)
    assert "bij de import van" in cells
    assert "03328" not in cells
