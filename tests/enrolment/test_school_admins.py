"""The LOP expert's school admins: add by e-mail (invitation for a new address, read from the
outbox), remove, and the Excel template's bulk add with bad rows (nothing half-applied)."""

from __future__ import annotations

import io

from django.core import mail
from openpyxl import Workbook, load_workbook

from schoolbrug.audit.models import AuditEntry
from schoolbrug.roles import permissions
from schoolbrug.roles.models import RoleGrant

URL = "/aanmelden/noordrand/beheer/schoolbeheerders/"


def grants_of(email):
    return RoleGrant.objects.current().filter(
        user__email__iexact=email, role=RoleGrant.Role.SCHOOL_ADMIN
    )


def test_the_overview_lists_every_school_with_its_admins(client, lop_world):
    client.force_login(lop_world.expert)
    page = client.get(URL).content.decode()
    for school_type in lop_world.schools:
        assert f"beheerder-{school_type}@lop.example" in page


def test_a_new_address_gets_an_invitation_a_known_one_is_simply_added(client, lop_world):
    client.force_login(lop_world.expert)
    so = lop_world.schools["so"]
    client.post(URL, {"action": "add", "school": so.pk, "email": "Nieuw@School.example"})
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["Nieuw@school.example"]
    uid = mail.outbox[0].body.split("/accounts/wachtwoord/")[1].split("/")[0]
    (grant,) = grants_of("nieuw@school.example")
    assert grant.lop_school == so and not grant.user.has_usable_password()
    from django.utils.http import urlsafe_base64_encode

    assert uid == urlsafe_base64_encode(str(grant.user.pk).encode())  # the set-password link
    assert permissions.may_edit_lop_school(grant.user, so)
    client.post(URL, {"action": "add", "school": so.pk, "email": "beheerder-bao@lop.example"})
    assert len(mail.outbox) == 1  # known: no mail
    assert grants_of("beheerder-bao@lop.example").count() == 2
    client.post(URL, {"action": "add", "school": so.pk, "email": "beheerder-bao@lop.example"})
    assert grants_of("beheerder-bao@lop.example").count() == 2  # not twice
    assert AuditEntry.objects.filter(entity="role", action="create").count() >= 2


def test_removing_an_admin_ends_the_grant(client, lop_world):
    client.force_login(lop_world.expert)
    (grant,) = grants_of("beheerder-so@lop.example")
    client.post(URL, {"action": "remove", "grant": grant.pk})
    assert not grants_of("beheerder-so@lop.example").exists()
    assert not permissions.may_edit_lop_school(lop_world.admins["so"], lop_world.schools["so"])
    entry = AuditEntry.objects.filter(entity="role", action="update").latest("id")
    assert "ends_at" in entry.changes


def test_a_school_admin_cannot_open_the_overview(client, lop_world):
    client.force_login(lop_world.admins["so"])
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"action": "add", "school": 1, "email": "x@y.be"}).status_code == 404


def filled(rows) -> io.BytesIO:
    book = Workbook()
    book.active.append(("school", "e-mail"))
    for row in rows:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "schoolbeheerders.xlsx"
    return data


def test_the_template_lists_the_schools_and_comes_back_applied(client, lop_world):
    client.force_login(lop_world.expert)
    template = load_workbook(io.BytesIO(client.get(f"{URL}sjabloon.xlsx").content))
    keys = [row[0] for row in template["Scholen"].iter_rows(min_row=2, values_only=True)]
    assert keys == [s.institution.number for s in lop_world.schools.values()]
    upload = filled([(keys[0], "een@school.example"), (keys[2], "twee@school.example")])
    response = client.post(URL, {"action": "upload", "file": upload})
    assert response.status_code == 302
    assert grants_of("een@school.example").get().lop_school.institution.number == keys[0]
    assert grants_of("twee@school.example").exists()
    assert len(mail.outbox) == 2


def test_bad_rows_are_listed_and_nothing_is_applied(client, lop_world):
    client.force_login(lop_world.expert)
    good = lop_world.schools["so"].institution.number
    upload = filled(
        [
            (good, "goed@school.example"),
            ("999999", "onbekend@school.example"),
            (good, "geen-adres"),
            (good, "GOED@school.example"),
        ]
    )
    response = client.post(URL, {"action": "upload", "file": upload})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Rij 3, school: &#x27;999999&#x27; is geen school van dit LOP" in page
    assert "Rij 4, e-mail: &#x27;geen-adres&#x27; is geen geldig e-mailadres" in page
    assert "Rij 5, e-mail: staat al op rij 2" in page
    assert not grants_of("goed@school.example").exists()
    assert not mail.outbox


def test_a_disabled_account_in_the_template_is_a_named_row_not_a_server_error(
    client, lop_world, django_user_model
):
    django_user_model.objects.create_user(
        username="weg", email="weg@school.example", password=None, is_active=False
    )
    client.force_login(lop_world.expert)
    good = lop_world.schools["so"].institution.number
    upload = filled([(good, "goed@school.example"), (good, "Weg@school.example")])
    response = client.post(URL, {"action": "upload", "file": upload})
    assert response.status_code == 400
    assert "Rij 3, e-mail: het account van" in response.content.decode()
    assert not grants_of("goed@school.example").exists()
    assert not mail.outbox


def test_adding_a_disabled_account_by_hand_says_so(client, lop_world, django_user_model):
    django_user_model.objects.create_user(
        username="weg", email="weg@school.example", password=None, is_active=False
    )
    client.force_login(lop_world.expert)
    school = lop_world.schools["so"].pk
    response = client.post(
        URL, {"action": "add", "school": school, "email": "weg@school.example"}, follow=True
    )
    assert "Dit account is uitgeschakeld." in response.content.decode()
    assert not grants_of("weg@school.example").exists()


def test_a_template_that_unpacks_to_too_many_rows_is_refused(client, lop_world):
    client.force_login(lop_world.expert)
    good = lop_world.schools["so"].institution.number
    upload = filled([(good, f"p{n}@school.example") for n in range(5001)])
    response = client.post(URL, {"action": "upload", "file": upload})
    assert response.status_code == 400
    assert "meer dan 5000 rijen" in response.content.decode()
    assert not grants_of("p1@school.example").exists()
