"""Pupils log in with a picture or a PIN; PINs are encrypted at rest and never logged; wrong
attempts lock the pupil and the address until a teacher unlocks."""

from __future__ import annotations

import datetime
import io
import logging
from types import SimpleNamespace

import pytest
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader

from schoolbrug.audit.context import acting
from schoolbrug.audit.models import AuditEntry
from schoolbrug.platform import licences, pupil_login, pupil_session
from schoolbrug.platform.models import LoginMethod, PupilLogin
from schoolbrug.platform.pictures import NAMES
from schoolbrug.registry.models import Enrolment, Pupil, SchoolYear

from .conftest import set_up_device

pytestmark = pytest.mark.django_db


def _sign_in_url(school, pupil):
    return reverse(
        "platform:pupil_sign_in",
        args=[school.institution.number, school.classes["1A"].sourced_id, pupil.sourced_id],
    )


def test_a_pin_class_logs_in_and_sees_its_licensed_products(client, platform_school):
    s = platform_school
    jan = s.pupils[0]
    pupil_login.set_method(s.classes["1A"], LoginMethod.PIN)
    licences.link_class(s.catalogue.group, s.classes["1A"])
    pin = PupilLogin.objects.get(pupil=jan).pin
    assert pupil_login.valid_pin(pin)

    set_up_device(client, s.classes["1A"])
    page = client.get(reverse("platform:pupil_schools"))
    assert s.institution.name in page.content.decode()  # the device's class, as a tile
    page = client.get(reverse("platform:pupil_names", args=["012345", s.classes["1A"].sourced_id]))
    assert "Jan P." in page.content.decode() and "Noah" not in page.content.decode()

    wrong = "0000" if pin != "0000" else "1111"
    answer = client.post(_sign_in_url(s, jan), {"pin": wrong})
    assert "Dat klopt niet" in answer.content.decode()
    answer = client.post(_sign_in_url(s, jan), {"pin": pin})
    assert answer.status_code == 302
    products = client.get(answer["Location"]).content.decode()
    assert "Rekenrijk" in products and "Taalrijk" not in products
    assert PupilLogin.objects.get(pupil=jan).failed_attempts == 0


def test_a_picture_class_logs_in_with_the_pupils_picture(client, platform_school):
    s = platform_school
    mila = s.pupils[1]
    pupil_login.set_method(s.classes["1A"], LoginMethod.PICTURES)
    set_up_device(client, s.classes["1A"])
    picture = PupilLogin.objects.get(pupil=mila).picture
    page = client.get(_sign_in_url(s, mila)).content.decode()
    assert page.count("<svg") == len(NAMES) == 24
    other = next(name for name in NAMES if name != picture)
    assert client.post(_sign_in_url(s, mila), {"plaatje": other}).status_code == 200
    assert client.post(_sign_in_url(s, mila), {"plaatje": picture}).status_code == 302


def test_pins_are_encrypted_at_rest_and_absent_from_logs_and_audit(client, platform_school, caplog):
    s = platform_school
    with acting("ict@regenboog.be", "codes"):
        pupil_login.set_method(s.classes["1A"], LoginMethod.PIN)
        set_up_device(client, s.classes["1A"])
        pupil_login.change_pin(s.pupils[0], "4826")
    caplog.set_level(logging.DEBUG)
    client.post(_sign_in_url(s, s.pupils[0]), {"pin": "4826"})
    client.post(_sign_in_url(s, s.pupils[1]), {"pin": "4826"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT pin FROM platform_pupillogin")
        stored = [row[0] for row in cursor.fetchall()]
    assert len(stored) == 2 and all(value and "4826" not in value for value in stored)
    assert all(len(value) > 50 for value in stored)  # Fernet tokens, not digits
    assert "4826" not in caplog.text
    changes = " ".join(str(e.changes) for e in AuditEntry.objects.filter(entity="pupil_login"))
    assert "4826" not in changes and "gewijzigd" in changes
    assert PupilLogin.objects.get(pupil=s.pupils[0]).pin == "4826"


def test_wrong_attempts_lock_the_pupil_until_the_teacher_unlocks(client, platform_school, settings):
    settings.SCHOOLBRUG_PUPIL_LOGIN_LIMIT = 3
    s = platform_school
    jan = s.pupils[0]
    pupil_login.set_method(s.classes["1A"], LoginMethod.PIN)
    set_up_device(client, s.classes["1A"])
    pupil_login.change_pin(jan, "1357")
    for _ in range(3):
        client.post(_sign_in_url(s, jan), {"pin": "9999"})
    locked = client.post(_sign_in_url(s, jan), {"pin": "1357"})
    assert locked.status_code == 403
    assert "Vraag je juf of meester" in locked.content.decode()
    with acting("juf.1a@regenboog.be", "ontgrendelen"):
        assert pupil_login.unlock(jan)
    assert client.post(_sign_in_url(s, jan), {"pin": "1357"}).status_code == 302
    entry = AuditEntry.objects.get(entity="pupil", changes__has_key="vergrendeld")
    assert entry.actor == "juf.1a@regenboog.be"


def test_an_address_trying_many_pupils_is_locked(client, platform_school, settings):
    settings.SCHOOLBRUG_PUPIL_LOGIN_LIMIT = 100
    settings.SCHOOLBRUG_ADDRESS_LOGIN_LIMIT = 4
    s = platform_school
    pupil_login.set_method(s.classes["1A"], LoginMethod.PIN)
    set_up_device(client, s.classes["1A"])
    jan, mila = s.pupils[:2]
    pupil_login.change_pin(mila, "2468")
    for pupil in (jan, mila, jan, mila):
        client.post(_sign_in_url(s, pupil), {"pin": "0001"})
    refused = client.post(_sign_in_url(s, mila), {"pin": "2468"})
    assert refused.status_code == 403
    assert "Op dit toestel" in refused.content.decode()
    other_device = client.post(_sign_in_url(s, mila), {"pin": "2468"}, REMOTE_ADDR="10.1.2.3")
    assert other_device.status_code == 302


def test_a_schools_typos_at_nine_do_not_lock_its_one_address(client, platform_school, settings):
    """A whole school logs in from one address: sixty wrong tries in the morning (a class's
    typos) leave it open by default; each pupil's own limit still holds (not counted here)."""
    settings.SCHOOLBRUG_PUPIL_LOGIN_LIMIT = 1000
    s = platform_school
    pupil_login.set_method(s.classes["1A"], LoginMethod.PIN)
    set_up_device(client, s.classes["1A"])
    jan, mila = s.pupils[:2]
    pupil_login.change_pin(mila, "2468")
    for _ in range(60):
        client.post(_sign_in_url(s, jan), {"pin": "0001"})
    assert client.post(_sign_in_url(s, mila), {"pin": "2468"}).status_code == 302


def test_a_class_without_a_login_method_has_no_login_page(client, platform_school):
    s = platform_school
    assert client.get(_sign_in_url(s, s.pupils[0])).status_code == 404


def test_the_pupils_session_is_a_signed_cookie_that_cannot_be_forged(client, platform_school):
    s = platform_school
    pupil_login.set_method(s.classes["1A"], LoginMethod.PIN)
    set_up_device(client, s.classes["1A"])
    pupil_login.change_pin(s.pupils[0], "3141")
    client.post(_sign_in_url(s, s.pupils[0]), {"pin": "3141"})
    products = reverse("platform:pupil_products")
    assert "Dag Jan" in client.get(products).content.decode()
    client.cookies["leerling"] = str(s.pupils[1].pk)  # another pupil's id, unsigned
    assert client.get(products).status_code == 302


def test_a_pupil_of_another_class_cannot_log_in_through_this_class(client, platform_school):
    s = platform_school
    pupil_login.set_method(s.classes["1A"], LoginMethod.PIN)
    set_up_device(client, s.classes["1A"])
    pupil_login.set_method(s.classes["2B"], LoginMethod.PIN)
    noah = s.pupils[2]  # in 2B
    pupil_login.change_pin(noah, "2718")
    url = reverse(
        "platform:pupil_sign_in",
        args=[s.institution.number, s.classes["1A"].sourced_id, noah.sourced_id],
    )
    assert client.post(url, {"pin": "2718"}).status_code == 404


# --- who the class's login offers: its pupils of the class's school year, no leavers --------


@pytest.fixture
def not_in_the_class(platform_school):
    """Class 1A logs in; beside its pupils two who must not be offered: Sanne, whose
    enrolment in 1A is of last school year (this year she is in 2B), and Ruben, a leaver whose
    enrolment still names 1A. Both had a PIN and a picture while they were in the class."""
    s = platform_school
    this_year = s.classes["1A"].school_year
    last_year, _ = SchoolYear.objects.get_or_create(start_year=this_year.start_year - 1)
    sanne, ruben = (
        Pupil.objects.create(
            institution=s.institution,
            family_name=family,
            given_name=given,
            birth_date=datetime.date(2015, 5, 5),
        )
        for given, family in (("Sanne", "Wouters"), ("Ruben", "Goossens"))
    )
    for number, pupil in enumerate((sanne, ruben), start=3):
        Enrolment.objects.create(
            pupil=pupil, school_class=s.classes["1A"], school_year=this_year, class_number=number
        )
    return SimpleNamespace(school=s, sanne=sanne, ruben=ruben, last_year=last_year)


def _set_up_class(client, absent, method: str) -> None:
    s = absent.school
    pupil_login.set_method(s.classes["1A"], method)
    for pupil in (s.pupils[0], absent.sanne, absent.ruben):
        pupil_login.change_pin(pupil, "4321")
        pupil_login.change_picture(pupil, NAMES[0])
    Enrolment.objects.filter(pupil=absent.sanne).update(school_year=absent.last_year)
    Enrolment.objects.create(
        pupil=absent.sanne,
        school_class=s.classes["2B"],
        school_year=s.classes["2B"].school_year,
        class_number=9,
    )
    Pupil.objects.filter(pk=absent.ruben.pk).update(is_leaver=True)
    set_up_device(client, s.classes["1A"])


ABSENT = ["sanne", "ruben"]  # last year's enrolment in the class; a leaver


@pytest.mark.parametrize("who", ABSENT)
def test_the_login_page_offers_only_the_classs_pupils_of_this_year(client, not_in_the_class, who):
    absent = not_in_the_class
    s = absent.school
    _set_up_class(client, absent, LoginMethod.PIN)
    pupil = getattr(absent, who)
    names = client.get(
        reverse("platform:pupil_names", args=["012345", s.classes["1A"].sourced_id])
    ).content.decode()
    assert "Jan P." in names and "Mila J." in names
    assert pupil.given_name not in names and str(pupil.sourced_id) not in names
    assert client.get(_sign_in_url(s, pupil)).status_code == 404


@pytest.mark.parametrize("method", [LoginMethod.PIN, LoginMethod.PICTURES])
@pytest.mark.parametrize("who", ABSENT)
def test_a_crafted_post_does_not_log_in_a_pupil_not_in_the_class(
    client, not_in_the_class, who, method
):
    absent = not_in_the_class
    s = absent.school
    _set_up_class(client, absent, method)
    answer = {"pin": "4321"} if method == LoginMethod.PIN else {"plaatje": NAMES[0]}
    # The same answer logs in a pupil of the class: only the pupil makes the difference.
    assert client.post(_sign_in_url(s, s.pupils[0]), answer).status_code == 302
    client.cookies.pop(pupil_session.COOKIE)
    pupil = getattr(absent, who)
    refused = client.post(_sign_in_url(s, pupil), answer)
    assert refused.status_code == 404
    assert pupil_session.COOKIE not in refused.cookies
    assert client.get(reverse("platform:pupil_products")).status_code == 302
    # Not counted as the pupil's wrong try either: they were never offered here.
    assert PupilLogin.objects.get(pupil=pupil).failed_attempts == 0


@pytest.mark.parametrize("who", ABSENT)
def test_the_class_sheet_prints_only_the_classs_pupils_of_this_year(
    client, not_in_the_class, people, who
):
    absent = not_in_the_class
    s = absent.school
    _set_up_class(client, absent, LoginMethod.PIN)
    client.force_login(people.ict)
    sheet = client.get(reverse("platform:print_sheet", args=["012345", s.classes["1A"].sourced_id]))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(sheet.content)).pages)
    assert "Jan Peeters" in text and "Mila Janssens" in text
    pupil = getattr(absent, who)
    assert pupil.given_name not in text and pupil.family_name not in text
