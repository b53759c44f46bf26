"""X-Total-Count is kept while nothing changed and recounted as soon as anything did."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from schoolbrug.oneroster.rest import counts
from schoolbrug.registry.models import Assignment, Enrolment, Pupil, SchoolClass, SchoolYear
from schoolbrug.sharing import access, consent
from schoolbrug.sharing.models import AppGrant, Sharing
from schoolbrug.sync.service import sync_snapshot
from tests.factories import klass, snapshot
from tests.factories import pupil as pupil_record
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
    # Then the school's terms and grading periods (of the current year), by pk.
    assert years[4][0]["title"] == "Trimester 1"


def _enrol(school, family_name: str, stamp) -> None:
    """A pupil in class 1A whose rows carry `stamp` as their time of change, as the sync
    stamps its rows in Python before it commits."""
    pupil = Pupil.objects.create(institution=school.institution, family_name=family_name)
    enrolment = Enrolment.objects.create(
        pupil=pupil, school_class=school.classes["1A"], school_year=school.school_year
    )
    Pupil.objects.filter(pk=pupil.pk).update(updated_at=stamp)
    Enrolment.objects.filter(pk=enrolment.pk).update(updated_at=stamp)


def test_a_later_commit_with_an_earlier_time_of_change_is_counted(schools, app, api):
    """`--jobs 2`: a process stamps its rows, another stamps and commits later rows first,
    the first commits last. Its rows are the oldest, yet the count must see them."""
    a = schools.a
    consent.activate(a.institution, schools.director)
    access.grant(app.app, a.institution, [], by=schools.director)

    def total() -> int:
        response = api.get("/students", limit=1)
        assert response.status_code == 200
        return int(response.headers["X-Total-Count"])

    assert total() == 4
    earlier = timezone.now() - datetime.timedelta(minutes=5)
    if connection.vendor == "postgresql":  # the two transactions really overlap
        written, commit = threading.Event(), threading.Event()

        def first_process():
            with transaction.atomic():
                _enrol(a, "Eerst", earlier)
                written.set()
                assert commit.wait(20)
            connection.close()

        first = threading.Thread(target=first_process)
        first.start()
        assert written.wait(20)
        with transaction.atomic():
            with connection.cursor() as cursor:  # never waits for the open transaction
                cursor.execute("SET LOCAL lock_timeout = '5s'")
            _enrol(a, "Later", timezone.now())
        assert total() == 5
        commit.set()
        first.join(20)
    else:  # one writer at a time: the same order of commits, one after the other
        _enrol(a, "Later", timezone.now())
        assert total() == 5
        with transaction.atomic():
            _enrol(a, "Eerst", earlier)
    assert total() == 6


def test_kept_counts_and_pages_follow_revokes_grants_and_syncs(schools, app, api):
    a = schools.a
    consent.activate(a.institution, schools.director)
    access.grant(app.app, a.institution, [], by=schools.director)

    def seen() -> tuple[int, int]:
        response = api.get("/students", limit=1, offset=2)
        assert response.status_code == 200
        return int(response.headers["X-Total-Count"]), len(response.json()["users"])

    assert seen() == seen() == (4, 1)
    access.revoke(app.app, a.institution, by=schools.director)
    assert seen() == (0, 0)
    access.grant(app.app, a.institution, [], by=schools.director)
    assert seen() == (4, 1)
    # The night's sync: the export holds three other pupils; the four known ones leave.
    records = [pupil_record(n, class_code="1A", family_name=f"N{n}") for n in (11, 12, 13)]
    report = sync_snapshot(snapshot(records, classes=[klass("1A")]), force=True)
    assert report.applied
    assert seen() == (7, 1)  # the leavers stay visible to an app granted all classes
    access.grant(app.app, a.institution, ["1A"], by=schools.director)
    assert seen() == (3, 1)
    consent.deactivate(a.institution, schools.director)
    assert seen() == (0, 0)


def test_a_page_with_its_count_kept_takes_the_queries_it_took_before(schools, app, api, client):
    """The token check, which reads the data version in the same query, and the page (and
    for a school's pupils, the school): the benchmark's figures depend on it."""
    a = schools.a
    consent.activate(a.institution, schools.director)
    access.grant(app.app, a.institution, [], by=schools.director)
    school = f"/schools/{a.institution.sourced_id}/students"
    for path, expected in (("/users", 2), ("/students", 2), (school, 3)):
        first = _read_in_this_thread(client, api, path, limit=1)
        assert first.status_code == 200 and int(first.headers["X-Total-Count"]) > 1
        with CaptureQueriesContext(connection) as queries:
            again = _read_in_this_thread(client, api, path, limit=1)
        assert again.headers["X-Total-Count"] == first.headers["X-Total-Count"]
        assert len(queries) == expected, "\n".join(q["sql"][:150] for q in queries)


def test_a_kept_count_follows_bulk_statements_on_sharing_and_grants_too(served, api):
    """Writers of sharing and grants that send no signals (a bulk `update`, raw SQL: a
    script, a data fix, a later command) change what an app sees as much as the pages do:
    counts and bookmarks must follow them as they follow the registry's bulk writes. School
    B stays granted throughout, so every page has rows and needs its count."""
    a = served.a.institution

    def total_and_listed() -> tuple[int, int]:
        response = api.get("/students", limit=1)
        assert response.status_code == 200
        listed = len(api.get("/students", limit=100).json()["users"])
        return int(response.headers["X-Total-Count"]), listed

    everything = total_and_listed()
    assert everything[0] == everything[1] > 2
    Sharing.objects.filter(institution=a).update(deactivated_at=timezone.now())
    only_b = total_and_listed()
    assert only_b[0] == only_b[1] == 2  # B's class 1A
    Sharing.objects.filter(institution=a).update(deactivated_at=None)
    assert total_and_listed() == everything
    AppGrant.objects.filter(institution=a).update(all_classes=False)  # chosen: none
    assert total_and_listed() == only_b
    with connection.cursor() as cursor:
        cursor.execute("UPDATE sharing_appgrant SET all_classes = %s", [True])
    b_all = total_and_listed()
    assert b_all[0] == b_all[1] > everything[0]  # B's other classes too


def test_what_kinds_of_grants_an_app_holds_follows_bulk_statements_too(schools, app, api):
    """The kinds of grants an app holds (all classes, chosen ones) are kept per version too:
    a grant turned from all classes to chosen ones by bulk statements is read as chosen."""
    a = schools.a
    consent.activate(a.institution, schools.director)
    access.grant(app.app, a.institution, [], by=schools.director)
    assert len(api.get("/students").json()["users"]) == 4
    grant = AppGrant.objects.get(app=app.app)
    AppGrant.objects.filter(pk=grant.pk).update(all_classes=False)
    AppGrant.classes.through.objects.bulk_create(
        [AppGrant.classes.through(appgrant_id=grant.pk, schoolclass_id=a.classes["1A"].pk)]
    )
    response = api.get("/students", limit=1)
    assert response.headers["X-Total-Count"] == "2"
    assert len(api.get("/students").json()["users"]) == 2  # 1A's two pupils
