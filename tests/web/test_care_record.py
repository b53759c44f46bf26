"""The pupil's record ("leerlingfiche", issue 21): read-only, contacts per the institution's
contact-source option, and the care part ("Zorgfiche") for the pupil's teachers today and the
school's care team only. Whoever else sees it makes these tests fail: a director, a site
admin, the ICT coordinator, the secretariat, a teacher of another class, the care team of
another school."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Assignment, Institution, Pupil, Teaching
from schoolbrug.roles import permissions
from tests.web.conftest import make_school, make_staff, make_user

CARE = {"dyslexie": "extra tijd bij toetsen"}
pytestmark = pytest.mark.django_db


@pytest.fixture
def care_school(school):
    """Every pupil has a care record; the history holds a care record change of each."""
    Pupil.objects.update(care_record=CARE)
    for pupil in school.pupils:
        AuditEntry.objects.create(
            at=timezone.now(),
            actor="sync",
            reason="synchronisatie",
            institution_number=school.institution.number,
            entity="pupil",
            entity_sourced_id=pupil.sourced_id,
            action=AuditEntry.Action.UPDATE,
            changes={"care_record": [{}, CARE]},
        )
    return school


def _pupil(school, family_name):
    return next(p for p in school.pupils if p.family_name == family_name)


def _person(django_user_model, institution, email, role, teaches=None, **extra):
    assignment = make_staff(institution, email, role)
    if teaches is not None:
        Teaching.objects.create(assignment=assignment, schoolclass=teaches)
    return make_user(django_user_model, email.split("@")[0], email, **extra)


def _shows_care(client, school, family_name) -> tuple[int, bool, bool]:
    """(status of the pupil's page, care record on it, care record in its history)."""
    page = client.get(reverse("web:pupil", args=[_pupil(school, family_name).sourced_id]))
    text = page.content.decode()
    zorg = "extra tijd bij toetsen" in text.split("Geschiedenis")[0]
    history = "extra tijd bij toetsen" in text.split("Geschiedenis")[-1]
    return page.status_code, zorg, history


def test_the_class_teacher_and_the_care_team_see_the_care_record(
    client, care_school, django_user_model
):
    s = care_school
    teacher = _person(
        django_user_model, s.institution, "juf@regenboog.be", "teacher", s.classes["1A"]
    )
    care = _person(django_user_model, s.institution, "zorg@regenboog.be", "care_team")
    client.force_login(teacher)
    assert _shows_care(client, s, "Peeters") == (200, True, True)  # 1A: her class
    client.force_login(care)
    assert _shows_care(client, s, "Maes") == (200, True, True)
    audit = client.get(reverse("web:audit")).content.decode()
    assert "extra tijd bij toetsen" in audit


@pytest.mark.parametrize(
    "role",
    [
        Assignment.Role.DIRECTOR,
        Assignment.Role.ICT_COORDINATOR,
        Assignment.Role.SECRETARY,
    ],
)
def test_the_rest_of_the_school_sees_the_pupil_but_not_the_care_record(
    client, care_school, django_user_model, role
):
    s = care_school
    client.force_login(_person(django_user_model, s.institution, f"{role}@regenboog.be", role))
    status, zorg, history = _shows_care(client, s, "Maes")
    assert (status, zorg, history) == (200, False, False)
    page = client.get(reverse("web:pupil", args=[_pupil(s, "Maes").sourced_id])).content
    assert "alleen zichtbaar voor het zorgteam en de leerkrachten" in page.decode()
    audit = client.get(reverse("web:audit")).content.decode()
    csv = b"".join(client.get(reverse("web:audit_csv")).streaming_content).decode("utf-8-sig")
    assert "extra tijd bij toetsen" not in audit and "extra tijd bij toetsen" not in csv


def test_a_site_admin_sees_the_pupil_but_not_the_care_record(
    client, care_school, django_user_model
):
    s = care_school
    admin = make_user(django_user_model, "beheer", "beheer@schoolbrug.test", is_superuser=True)
    client.force_login(admin)
    assert _shows_care(client, s, "Maes") == (200, False, False)
    assert not permissions.may_see_care_record(admin, _pupil(s, "Maes"))


def test_a_teacher_of_another_class_does_not_see_it(client, care_school, django_user_model):
    s = care_school
    teacher = _person(
        django_user_model, s.institution, "meester@regenboog.be", "teacher", s.classes["2B"]
    )
    client.force_login(teacher)
    peeters = _pupil(s, "Peeters")  # 1A
    assert not permissions.may_see_care_record(teacher, peeters)
    assert _shows_care(client, s, "Peeters")[0] == 404
    assert _shows_care(client, s, "Maes") == (200, True, True)  # 2B: his
    audit = client.get(reverse("web:audit")).context["page"]
    shown = [e for e in audit if e.entity_sourced_id == peeters.sourced_id]
    assert not shown  # the history leaves the other class's pupils out


def test_the_care_team_of_another_school_does_not_see_it(client, care_school, django_user_model):
    s = care_school
    other = make_school("054321", "Basisschool De Linde")
    care = _person(django_user_model, other.institution, "zorg@linde.be", "care_team")
    client.force_login(care)
    maes = _pupil(s, "Maes")
    assert not permissions.may_see_care_record(care, maes)
    assert _shows_care(client, s, "Maes")[0] == 404
    shown = permissions.care_record_shown(care)
    entry = AuditEntry.objects.filter(entity_sourced_id=maes.sourced_id).first()
    assert not shown(entry)


def test_a_care_team_member_of_one_school_who_teaches_in_another(
    client, care_school, django_user_model
):
    """Care team at another school, ICT coordinator here: no care record here."""
    s = care_school
    other = make_school("054321", "Basisschool De Linde")
    email = "zorg@linde.be"
    make_staff(other.institution, email, Assignment.Role.CARE_TEAM)
    user = _person(django_user_model, s.institution, email, Assignment.Role.ICT_COORDINATOR)
    client.force_login(user)
    assert _shows_care(client, s, "Maes") == (200, False, False)


@pytest.mark.parametrize(
    ("source", "says", "header_phone_shown"),
    [
        (Institution.ContactSource.PARENTS, "adressen van de ouders", False),
        (Institution.ContactSource.HEADER, "hoofdfiche van de leerling", True),
    ],
)
def test_the_record_is_read_only_and_names_its_contact_source(
    client, care_school, django_user_model, source, says, header_phone_shown
):
    s = care_school
    Institution.objects.filter(pk=s.institution.pk).update(contact_source=source)
    Pupil.objects.filter(pk=_pupil(s, "Maes").pk).update(phone="+3250123456")
    client.force_login(_person(django_user_model, s.institution, "zorg@regenboog.be", "care_team"))
    page = client.get(reverse("web:pupil", args=[_pupil(s, "Maes").sourced_id])).content.decode()
    assert "Wijzigen doe je in het leerlingenpakket; de wijziging komt met de volgende" in page
    assert f"Contactgegevens uit: <strong>{says}</strong>" in page
    assert ("+3250123456" in page) is header_phone_shown
    assert "<form" not in page.split("<main")[-1].split("Geschiedenis")[0]  # nothing to edit
