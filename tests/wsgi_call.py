"""A request straight through the production WSGI application (`schoolbrug.handlers`), past
Django's test client, for tests of what the handler itself decides."""

from __future__ import annotations

import io
from wsgiref.util import is_hop_by_hop, setup_testing_defaults

from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from schoolbrug.handlers import Application


def call(path: str, method: str = "GET", cookie: str = "", **environ_extra):
    environ = {"PATH_INFO": path, "REQUEST_METHOD": method, "wsgi.input": io.BytesIO()}
    environ.update(environ_extra)
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    setup_testing_defaults(environ)
    environ["HTTP_HOST"] = "testserver"
    seen = {}

    def start_response(status, headers, exc_info=None):
        # As wsgiref (the demo's and runserver's server) does: PEP 3333 leaves hop-by-hop
        # headers to the server; wsgiref answers 500 for one, gunicorn drops it.
        hop_by_hop = [name for name, _ in headers if is_hop_by_hop(name)]
        assert not hop_by_hop, f"a WSGI application may not set {hop_by_hop}"
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
