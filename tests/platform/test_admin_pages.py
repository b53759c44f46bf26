"""The ICT coordinator's pages: read-only school data, licences per group and per child, the
class's codes and its print sheet. Others get 403 (another school: 404)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from schoolbrug.audit.models import AuditEntry
from schoolbrug.platform import pupil_login
from schoolbrug.platform.models import ClassLogin, LicenceClass, LicenceSeat, PupilLogin
from tests.web.conftest import make_school

pytestmark = pytest.mark.django_db

TABS = ("gegevens", "groepen", "ict-coordinatoren", "leerkrachten", "leerlingen")


def test_the_five_tabs_show_the_school_and_say_changes_come_from_the_sis(
    client, platform_school, people
):
    client.force_login(people.ict)
    for tab in TABS:
        page = client.get(reverse("platform:school_tab", args=["012345", tab]))
        assert page.status_code == 200, tab
        text = page.content.decode()
        assert "komen hier aan met de volgende synchronisatie" in text
    groups = client.get(
        reverse("platform:school_tab", args=["012345", "groepen"]),
        {"details": platform_school.classes["1A"].sourced_id},
    ).content.decode()
    assert "Janssens" in groups and "Juf.1A" in groups
    pupils = client.get(reverse("platform:school_tab", args=["012345", "leerlingen"]))
    assert "Claes" not in pupils.content.decode()  # a leaver


def test_only_the_ict_coordinator_opens_the_admin_and_another_school_is_404(
    client, platform_school, people
):
    url = reverse("platform:school", args=["012345"])
    for user in (people.teacher, people.secretary):
        client.force_login(user)
        refused = client.get(url)
        assert refused.status_code == 403
        assert "ict-coördinator" in refused.content.decode()
        assert client.get(reverse("platform:licences", args=["012345", "groep"])).status_code == 403
    make_school("054321", "Andere school")
    client.force_login(people.ict)
    assert client.get(reverse("platform:school", args=["054321"])).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the log-in page


def test_koppelen_a_group_and_children_then_ontkoppelen(client, platform_school, people):
    s = platform_school
    client.force_login(people.ict)
    group, child = s.catalogue.group, s.catalogue.child
    link = reverse("platform:link", args=["012345", group.pk])
    assert "1A" in client.get(link).content.decode()
    added = client.post(link, {"groep": s.classes["1A"].sourced_id})
    assert added.status_code == 302
    assert LicenceClass.objects.filter(licence=group, school_class=s.classes["1A"]).exists()
    assert AuditEntry.objects.get(entity="licence_class").actor == "ict@regenboog.be"

    child_link = reverse("platform:link", args=["012345", child.pk])
    form = client.get(child_link, {"groep": s.classes["1A"].sourced_id}).content.decode()
    assert "Nog 2 licenties beschikbaar" in form and "Peeters" in form
    jan, mila, noah, _ = s.pupils
    client.post(
        child_link,
        {"groep": s.classes["1A"].sourced_id, "leerling": [jan.sourced_id, mila.sourced_id]},
    )
    assert LicenceSeat.objects.filter(licence=child).count() == 2
    full = client.post(
        child_link, {"groep": s.classes["2B"].sourced_id, "leerling": [noah.sourced_id]}
    )
    assert full.status_code == 409
    assert "Er zijn niet genoeg licenties" in full.content.decode()
    listing = client.get(reverse("platform:licences", args=["012345", "kind"])).content.decode()
    assert "0 beschikbaar" in listing and "Ontkoppelen" in listing
    client.post(reverse("platform:unlink", args=["012345", child.pk]), {"leerling": jan.sourced_id})
    assert list(LicenceSeat.objects.values_list("pupil", flat=True)) == [mila.pk]


def _codes_url(s):
    return reverse("platform:class_logins", args=["012345", s.classes["1A"].sourced_id])


def test_the_teacher_sets_the_method_sees_codes_and_changes_one_pin(
    client, platform_school, people
):
    s = platform_school
    client.force_login(people.teacher)
    client.post(_codes_url(s), {"methode": "pin"})
    assert ClassLogin.objects.get(school_class=s.classes["1A"]).method == "pin"
    page = client.get(_codes_url(s)).content.decode()
    assert PupilLogin.objects.get(pupil=s.pupils[0]).pin in page
    change = reverse(
        "platform:change_login", args=["012345", s.classes["1A"].sourced_id, s.pupils[0].sourced_id]
    )
    assert client.post(change, {"pincode": "12a4"}).status_code == 400
    client.post(change, {"pincode": "7314"})
    assert PupilLogin.objects.get(pupil=s.pupils[0]).pin == "7314"
    assert AuditEntry.objects.filter(entity="pupil_login", actor="juf.1a@regenboog.be").exists()
    # Another class's codes are not the teacher's.
    other = reverse("platform:class_logins", args=["012345", s.classes["2B"].sourced_id])
    assert client.get(other).status_code == 403
    client.force_login(people.secretary)
    assert client.get(_codes_url(s)).status_code == 403


def test_printversie_is_a_pdf_with_name_class_number_and_pin(client, platform_school, people):
    s = platform_school
    pupil_login.set_method(s.classes["1A"], "pin")
    pupil_login.change_pin(s.pupils[0], "5093")
    pupil_login.change_pin(s.pupils[1], "8120")
    client.force_login(people.ict)
    response = client.get(
        reverse("platform:print_sheet", args=["012345", s.classes["1A"].sourced_id])
    )
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Jan Peeters" in text and "Mila Janssens" in text
    assert "Groep: 1A" in text
    assert "Klasnummer: 1" in text and "Klasnummer: 2" in text
    assert "Pincode: 5093" in text and "Pincode: 8120" in text
    assert text.index("Jan Peeters") < text.index("5093") < text.index("Mila Janssens")


def test_printversie_of_a_picture_class_names_each_picture(client, platform_school, people):
    s = platform_school
    pupil_login.set_method(s.classes["1A"], "pictures")
    pupil_login.change_picture(s.pupils[1], "raket")
    client.force_login(people.teacher)
    response = client.get(
        reverse("platform:print_sheet", args=["012345", s.classes["1A"].sourced_id])
    )
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Plaatje: raket" in text and "Pincode" not in text


def test_the_portal_links_to_the_platform_for_those_who_may_open_it(
    client, platform_school, people
):
    school_page = reverse("web:institution", args=["012345"])
    class_page = reverse("web:class", args=[platform_school.classes["1A"].sourced_id])
    client.force_login(people.ict)
    assert "Leerplatform: licenties" in client.get(school_page).content.decode()
    client.force_login(people.secretary)
    assert "Leerplatform" not in client.get(school_page).content.decode()
    assert "Leerplatform" not in client.get(class_page).content.decode()
    client.force_login(people.teacher)
    assert "inloggegevens van de leerlingen" in client.get(class_page).content.decode()


def test_printversie_spells_names_beyond_latin1_with_every_letter(client, platform_school, people):
    s = platform_school
    jan, mila = s.pupils[0], s.pupils[1]
    jan.given_name, jan.family_name = "Yıldız", "Şahin"
    jan.save()
    mila.given_name, mila.family_name = "Łukasz", "Wójcik <b>=1+1"
    mila.save()
    pupil_login.set_method(s.classes["1A"], "pin")
    client.force_login(people.ict)
    response = client.get(
        reverse("platform:print_sheet", args=["012345", s.classes["1A"].sourced_id])
    )
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Yildiz Sahin" in text
    assert "Lukasz Wójcik <b>=1+1" in text


@pytest.mark.parametrize("details", ["abc", "%00"])
def test_groepen_details_of_no_uuid_shows_the_tab_not_a_500(
    client, platform_school, people, details
):
    client.force_login(people.ict)
    url = reverse("platform:school_tab", args=["012345", "groepen"]) + f"?details={details}"
    response = client.get(url)
    assert response.status_code == 200
    assert "1A" in response.content.decode()


def test_the_codes_page_is_kept_by_no_cache_like_the_sheet(client, platform_school, people):
    s = platform_school
    pupil_login.set_method(s.classes["1A"], "pin")
    client.force_login(people.teacher)
    response = client.get(_codes_url(s))
    assert PupilLogin.objects.get(pupil=s.pupils[0]).pin in response.content.decode()
    assert response["Cache-Control"] == "no-store"
