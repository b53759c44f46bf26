"""An app that a school granted one subclass, over real HTTP with a real token: it sees the
subclass and exactly its members, never the rest of the class, and follows the school's
changes on the next call (seed 001: apps per (sub)class)."""

from __future__ import annotations

import pytest

from schoolbrug.sharing import access, consent, subclasses

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def granted_subclass(schools, app):
    """School A shares; "1A wiskunde" holds Jan (of 1A's Jan and Mila); the app has only it."""
    a = schools.a
    subclass = subclasses.create_subclass(
        a.classes["1A"], "1A wiskunde", [a.pupils[0].sourced_id], by=schools.director
    )
    consent.activate(a.institution, schools.director)
    access.grant(app.app, a.institution, ["1A wiskunde"], by=schools.director)
    return subclass


def test_an_app_granted_a_subclass_sees_exactly_its_members(schools, app, granted_subclass, api):
    a = schools.a
    jan, mila = (str(p.sourced_id) for p in a.pupils[:2])
    sub, one_a = str(granted_subclass.sourced_id), str(a.classes["1A"].sourced_id)
    school = str(a.institution.sourced_id)

    classes = api.get("/classes").json()["classes"]
    assert [(c["sourcedId"], c["classType"], c["status"]) for c in classes] == [
        (sub, "scheduled", "active")
    ]
    assert api.ids(f"/classes/{sub}/students", "users") == {jan}
    assert api.ids(f"/schools/{school}/classes/{sub}/students", "users") == {jan}
    assert api.ids("/users", "users") == {jan}  # no teacher: none teaches the subclass
    assert api.ids("/students", "users") == {jan}
    assert api.ids("/demographics", "demographics") == {jan}
    assert api.get(f"/students/{jan}").status_code == 200
    assert api.get(f"/students/{mila}").status_code == 404
    assert api.get(f"/classes/{one_a}").status_code == 404
    assert api.get(f"/classes/{one_a}/students").status_code == 404
    assert api.ids(f"/students/{jan}/classes", "classes") == {sub}

    enrollments = api.get("/enrollments").json()["enrollments"]
    assert [(e["user"]["sourcedId"], e["class"]["sourcedId"], e["role"]) for e in enrollments] == [
        (jan, sub, "student")
    ]
    membership = subclasses.current_members(granted_subclass).get()
    assert enrollments[0]["sourcedId"] == str(membership.sourced_id)
    assert api.get(f"/enrollments/{membership.sourced_id}").status_code == 200

    # Mila joins: the next call sees her, and the count is not the one kept from before.
    subclasses.set_members(granted_subclass, [p.sourced_id for p in a.pupils[:2]], by="x")
    response = api.get(f"/classes/{sub}/students")
    assert response.headers["X-Total-Count"] == "2"
    assert {u["sourcedId"] for u in response.json()["users"]} == {jan, mila}
    assert api.get("/users").headers["X-Total-Count"] == "2"

    # Removed: the class is tobedeleted for the app, without pupils or enrollments.
    subclasses.remove_subclass(granted_subclass, by="x")
    assert api.get(f"/classes/{sub}").json()["class"]["status"] == "tobedeleted"
    assert api.ids(f"/classes/{sub}/students", "users") == set()
    assert api.ids("/users", "users") == set()
    assert api.ids("/enrollments", "enrollments") == set()


def test_all_classes_include_the_subclasses_and_their_memberships(
    schools, app, granted_subclass, api
):
    a = schools.a
    access.grant(app.app, a.institution, [], by=schools.director)
    jan = str(a.pupils[0].sourced_id)
    sub = str(granted_subclass.sourced_id)
    assert sub in api.ids("/classes", "classes")
    classes_of_jan = api.ids(f"/students/{jan}/classes", "classes")
    assert classes_of_jan == {sub, str(a.classes["1A"].sourced_id)}
    enrollments = api.get("/enrollments", limit=1000).json()["enrollments"]
    assert sorted(
        e["class"]["sourcedId"] for e in enrollments if e["user"]["sourcedId"] == jan
    ) == (sorted([sub, str(a.classes["1A"].sourced_id)]))
    # The subclass's own enrollments under the school and the class.
    school = str(a.institution.sourced_id)
    under_class = api.get(f"/schools/{school}/classes/{sub}/enrollments").json()["enrollments"]
    assert [(e["user"]["sourcedId"], e["class"]["sourcedId"]) for e in under_class] == [(jan, sub)]
