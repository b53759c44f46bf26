"""Every director involved approves the very plan that runs: a missing approval stops execute
with a Dutch message naming who still has to approve, and an approval of an earlier version
of the plan does not count once the plan changed."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from schoolbrug.audit.models import AuditEntry
from schoolbrug.merge import approvals, execute
from schoolbrug.merge.errors import MergeRefused
from schoolbrug.merge.models import MergeApproval, MergeRun
from schoolbrug.registry.models import Institution

from .conftest import approve_all, director, make_plan, write_plan

# execute commits the read-only flag before the fold: real transactions.
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_director_approves_with_the_command_and_it_is_recorded_and_audited(world, tmp_path):
    path = write_plan(world.plan, tmp_path)
    call_command("merge", "approve", str(path), "--as", "Directie@Regenboog.be")
    (approval,) = MergeApproval.objects.all()
    assert (approval.email, approval.institution_number, approval.side, approval.via) == (
        "directie@regenboog.be",
        "012345",
        "receiving",
        "cli",
    )
    assert approval.digest == world.plan["digest"]
    entry = AuditEntry.objects.get(entity="merge_approval")
    assert entry.actor == "directie@regenboog.be" and entry.institution_number == "012345"
    # Approving twice records nothing new.
    call_command("merge", "approve", str(path), "--as", "directie@regenboog.be")
    assert MergeApproval.objects.count() == 1


def test_only_a_director_the_plan_names_may_approve(world, tmp_path):
    path = write_plan(world.plan, tmp_path)
    with pytest.raises(CommandError, match="staat niet in de lijst"):
        call_command("merge", "approve", str(path), "--as", "beheer@ontvanger.be")
    # Named, but no director of that school here today (the assignment ended).
    world.receiving.assignments.update(end_date="2020-08-31")
    with pytest.raises(CommandError, match="vandaag geen directeur van instelling 012345"):
        call_command("merge", "approve", str(path), "--as", "directie@regenboog.be")
    assert not MergeApproval.objects.exists()


def test_execute_is_refused_naming_who_still_has_to_approve(world, same_database, fold):
    approvals.approve(world.plan, "directie@regenboog.be", via="cli")
    with pytest.raises(MergeRefused) as refused:
        execute.execute(world.plan, starter="beheer@ontvanger.be")
    assert refused.value.message == (
        "Nog niet iedereen keurde dit plan goed (goedkeuringen van een vroegere versie tellen "
        "niet). Nog goed te keuren door: directie@sintjozef.be (instelling 054321, "
        "verhuizende databank)."
    )
    assert fold.calls == [] and not MergeRun.objects.exists()
    assert not Institution.objects.filter(number="099999").exists()


def test_a_plan_edited_after_approval_needs_every_approval_again(world, same_database, fold):
    approve_all(world.plan)
    assert approvals.missing(world.plan, source_alias="default") == []
    # Someone confirms a candidate: the plan's digest changes, the old approvals are void.
    candidates = [dict(c, decision="same") for c in world.plan["candidates"]]
    edited = make_plan(candidates=candidates)
    assert edited["digest"] != world.plan["digest"]
    with pytest.raises(MergeRefused, match="directie@regenboog.be .*directie@sintjozef.be"):
        execute.execute(edited, starter="beheer@ontvanger.be")
    assert fold.calls == []
    approve_all(edited)
    run = execute.execute(edited, starter="beheer@ontvanger.be")
    assert run.state == MergeRun.State.DONE and fold.calls == [(edited["digest"], edited["source"])]


def test_the_moving_sides_approvals_are_read_from_the_source_database_only(world):
    approve_all(world.plan)
    # Without the source database, the moving side's approval is not seen.
    assert [a.email for a in approvals.missing(world.plan)] == ["directie@sintjozef.be"]
    assert approvals.missing(world.plan, source_alias="default") == []


def test_the_plan_must_name_a_central_admin(world, same_database, fold):
    plan = make_plan(central_admin=None)
    approve_all(plan)
    with pytest.raises(MergeRefused, match="geen centrale beheerder"):
        execute.execute(plan, starter="beheer@ontvanger.be")
    assert fold.calls == []


def test_a_plan_resealed_without_a_director_is_refused(world, same_database, fold):
    # The digest is a checksum anyone can recompute: a plan edited to drop the moving school's
    # director, and sealed again, must not run on the receiving side's approval alone.
    plan = make_plan(approvers=[a for a in world.plan["approvers"] if a["side"] == "receiving"])
    approve_all(plan)
    assert approvals.missing(plan, source_alias="default") == []
    with pytest.raises(MergeRefused) as refused:
        execute.execute(plan, starter="beheer@ontvanger.be")
    assert "directie@sintjozef.be (instelling 054321) ontbreekt" in refused.value.message
    assert fold.calls == [] and not MergeRun.objects.exists()


def test_a_director_named_after_the_plan_must_approve_too(world, same_database, fold):
    approve_all(world.plan)
    director(world.moving, "nieuwe.directie@sintjozef.be")
    with pytest.raises(MergeRefused, match="nieuwe.directie@sintjozef.be"):
        execute.execute(world.plan, starter="beheer@ontvanger.be")
    assert fold.calls == []
