"""Every main page at a laptop's, a tablet's and a phone's width (issue 19): nothing scrolls
sideways, the run report's cells neither overlap nor clip nor split words, and axe-core finds
no serious or critical accessibility violation. A screenshot of each page at each width goes
to $SCHOOLBRUG_SCREENSHOTS (default: the test's temporary directory).

Debian's chromium through Playwright, never a download; axe-core's JS comes with the
axe-playwright-python package, never from the internet.
"""

from __future__ import annotations

import importlib
import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse
from playwright import sync_api

from schoolbrug.registry.models import Pupil, SchoolClass
from schoolbrug.sharing import access, consent
from schoolbrug.sharing.models import ProtocolVersion
from schoolbrug.sync.models import SyncRun

from .browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    HEIGHTS,
    WIDTHS,
    require_chromium,
    screenshot_dir,
    session_cookie,
)
from .conftest import make_user

# What overflows the page sideways: the page's own width against the window's.
PAGE_OVERFLOW = "document.scrollingElement.scrollWidth - window.innerWidth"

# The cells of the run report's tables that overlap a neighbour, overflow their box, or need
# a word split to fit (measured with word breaking switched off, then restored).
BAD_CELLS = """
() => {
  const bad = [];
  for (const row of document.querySelectorAll('table.findings tr, table.summary tr')) {
    const cells = [...row.children].filter(c => c.getClientRects().length);
    const boxes = cells.map(c => c.getBoundingClientRect());
    for (let i = 0; i < cells.length; i++) {
      for (let j = i + 1; j < cells.length; j++) {
        const a = boxes[i], b = boxes[j];
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 1 && h > 1) bad.push('overlap: ' + cells[i].textContent.trim().slice(0, 30));
      }
      const cell = cells[i];
      const style = cell.style;
      const saved = [style.overflowWrap, style.wordBreak];
      style.overflowWrap = 'normal';
      style.wordBreak = 'normal';
      if (cell.scrollWidth > cell.clientWidth + 1)
        bad.push('clipped or split: ' + cell.textContent.trim().slice(0, 30));
      [style.overflowWrap, style.wordBreak] = saved;
    }
  }
  return bad;
}
"""

SERIOUS = {"serious", "critical"}


@pytest.fixture(autouse=True)
def allow_orm_beside_playwright(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test and
    # its fixtures make are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.CELERY_BROKER_URL = ""


@pytest.fixture
def published_protocol(transactional_db):
    """The protocol the migration publishes: a live server's test flushes the database after
    it, migration data included, so the next one publishes it again."""
    migration = importlib.import_module("schoolbrug.sharing.migrations.0002_first_protocol")
    migration.publish(django_apps, None)


@pytest.fixture
def busy_school(published_protocol, school, subclasses, director):
    """The conftest school with what its pages show when in use: the protocol published and
    accepted, an app with access to one class."""
    consent.activate(school.institution, "directie@regenboog.be")
    app, _ = access.create_app("Bingel")
    access.grant(app, school.institution, None, by="directie@regenboog.be")
    school.app = app
    return school


def main_pages(school) -> dict[str, str]:
    number = school.institution.number
    return {
        "home": reverse("web:home"),
        "institution": reverse("web:institution", args=[number]),
        "class": reverse("web:class", args=[school.classes["1A"].sourced_id]),
        "pupil": reverse("web:pupil", args=[school.pupils[1].sourced_id]),
        "pupil-search": reverse("web:pupil_search", args=[number]) + "?q=a",
        "runs": reverse("web:runs"),
        "run": reverse("web:run", args=[school.run.pk]),
        "history": reverse("web:audit"),
        "sharing": reverse("web:sharing", args=[number]),
        "apps": reverse("web:apps", args=[number]),
        "link": reverse("web:link", args=[number]),
        "accounts": reverse("web:accounts", args=[number]) + "?sinds=2020-01-01",
    }


def other_pages(school) -> dict[str, str]:
    """The pages behind the main ones: forms, the protocol, confirmations."""
    number = school.institution.number
    return {
        "protocol": reverse("web:protocol", args=[ProtocolVersion.objects.get().version]),
        "sharing-stop": reverse("web:sharing_deactivate", args=[number]),
        "app-access": reverse("web:app_access", args=[number, school.app.pk]),
        "subclass-new": reverse("web:subclass_new", args=[school.classes["1A"].sourced_id]),
    }


ADMIN_PAGES = {
    "people": "roles:people",
    "grants": "roles:grants",
    "invite": "roles:invite",
}


@pytest.fixture
def browser():
    require_chromium()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def page_problems(page, name: str) -> list[str]:
    """What is wrong with the open page at the context's width: sideways scrolling, the run
    report's bad cells, axe-core's serious and critical violations."""
    problems = []
    assert page.locator("h1").count() == 1, name
    overflow = page.evaluate(PAGE_OVERFLOW)
    if overflow > 0:
        problems.append(f"{name}: scrolls sideways by {overflow}px ({page.evaluate(WIDEST)})")
    if page.locator("table.findings").count():
        problems += [f"{name}: {cell}" for cell in page.evaluate(BAD_CELLS)]
    problems += [f"{name}: {violation}" for violation in serious_violations(page)]
    return problems


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"axe {violation['id']} {[node['target'] for node in violation['nodes']][:3]}"
        for violation in results.response["violations"]
        if violation["impact"] in SERIOUS
    ]


def new_context(browser, device: str):
    context = browser.new_context(
        locale="nl-BE", viewport={"width": WIDTHS[device], "height": HEIGHTS[device]}
    )
    context.set_default_timeout(10_000)
    return context


@pytest.mark.slow
@pytest.mark.parametrize("device", list(WIDTHS))
def test_every_main_page_fits_the_width(
    live_server, busy_school, director, browser, device, tmp_path
):
    shots = screenshot_dir(tmp_path)
    width = WIDTHS[device]
    problems = []
    # Logged out: the log-in page and a page that does not exist.
    context = new_context(browser, device)
    page = context.new_page()
    for name, url, status in (("login", reverse("login"), 200), ("404", "/bestaat-niet/", 404)):
        assert page.goto(live_server.url + url).status == status, name
        problems += page_problems(page, name)
        page.screenshot(path=shots / f"{name}-{width}.png", full_page=True)
    context.close()
    # Logged in as the director, who sees every main page.
    context = new_context(browser, device)
    context.add_cookies([session_cookie(director, live_server.url)])
    page = context.new_page()
    for name, url in main_pages(busy_school).items():
        response = page.goto(live_server.url + url)
        assert response.status == 200, (name, response.status)
        problems += page_problems(page, name)
        page.screenshot(path=shots / f"{name}-{width}.png", full_page=True)
    context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("device", list(WIDTHS))
def test_the_other_pages_fit_the_width_too(
    live_server, busy_school, director, teacher, django_user_model, browser, device, tmp_path
):
    shots = screenshot_dir(tmp_path)
    site_admin = make_user(django_user_model, "beheerder", is_superuser=True)
    visits = [(director, name, url) for name, url in other_pages(busy_school).items()]
    visits += [(site_admin, name, reverse(url)) for name, url in ADMIN_PAGES.items()]
    visits.append((teacher, "teacher-start", reverse("web:home")))
    problems = []
    for user, name, url in visits:
        context = new_context(browser, device)
        context.add_cookies([session_cookie(user, live_server.url)])
        page = context.new_page()
        response = page.goto(live_server.url + url)
        assert response.status == 200, (name, response.status)
        problems += page_problems(page, name)
        page.screenshot(path=shots / f"{name}-{WIDTHS[device]}.png", full_page=True)
        context.close()
    assert not problems, "\n".join(problems)


def demo_pages() -> dict[str, str]:
    """The demo region's busiest pages: the run with the most findings, the biggest class."""
    run = max(SyncRun.objects.all(), key=lambda r: len(r.findings or []))
    school_class = (
        SchoolClass.objects.annotate(n=Count("enrolments")).order_by("-n", "code").first()
    )
    pupil = Pupil.objects.order_by("family_name", "given_name").first()
    number = school_class.institution.number
    return {
        "demo-home": reverse("web:home"),
        "demo-institution": reverse("web:institution", args=[number]),
        "demo-class": reverse("web:class", args=[school_class.sourced_id]),
        "demo-pupil": reverse("web:pupil", args=[pupil.sourced_id]),
        "demo-runs": reverse("web:runs"),
        "demo-run": reverse("web:run", args=[run.pk]),
        "demo-history": reverse("web:audit"),
        "demo-people": reverse("roles:people"),
    }


@pytest.mark.slow
def test_the_demo_regions_pages_fit_every_width(
    live_server, published_protocol, browser, tmp_path, django_user_model
):
    """Real-looking data: long school names, many runs and findings, the demo login (a site
    admin and a director)."""
    call_command("demo", "--no-serve", "--pupils", "150", stdout=io.StringIO())
    shots = screenshot_dir(tmp_path)
    demo = django_user_model.objects.get(username="demo")
    pages = demo_pages()
    problems = []
    for device, width in WIDTHS.items():
        context = new_context(browser, device)
        context.add_cookies([session_cookie(demo, live_server.url)])
        page = context.new_page()
        for name, url in pages.items():
            response = page.goto(live_server.url + url)
            assert response.status == 200, (name, response.status)
            problems += [f"{width}: {p}" for p in page_problems(page, name)]
            page.screenshot(path=shots / f"{name}-{width}.png", full_page=True)
        context.close()
    assert not problems, "\n".join(problems)


def test_the_checks_catch_what_they_name(browser):
    """Each check fails on a page made to break it: a page wider than the phone, a report
    table whose cells overlap and split words, an image without text, a field without label."""
    context = new_context(browser, "phone")
    page = context.new_page()
    page.set_content(
        '<html lang="nl-BE"><head><title>Kapot</title></head><body><main><h1>Kapot</h1>'
        '<div style="width: 600px">breed</div>'
        '<table class="findings" style="table-layout: fixed; width: 200px"><tr>'
        '<td style="width: 50px">rijksregisternummer</td>'
        '<td style="width: 50px; margin-left: -30px; position: relative; left: -30px">x</td>'
        '</tr></table><img src="foto.png"><input type="text"></main></body></html>'
    )
    problems = "\n".join(page_problems(page, "kapot"))
    context.close()
    assert "kapot: scrolls sideways by" in problems
    assert "clipped or split: rijksregisternummer" in problems
    assert "overlap: rijksregisternummer" in problems
    assert "axe image-alt" in problems and "axe label" in problems


def test_the_skip_link_comes_first_and_leads_to_the_content(
    live_server, school, secretary, browser
):
    context = new_context(browser, "laptop")
    context.add_cookies([session_cookie(secretary, live_server.url)])
    page = context.new_page()
    page.goto(live_server.url + reverse("web:home"))
    skip = page.get_by_role("link", name="Naar de inhoud")
    # Out of sight until the keyboard reaches it, which is first.
    assert skip.bounding_box()["y"] < 0
    page.keyboard.press("Tab")
    sync_api.expect(skip).to_be_focused()
    assert skip.bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "inhoud"
    # The favicon is served.
    icon = page.locator('link[rel="icon"]').get_attribute("href")
    response = page.request.get(live_server.url + icon)
    assert response.ok and response.headers["content-type"].startswith("image/svg")
    context.close()


# The elements wider than the window, for the message of a failing test.
WIDEST = """
() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(-4).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))
  .join(', ')
"""
