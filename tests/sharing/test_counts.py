"""X-Total-Count is kept while nothing changed and recounted as soon as anything did."""

from __future__ import annotations

import pytest

from schoolbrug.registry.models import Enrolment, Pupil
from schoolbrug.sharing import access, consent
from schoolbrug.sharing.api import counts

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

    plain = [page_ids(offset) for offset in range(14)]
    monkeypatch.setattr(counts, "STRIDE", 3)
    assert [page_ids(offset) for offset in range(14)] == plain
    assert plain[11] and not plain[12]  # 11 pupils and 1 teacher
