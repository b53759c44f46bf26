"""A receiving board with one school, a moving school, their directors and the receiving
board's admin; the fixture plan (plan.json, in the contract's format) and doubles of m1core's
plan reader, source connection and fold, which the tests pass in (production code has none).

Until m1core's `source.connect` lands, the "source database" of these tests is this same test
database (alias "default"): the moving side's approvals are rows with side "moving" there.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import timezone

from schoolbrug.merge import execute, plan_file, readonly
from schoolbrug.registry.models import Assignment, Board, Institution, Staff
from schoolbrug.roles.models import RoleGrant

PLAN_FILE = Path(__file__).with_name("plan.json")
PASSWORD = "een-lang-wachtwoord-2026"


def digest_of(plan: dict) -> str:
    """sha256 over the canonical JSON of the plan without its digest (the contract's rule)."""
    body = {key: value for key, value in plan.items() if key != "digest"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def make_plan(**changes) -> dict:
    plan = json.loads(PLAN_FILE.read_text(encoding="utf-8"))
    plan.update(copy.deepcopy(changes))
    plan["digest"] = digest_of(plan)
    return plan


def write_plan(plan: dict, folder: Path) -> Path:
    path = folder / f"plan-{plan['digest'][:8]}.json"
    path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    return path


def read_plan_double(path) -> dict:
    """Stands in for m1core's `plan.read_plan`: reads the file and checks its digest."""
    plan = json.loads(Path(path).read_text(encoding="utf-8"))
    assert plan["digest"] == digest_of(plan), "the fixture plan's digest is wrong"
    return plan


def director(institution: Institution, email: str) -> Assignment:
    staff, _ = Staff.objects.get_or_create(
        email=email, defaults={"given_name": email.split("@")[0].title(), "family_name": "Test"}
    )
    return Assignment.objects.create(
        staff=staff,
        institution=institution,
        role=Assignment.Role.DIRECTOR,
        start_date=timezone.localdate() - datetime.timedelta(days=365),
    )


@pytest.fixture(autouse=True)
def merge_settings(settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path / "var"
    settings.SCHOOLBRUG_MERGE_SETTLE_SECONDS = 0
    settings.SCHOOLBRUG_MERGE_FLAG_SECONDS = 1  # the default: these tests raise the flag
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(plan_file, "read", read_plan_double)
    readonly.forget()
    yield
    readonly.forget()


@pytest.fixture
def world(db, django_user_model):
    board = Board.objects.create(number="BST-ONT", name="Scholengroep Ontvanger")
    other_board = Board.objects.create(number="BST-ANDER", name="Scholengroep Elders")
    receiving = Institution.objects.create(
        number="012345", name="Basisschool De Regenboog", board=board
    )
    moving = Institution.objects.create(number="054321", name="Vrije Basisschool Sint-Jozef")
    director(receiving, "directie@regenboog.be")
    director(moving, "directie@sintjozef.be")

    def user(name: str, email: str):
        return django_user_model.objects.create_user(name, email=email, password=PASSWORD)

    admin = user("beheer", "beheer@ontvanger.be")
    RoleGrant.objects.create(user=admin, role=RoleGrant.Role.BOARD_ADMIN, board=board)
    elsewhere = user("elders", "beheer@elders.be")
    RoleGrant.objects.create(user=elsewhere, role=RoleGrant.Role.BOARD_ADMIN, board=other_board)
    return SimpleNamespace(
        board=board,
        receiving=receiving,
        moving=moving,
        admin=admin,
        other_admin=elsewhere,
        receiving_director=user("regenboog", "directie@regenboog.be"),
        moving_director=user("sintjozef", "directie@sintjozef.be"),
        plan=make_plan(),
    )


@pytest.fixture
def same_database(monkeypatch):
    """m1core's source connection, doubled: the source is this test database."""
    connected = []

    def connect(url: str) -> str:
        connected.append(url)
        return "default"

    monkeypatch.setattr(execute, "source_connect", lambda: connect)
    return connected


@pytest.fixture
def fold(monkeypatch):
    """m1core's fold, doubled: adds the moving school's board and a new institution (what a
    fold adds), or runs what the test gives it while "folding"."""
    calls = []

    def apply(plan: dict, *, source_url: str, actor: str) -> dict:
        assert actor == "beheer@ontvanger.be"
        calls.append((plan["digest"], source_url))
        for step in apply.during:
            step()
        Institution.objects.create(number="099999", name="Gevouwen School")
        return {"counts": {"registry.Institution": 1}, "id_maps": {"pupils": {}}}

    apply.during = []
    apply.calls = calls
    monkeypatch.setattr(execute, "fold_apply", lambda: apply)
    return apply


def approve_all(plan: dict) -> None:
    from schoolbrug.merge import approvals
    from schoolbrug.merge.models import MergeApproval

    for approver in approvals.approvers(plan):
        approvals.approve(plan, approver.email, via=MergeApproval.Via.CLI)
