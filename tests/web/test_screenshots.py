"""The README's three screenshots: the run report of the last sync on a laptop (1280 px), a
tablet (768 px) and a phone (390 px), as the browser shows them.

Kept current by one command (README, "Screenshots"):

    SCHOOLBRUG_SCREENSHOTS=docs/screenshots python3 -m uv run pytest -p no:cacheprovider \\
        tests/web/test_screenshots.py

Without the variable they go to the test's temporary directory, and the test still checks
that the page fits each width. Debian's chromium through Playwright, never a download.
"""

from __future__ import annotations

import struct

import pytest
from django.urls import reverse

from .browser import HEIGHTS, WIDTHS, screenshot_dir, session_cookie
from .test_responsive import (  # noqa: F401 (fixtures)
    PAGE_OVERFLOW,
    allow_orm_beside_playwright,
    browser,
    new_context,
)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header (its IHDR chunk)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.slow
def test_readme_screenshots_of_the_run_report(
    live_server,
    school,
    secretary,
    browser,  # noqa: F811
    tmp_path,
):
    shots = screenshot_dir(tmp_path)
    url = live_server.url + reverse("web:run", args=[school.run.pk])
    for device, width in WIDTHS.items():
        context = new_context(browser, device)
        context.add_cookies([session_cookie(secretary, live_server.url)])
        page = context.new_page()
        page.goto(url)
        assert page.get_by_role("heading", name="Meldingen").is_visible()
        assert page.evaluate(PAGE_OVERFLOW) <= 0, device
        path = shots / f"{device}-{width}.png"
        page.screenshot(path=path, full_page=True)
        context.close()
        # One CSS pixel per image pixel: a screenshot small enough for the repository.
        shot_width, shot_height = png_size(path.read_bytes())
        assert shot_width == width and shot_height >= HEIGHTS[device] // 2, device
