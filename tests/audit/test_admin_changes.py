"""Edits in the Django admin are in the audit log with the admin user as actor: staff and
their assignments (the data manager right follows from a director assignment), classes a
teacher teaches, log-ins, their rights and groups. Secrets only as "gewijzigd"."""

from __future__ import annotations

import datetime
import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from schoolbrug.audit.changes import audit_id
from schoolbrug.audit.context import acting
from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import (
    Assignment,
    Institution,
    SchoolClass,
    SchoolYear,
    Staff,
    Teaching,
)

pytestmark = pytest.mark.django_db

ADMIN_EMAIL = "beheerder@schoolbrug.test"
PASSWORD = "Een-lang-wachtwoord-2026"


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("beheerder", ADMIN_EMAIL, PASSWORD)
    client.force_login(user)
    return client


@pytest.fixture
def director():
    with acting("test", "opzet"):
        institution = Institution.objects.create(number="012345", name="De Regenboog")
        staff = Staff.objects.create(email="juf@regenboog.test", given_name="An", family_name="P")
        assignment = Assignment.objects.create(
            staff=staff,
            institution=institution,
            role=Assignment.Role.TEACHER,
            start_date=datetime.date(2020, 9, 1),
        )
        year = SchoolYear.objects.create(start_year=2026)
        school_class = SchoolClass.objects.create(
            institution=institution, school_year=year, code="1A"
        )
    return assignment, school_class


def new_entries(since: int):
    return AuditEntry.objects.filter(pk__gt=since).order_by("id")


def last_id() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def inline_management(prefix: str, total: int, initial: int) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def test_a_staff_edit_with_its_assignment_inline_is_logged_as_the_admin(admin_client, director):
    assignment, _ = director
    staff = assignment.staff
    since = last_id()
    data = {
        "email": staff.email,
        "given_name": "Anna",
        "family_name": staff.family_name,
        **inline_management("assignments", 1, 1),
        "assignments-0-id": assignment.pk,
        "assignments-0-staff": staff.pk,
        "assignments-0-institution": assignment.institution_id,
        "assignments-0-role": "director",  # the data manager right comes with it
        "assignments-0-start_date": "2020-09-01",
        "assignments-0-end_date": "2027-08-31",
    }
    url = reverse("admin:registry_staff_change", args=[staff.pk])

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    staff_entry, assignment_entry = new_entries(since)
    assert (staff_entry.entity, staff_entry.action, staff_entry.actor, staff_entry.reason) == (
        "staff",
        "update",
        ADMIN_EMAIL,
        "beheer",
    )
    assert staff_entry.changes == {"given_name": ["An", "Anna"]}
    assert staff_entry.entity_sourced_id == staff.sourced_id
    assert (assignment_entry.entity, assignment_entry.actor) == ("assignment", ADMIN_EMAIL)
    assert assignment_entry.institution_number == "012345"
    assert assignment_entry.entity_sourced_id == assignment.sourced_id
    assert assignment_entry.changes == {
        "role": ["teacher", "director"],
        "end_date": [None, "2027-08-31"],
    }


def test_an_assignment_edit_and_its_classes_are_logged_as_the_admin(admin_client, director):
    assignment, school_class = director
    since = last_id()
    data = {
        "staff": assignment.staff_id,
        "institution": assignment.institution_id,
        "role": "teacher",
        "start_date": "2020-09-01",
        "end_date": "2026-12-31",
        "origin": "",
        **inline_management("teaching_set", 1, 0),
        "teaching_set-0-assignment": assignment.pk,
        "teaching_set-0-schoolclass": school_class.pk,
    }
    url = reverse("admin:registry_assignment_change", args=[assignment.pk])

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    changed, taught = new_entries(since)
    assert (changed.entity, changed.actor, changed.changes) == (
        "assignment",
        ADMIN_EMAIL,
        {"end_date": [None, "2026-12-31"]},
    )
    teaching = Teaching.objects.get()
    assert (taught.entity, taught.action, taught.actor) == ("teaching", "create", ADMIN_EMAIL)
    assert taught.entity_sourced_id == teaching.sourced_id
    assert taught.institution_number == "012345"
    assert taught.changes["schoolclass"] == [None, "1A"]

    # Deleting the assignment (and with it the class it taught): the last values are kept.
    since = last_id()
    delete = reverse("admin:registry_assignment_delete", args=[assignment.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    actions = {(e.entity, e.action) for e in new_entries(since)}
    assert actions == {("assignment", "delete"), ("teaching", "delete")}
    gone = new_entries(since).get(entity="assignment")
    assert gone.changes["role"] == ["teacher", None] and gone.actor == ADMIN_EMAIL
    assert gone.institution_number == "012345"


def test_rights_of_a_log_in_and_its_password_only_as_changed(admin_client, django_user_model):
    with acting("test", "opzet"):
        user = django_user_model.objects.create_user(
            "juf", "juf@regenboog.test", "Oud-1-wachtwoord"
        )
        group = Group.objects.create(name="ict")
    since = last_id()
    data = {
        "username": "juf",
        "first_name": "",
        "last_name": "",
        "email": "juf@regenboog.test",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [group.pk],
        "date_joined_0": "2026-09-01",
        "date_joined_1": "08:00:00",
    }
    response = admin_client.post(reverse("admin:auth_user_change", args=[user.pk]), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    # The save and the groups the same form set are one entry.
    (entry,) = new_entries(since)
    assert (entry.entity, entry.action, entry.actor, entry.reason) == (
        "user",
        "update",
        ADMIN_EMAIL,
        "beheer",
    )
    assert entry.changes == {
        "is_staff": [False, True],
        "is_superuser": [False, True],
        "groups": [[], ["ict"]],
    }

    since = last_id()
    password_url = reverse("admin:auth_user_password_change", args=[user.pk])
    new_password = "Nieuw-Geheim-Wachtwoord-77"
    response = admin_client.post(
        password_url,
        {"usable_password": "true", "password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    (entry,) = new_entries(since)
    assert entry.changes == {"password": [None, "gewijzigd"]}
    user.refresh_from_db()
    everything = json.dumps([e.changes for e in AuditEntry.objects.all()])
    for secret in (new_password, "Oud-1-wachtwoord", user.password, user.password[-20:]):
        assert secret not in everything


def test_a_group_and_its_permissions_from_either_side(admin_client, django_user_model):
    permission = Permission.objects.get(codename="change_staff")
    since = last_id()
    response = admin_client.post(
        reverse("admin:auth_group_add"), {"name": "secretariaat", "permissions": [permission.pk]}
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    (entry,) = new_entries(since)
    assert (entry.entity, entry.action, entry.actor) == ("group", "create", ADMIN_EMAIL)
    assert entry.changes == {
        "name": [None, "secretariaat"],
        "permissions": [None, [str(permission)]],
    }

    # From the other side (group.user_set), outside the admin: the user's entry says it.
    with acting("test", "opzet"):
        user = django_user_model.objects.create_user("sec", "sec@regenboog.test")
    since = last_id()
    with acting("script@schoolbrug.test", "test"):
        Group.objects.get(name="secretariaat").user_set.add(user)
    (entry,) = new_entries(since)
    assert (entry.entity, entry.entity_sourced_id) == ("user", audit_id(user))
    assert entry.changes == {"groups": [[], ["secretariaat"]]}
    assert entry.actor == "script@schoolbrug.test"
