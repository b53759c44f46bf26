"""Subclasses on a class's page (web/subclass_views.py): a director or ICT coordinator makes
one, picks its pupils and removes it; everyone else sees it read-only and a forged POST of
theirs changes nothing; another school's classes are not there at all."""

from __future__ import annotations

import pytest
from django.urls import reverse

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Assignment, SchoolClass, SubclassMembership, Teaching
from schoolbrug.sharing import access, subclasses

from .conftest import make_staff, make_user
from .test_views import assert_no_national_number, content

pytestmark = pytest.mark.django_db


def member_names(subclass: SchoolClass) -> list[str]:
    return sorted(subclasses.current_members(subclass).values_list("pupil__given_name", flat=True))


def test_a_director_makes_a_subclass_picks_its_pupils_and_removes_it(client, school, director):
    client.force_login(director)
    jan, mila, noah, _ = school.pupils
    one_a = school.classes["1A"]
    class_page = content(client.get(reverse("web:class", args=[one_a.sourced_id])))
    new_url = reverse("web:subclass_new", args=[one_a.sourced_id])
    assert "Deze klas heeft geen subklassen" in class_page and new_url in class_page

    form = client.get(new_url)
    assert [e.pupil.given_name for e in form.context["enrolments"]] == ["Jan", "Mila"]
    assert 'name="naam"' in content(form)
    assert_no_national_number(content(form), new_url)

    # A name that is taken: said in Dutch, what was typed and ticked stays.
    taken = client.post(new_url, {"naam": "2B", "leerlingen": [str(jan.sourced_id)]})
    assert taken.status_code == 400
    assert "Er is dit schooljaar al een klas of subklas &#x27;2B&#x27;" in content(taken)
    assert f'value="{jan.sourced_id}" checked' in content(taken)

    response = client.post(
        new_url, {"naam": "1A wiskunde", "leerlingen": [str(jan.sourced_id), str(mila.sourced_id)]}
    )
    subclass = SchoolClass.objects.get(code="1A wiskunde")
    assert response.status_code == 302 and response.url == reverse(
        "web:class", args=[subclass.sourced_id]
    )
    assert subclass.parent == one_a and member_names(subclass) == ["Jan", "Mila"]

    page = client.get(response.url)
    html = content(page)
    assert "Subklas 1A wiskunde" in html and "Wie klas 1A verlaat" in html
    assert [e.pupil.given_name for e in page.context["page"]] == ["Jan", "Mila"]
    assert [(e.entity, e.action) for e in page.context["history"]] == [("class", "create")]
    members_url = reverse("web:subclass_members", args=[subclass.sourced_id])
    assert members_url in html
    assert "1A wiskunde" in content(client.get(reverse("web:class", args=[one_a.sourced_id])))

    # Noah (2B) cannot be slipped in; Mila out, Jan stays.
    forged = client.post(members_url, {"leerlingen": [str(jan.sourced_id), str(noah.sourced_id)]})
    assert forged.status_code == 400 and "niet (meer) in de klas" in content(forged)
    assert member_names(subclass) == ["Jan", "Mila"]
    assert client.post(members_url, {"leerlingen": [str(jan.sourced_id)]}).status_code == 302
    assert member_names(subclass) == ["Jan"]

    remove_url = reverse("web:subclass_remove", args=[subclass.sourced_id])
    confirm = content(client.get(remove_url))
    assert "1 leerling verlaat de subklas" in confirm
    assert client.post(remove_url).status_code == 302
    subclass.refresh_from_db()
    assert not subclass.is_active and member_names(subclass) == []
    assert "Deze klas heeft geen subklassen" in content(
        client.get(reverse("web:class", args=[one_a.sourced_id]))
    )
    assert "Deze subklas is verwijderd" in content(client.get(response.url))

    actors = set(
        AuditEntry.objects.filter(reason__contains="subklas 1A wiskunde").values_list(
            "actor", flat=True
        )
    )
    assert actors == {"directie@regenboog.be"}
    assert [
        (e.action, e.changes.get("is_active"))
        for e in AuditEntry.objects.filter(
            entity="class", entity_sourced_id=subclass.sourced_id
        ).order_by("id")
    ] == [("create", [None, True]), ("update", [True, False])]


def test_an_ict_coordinator_may_too_and_sees_who_has_access(client, school, ict_coordinator):
    subclass = subclasses.create_subclass(
        school.classes["1A"], "1A wiskunde", [school.pupils[0].sourced_id], by="x"
    )
    app, _ = access.create_app("Bingel")
    access.grant(app, school.institution, ["1A wiskunde"], by="ict@regenboog.be")
    client.force_login(ict_coordinator)
    confirm = content(client.get(reverse("web:subclass_remove", args=[subclass.sourced_id])))
    assert "Bingel" in confirm
    assert (
        client.post(reverse("web:subclass_remove", args=[subclass.sourced_id])).status_code == 302
    )
    removed = AuditEntry.objects.get(entity_sourced_id=subclass.sourced_id, action="update")
    assert (removed.actor, removed.changes) == ("ict@regenboog.be", {"is_active": [True, False]})


@pytest.fixture
def made(school):
    return subclasses.create_subclass(
        school.classes["1A"], "1A wiskunde", [school.pupils[0].sourced_id], by="x"
    )


@pytest.fixture
def teacher_of_1a(school, teacher):
    """The teacher, teaching 1A (a teacher sees only the classes she teaches)."""
    assignment = Assignment.objects.get(staff__email="leerkracht@regenboog.be")
    Teaching.objects.create(assignment=assignment, schoolclass=school.classes["1A"])
    return teacher


@pytest.mark.parametrize("who", ["teacher_of_1a", "secretary"])
def test_others_see_subclasses_read_only_and_their_posts_change_nothing(
    client, school, made, who, request
):
    client.force_login(request.getfixturevalue(who))
    jan, mila, _, _ = school.pupils
    one_a = school.classes["1A"]
    class_page = content(client.get(reverse("web:class", args=[one_a.sourced_id])))
    assert "1A wiskunde" in class_page
    assert reverse("web:subclass_new", args=[one_a.sourced_id]) not in class_page
    assert "Alleen een directeur (databeheerder) of ict-coördinator" in class_page
    page = content(client.get(reverse("web:class", args=[made.sourced_id])))
    assert reverse("web:subclass_members", args=[made.sourced_id]) not in page

    before = (AuditEntry.objects.count(), SubclassMembership.objects.count())
    for url, data in (
        (reverse("web:subclass_new", args=[one_a.sourced_id]), {"naam": "1A Frans"}),
        (
            reverse("web:subclass_members", args=[made.sourced_id]),
            {"leerlingen": [str(mila.sourced_id)]},
        ),
        (reverse("web:subclass_remove", args=[made.sourced_id]), {}),
    ):
        assert client.get(url).status_code == 403, url
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert "Er is niets gewijzigd" in content(response)
    made.refresh_from_db()
    assert made.is_active and member_names(made) == ["Jan"]
    assert not SchoolClass.objects.filter(code="1A Frans").exists()
    assert (AuditEntry.objects.count(), SubclassMembership.objects.count()) == before


def test_another_schools_classes_answer_404(client, school, other_school, django_user_model):
    # A director of their own school is nobody at the other one.
    make_staff(school.institution, "directie@regenboog.be", Assignment.Role.DIRECTOR)
    user = make_user(django_user_model, "directie", "directie@regenboog.be")
    theirs = subclasses.create_subclass(
        other_school.classes["1A"], "1A wiskunde", [other_school.pupils[0].sourced_id], by="x"
    )
    client.force_login(user)
    their_1a = other_school.classes["1A"].sourced_id
    for url in (
        reverse("web:class", args=[theirs.sourced_id]),
        reverse("web:subclass_new", args=[their_1a]),
        reverse("web:subclass_members", args=[theirs.sourced_id]),
        reverse("web:subclass_remove", args=[theirs.sourced_id]),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"naam": "x", "leerlingen": []}).status_code == 404, url
    theirs.refresh_from_db()
    assert theirs.is_active and member_names(theirs) == ["Jan"]
    assert not SchoolClass.objects.filter(code="x").exists()


def test_a_class_is_no_subclass_to_edit(client, school, director):
    client.force_login(director)
    one_a = school.classes["1A"].sourced_id
    assert client.get(reverse("web:subclass_members", args=[one_a])).status_code == 404
    assert client.post(reverse("web:subclass_remove", args=[one_a])).status_code == 404
    assert SchoolClass.objects.get(sourced_id=one_a).is_active


def test_a_class_a_teacher_does_not_teach_is_not_there_for_them(client, school, teacher_of_1a):
    """As on the class page: a 404, not a 403 that tells the class exists."""
    client.force_login(teacher_of_1a)
    two_b = school.classes["2B"].sourced_id
    for url in (
        reverse("web:class", args=[two_b]),
        reverse("web:subclass_new", args=[two_b]),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"naam": "2B Frans"}).status_code == 404, url
    assert not SchoolClass.objects.filter(code="2B Frans").exists()
