"""Every 500, of the web UI and of the API (tests/sharing/test_api_limits.py), is logged with
its traceback by the logging settings, in English and without the exceptions' messages (they
may quote personal data)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.test import Client

from schoolbrug.logs import WITHHELD, traceback_lines
from schoolbrug.web import queries
from tests.sharing.conftest import API  # the API's 500: tests/sharing/test_api_limits.py

NATIONAL_NUMBER = "15073028761"


def failing(*args, **kwargs):
    """A fault of ours whose messages quote a national number, as a database's would."""
    try:
        raise ValueError(f"cell {NATIONAL_NUMBER} is no date")
    except ValueError as cause:
        raise IntegrityError(
            f"Key (institution_id, national_number)=(3, {NATIONAL_NUMBER}) already exists."
        ) from cause


def assert_logged_without_personal_data(printed: str, path: str) -> None:
    assert f"ERROR django.request Internal Server Error: {path}" in printed
    assert "Traceback (most recent call last):" in printed
    assert "in failing" in printed  # the frame where it happened
    assert f"ValueError {WITHHELD}" in printed
    assert f"django.db.utils.IntegrityError {WITHHELD}" in printed
    assert NATIONAL_NUMBER not in printed


@pytest.mark.django_db
def test_a_fault_in_the_web_ui_is_logged_and_answered_with_its_page(
    django_user_model, monkeypatch, request_log
):
    user = django_user_model.objects.create_superuser("beheer", "beheer@x.test", "x")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    monkeypatch.setattr(queries, "institution_overview", failing)

    response = client.get("/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert_logged_without_personal_data(request_log.getvalue(), "/")


def test_a_client_error_is_not_logged_as_a_fault(request_log, client, db):
    assert client.get(f"{API}/users").status_code == 401
    assert client.get("/bestaat-niet/").status_code in (302, 404)
    assert request_log.getvalue() == ""


def test_a_traceback_keeps_every_frame_and_type_of_the_chain_and_no_message():
    try:
        failing()
    except IntegrityError as error:
        text = "".join(traceback_lines(error))
    assert text.count("Traceback (most recent call last):") == 2
    assert "led to the following one" in text
    assert NATIONAL_NUMBER not in text and "already exists" not in text
