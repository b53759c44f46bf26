"""Users read the log: the page "Logboek" (`/audit/`) and its CSV show the automatic entries
with who made them, why, and every field in Dutch; secrets only as "gewijzigd"."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from schoolbrug.audit.context import acting
from schoolbrug.registry.models import Assignment, Institution, Staff
from schoolbrug.sharing import access

pytestmark = pytest.mark.django_db

ADMIN_EMAIL = "beheerder@schoolbrug.test"


@pytest.fixture
def school():
    with acting("test", "opzet"):
        institution = Institution.objects.create(number="012345", name="De Regenboog")
        director = Staff.objects.create(email="dir@regenboog.test", given_name="D", family_name="B")
        Assignment.objects.create(
            staff=director,
            institution=institution,
            role=Assignment.Role.DIRECTOR,
            start_date=datetime.date(2020, 9, 1),
        )
    return institution


def test_the_log_page_shows_an_admin_edit_and_a_grant_in_dutch(client, django_user_model, school):
    admin = django_user_model.objects.create_superuser("beheerder", ADMIN_EMAIL, "x-Wachtwoord-1")
    client.force_login(admin)
    assignment = Assignment.objects.get()
    data = {
        "staff": assignment.staff_id,
        "institution": school.pk,
        "role": "director",
        "start_date": "2020-09-01",
        "end_date": "2026-08-31",
        "origin": "",
        "teaching_set-TOTAL_FORMS": 0,
        "teaching_set-INITIAL_FORMS": 0,
    }
    change = reverse("admin:registry_assignment_change", args=[assignment.pk])
    assert client.post(change, data).status_code == 302
    _, secret = access.create_app("Leerplatform")
    access.grant(access.find_app("Leerplatform"), school, None, by="dir@regenboog.test")

    page = client.get(reverse("web:audit") + "?entiteit=assignment").content.decode()
    # A sentence: whose assignment, who changed it and where; the date as a school writes it.
    assert "Opdracht D B (directeur, 012345) werd gewijzigd door" in page
    assert "einddatum</span>: 31/08/2026" in page
    assert ADMIN_EMAIL in page and "in het beheer" in page
    page = client.get(reverse("web:audit") + "?instelling=012345").content.decode()
    assert "Toegang van een applicatie werd gegeven door" in page
    assert "alle klassen</span>: ja" in page and "dir@regenboog.test" in page
    everything = client.get(reverse("web:audit")).content.decode()
    assert "OAuth-client van een applicatie" in everything and "client secret" in everything
    assert secret not in everything
    response = client.get(reverse("web:audit_csv"))
    csv = b"".join(response.streaming_content).decode()
    assert "toegang van een applicatie" in csv and secret not in csv


def test_a_director_sees_the_changes_of_their_school_only(client, django_user_model, school):
    with acting("test", "opzet"):
        other = Institution.objects.create(number="067890", name="Het Anker")
        user = django_user_model.objects.create_user("dir", "dir@regenboog.test", "x-Wachtwoord-1")
    access.create_app("Leerplatform")
    app = access.find_app("Leerplatform")
    access.grant(app, school, None, by="dir@regenboog.test")
    access.grant(app, other, None, by="iemand@anker.test")
    with acting("beheerder@schoolbrug.test", "beheer"):  # as the admin would
        ended = Assignment.objects.get()
        ended.end_date = datetime.date(2027, 8, 31)
        ended.save()
        someone = Staff.objects.create(email="x@anker.test", given_name="X", family_name="Y")
        elsewhere = Assignment.objects.create(
            staff=someone, institution=other, role="teacher", start_date=ended.start_date
        )
        elsewhere.end_date = datetime.date(2027, 6, 30)
        elsewhere.save()
    client.force_login(user)

    page = client.get(reverse("web:audit")).content.decode()

    assert "dir@regenboog.test" in page and "iemand@anker.test" not in page
    assert "beheerder@schoolbrug.test" in page and "31/08/2027" in page
    assert "067890" not in page and "30/06/2027" not in page and "2027-06-30" not in page
