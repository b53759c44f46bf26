"""A body larger than the view takes is refused before a byte of it is read (413): by whoever
sends it, before the CSRF check, which would otherwise stream the whole upload to disk."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse

from schoolbrug.links import storage
from schoolbrug.merge.views import MAX_PLAN_BYTES
from schoolbrug.request_size import FORM_OVERHEAD_BYTES
from schoolbrug.web.staff_views import MAX_BYTES as STAFF_MAX_BYTES
from tests.wsgi_call import call

pytestmark = pytest.mark.django_db

MB = 2**20


class CountingInput(io.BytesIO):
    """A request body that counts what the application reads of it."""

    def __init__(self, size: int):
        super().__init__(b"x" * 1024)
        self.declared = size
        self.read_bytes = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.read_bytes += len(chunk)
        return chunk

    def readline(self, size=-1):
        line = super().readline(size)
        self.read_bytes += len(line)
        return line


def post(path: str, size: int, accept: str = "text/html", cookie: str = ""):
    body = CountingInput(size)
    status, headers, content = call(
        path,
        "POST",
        cookie,
        **{
            "wsgi.input": body,
            "CONTENT_LENGTH": str(size),
            "CONTENT_TYPE": "multipart/form-data; boundary=grens",
            "HTTP_ACCEPT": accept,
        },
    )
    return status, headers, content, body


def test_an_anonymous_post_beyond_the_default_is_refused_unread_and_in_dutch(settings):
    size = settings.SCHOOLBRUG_MAX_REQUEST_BYTES + 1
    status, headers, content, body = post("/accounts/login/", size)
    # 413, not the CSRF check's 403: the check would have read the body first.
    assert status.startswith("413")
    assert body.read_bytes == 0
    page = content.decode()
    assert "Bestand te groot" in page and "Er is niets opgeladen en niets gewijzigd." in page
    # No `Connection: close` (hop-by-hop: wsgiref, the demo's server, answered 500 for it).
    assert "Connection" not in headers


def test_at_the_default_limit_the_request_goes_on_to_the_csrf_check(settings):
    status, _, _, _ = post("/accounts/login/", settings.SCHOOLBRUG_MAX_REQUEST_BYTES)
    assert status.startswith("403")  # no CSRF token: refused by the next check, not by size


def test_the_staff_upload_takes_its_own_ten_megabytes_and_no_more(school):
    path = reverse("web:staff_upload", args=[school.institution.number])
    status, _, _, body = post(path, STAFF_MAX_BYTES + FORM_OVERHEAD_BYTES + 1)
    assert status.startswith("413") and body.read_bytes == 0
    # Below the default of 20 MB, yet above the staff list's own limit: the view's counts.
    assert STAFF_MAX_BYTES + FORM_OVERHEAD_BYTES + 1 < 20 * MB
    status, _, _, _ = post(path, STAFF_MAX_BYTES)
    assert not status.startswith("413")


def test_the_sis_upload_api_answers_in_json_with_both_languages():
    path = reverse("web:link_upload")
    status, headers, content, body = post(
        path, 2 * storage.MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES + 1, accept="*/*"
    )
    assert status.startswith("413") and body.read_bytes == 0
    answer = json.loads(content)
    assert answer["error"] == "too_large"
    assert "te groot" in answer["message"]
    assert "exceeds" in answer["message_en"]
    # Two WISA files of the largest size each pass the size check (then the token check).
    status, _, _, _ = post(path, 2 * storage.MAX_UPLOAD_BYTES, accept="*/*")
    assert not status.startswith("413")


def session_cookie(client, settings, user) -> str:
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@pytest.fixture
def logged_in(client, settings, django_user_model) -> str:
    """A logged-in user's session cookie: someone who may not add a merge plan."""
    user = django_user_model.objects.create_user("iemand", "iemand@school.test")
    return session_cookie(client, settings, user)


@pytest.fixture
def site_admin(client, settings, django_user_model) -> str:
    """A site admin's session cookie: someone who may add a merge plan."""
    user = django_user_model.objects.create_superuser("beheer", "beheer@school.test")
    return session_cookie(client, settings, user)


def test_a_merge_plan_may_be_larger_than_the_default(site_admin):
    path = reverse("merge:plans")
    assert MAX_PLAN_BYTES > 20 * MB
    status, _, _, _ = post(path, MAX_PLAN_BYTES, cookie=site_admin)
    assert not status.startswith("413")
    status, _, _, body = post(path, MAX_PLAN_BYTES + FORM_OVERHEAD_BYTES + 1, cookie=site_admin)
    assert status.startswith("413") and body.read_bytes == 0


def test_the_merge_plans_limit_is_only_for_who_may_add_a_plan(settings, logged_in):
    # Logged in, but neither site nor board admin: a teacher gets the default, not 200 MB.
    size = settings.SCHOOLBRUG_MAX_REQUEST_BYTES + 1
    status, _, _, body = post(reverse("merge:plans"), size, cookie=logged_in)
    assert status.startswith("413") and body.read_bytes == 0


def test_a_length_that_is_no_number_is_not_refused_for_size():
    status, _, _ = call("/accounts/login/", "POST", CONTENT_LENGTH="veel", HTTP_ACCEPT="text/html")
    assert status.startswith("403")  # Django reads no body for it; the CSRF check answers


def test_a_views_larger_limit_is_for_a_logged_in_user_only(settings, site_admin):
    # The CSRF check reads the body before the view's log-in check: a merge plan's 200 MB,
    # posted by anyone, would be streamed to disk before the 403. Anonymous: the default.
    path = reverse("merge:plans")
    size = settings.SCHOOLBRUG_MAX_REQUEST_BYTES + 1
    status, _, _, body = post(path, size)
    assert status.startswith("413") and body.read_bytes == 0
    status, _, _, _ = post(path, size, cookie=site_admin)
    assert not status.startswith("413")
    # The SIS upload's token is checked before its body is read: its limit is anyone's.
    status, _, _, _ = post(reverse("web:link_upload"), size, accept="*/*")
    assert not status.startswith("413")
