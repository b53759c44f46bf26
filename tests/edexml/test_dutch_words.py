"""A Dutch school reads "groep" and "BRIN" on its pages and in its reports and hints; a
Flemish one keeps "klas" and "instellingsnummer"."""

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from schoolbrug.registry.models import Institution
from tests.edexml.files import group, leerling, write

pytestmark = pytest.mark.django_db


def sync(path) -> dict:
    out = io.StringIO()
    call_command("sync", "edexml", str(path), "--json", stdout=out)
    return json.loads(out.getvalue())


def school_file(tmp_path, **where):
    pupils = [leerling("1", "Jansen", "Eva", "g5"), leerling("2", "Smit", "Noah", None)]
    return write(tmp_path / "f.xml", groups=[group("g5", "5A", "7")], pupils=pupils, **where)


def page(client, django_user_model, number) -> str:
    admin = django_user_model.objects.create_superuser("beheer", "beheer@example.org", "x")
    client.force_login(admin)
    response = client.get(reverse("web:institution", args=[number]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_dutch_schools_page_says_groep_and_brin(tmp_path, client, django_user_model):
    sync(school_file(tmp_path, brin="12AB", dependance="00"))
    assert Institution.objects.get().country == "NL"
    html = page(client, django_user_model, "12AB00")
    assert "<h2>Groepen</h2>" in html and ">Groep<" in html and "BRIN 12AB00" in html
    assert "Klassen" not in html and "instellingsnummer" not in html


def test_a_flemish_schools_page_says_klas_and_instellingsnummer(
    tmp_path, client, django_user_model
):
    sync(school_file(tmp_path, number="12345"))
    html = page(client, django_user_model, "012345")
    assert "<h2>Klassen</h2>" in html and "instellingsnummer 012345" in html
    assert "Groepen" not in html and "BRIN" not in html


def test_a_dutch_schools_report_and_hints_say_groep(tmp_path):
    report = sync(school_file(tmp_path, brin="12AB", dependance="00"))
    (missing,) = [f for f in report["findings"] if f["code"] == "PUPIL_CLASS_MISSING"]
    assert missing["message"] == "De leerling zit in geen groep."
    assert missing["hint"] == "Plaats de leerling in een groep in het administratiepakket."


def test_a_flemish_schools_report_says_klas(tmp_path):
    report = sync(school_file(tmp_path, number="12345"))
    (missing,) = [f for f in report["findings"] if f["code"] == "PUPIL_CLASS_MISSING"]
    assert missing["message"] == "De leerling zit in geen klas."


def test_the_pages_of_a_group_and_a_combined_group_render(tmp_path, client, django_user_model):
    from schoolbrug.registry.models import SchoolClass
    from tests.edexml.files import DUTCH

    sync(DUTCH)
    page(client, django_user_model, "99ZZ00")
    for code in ("4B", "Samgroep 1"):
        school_class = SchoolClass.objects.get(code=code)
        response = client.get(reverse("web:class", args=[school_class.sourced_id]))
        assert response.status_code == 200, code
        # A combined group lists its members (Wimpie, in 4B) as the group 4B does.
        assert [e.pupil.given_name for e in response.context["page"]] == ["Wimpie"], code
