"""The WSGI application: the rostering API is served by its own Django handler, with only
the middleware an API of bearer tokens needs.

The web UI's middleware (sessions, locale, CSRF, login, messages, frames) does nothing for
a request with a bearer token and no cookie, yet cost a rostering page 0.28 ms of CPU: a
quarter of a page of 1, a tenth of a page of 100. Both handlers share settings, URLs and
database connections; only the middleware list differs.
"""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

# Served by the API's handler; everything else by the web UI's.
API_PREFIXES = ("/ims/oneroster/",)
API_MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]


class ApiHandler(WSGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        # Django builds a handler's middleware chain from settings.MIDDLEWARE only; this is
        # read once, at start-up, before any request.
        web = settings.MIDDLEWARE
        settings.MIDDLEWARE = API_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = web


class Application:
    """Sends each request to the API's handler or the web UI's, by its path."""

    def __init__(self) -> None:
        self.web = WSGIHandler()
        self.api = ApiHandler()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        handler = self.api if path.startswith(API_PREFIXES) else self.web
        return handler(environ, start_response)
