"""The visibility generation: every change to sharing, apps and grants replaces its token in
the same transaction, so what the API keeps per generation (which kinds of grants an app has,
counts) is never used after such a change."""

from __future__ import annotations

import pytest

from schoolbrug.sharing import access, consent, generation
from schoolbrug.sharing.models import VisibilityGeneration
from schoolbrug.sharing.visibility import Visibility

pytestmark = pytest.mark.django_db


def changes(action) -> bool:
    before = generation.current_token()
    action()
    return generation.current_token() != before


def test_every_change_to_who_sees_what_replaces_the_token(schools, app):
    a = schools.a
    assert changes(lambda: consent.activate(a.institution, schools.director))
    assert changes(lambda: access.grant(app.app, a.institution, [], by=schools.director))
    assert changes(lambda: access.grant(app.app, a.institution, ["2B"], by=schools.director))
    assert changes(lambda: access.grant(app.app, a.institution, ["1A"], by=schools.director))
    assert changes(lambda: access.revoke(app.app, a.institution, by=schools.director))
    assert changes(lambda: consent.deactivate(a.institution, schools.director))
    assert changes(lambda: access.create_app("Nog een app"))
    assert not changes(lambda: None)


def test_without_the_row_a_change_makes_it_again(schools, app):
    VisibilityGeneration.objects.all().delete()
    assert generation.current_token() is None
    consent.activate(schools.a.institution, schools.director)
    assert generation.current_token() is not None


def test_the_kinds_of_grants_follow_the_generation(schools, app):
    a = schools.a

    def kinds():
        vis = Visibility(app.app.pk, a.school_year.pk, False, generation.current_token())
        return vis.kinds()

    consent.activate(a.institution, schools.director)
    assert (kinds().whole, kinds().chosen) == (False, False)
    access.grant(app.app, a.institution, ["2B"], by=schools.director)
    assert (kinds().whole, kinds().chosen) == (False, True)
    access.grant(app.app, a.institution, [], by=schools.director)
    assert (kinds().whole, kinds().chosen) == (True, False)
    consent.deactivate(a.institution, schools.director)
    assert (kinds().whole, kinds().chosen) == (False, False)
