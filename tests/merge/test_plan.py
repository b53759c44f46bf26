"""The plan: what moves, who is the same person, what collides, and its digest."""

from __future__ import annotations

import json

import pytest

from schoolbrug.merge import plan as plans
from schoolbrug.merge.errors import MergeRefused
from tests.merge.world import populate


@pytest.fixture
def receiving(db):
    return populate("default", "receiving")


def test_plan_lists_moves_same_people_candidates_and_collisions(receiving, source_url):
    plan = plans.make_plan(source_url, central_admin="Directie@Receiving.test")
    assert [i["number"] for i in plan["institutions"]] == ["200001", "200002", "200003"]
    assert plan["whole_database"] is True
    assert plan["central_admin"] == "directie@receiving.test"
    assert {c["number"] for c in plan["communities"]} == {"SG2N", "SG2Z"}
    assert not any(c["split"] for c in plan["communities"])
    kinds = sorted(p["kind"] for p in plan["same_people"])
    assert kinds == ["pupil", "staff", "user"]
    pupil = next(p for p in plan["same_people"] if p["kind"] == "pupil")
    assert (pupil["moving_institution"], pupil["receiving_institution"]) == ("200001", "100001")
    assert sorted((c["kind"], c["name"]) for c in plan["candidates"]) == [
        ("pupil", "Dubbel Daan"),
        ("staff", "Meester Zonder"),
    ]
    collisions = plan["collisions"]
    assert collisions["institution_numbers"] == []
    assert collisions["user_names"] == [
        {"username": "directie", "email": "directie@moving.test", "new": "directie.2"}
    ]
    assert collisions["app_names"] == [{"name": "Leerplatform", "new": "Leerplatform 2"}]
    assert collisions["source_ids"] == [{"source": "wisa", "kind": "staff", "external_id": "7"}]
    approvers = {(a["email"], a["side"]) for a in plan["approvers"]}
    assert ("directie@moving.test", "moving") in approvers
    assert ("directie@receiving.test", "receiving") in approvers
    # No national number anywhere in the plan (house rule).
    assert "15073012345" not in json.dumps(plan)


def test_a_community_moves_whole_unless_its_split_is_agreed(receiving, source_url):
    with pytest.raises(MergeRefused) as refused:
        plans.make_plan(source_url, ["200001"])
    assert "200002" in refused.value.message
    plan = plans.make_plan(source_url, ["200001"], split_communities=["SG2N"])
    (north,) = plan["communities"]
    assert north["split"] and north["split_allowed"]
    assert {a["institution"] for a in plan["approvers"] if a.get("for") == "community_split"} == {
        "200002"
    }
    # A person who edits the agreement away cannot reseal it.
    north["split_allowed"] = False
    with pytest.raises(MergeRefused):
        plans.seal(plan)


def test_moving_a_whole_other_community_splits_nothing(receiving, source_url):
    plan = plans.make_plan(source_url, ["200003"])
    assert [c["split"] for c in plan["communities"]] == [False]


def test_the_digest_covers_everything_and_an_edit_needs_a_new_seal(receiving, source_url, tmp_path):
    plan = plans.make_plan(source_url)
    path = plans.write_plan(plan, tmp_path / "plan.json")
    assert plans.read_plan(path) == plan
    edited = json.loads(path.read_text())
    edited["central_admin"] = "directie@receiving.test"
    edited["candidates"][0]["decision"] = "same"
    path.write_text(json.dumps(edited))
    with pytest.raises(MergeRefused) as refused:
        plans.read_plan(path)
    assert "verzegelen" in refused.value.message
    resealed = plans.seal(plans.load(path))
    assert resealed["digest"] != plan["digest"]
    plans.write_plan(resealed, path, replace=True)
    assert plans.read_plan(path)["central_admin"] == "directie@receiving.test"
    edited["candidates"][0]["decision"] = "misschien"
    with pytest.raises(MergeRefused):
        plans.seal(edited)
    path.write_text("{ kapot")
    with pytest.raises(MergeRefused) as broken:
        plans.read_plan(path)
    assert "regel 1" in broken.value.message


def test_a_database_at_other_migrations_is_refused(receiving, source_url):
    from django.db import connections

    from schoolbrug.merge import source

    source.connect(source_url)
    with connections[source.ALIAS].cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'platform'")
    with pytest.raises(MergeRefused) as refused:
        plans.make_plan(source_url)
    assert "niet op dezelfde versie" in refused.value.message


def test_the_plan_command_writes_prints_and_seals(receiving, source_url, tmp_path):
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out, path = io.StringIO(), tmp_path / "plan.json"
    call_command("merge", "plan", "--from", source_url, "--out", str(path), stdout=out)
    printed = out.getvalue()
    assert "instellingen die verhuizen: 3" in printed
    assert "botsende gebruikersnamen (nieuwe naam): 1" in printed
    assert "NOG TE KIEZEN" in printed  # no central admin yet
    plan = plans.read_plan(path)
    plan["central_admin"] = "directie@receiving.test"
    path.write_text(json.dumps(plan))
    call_command("merge", "plan", "--seal", str(path), stdout=io.StringIO())
    assert plans.read_plan(path)["central_admin"] == "directie@receiving.test"
    with pytest.raises(CommandError, match="bestaat niet"):
        call_command(
            "merge", "plan", "--from", "sqlite:////nergens/x.db", "--out", str(tmp_path / "2.json")
        )
