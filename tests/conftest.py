"""Suite-wide rules. In CI (`SCHOOLBRUG_NO_SKIPS=1`, set by .ci/run) a skipped test fails:
there, ../shared, chromium, Redis and PostgreSQL are all present, so a skip means a test that
silently stopped testing. And `request_log`: what the logging settings print for a request."""

from __future__ import annotations

import io
import logging
import os

import pytest


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
