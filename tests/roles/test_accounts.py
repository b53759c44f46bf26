"""Password reset and invitation by mail: Dutch, the same answer whether or not the address
has an account, limited per address and per e-mail address, links that work once and
expire. The tests read Django's outbox."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.urls import reverse

from tests.web.conftest import make_staff

RESET = "roles:password_reset"
NEW_PASSWORD = "nieuw-wachtwoord-voor-juf-2026"


def link_in(message) -> str:
    (link,) = re.findall(r"https?://\S+", message.body)
    return link.split("testserver", 1)[1]


def ask_reset(client, email: str, address: str = "198.51.100.7"):
    return client.post(reverse(RESET), {"email": email}, REMOTE_ADDR=address)


def choose_password(client, link: str, password: str = NEW_PASSWORD):
    form = client.get(link, follow=True)
    return form, client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"new_password1": password, "new_password2": password},
    )


def test_the_login_page_offers_a_dutch_reset(client, db):
    assert "Wachtwoord vergeten?" in client.get(reverse("login")).content.decode()
    page = client.get(reverse(RESET)).content.decode()
    assert "Vul het e-mailadres van je account in." in page


def test_a_reset_mails_a_link_that_sets_the_password_once(client, board_schools):
    answer = ask_reset(client, "JUF.1A@regenboog.be")
    assert answer.status_code == 302
    assert answer.url == reverse("roles:password_reset_done")
    (message,) = mail.outbox
    assert message.to == ["juf.1a@regenboog.be"]
    assert message.subject == "Schoolbrug: kies een nieuw wachtwoord"
    link = link_in(message)
    form, saved = choose_password(client, link)
    assert "Kies je wachtwoord" in form.content.decode()
    assert saved.status_code == 302
    assert client.login(username="juf", password=NEW_PASSWORD)
    # Used once: the link no longer works.
    client.logout()
    again = client.get(link, follow=True).content.decode()
    assert "Deze link werkt niet meer" in again


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, board_schools):
    known = ask_reset(client, "juf.1a@regenboog.be")
    unknown = ask_reset(client, "niemand@elders.test")
    assert (unknown.status_code, unknown.url) == (known.status_code, known.url)
    assert len(mail.outbox) == 1


def test_a_link_expires(client, board_schools, settings, monkeypatch):
    ask_reset(client, "juf.1a@regenboog.be")
    link = link_in(mail.outbox[0])
    now = PasswordResetTokenGenerator()._now()
    later = now.replace(year=now.year + 1)
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: later)
    assert "Deze link werkt niet meer" in client.get(link, follow=True).content.decode()


def test_resets_are_limited_per_email_address_without_telling(client, board_schools, settings):
    settings.SCHOOLBRUG_PASSWORD_RESETS_PER_EMAIL = 2
    answers = [ask_reset(client, "juf.1a@regenboog.be", f"198.51.100.{n}") for n in range(4)]
    assert {(a.status_code, a.url) for a in answers} == {(302, answers[0].url)}
    assert len(mail.outbox) == 2


def test_resets_are_limited_per_address_the_requests_come_from(client, board_schools, settings):
    settings.SCHOOLBRUG_PASSWORD_RESETS_PER_ADDRESS = 3
    for n in range(3):
        assert ask_reset(client, f"iemand{n}@elders.test").status_code == 302
    refused = ask_reset(client, "juf.1a@regenboog.be")
    assert refused.status_code == 429
    assert "te veel aanvragen" in refused.content.decode()
    assert mail.outbox == []
    assert ask_reset(client, "juf.1a@regenboog.be", "203.0.113.9").status_code == 302


def test_a_site_admin_invites_a_person_who_chooses_a_password(
    client, board_schools, django_user_model
):
    client.force_login(board_schools.site_admin)
    answer = client.post(
        reverse("roles:invite"),
        {"email": "Nieuw@Regenboog.be", "given_name": "Nora", "family_name": "Nieuw"},
    )
    assert answer.status_code == 302
    person = django_user_model.objects.get(email="nieuw@regenboog.be")
    assert not person.has_usable_password()
    (message,) = mail.outbox
    assert message.subject == "Uitnodiging voor Schoolbrug"
    assert message.to == ["nieuw@regenboog.be"]
    assert "beheer@schoolbrug.test nodigt je uit" in message.body
    client.logout()
    _, saved = choose_password(client, link_in(message))
    assert saved.status_code == 302
    assert client.login(username="nieuw@regenboog.be", password=NEW_PASSWORD)


def test_an_existing_address_is_not_invited_again(client, board_schools):
    client.force_login(board_schools.site_admin)
    answer = client.post(
        reverse("roles:invite"),
        {"email": "juf.1a@regenboog.be", "given_name": "J", "family_name": "E"},
    )
    assert answer.status_code == 400
    assert "Er bestaat al een account" in answer.content.decode()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("email", "invited"), [("nieuw@regenboog.be", True), ("juf@sintjozef.be", False)]
)
def test_a_board_admin_invites_only_people_of_the_board(
    client, board_schools, django_user_model, email, invited
):
    make_staff(board_schools.regenboog.institution, "nieuw@regenboog.be")
    make_staff(board_schools.other.institution, "juf@sintjozef.be")
    client.force_login(board_schools.board_admin)
    client.post(reverse("roles:invite"), {"email": email, "given_name": "A", "family_name": "B"})
    assert django_user_model.objects.filter(email=email).exists() is invited
    assert len(mail.outbox) == int(invited)


def test_a_teacher_invites_nobody(client, board_schools):
    client.force_login(board_schools.teacher)
    assert client.get(reverse("roles:invite")).status_code == 404
    answer = client.post(
        reverse("roles:invite"), {"email": "x@regenboog.be", "given_name": "X", "family_name": "Y"}
    )
    assert answer.status_code == 404
    assert mail.outbox == []
