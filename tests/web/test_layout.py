"""The layout's promises checked in the HTML itself (the browser tests check how it looks):
a skip link first, a favicon, every cell of a stacking table labelled with its column, and
findings shown by their Dutch titles."""

from __future__ import annotations

import lxml.html
import pytest
from django.urls import reverse

from schoolbrug.sharing import access, consent

from .test_views import content

pytestmark = pytest.mark.django_db

FOCUSABLE = (
    "//body//*[self::a[@href] or self::button or self::input[not(@type='hidden')]"
    " or self::select or self::textarea]"
)


@pytest.fixture
def pages(client, school, subclasses, director):
    consent.activate(school.institution, "directie@regenboog.be")
    app, _ = access.create_app("Bingel")
    access.grant(app, school.institution, None, by="directie@regenboog.be")
    client.force_login(director)
    number = school.institution.number
    urls = [
        reverse("web:home"),
        reverse("web:institution", args=[number]),
        reverse("web:class", args=[school.classes["1A"].sourced_id]),
        reverse("web:pupil", args=[school.pupils[1].sourced_id]),
        reverse("web:pupil_search", args=[number]) + "?q=a",
        reverse("web:runs"),
        reverse("web:run", args=[school.run.pk]),
        reverse("web:audit"),
        reverse("web:sharing", args=[number]),
        reverse("web:apps", args=[number]),
        reverse("web:link", args=[number]),
        reverse("web:accounts", args=[number]) + "?sinds=2020-01-01",
    ]
    found = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        found[url] = lxml.html.fromstring(content(response))
    return found


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.CELERY_BROKER_URL = ""


def test_the_skip_link_is_the_first_thing_to_focus_and_leads_to_main(pages):
    for url, tree in pages.items():
        first = tree.xpath(FOCUSABLE)[0]
        assert first.get("class") == "skip-link" and first.text == "Naar de inhoud", url
        assert tree.xpath("//main/@id") == [first.get("href").lstrip("#")], url
        assert tree.xpath("/html/@lang") == ["nl-BE"], url
        icon = tree.xpath("//head/link[@rel='icon']")
        assert icon and icon[0].get("href").endswith("web/favicon.svg"), url


def test_every_cell_of_a_stacking_table_names_its_column(pages):
    """On a phone a table becomes cards and a cell shows its column's name from data-label,
    which must match the header above it."""
    tables = 0
    for url, tree in pages.items():
        for table in tree.xpath("//main//table[not(contains(@class, 'compact'))]"):
            tables += 1
            headers = [" ".join(th.text_content().split()) for th in table.xpath("./thead//th")]
            for row in table.xpath("./tbody/tr"):
                labels = [td.get("data-label") for td in row.xpath("./td")]
                assert labels == headers, (url, labels, headers)
    assert tables >= 10


def test_findings_show_their_dutch_title_with_the_code_in_small_print(client, school, director):
    client.force_login(director)
    tree = lxml.html.fromstring(content(client.get(reverse("web:run", args=[school.run.pk]))))
    for table in ("summary", "findings"):
        titles = tree.xpath(f"//table[contains(@class, '{table}')]//span[@class='finding-title']")
        codes = tree.xpath(f"//table[contains(@class, '{table}')]//small[@class='code']/code")
        assert [t.text for t in titles] == ["Ongeldig rijksregisternummer", "Geen klasnummer"]
        assert [c.text for c in codes] == ["PUPIL_NATIONAL_NUMBER_INVALID", "PUPIL_NO_CLASS_NUMBER"]
