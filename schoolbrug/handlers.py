"""The WSGI application: the rostering API is served by its own Django handler, with only
the middleware an API of bearer tokens needs.

The web UI's middleware (sessions, locale, CSRF, login, messages, frames) does nothing for
a request with a bearer token and no cookie, yet cost a rostering page 0.28 ms of CPU: a
quarter of a page of 1, a tenth of a page of 100. Both handlers share settings, URLs and
database connections; only the middleware list differs.

The public page of a LOP's enrolment site (`/aanmelden/<lop>/`, enrolment/public_cache.py) is
the page everyone opens the minute enrolment opens: a GET of it without a session cookie (a
parent, not logged in) is served by a third handler with only the security and frame
headers; with a session cookie it is the web UI's page as any other (it names the person).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

# Served by the API's handler; everything else by the web UI's.
API_PREFIXES = ("/ims/oneroster/",)
API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # During a database merge the API's writes (the gradebook's PUT) answer 503 too.
    "schoolbrug.merge.readonly.ReadOnlyMiddleware",
]
PUBLIC_PAGE = re.compile(r"^/aanmelden/[-\w]+/$")
PUBLIC_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


class ApiHandler(WSGIHandler):
    middleware = API_MIDDLEWARE

    def load_middleware(self, is_async: bool = False) -> None:
        # Django builds a handler's middleware chain from settings.MIDDLEWARE only; this is
        # read once, at start-up, before any request.
        web = settings.MIDDLEWARE
        settings.MIDDLEWARE = self.middleware
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = web


class PublicPageHandler(ApiHandler):
    middleware = PUBLIC_MIDDLEWARE


def _public_page(environ) -> bool:
    return (
        environ.get("REQUEST_METHOD") in ("GET", "HEAD")
        and PUBLIC_PAGE.match(environ.get("PATH_INFO", "")) is not None
        and settings.SESSION_COOKIE_NAME not in environ.get("HTTP_COOKIE", "")
    )


class Application:
    """Sends each request to the API's handler or the web UI's, by its path."""

    def __init__(self) -> None:
        self.web = WSGIHandler()
        self.api = ApiHandler()
        self.public = PublicPageHandler()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(API_PREFIXES):
            handler = self.api
        elif _public_page(environ):
            handler = self.public
        else:
            handler = self.web
        return handler(environ, start_response)
