"""`merge plan --out` and `merge execute --report`: a place the file cannot go is said in Dutch
before any work starts, a file that is there is never overwritten, and a write that fails
leaves nothing (no half file, no temporary one)."""

from __future__ import annotations

import errno
import io
import json
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from schoolbrug.merge import execute, files
from schoolbrug.merge import plan as plans
from schoolbrug.merge.errors import MergeRefused
from schoolbrug.merge.models import MergeRun, ReadOnlyFlag

from .conftest import approve_all, write_plan

NO_DATABASE = "sqlite:////nergens/bron.sqlite3"  # refused only after the place is checked


def plan_to(out) -> None:
    call_command("merge", "plan", "--from", NO_DATABASE, "--out", str(out))


def test_out_that_exists_is_never_overwritten(db, tmp_path):
    taken = tmp_path / "PLAN.json"
    taken.write_text("het goedgekeurde plan")
    with pytest.raises(CommandError, match="bestaat al") as refused:
        plan_to(taken)
    assert str(taken) in str(refused.value)
    assert taken.read_text() == "het goedgekeurde plan"
    link = tmp_path / "link.json"  # a link to elsewhere, even a dangling one
    link.symlink_to(tmp_path / "elders.json")
    with pytest.raises(CommandError, match="bestaat al"):
        plan_to(link)
    assert not (tmp_path / "elders.json").exists()


def test_out_a_folder_a_missing_folder_or_an_unwritable_one(db, tmp_path, monkeypatch):
    with pytest.raises(CommandError, match="dat is een map"):
        plan_to(tmp_path)
    with pytest.raises(CommandError, match="de map .*ontbreekt.* bestaat niet"):
        plan_to(tmp_path / "ontbreekt" / "PLAN.json")
    # (The tests may run as root, whom no mode keeps out: the check is asked directly.)
    monkeypatch.setattr(files.os, "access", lambda path, mode: False)
    with pytest.raises(CommandError, match="geen schrijfrechten"):
        plan_to(tmp_path / "PLAN.json")
    assert list(tmp_path.iterdir()) == []


def test_a_write_that_fails_leaves_nothing(tmp_path, monkeypatch):
    def full(descriptor):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(MergeRefused, match="No space left"):
        files.write_new(tmp_path / "PLAN.json", "{}", "het plan")
    with pytest.raises(MergeRefused):
        files.replace(tmp_path / "ander.json", "{}", "het plan")
    assert list(tmp_path.iterdir()) == []


def test_a_file_is_written_whole_and_for_this_account_only(tmp_path):
    path = files.write_new(tmp_path / "PLAN.json", '{"a": 1}', "het plan")
    assert json.loads(path.read_text()) == {"a": 1}
    assert os.stat(path).st_mode & 0o077 == 0
    assert [p.name for p in tmp_path.iterdir()] == ["PLAN.json"]


def test_seal_replaces_its_own_file_whole(db, tmp_path):
    plan = {
        "format": plans.FORMAT, "source": "sqlite:///bron.sqlite3",
        "institutions": [{"number": "1", "name": "School"}], "communities": [], "boards": [],
        "same_people": [], "candidates": [], "approvers": [], "central_admin": None,
        "collisions": {k: [] for k in (
            "institution_numbers", "user_names", "app_names", "class_codes", "source_ids",
            "payment_references",
        )},
    }  # fmt: skip
    path = tmp_path / "PLAN.json"
    path.write_text(json.dumps(plan))
    call_command("merge", "plan", "--seal", str(path), stdout=io.StringIO())
    assert plans.read_plan(path)["digest"]
    assert [p.name for p in tmp_path.iterdir()] == ["PLAN.json"]
    with pytest.raises(CommandError, match="dat is een map"):
        call_command("merge", "plan", "--seal", str(tmp_path))


@pytest.mark.django_db(transaction=True)
def test_report_that_exists_is_refused_before_anything_changes(
    world, same_database, fold, tmp_path
):
    approve_all(world.plan)
    path = write_plan(world.plan, tmp_path)
    report = tmp_path / "verslag.json"
    report.write_text("een vorig verslag")
    for place, reason in ((report, "bestaat al"), (tmp_path, "dat is een map")):
        with pytest.raises(CommandError, match=reason):
            call_command(
                "merge", "execute", str(path), "--as", "beheer@ontvanger.be", "--report", str(place)
            )
    assert report.read_text() == "een vorig verslag"
    assert fold.calls == [] and not MergeRun.objects.exists()
    assert not ReadOnlyFlag.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_report_place_taken_during_the_merge_gets_the_default_one(
    world, same_database, fold, tmp_path
):
    approve_all(world.plan)
    report = tmp_path / "verslag.json"
    fold.during.append(lambda: report.write_text("intussen"))
    run = execute.execute(world.plan, starter="beheer@ontvanger.be", report_path=report)
    assert run.state == MergeRun.State.DONE
    assert report.read_text() == "intussen"
    assert "merge-reports" in run.report_path
    assert json.loads(Path(run.report_path).read_text())["counts"] == {"registry.Institution": 1}
