"""Scan badges (issue 23): a PDF sheet per class with one card per pupil (name, class and the
code of their stable id), reachable from the class page for the staff who see the class."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from django.urls import reverse
from pypdf import PdfReader

from schoolbrug.registry.badges import Badge, badge_code, badge_sheet
from schoolbrug.registry.models import Assignment, Teaching

from .conftest import make_staff, make_user

pytestmark = pytest.mark.django_db

UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def pdf_pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF")
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def badges_url(school_class) -> str:
    return reverse("web:class_badges", args=[school_class.sourced_id])


def test_the_sheet_has_one_card_per_pupil_with_name_class_and_code(client, school, secretary):
    client.force_login(secretary)
    one_a = school.classes["1A"]

    response = client.get(badges_url(one_a))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    (text,) = pdf_pages(response.content)
    jan, mila = school.pupils[0], school.pupils[1]  # the pupils of 1A
    assert UUID_TEXT.findall(text) == [str(jan.sourced_id), str(mila.sourced_id)]
    assert "Jan Peeters" in text and "Mila Janssens" in text
    assert text.count("Klas 1A") == 2
    assert "Noah" not in text  # 2B
    assert "Badges klas 1A" in text


def test_many_pupils_fill_pages_of_ten_cards_in_the_given_order():
    badges = [Badge(f"Kind{i}", "Ëlsen", "3B", "De Regenboog", uuid.uuid4()) for i in range(23)]

    pages = pdf_pages(badge_sheet("Badges klas 3B", badges))

    assert len(pages) == 3
    codes = [code for page in pages for code in UUID_TEXT.findall(page)]
    assert codes == [badge_code(b.sourced_id) for b in badges]
    assert [page.count("Klas 3B") for page in pages] == [10, 10, 3]
    assert "Kind22 Ëlsen" in pages[2]


def test_a_class_without_pupils_gets_a_page_that_says_so():
    (text,) = pdf_pages(badge_sheet("Badges klas 6C", []))
    assert "Badges klas 6C: geen leerlingen." in text


def test_the_class_page_links_to_the_badges_for_those_who_see_the_class(client, school, secretary):
    client.force_login(secretary)
    page = client.get(reverse("web:class", args=[school.classes["1A"].sourced_id]))
    html = page.content.decode()
    assert "Badges afdrukken" in html
    assert badges_url(school.classes["1A"]) in html


def test_a_teacher_prints_the_badges_of_their_class_only(client, school, django_user_model):
    assignment = make_staff(school.institution, "juf@regenboog.be", Assignment.Role.TEACHER)
    Teaching.objects.create(assignment=assignment, schoolclass=school.classes["1A"])
    client.force_login(make_user(django_user_model, "juf", "juf@regenboog.be"))

    assert client.get(badges_url(school.classes["1A"])).status_code == 200
    assert client.get(badges_url(school.classes["2B"])).status_code == 404
    page = client.get(reverse("web:class", args=[school.classes["1A"].sourced_id]))
    assert "Badges afdrukken" in page.content.decode()


def test_staff_of_another_school_and_strangers_get_no_badges(
    client, school, other_school, django_user_model
):
    url = badges_url(school.classes["1A"])
    assert client.get(url).status_code == 302  # to the login page
    make_staff(other_school.institution, "secretariaat@sintjozef.be", Assignment.Role.SECRETARY)
    client.force_login(make_user(django_user_model, "sj", "secretariaat@sintjozef.be"))
    assert client.get(url).status_code == 404
