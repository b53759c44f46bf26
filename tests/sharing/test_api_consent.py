"""Seed 001 end to end over real HTTP with a real OAuth2 token: an app reads a school's class
information only while the school shares it and has granted the app access, and only what
was granted."""

from __future__ import annotations

import pytest

from schoolbrug.sharing import access, consent
from schoolbrug.sharing.consent import RefusedError

pytestmark = pytest.mark.django_db(transaction=True)


def _pupil_ids(school, codes):
    return {
        str(p.sourced_id) for p in school.pupils if p.enrolments.get().school_class.code in codes
    }


def test_without_sharing_an_app_sees_nothing_even_with_a_grant(schools, app, api):
    access.grant(app.app, schools.a.institution, [], by="directie")
    for path, key in (("/orgs", "orgs"), ("/classes", "classes"), ("/users", "users"),
                      ("/enrollments", "enrollments"), ("/schools", "orgs")):  # fmt: skip
        response = api.get(path)
        assert response.status_code == 200
        assert response.json() == {key: []}
        assert response.headers["X-Total-Count"] == "0"
    school = schools.a.institution.sourced_id
    assert api.get(f"/schools/{school}").status_code == 404
    assert api.get(f"/schools/{school}/classes").status_code == 404


def test_sharing_without_a_grant_shows_nothing(schools, api):
    consent.activate(schools.a.institution, schools.director)
    assert api.ids("/users", "users") == set()
    assert api.ids("/classes", "classes") == set()


def test_sharing_and_a_grant_of_one_class_show_exactly_that_class(schools, app, api):
    a = schools.a
    consent.activate(a.institution, schools.director)
    access.grant(app.app, a.institution, ["1A"], by=schools.director)

    assert api.ids("/classes", "classes") == {str(a.classes["1A"].sourced_id)}
    assert api.ids("/students", "users") == _pupil_ids(a, {"1A"})
    assert api.ids("/teachers", "users") == {str(schools.teacher.sourced_id)}
    assert api.ids("/users", "users") == _pupil_ids(a, {"1A"}) | {str(schools.teacher.sourced_id)}
    assert api.ids("/orgs", "orgs") == {str(a.institution.sourced_id)}
    enrolled = {e["user"]["sourcedId"] for e in api.get("/enrollments").json()["enrollments"]}
    assert enrolled == _pupil_ids(a, {"1A"}) | {str(schools.teacher.sourced_id)}
    other_class = a.classes["2B"].sourced_id
    assert api.get(f"/classes/{other_class}").status_code == 404
    assert api.get(f"/classes/{other_class}/students").status_code == 404
    hidden_pupil = next(iter(_pupil_ids(a, {"2B"})))
    assert api.get(f"/users/{hidden_pupil}").status_code == 404


def test_a_grant_of_all_classes_includes_leavers_as_tobedeleted(schools, app, api):
    a = schools.a
    consent.activate(a.institution, schools.director)
    access.grant(app.app, a.institution, [], by=schools.director)
    users = {u["sourcedId"]: u for u in api.get("/students").json()["users"]}
    assert set(users) == {str(p.sourced_id) for p in a.pupils}
    leaver = next(p for p in a.pupils if p.is_leaver)
    assert users[str(leaver.sourced_id)]["status"] == "tobedeleted"
    assert users[str(leaver.sourced_id)]["enabledUser"] == "false"
    assert {u["status"] for k, u in users.items() if k != str(leaver.sourced_id)} == {"active"}


def test_switching_off_stops_everything_at_the_next_call(schools, app, api):
    a = schools.a
    consent.activate(a.institution, schools.director)
    access.grant(app.app, a.institution, [], by=schools.director)
    assert api.ids("/students", "users")
    pupil = a.pupils[0].sourced_id

    consent.deactivate(a.institution, schools.director)

    assert api.ids("/students", "users") == set()
    assert api.ids("/classes", "classes") == set()
    assert api.get(f"/users/{pupil}").status_code == 404


def test_a_director_whose_assignment_ended_cannot_switch(schools):
    with pytest.raises(RefusedError) as refused:
        consent.activate(schools.a.institution, schools.former)
    assert "databeheerder" in refused.value.reason_nl
    assert not schools.a.institution.sharing_periods.exists()
    consent.activate(schools.a.institution, schools.director)
    with pytest.raises(RefusedError):
        consent.deactivate(schools.a.institution, schools.former)
    assert consent.active_sharing(schools.a.institution) is not None


def test_another_schools_data_never_appears(schools, app, api):
    a, b = schools.a, schools.b
    consent.activate(a.institution, schools.director)
    access.grant(app.app, a.institution, [], by=schools.director)
    # B shares too, but granted the app nothing.
    consent.activate(b.institution, "directie@anker.test")
    b_ids = {str(p.sourced_id) for p in b.pupils} | {str(c.sourced_id) for c in b.classes.values()}
    b_ids.add(str(b.institution.sourced_id))
    seen = set()
    for path, key in (("/orgs", "orgs"), ("/classes", "classes"), ("/users", "users"),
                      ("/enrollments", "enrollments")):  # fmt: skip
        for item in api.get(path, limit=5000).json()[key]:
            seen.add(item["sourcedId"])
            seen.update(
                ref["sourcedId"]
                for ref in (item.get("user"), item.get("class"), item.get("school"))
                if ref
            )
    assert seen and not seen & b_ids
    for pupil in b.pupils:
        assert api.get(f"/users/{pupil.sourced_id}").status_code == 404
    assert api.get(f"/schools/{b.institution.sourced_id}/students").status_code == 404
    # And B's own app grant does not leak A either way: B's pupils are invisible to this app
    # even when B grants another app.
    other, _ = access.create_app("Ander platform")
    access.grant(other, b.institution, [], by="directie@anker.test")
    assert not api.ids("/users", "users", limit=5000) & b_ids


def test_national_number_only_with_demographics_scope_and_a_protocol_that_allows_it(
    schools, app, live_server
):
    from tests.sharing.conftest import Api

    a = schools.a
    sharing = consent.activate(a.institution, schools.director)
    access.grant(app.app, a.institution, [], by=schools.director)
    demographic = Api(
        live_server.url,
        app.client_id,
        app.secret,
        "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-demographics.readonly "
        "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly",
    )
    core = Api(
        live_server.url,
        app.client_id,
        app.secret,
        "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly",
    )
    # The first protocol does not allow it: no national number even with the scope.
    assert not sharing.protocol.allows_national_number
    for client in (demographic, core):
        assert all(u["userIds"] == [] for u in client.get("/students").json()["users"])
    sharing.protocol.allows_national_number = True
    sharing.protocol.save()
    numbers = {
        i["identifier"]
        for u in demographic.get("/students").json()["users"]
        for i in u["userIds"]
        if i["type"] == "RRN"
    }
    assert numbers == {p.national_number for p in a.pupils}
    assert all(u["userIds"] == [] for u in core.get("/students").json()["users"])
