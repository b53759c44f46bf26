"""A parent's GET of a LOP's public page (no session cookie) is served by its own lean handler
(schoolbrug/handlers.py); with a session cookie, or any other page, by the web UI's."""

from __future__ import annotations

import io
from wsgiref.util import setup_testing_defaults

from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from schoolbrug.handlers import Application


def call(path: str, method: str = "GET", cookie: str = ""):
    environ = {"PATH_INFO": path, "REQUEST_METHOD": method, "wsgi.input": io.BytesIO()}
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    setup_testing_defaults(environ)
    environ["HTTP_HOST"] = "testserver"
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    # As Django's test client does: the test's transaction holds the connection, which a
    # handler would otherwise close at the start and end of the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(Application()(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return seen["status"], seen["headers"], body


def test_a_parents_request_takes_the_lean_handler_and_gets_the_page(lop_world, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    from schoolbrug import handlers

    assert handlers._public_page({"REQUEST_METHOD": "GET", "PATH_INFO": "/aanmelden/noordrand/"})
    status, headers, body = call("/aanmelden/noordrand/")
    assert status.startswith("200") and "1ste leerjaar A" in body.decode()
    assert headers["X-Frame-Options"] == "DENY"
    assert "Set-Cookie" not in headers


def test_other_requests_take_the_web_ui(lop_world):
    from schoolbrug import handlers

    cookie = f"{handlers.settings.SESSION_COOKIE_NAME}=abc"
    for environ in (
        {"REQUEST_METHOD": "POST", "PATH_INFO": "/aanmelden/noordrand/"},
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/aanmelden/noordrand/beheer/"},
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/aanmelden/noordrand/", "HTTP_COOKIE": cookie},
    ):
        assert not handlers._public_page(environ)
