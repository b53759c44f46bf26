"""Shared browser-test plumbing: Debian's chromium through Playwright (never a downloaded
browser), the three widths every page must work at, a logged-in browser context without
typing a password, and the folder screenshots go to."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Laptop, tablet (portrait) and phone: every page must work at each (issue 19).
WIDTHS = {"laptop": 1280, "tablet": 768, "phone": 390}
HEIGHTS = {"laptop": 800, "tablet": 1024, "phone": 844}


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        # CI installs it (.ci/run): there a missing browser is a failure, not a skip.
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run should have installed it")
        pytest.skip("chromium is not installed (apt-get install chromium)")


def screenshot_dir(tmp_path: Path) -> Path:
    """$SCHOOLBRUG_SCREENSHOTS when set (docs/screenshots for the README), else the test's
    temporary directory."""
    folder = Path(os.environ.get("SCHOOLBRUG_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def session_cookie(user, live_server_url: str) -> dict:
    """The cookie of a fresh session logged in as `user`, for a browser context: the pages
    are under test here, not the login form (test_browser.py types the password)."""
    client = Client()
    client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"name": settings.SESSION_COOKIE_NAME, "value": value, "url": live_server_url}
