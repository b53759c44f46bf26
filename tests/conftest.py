"""Suite-wide rules. In CI (`SCHOOLBRUG_NO_SKIPS=1`, set by .ci/run) a skipped test fails:
there, ../shared, chromium, Redis and PostgreSQL are all present, so a skip means a test that
silently stopped testing. And `request_log`: what the logging settings print for a request."""

from __future__ import annotations

import io
import logging
import os

import pytest

# The merge's second database (tests/merge/databases.py): fixtures of a plugin, as two
# helpers' tests share tests/merge/ and its conftest.
pytest_plugins = ["tests.merge.databases"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("SCHOOLBRUG_NO_SKIPS") == "1":
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where nothing may be skipped: {reason}"


@pytest.fixture(autouse=True)
def fresh_cache():
    """Failure counts (the token endpoint's limits) live in Django's default cache: every test
    starts without any, whatever the tests before it tried."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def request_log(monkeypatch) -> io.StringIO:
    """What the configured handler of django.request prints."""
    handlers = logging.getLogger("django.request").handlers
    (handler,) = [h for h in handlers if type(h) is logging.StreamHandler]  # not pytest's
    printed = io.StringIO()
    monkeypatch.setattr(handler, "stream", printed)
    return printed


@pytest.fixture(autouse=True)
def no_merge_running(settings):
    """No database merge runs in a test unless it raises the read-only flag itself
    (tests/merge): the flag is taken as down, as a process that read it a moment ago keeps it,
    so a page's query count stays its own whatever the clock (merge/readonly.py)."""
    import time

    from schoolbrug.merge import readonly

    settings.SCHOOLBRUG_MERGE_FLAG_SECONDS = 3600
    readonly._cached = (time.monotonic(), None)


@pytest.fixture(autouse=True)
def no_connection_left_from_a_browser_test():
    """Closes the database connections a test opened while Playwright's event loop ran.

    Django keeps its connections in an asgiref Local that, in a thread where an event loop
    runs (Playwright's sync API runs one), is a context variable apart from the thread's own.
    A query made between `sync_playwright().start()` and `stop()` therefore opens a second
    connection that Django's test teardown, closing only the thread's own, never sees: it
    stays open from test to test, holds the test database (a template copy or a drop then
    fails), and once the server ends it the next browser test finds it closed."""
    yield
    from django.db import connections

    async_storage = getattr(connections._connections._storage, "cvar", None)
    if async_storage is None:
        return
    try:
        kept = async_storage._data.get().data
    except LookupError:
        return
    for connection in list(kept.values()):
        connection.close()
