"""People for the roles tests: a site admin, a board with two schools and its board admin,
and a school outside the board."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from schoolbrug.registry.models import Assignment, Board, Teaching
from schoolbrug.roles.models import RoleGrant
from tests.web.conftest import make_school, make_staff, make_user

TEACHER_EMAIL = "juf.1a@regenboog.be"


def grant(user, role, board=None, days=30, granted_by=None, starts_days_ago=1):
    now = timezone.now()
    return RoleGrant.objects.create(
        user=user,
        role=role,
        board=board,
        granted_by=granted_by,
        starts_at=now - datetime.timedelta(days=starts_days_ago),
        ends_at=now + datetime.timedelta(days=days),
    )


@pytest.fixture
def board_schools(db, django_user_model):
    """Board "Scholengroep Noord" runs De Regenboog (with the small school's pupils); Sint-Jozef
    is another board's. A teacher of 1A, a board admin and a site admin."""
    board = Board.objects.create(name="Scholengroep Noord")
    regenboog = make_school()
    regenboog.institution.board = board
    regenboog.institution.save()
    other = make_school("054321", "Vrije Basisschool Sint-Jozef")
    assignment = make_staff(regenboog.institution, TEACHER_EMAIL, Assignment.Role.TEACHER)
    Teaching.objects.create(assignment=assignment, schoolclass=regenboog.classes["1A"])
    teacher = make_user(
        django_user_model, "juf", TEACHER_EMAIL, first_name="Julie", last_name="Eenaa"
    )
    site_admin = make_user(django_user_model, "sitebeheer", "beheer@schoolbrug.test")
    grant(site_admin, RoleGrant.Role.SITE_ADMIN)
    board_admin = make_user(django_user_model, "bestuur", "centraal@noord.test")
    grant(board_admin, RoleGrant.Role.BOARD_ADMIN, board=board)
    return SimpleNamespace(
        board=board,
        regenboog=regenboog,
        other=other,
        teacher=teacher,
        site_admin=site_admin,
        board_admin=board_admin,
    )
