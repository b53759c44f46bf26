"""`schoolbrug merge <step>`: every step of STEPS has its module, and `status` tells where a
merge stands."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from schoolbrug.merge.management.commands.merge import STEPS, _available
from schoolbrug.merge.models import ReadOnlyFlag

from .conftest import approve_all

# Built in the m3gate branch; "plan" comes with m1core. The lead empties NOT_YET when merging.
OURS = {"approve", "execute", "rollback", "status"}
NOT_YET = {"plan"}


def test_the_gate_steps_have_their_module():
    found = _available()
    for step in OURS:
        assert callable(found[step].add_arguments) and callable(found[step].run), step


def test_every_step_has_its_module_or_is_listed_as_still_missing():
    missing = sorted(set(STEPS) - set(_available()))
    assert set(missing) <= NOT_YET, f"steps of STEPS without a cli_<step>.py: {missing}"


def test_status_shows_the_plans_approvals_and_the_read_only_flag(world):
    from schoolbrug.merge.records import register

    register(world.plan, by="beheer@ontvanger.be")
    out = io.StringIO()
    call_command("merge", "status", stdout=out)
    text = out.getvalue()
    assert "niet alleen-lezen" in text
    assert f"Plan {world.plan['digest'][:12]}" in text and "Scholengroep Ontvanger" in text
    assert "directie@regenboog.be (instelling 012345): nog niet goedgekeurd" in text
    assert "wordt bij het uitvoeren gelezen uit de andere databank" in text
    approve_all(world.plan)
    ReadOnlyFlag.objects.create(action="execute", host="elders", pid=4242)
    out = io.StringIO()
    call_command("merge", "status", "--json", stdout=out)
    found = json.loads(out.getvalue())
    assert found["read_only"]["pid"] == 4242
    (plan,) = found["plans"]
    assert [a["approved_at"] is not None for a in plan["approvals"]] == [True, True]


@pytest.mark.parametrize("step", sorted(OURS))
def test_each_step_explains_itself_in_dutch(step, capsys):
    with pytest.raises(SystemExit):
        call_command("merge", step, "--help")
    assert "usage:" in capsys.readouterr().out
