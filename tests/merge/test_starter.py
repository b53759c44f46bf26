"""Only the receiving board's board admin starts a merge (and rolls it back): not another
board's admin, not a director, not a site admin."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from schoolbrug.merge import execute
from schoolbrug.merge.models import MergeRun
from schoolbrug.roles import permissions
from schoolbrug.roles.models import RoleGrant

from .conftest import approve_all, write_plan

# execute commits the read-only flag before the fold: real transactions.
pytestmark = pytest.mark.django_db(transaction=True)


def test_may_start_merge_is_the_receiving_boards_admin_only(world, django_user_model):
    site_admin = django_user_model.objects.create_user("site", email="site@schoolbrug.be")
    RoleGrant.objects.create(user=site_admin, role=RoleGrant.Role.SITE_ADMIN)
    superuser = django_user_model.objects.create_superuser("root", email="root@schoolbrug.be")
    board = world.board
    assert permissions.may_start_merge(world.admin, board)
    for other in (world.other_admin, world.receiving_director, site_admin, superuser):
        assert not permissions.may_start_merge(other, board), other
    assert not permissions.may_start_merge(world.admin, None)
    # A grant that ended no longer counts.
    RoleGrant.objects.filter(user=world.admin).update(ends_at="2020-01-01T00:00:00Z")
    assert not permissions.may_start_merge(world.admin, board)


@pytest.mark.parametrize(
    "starter", ["beheer@elders.be", "directie@regenboog.be", "niemand@example.be"]
)
def test_anyone_else_is_refused_before_anything_happens(
    world, same_database, fold, tmp_path, starter
):
    approve_all(world.plan)
    path = write_plan(world.plan, tmp_path)
    with pytest.raises(CommandError, match="Alleen de bestuursbeheerder"):
        call_command("merge", "execute", str(path), "--as", starter)
    assert fold.calls == [] and not MergeRun.objects.exists()


def test_the_receiving_board_admin_starts_it(world, same_database, fold, tmp_path):
    approve_all(world.plan)
    path = write_plan(world.plan, tmp_path)
    call_command("merge", "execute", str(path), "--as", "Beheer@Ontvanger.be")
    run = MergeRun.objects.get()
    assert run.state == MergeRun.State.DONE and run.started_by == "beheer@ontvanger.be"
    assert same_database == [world.plan["source"]]


def test_a_source_other_than_the_plans_is_refused(world, same_database, fold):
    approve_all(world.plan)
    with pytest.raises(Exception, match="andere databank"):
        execute.execute(
            world.plan, starter="beheer@ontvanger.be", source_url="sqlite:///elders.sqlite3"
        )
    assert fold.calls == [] and same_database == []
