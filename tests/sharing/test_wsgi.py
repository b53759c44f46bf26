"""The WSGI application serves the rostering API without the web UI's middleware, and the
web UI with all of it."""

from __future__ import annotations

import io

import orjson
import pytest

from schoolbrug.wsgi import application
from tests.sharing.conftest import API

pytestmark = pytest.mark.django_db(transaction=True)


def _get(path: str, query: str = "", **headers) -> tuple[str, dict, bytes]:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = status
        answer["headers"] = dict(response_headers)

    body = b"".join(application(environ, start_response))
    return answer["status"], answer["headers"], body


def test_the_api_is_served_with_a_token_and_without_the_web_middleware(served, api):
    status, headers, body = _get(f"{API}/users", "limit=2", authorization=f"Bearer {api.token}")
    assert status.startswith("200")
    assert len(orjson.loads(body)["users"]) == 2
    assert headers["X-Total-Count"]
    assert headers["X-Content-Type-Options"] == "nosniff"  # the security middleware stays
    # No locale negotiation, no frame options: the web UI's middleware is not on the path.
    assert "Content-Language" not in headers and "X-Frame-Options" not in headers

    status, _, body = _get(f"{API}/users")
    assert status.startswith("401")
    assert orjson.loads(body)["imsx_codeMajor"] == "failure"


def test_the_web_ui_keeps_its_middleware(db):
    status, headers, _ = _get("/accounts/login/", accept_language="nl-BE")
    assert status.startswith("200")
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Language"].startswith("nl")
    assert "csrftoken" in headers.get("Set-Cookie", "")
