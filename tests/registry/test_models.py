"""How registry objects name themselves where people read them (the admin, the history)."""

from __future__ import annotations

import datetime

import pytest

from schoolbrug.registry.models import Assignment, Institution, Staff

pytestmark = pytest.mark.django_db


def test_an_assignment_names_its_role_in_dutch():
    school = Institution.objects.create(number="012345", name="De Regenboog")
    staff = Staff.objects.create(email="an@regenboog.be", given_name="An", family_name="Peeters")
    assignment = Assignment.objects.create(
        staff=staff,
        institution=school,
        role=Assignment.Role.TEACHER,
        start_date=datetime.date(2025, 9, 1),
    )

    assert str(assignment) == "An Peeters (leerkracht, 012345)"
