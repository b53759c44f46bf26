"""Log-in lock-out (django-axes): wrong passwords for one user name from one address are
answered only up to the limit; then a Dutch page says how long to wait, until the cool-off
passes or an admin unlocks. Another address, or a command's log-in, is not locked."""

from __future__ import annotations

import datetime

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.urls import reverse

from .conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LIMIT = 5  # settings.AXES_FAILURE_LIMIT, from SCHOOLBRUG_LOGIN_FAILURE_LIMIT (default 5)


@pytest.fixture
def person(django_user_model):
    return make_user(django_user_model, "secretariaat", "secretariaat@regenboog.be")


def log_in(client, password: str, username: str = "secretariaat", address: str = "203.0.113.7"):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def is_locked_out(response) -> bool:
    if response.status_code != 429:
        return False
    assert "Aanmelden tijdelijk geblokkeerd" in response.content.decode()
    return True


def test_forty_wrong_passwords_are_answered_only_up_to_the_limit(client, person, settings):
    assert settings.AXES_FAILURE_LIMIT == LIMIT
    answers = [log_in(client, f"fout-{attempt}") for attempt in range(40)]

    wrong = [a for a in answers if a.status_code == 200]
    assert len(wrong) == LIMIT - 1  # each says the password is wrong
    assert "klopt niet" in wrong[0].content.decode()
    locked = answers[LIMIT - 1 :]
    assert all(is_locked_out(a) for a in locked)
    page = locked[-1].content.decode()
    assert "Probeer het opnieuw over 15 minuten" in page
    assert int(locked[-1]["Retry-After"]) == 15 * 60

    # The right password is refused too while the lock lasts.
    assert is_locked_out(log_in(client, PASSWORD))
    assert "_auth_user_id" not in client.session


def test_the_lock_is_per_user_name_and_address(client, person, django_user_model):
    make_user(django_user_model, "directie", "directie@regenboog.be")
    for attempt in range(LIMIT):
        log_in(client, f"fout-{attempt}")
    assert is_locked_out(log_in(client, PASSWORD))

    # The same person from another address, and another person from the same address.
    assert log_in(client, PASSWORD, address="198.51.100.20").status_code == 302
    client.logout()
    assert log_in(client, PASSWORD, username="directie").status_code == 302


def test_failures_count_in_a_row_a_good_log_in_starts_again(client, person):
    for _ in range(3):
        for attempt in range(LIMIT - 1):
            assert log_in(client, f"fout-{attempt}").status_code == 200
        assert log_in(client, PASSWORD).status_code == 302
        client.logout()


def test_the_lock_ends_after_the_cool_off(client, person):
    for attempt in range(LIMIT):
        log_in(client, f"fout-{attempt}")
    assert is_locked_out(log_in(client, PASSWORD))

    # Fifteen minutes later (the attempts moved back in time instead).
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=16)
    )
    assert log_in(client, PASSWORD).status_code == 302


def test_a_try_during_the_lock_starts_the_wait_again(client, person):
    for attempt in range(LIMIT):
        log_in(client, f"fout-{attempt}")
    minutes_ago(10)
    assert is_locked_out(log_in(client, "nog-eens-fout"))
    minutes_ago(6)  # 16 minutes after the fifth failure, 6 after the last try
    assert is_locked_out(log_in(client, PASSWORD))


def minutes_ago(minutes: int) -> None:
    """Move every counted failure `minutes` back in time (as if that much time passed)."""
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= datetime.timedelta(minutes=minutes)
        attempt.save(update_fields=["attempt_time"])


def test_an_admin_unlocks_in_the_admin_or_with_a_command(client, person, django_user_model):
    for attempt in range(LIMIT):
        log_in(client, f"fout-{attempt}")
    admin_client = client.__class__()
    admin = django_user_model.objects.create_superuser("beheer", "beheer@regenboog.be", "x")
    admin_client.force_login(admin)
    listed = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert listed.status_code == 200 and "secretariaat" in listed.content.decode()

    attempt = AccessAttempt.objects.get()
    admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert not AccessAttempt.objects.exists()
    assert log_in(client, PASSWORD).status_code == 302
    client.logout()

    for attempt in range(LIMIT):
        log_in(client, f"fout-{attempt}")
    assert is_locked_out(log_in(client, PASSWORD))
    call_command("axes_reset_username", "secretariaat")
    assert log_in(client, PASSWORD).status_code == 302


def test_the_admin_log_in_is_locked_the_same_way(client, django_user_model):
    django_user_model.objects.create_superuser("beheer", "beheer@regenboog.be", PASSWORD)
    url = reverse("admin:login")
    for attempt in range(LIMIT):
        client.post(url, {"username": "beheer", "password": f"fout-{attempt}"})
    assert client.post(url, {"username": "beheer", "password": PASSWORD}).status_code == 429


def test_a_spoofed_forwarded_for_header_does_not_unlock(client, person, settings):
    settings.SCHOOLBRUG_PROXY_COUNT = 1  # one proxy of ours, which appends the real address
    for attempt in range(LIMIT):
        client.post(
            reverse("login"),
            {"username": "secretariaat", "password": f"fout-{attempt}"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{attempt}, 203.0.113.7",
        )
    again = client.post(
        reverse("login"),
        {"username": "secretariaat", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.7",
    )
    assert is_locked_out(again)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


def test_a_log_in_from_code_has_no_address_and_is_not_counted(person):
    for attempt in range(LIMIT + 2):
        assert authenticate(username="secretariaat", password=f"fout-{attempt}") is None
    assert authenticate(username="secretariaat", password=PASSWORD) == person
    assert not AccessAttempt.objects.exists()


def test_addresses_of_one_ipv6_network_count_as_one(client, person, django_user_model):
    """An IPv6 subscriber gets a /64 (2^64 addresses): counted per address, each guess could
    come from a new one. The addresses of one /64 count as one; IPv4 written as IPv6 as
    itself."""
    for attempt in range(LIMIT):
        log_in(client, f"fout-{attempt}", address=f"2001:db8:1:2::{attempt + 1:x}")
    assert is_locked_out(log_in(client, PASSWORD, address="2001:db8:1:2:ffff::9"))
    # Another network is not affected.
    assert log_in(client, PASSWORD, address="2001:db8:1:3::1").status_code == 302
    client.logout()
    for attempt in range(LIMIT):
        log_in(client, f"fout-{attempt}", address="198.51.100.30")
    assert is_locked_out(log_in(client, PASSWORD, address="::ffff:198.51.100.30"))


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/MQ/set-password/",
        "/accounts/reset/done/",
    ],
)
def test_there_are_no_english_reset_pages(client, person, path):
    """Django's own reset pages stay off: they answered in English and without any limit.
    Schoolbrug's Dutch, limited ones are tested in tests/roles/test_accounts.py."""
    assert client.get(path).status_code == 404
    answer = client.post(path, {"email": "secretariaat@regenboog.be"})
    assert answer.status_code == 404
