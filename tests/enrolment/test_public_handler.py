"""A parent's GET of a LOP's public page (no session cookie) is served by its own lean handler
(schoolbrug/handlers.py); with a session cookie, or any other page, by the web UI's."""

from __future__ import annotations

from tests.wsgi_call import call


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
