"""The class code keeps the pupils' names (minors' personal data) off the public internet: an
unknown visitor sees no school, class or name; a device set up with the class's code (or by a
teacher's button) sees its class until the code is renewed; wrong codes are limited per
address; the code is encrypted at rest, printed on the sheet and its renewal audited."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader

from schoolbrug.audit.context import acting
from schoolbrug.audit.models import AuditEntry
from schoolbrug.platform import class_codes, pupil_login, pupil_session
from schoolbrug.platform.models import ClassLogin, PupilLogin

from .conftest import set_up_device

pytestmark = pytest.mark.django_db


def _names_url(s, code="1A"):
    return reverse("platform:pupil_names", args=["012345", s.classes[code].sourced_id])


def _sign_in_url(s, pupil, code="1A"):
    return reverse(
        "platform:pupil_sign_in", args=["012345", s.classes[code].sourced_id, pupil.sourced_id]
    )


def _code(s, code="1A") -> str:
    return ClassLogin.objects.get(school_class=s.classes[code]).code


def test_an_unknown_visitor_sees_no_school_class_or_pupil(client, platform_school):
    s = platform_school
    pupil_login.set_method(s.classes["1A"], "pin")
    pupil_login.change_pin(s.pupils[0], "1928")
    start = client.get(reverse("platform:pupil_schools")).content.decode()
    assert "Typ de klascode" in start
    assert s.institution.name not in start and "1A" not in start
    for url in (
        reverse("platform:pupil_classes", args=["012345"]),
        _names_url(s),
        _sign_in_url(s, s.pupils[0]),
    ):
        answer = client.get(url)
        assert answer.status_code == 302 and answer["Location"] == "/leerplatform/"
    # Knowing the ids and the PIN is not enough without the class's code on this device.
    refused = client.post(_sign_in_url(s, s.pupils[0]), {"pin": "1928"})
    assert refused.status_code == 403
    assert "Jan" not in refused.content.decode() and "leerling" not in client.cookies
    assert PupilLogin.objects.get(pupil=s.pupils[0]).failed_attempts == 0


def test_the_code_is_six_easy_characters_encrypted_at_rest(platform_school):
    s = platform_school
    pupil_login.set_method(s.classes["1A"], "pictures")
    pupil_login.set_method(s.classes["2B"], "pictures")
    codes = {_code(s, "1A"), _code(s, "2B")}
    assert len(codes) == 2
    for code in codes:
        assert len(code) == 6 and set(code) <= set(class_codes.ALPHABET)
        assert not set(code) & set("0O1IL2Z5S8B6G")
    with connection.cursor() as cursor:
        cursor.execute("SELECT code, code_digest FROM platform_classlogin")
        stored = cursor.fetchall()
    assert all(code not in " ".join(row) for code in codes for row in stored)


def test_typing_the_code_opens_the_class_and_the_device_remembers_it(client, platform_school):
    s = platform_school
    pupil_login.set_method(s.classes["1A"], "pin")
    pupil_login.set_method(s.classes["2B"], "pin")
    code = _code(s)
    typed = f" {code[:3].lower()}-{code[3:]} "  # as a child types it
    answer = client.post(reverse("platform:pupil_schools"), {"klascode": typed})
    assert answer.status_code == 302 and answer["Location"] == _names_url(s)
    names = client.get(_names_url(s)).content.decode()
    assert "Jan P." in names and "Mila J." in names and "Noah" not in names
    start = client.get(reverse("platform:pupil_schools")).content.decode()
    assert "1A" in start and s.institution.name in start and "2B" not in start
    # The other class of the school stays closed for this device.
    assert client.get(_names_url(s, "2B")).status_code == 302
    set_up_device(client, s.classes["2B"])  # a tablet trolley: both now
    assert "Noah" in client.get(_names_url(s, "2B")).content.decode()
    assert "Jan P." in client.get(_names_url(s)).content.decode()


def test_a_forged_device_cookie_opens_nothing(client, platform_school):
    s = platform_school
    pupil_login.set_method(s.classes["1A"], "pin")
    login = ClassLogin.objects.get(school_class=s.classes["1A"])
    client.cookies[class_codes.COOKIE] = f"{login.school_class_id}.{login.code_version}"
    assert client.get(_names_url(s)).status_code == 302


def test_a_new_code_ends_the_devices_access_and_is_audited(client, platform_school, people):
    s = platform_school
    pupil_login.set_method(s.classes["1A"], "pin")
    pupil_login.change_pin(s.pupils[0], "5555")
    old = _code(s)
    set_up_device(client, s.classes["1A"])
    assert client.get(_names_url(s)).status_code == 200

    teacher = type(client)()
    teacher.force_login(people.teacher)
    renew = reverse("platform:renew_code", args=["012345", s.classes["1A"].sourced_id])
    assert teacher.post(renew, {"bevestigd": "ja"}).status_code == 302
    new = _code(s)
    assert new != old

    assert client.get(_names_url(s)).status_code == 302
    assert client.post(_sign_in_url(s, s.pupils[0]), {"pin": "5555"}).status_code == 403
    wrong = client.post(reverse("platform:pupil_schools"), {"klascode": old})
    assert wrong.status_code == 400 and "kennen we niet" in wrong.content.decode()
    set_up_device(client, s.classes["1A"])
    assert client.post(_sign_in_url(s, s.pupils[0]), {"pin": "5555"}).status_code == 302

    entry = AuditEntry.objects.filter(entity="class_login").latest("at")
    assert entry.actor == "juf.1a@regenboog.be"
    assert entry.changes["code_version"] == [1, 2]
    assert entry.changes["code"][1] == "gewijzigd"
    logged = " ".join(str(e.changes) for e in AuditEntry.objects.filter(entity="class_login"))
    assert old not in logged and new not in logged


def test_a_new_code_is_asked_again_and_unconfirmed_changes_nothing(client, platform_school, people):
    s = platform_school
    pupil_login.set_method(s.classes["1A"], "pin")
    before = ClassLogin.objects.get(school_class=s.classes["1A"])
    set_up_device(client, s.classes["1A"])
    audited = AuditEntry.objects.filter(entity="class_login").count()

    teacher = type(client)()
    teacher.force_login(people.teacher)
    renew = reverse("platform:renew_code", args=["012345", s.classes["1A"].sourced_id])
    codes_page = reverse("platform:class_logins", args=["012345", s.classes["1A"].sourced_id])
    for data in ({}, {"bevestigd": "nee"}):
        asked = teacher.post(renew, data)
        assert asked.status_code == 200
        page = asked.content.decode()
        assert f"Na een nieuwe klascode werkt de code {before.code} niet meer" in page
        assert 'name="bevestigd" value="ja"' in page and "Ja, maak een nieuwe klascode" in page
        assert f'href="{codes_page}">Annuleren</a>' in page
        assert asked["Cache-Control"] == "no-store"  # the code is on it

    after = ClassLogin.objects.get(school_class=s.classes["1A"])
    assert (after.code, after.code_digest, after.code_version) == (
        before.code,
        before.code_digest,
        before.code_version,
    )
    assert AuditEntry.objects.filter(entity="class_login").count() == audited
    assert client.get(_names_url(s)).status_code == 200  # the device keeps the class
    # Cancelling is the codes page again, with the one-click button back.
    page = teacher.get(codes_page).content.decode()
    assert "Nieuwe klascode" in page and "Ja, maak een nieuwe klascode" not in page


def test_wrong_codes_are_limited_per_address(client, platform_school, settings):
    settings.SCHOOLBRUG_CLASS_CODE_RATE = "3/h"
    s = platform_school
    pupil_login.set_method(s.classes["1A"], "pin")
    start = reverse("platform:pupil_schools")
    for guess in ("AAAAAA", "CCCCCC", "nonsense"):
        assert client.post(start, {"klascode": guess}).status_code == 400
    refused = client.post(start, {"klascode": _code(s)})
    assert refused.status_code == 429 and "te vaak" in refused.content.decode()
    assert class_codes.COOKIE not in refused.cookies
    other = client.post(start, {"klascode": _code(s)}, REMOTE_ADDR="10.9.8.7")
    assert other.status_code == 302


def test_right_codes_do_not_use_up_the_addresss_guesses(client, platform_school, settings):
    """A whole school behind one address types its codes right: never refused."""
    settings.SCHOOLBRUG_CLASS_CODE_RATE = "2/h"
    s = platform_school
    pupil_login.set_method(s.classes["1A"], "pin")
    for _ in range(5):
        assert (
            client.post(reverse("platform:pupil_schools"), {"klascode": _code(s)}).status_code
            == 302
        )


def test_the_teacher_sets_up_this_device_and_others_may_not(client, platform_school, people):
    s = platform_school
    pupil_login.set_method(s.classes["1A"], "pictures")
    codes_page = reverse("platform:class_logins", args=["012345", s.classes["1A"].sourced_id])
    button = reverse("platform:set_up_device", args=["012345", s.classes["1A"].sourced_id])
    for user in (people.teacher, people.ict):
        client.force_login(user)
        page = client.get(codes_page).content.decode()
        assert _code(s) in page and "Dit toestel instellen voor deze klas" in page
    client.force_login(people.secretary)
    assert client.get(codes_page).status_code == 403
    assert client.post(button).status_code == 403
    assert client.get(_names_url(s)).status_code == 302
    client.force_login(people.teacher)
    answer = client.post(button)
    assert answer.status_code == 302 and answer["Location"] == _names_url(s)
    device = type(client)()  # the device keeps the class, not the teacher's session
    device.cookies[class_codes.COOKIE] = client.cookies[class_codes.COOKIE].value
    assert "Jan P." in device.get(_names_url(s)).content.decode()


def test_the_sheet_prints_the_class_code(client, platform_school, people):
    s = platform_school
    with acting("test", "sheet"):
        pupil_login.set_method(s.classes["1A"], "pin")
    client.force_login(people.ict)
    response = client.get(
        reverse("platform:print_sheet", args=["012345", s.classes["1A"].sourced_id])
    )
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert f"Klascode: {_code(s)}" in text


def test_a_class_set_up_before_codes_gets_one_when_its_page_opens(client, platform_school, people):
    s = platform_school
    pupil_login.set_method(s.classes["1A"], "pin")
    ClassLogin.objects.filter(school_class=s.classes["1A"]).update(code="", code_digest="")
    client.force_login(people.teacher)
    client.get(reverse("platform:class_logins", args=["012345", s.classes["1A"].sourced_id]))
    code = _code(s)
    assert len(code) == 6
    assert (
        type(client)().post(reverse("platform:pupil_schools"), {"klascode": code}).status_code
        == 302
    )


def test_a_device_set_up_for_one_class_opens_no_other(client, platform_school):
    s = platform_school
    noah = s.pupils[2]  # of 2B
    pupil_login.set_method(s.classes["1A"], "pin")
    pupil_login.set_method(s.classes["2B"], "pin")
    pupil_login.change_pin(noah, "5183")
    set_up_device(client, s.classes["1A"])
    assert client.get(_names_url(s, "2B")).status_code == 302
    refused = client.post(_sign_in_url(s, noah, "2B"), {"pin": "5183"})
    assert refused.status_code == 403
    assert pupil_session.COOKIE not in refused.cookies
    # The cookie's class swapped for the other's by hand breaks its signature: still nothing.
    value = client.cookies[class_codes.COOKIE].value
    client.cookies[class_codes.COOKIE] = value.replace(
        str(s.classes["1A"].pk), str(s.classes["2B"].pk), 1
    )
    assert client.get(_names_url(s, "2B")).status_code == 302
    assert PupilLogin.objects.get(pupil=noah).failed_attempts == 0
