"""The merge end to end with every real piece: the plan made from another database, each
side's directors approving in their own database, `execute` (checks, read-only flag, backup,
the real fold) by the receiving board's admin, and `rollback` — on the test database's kind
(SQLite, or PostgreSQL when DATABASE_URL names one). The other tests double one piece each."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.apps import apps as django_apps

from schoolbrug.merge import approvals, execute, rollback, source
from schoolbrug.merge import plan as plans
from schoolbrug.merge.errors import MergeRefused
from schoolbrug.merge.models import MergeApproval, MergeRun
from schoolbrug.registry.models import Board, Institution, Pupil
from schoolbrug.roles.models import RoleGrant
from tests.merge.world import populate

publish_first_protocol = importlib.import_module(
    "schoolbrug.sharing.migrations.0002_first_protocol"
).publish

ADMIN = "beheer@receiving.test"

pytestmark = pytest.mark.django_db(transaction=True)


def test_plan_approvals_execute_and_rollback_with_the_real_fold(db, source_url, django_user_model):
    # The first protocol comes from a data migration, which an earlier transactional test's
    # flush removed from the test database.
    publish_first_protocol(django_apps, None)
    populate("default", "receiving")
    admin = django_user_model.objects.create_user("beheer", ADMIN, "pw")
    RoleGrant.objects.create(
        user=admin, role=RoleGrant.Role.BOARD_ADMIN, board=Board.objects.get(number="B100")
    )
    plan = plans.make_plan(source_url, central_admin=ADMIN, receiving_board="B100")
    for candidate in plan["candidates"]:
        candidate["decision"] = "different"
    plan = plans.seal(plan)
    moving_alias = source.connect(source_url)
    pupils_here = Pupil.objects.count()
    pupils_there = Pupil.objects.using(moving_alias).count()
    numbers_here = set(Institution.objects.values_list("number", flat=True))

    # Nobody approved yet: refused, nothing written.
    with pytest.raises(MergeRefused, match="Nog goed te keuren door"):
        execute.execute(plan, starter=ADMIN, source_url=source_url)
    assert Pupil.objects.count() == pupils_here and not MergeRun.objects.exists()

    for approver in approvals.approvers(plan):
        if approver.side == "receiving":
            approvals.approve(plan, approver.email, via=MergeApproval.Via.CLI)
        else:  # in the moving side's own Schoolbrug
            MergeApproval.objects.using(moving_alias).create(
                digest=plan["digest"],
                email=approver.email,
                institution_number=approver.institution,
                side="moving",
                via=MergeApproval.Via.WEB,
            )
    run = execute.execute(plan, starter=ADMIN, source_url=source_url)

    assert run.state == MergeRun.State.DONE and Path(run.backup_path).is_file()
    assert Pupil.objects.count() == pupils_here + pupils_there
    moved = {i["number"] for i in plan["institutions"]}
    assert set(Institution.objects.values_list("number", flat=True)) == numbers_here | moved
    assert run.report["counts"]["registry.Pupil"] == pupils_there

    rollback.rollback(actor=ADMIN)
    assert Pupil.objects.count() == pupils_here
    assert set(Institution.objects.values_list("number", flat=True)) == numbers_here
    run.refresh_from_db()
    assert run.state == MergeRun.State.ROLLED_BACK
