"""Roles granted by hand count between their start and their end: a site admin sees every
institution, a board admin every institution of their board as a whole (not the care
record, not app access); a superuser counts as a site admin without a grant."""

from __future__ import annotations

from django.utils import timezone

from schoolbrug.registry.models import Pupil, SchoolClass
from schoolbrug.roles import permissions
from schoolbrug.roles.models import RoleGrant

from .conftest import grant


def numbers(user):
    return set(permissions.institutions_for(user).values_list("number", flat=True))


def test_a_site_admin_sees_every_institution(board_schools):
    assert numbers(board_schools.site_admin) == {"012345", "054321"}
    assert permissions.is_site_admin(board_schools.site_admin)


def test_a_board_admin_sees_the_boards_institutions_whole_and_no_other(board_schools):
    admin = board_schools.board_admin
    assert numbers(admin) == {"012345"}
    regenboog = board_schools.regenboog.institution
    assert permissions.sees_whole_school(admin, regenboog)
    assert not permissions.sees_whole_school(admin, board_schools.other.institution)
    assert not permissions.is_site_admin(admin)
    # Every pupil of the board's school, none of the other.
    pupils = permissions.only_their_pupils(Pupil.objects.all(), admin)
    assert set(pupils.values_list("institution__number", flat=True)) == {"012345"}
    # Not the care record, and no app access to give: those follow from school roles.
    assert not permissions.may_see_care_record(admin, board_schools.regenboog.pupils[0])
    assert not permissions.may_manage_apps(admin, regenboog)


def test_a_grant_that_ended_or_has_not_begun_counts_for_nothing(board_schools):
    admin = board_schools.board_admin
    RoleGrant.objects.filter(user=admin).update(ends_at=timezone.now())
    assert numbers(admin) == set()
    assert not permissions.administers_people(admin)
    grant(admin, RoleGrant.Role.SITE_ADMIN, starts_days_ago=-1)  # from tomorrow
    assert not permissions.is_site_admin(admin)


def test_a_grant_of_an_inactive_account_counts_for_nothing(board_schools):
    admin = board_schools.site_admin
    admin.is_active = False
    admin.save()
    assert not permissions.is_site_admin(admin)


def test_a_superuser_is_a_site_admin_without_a_grant(db, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@schoolbrug.test", "x")
    assert permissions.is_site_admin(root)
    assert permissions.administers_people(root)


def test_the_teacher_sees_only_the_taught_class(board_schools):
    classes = permissions.only_their_classes(SchoolClass.objects.all(), board_schools.teacher)
    assert list(classes.values_list("code", flat=True)) == ["1A"]
