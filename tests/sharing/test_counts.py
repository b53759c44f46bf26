"""X-Total-Count is kept while nothing changed and recounted as soon as anything did."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from schoolbrug.registry.models import Assignment, Enrolment, Pupil, SchoolClass, SchoolYear
from schoolbrug.sharing import access, consent
from schoolbrug.sharing.api import counts
from tests.sharing.conftest import API

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_kept_count_follows_every_change(schools, app, api):
    a = schools.a
    consent.activate(a.institution, schools.director)
    access.grant(app.app, a.institution, [], by=schools.director)

    def total() -> int:
        # A full first page would be its own count: ask a page of 1 so the count is needed.
        response = api.get("/students", limit=1)
        assert response.status_code == 200
        return int(response.headers["X-Total-Count"])

    assert total() == 4
    assert total() == 4
    new = Pupil.objects.create(institution=a.institution, family_name="Nieuw", given_name="Bo")
    Enrolment.objects.create(pupil=new, school_class=a.classes["1A"], school_year=a.school_year)
    assert total() == 5
    access.grant(app.app, a.institution, ["2B"], by=schools.director)
    assert total() == 1
    access.grant(app.app, a.institution, [], by=schools.director)
    assert total() == 5
    consent.deactivate(a.institution, schools.director)
    assert total() == 0


def test_pages_from_bookmarks_are_the_pages_of_a_plain_offset(schools, app, api, monkeypatch):
    a = schools.a
    consent.activate(a.institution, schools.director)
    access.grant(app.app, a.institution, [], by=schools.director)
    for n in range(7):
        pupil = Pupil.objects.create(institution=a.institution, family_name=f"P{n}", given_name="X")
        Enrolment.objects.create(
            pupil=pupil, school_class=a.classes["2B"], school_year=a.school_year
        )

    def page_ids(offset: int) -> list[str]:
        response = api.get("/users", limit=2, offset=offset, fields="sourcedId")
        return [u["sourcedId"] for u in response.json()["users"]]

    def plain_offset(self, segment, offset, wanted, **_):
        return counts.Bookmark(0, offset, None, sparse=False)

    with monkeypatch.context() as plain_offsets:
        plain_offsets.setattr(counts.Counter, "bookmark", plain_offset)
        plain = [page_ids(offset) for offset in range(14)]
    monkeypatch.setattr(counts, "STRIDE", 3)
    assert [page_ids(offset) for offset in range(14)] == plain
    monkeypatch.setattr(counts, "SPARSE", 0)  # every page read school by school
    assert [page_ids(offset) for offset in range(14)] == plain
    assert plain[11] and not plain[12]  # 11 pupils and 1 teacher


def _read_in_this_thread(client, api, path: str, **params):
    """The page read by the test's own thread (the live server's queries are not seen)."""
    return client.get(f"{API}{path}", params, HTTP_AUTHORIZATION=f"Bearer {api.token}")


def test_a_first_page_starts_at_the_first_row_the_app_sees(schools, app, api, client):
    """Not at the table's first row: an app that one school granted would otherwise walk
    every other school's pupils before its first page (seconds on a region)."""
    b = schools.b
    consent.activate(b.institution, "directie@anker.test")
    access.grant(app.app, b.institution, [], by="directie@anker.test")
    first = (
        Enrolment.objects.filter(school_class__institution=b.institution)
        .order_by("pupil_id")
        .values_list("pupil_id", flat=True)
        .first()
    )
    assert Pupil.objects.filter(pk__lt=first).exists()  # school A's pupils come before

    with CaptureQueriesContext(connection) as queries:
        response = _read_in_this_thread(client, api, "/students", limit=2)
    assert response.status_code == 200 and len(response.json()["users"]) == 2
    pages = [q["sql"] for q in queries if "ORDER BY p.id" in q["sql"]]
    assert len(pages) == 1 and f"p.id >= {first})" in pages[0]


def test_a_segment_without_rows_is_not_read(schools, app, api, client):
    a = schools.a
    consent.activate(a.institution, schools.director)
    access.grant(app.app, a.institution, ["1A"], by=schools.director)
    Assignment.objects.filter(institution=a.institution, role="teacher").delete()

    with CaptureQueriesContext(connection) as queries:
        response = _read_in_this_thread(client, api, "/users", limit=100)
    assert {u["roles"][0]["role"] for u in response.json()["users"]} == {"student"}
    assert not [q for q in queries if "ORDER BY s.id" in q["sql"]]  # the teachers' page


def test_collections_in_another_order_than_their_key_page_as_a_plain_offset(
    schools, app, api, monkeypatch
):
    """Academic sessions follow their start year, which bookmarks (by pk) know nothing of."""
    a = schools.a
    consent.activate(a.institution, schools.director)
    access.grant(app.app, a.institution, [], by=schools.director)
    current = a.school_year.start_year
    for start_year in (current + 3, current - 2, current + 1):  # pks out of year order
        year = SchoolYear.objects.create(start_year=start_year)
        SchoolClass.objects.create(institution=a.institution, school_year=year, code="1A")
    monkeypatch.setattr(counts, "STRIDE", 1)

    years = [
        api.get("/academicSessions", limit=1, offset=offset).json()["academicSessions"]
        for offset in range(5)
    ]
    assert [y[0]["title"][:4] for y in years[:4]] == [
        str(y) for y in sorted((current, current + 3, current - 2, current + 1))
    ]
    assert years[4] == []
