"""A whole merge through the `schoolbrug` console script, each step in a process of its own
with SCHOOLBRUG_LOG_LEVEL=DEBUG, the other database's URL carrying a password: no national
number, password, class code or app secret appears in the log file, on stdout or stderr, in
the plan, the report, the run or the audit history."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.conf import settings
from django.contrib.auth import get_user_model

from schoolbrug.audit.models import AuditEntry
from schoolbrug.links.models import SourceLink
from schoolbrug.merge import approvals, source
from schoolbrug.merge.models import MergeApproval, MergeRun
from schoolbrug.registry.models import Board, Pupil
from schoolbrug.roles.models import RoleGrant
from tests.merge.databases import ROOT
from tests.merge.world import MOVING_APP_SECRET, populate

ADMIN = "beheer@receiving.test"
PASSWORD = "GEHEIM-wachtwoord-7"


def with_password(url: str) -> str:
    """The same database, its URL with a password in both places a URL can hold one (the
    test servers need none and ignore it)."""
    scheme, _, rest = url.partition("://")
    if scheme == "sqlite":  # sqlite:////abs/path -> sqlite://user:pw@//abs/path
        return f"sqlite://schoolbrug:{PASSWORD}@/{rest}"
    user, _, host = rest.partition("@")
    return f"{scheme}://{user}:{PASSWORD}@{host}?sslpassword={PASSWORD}-ssl"


def schoolbrug(args: list[str], database_url: str, var) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "schoolbrug.settings",
        "SCHOOLBRUG_LOG_LEVEL": "DEBUG",
        "SCHOOLBRUG_LOG_TO": "file",
        "SCHOOLBRUG_VAR_DIR": str(var),
        "SCHOOLBRUG_MERGE_SETTLE_SECONDS": "0",
        # This process's key: both databases' secrets were written with it.
        "SCHOOLBRUG_SECRET_KEY": settings.SECRET_KEY,
    }
    done = subprocess.run(
        [sys.executable, "-c", "from schoolbrug.cli import main; main()", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def secrets(alias: str) -> set[str]:
    found = {PASSWORD, MOVING_APP_SECRET, "MOVE12", "HERE34", settings.SECRET_KEY}
    found |= set(Pupil.objects.using(alias).exclude(national_number=None).values_list(
        "national_number", flat=True
    ))  # fmt: skip
    found |= set(SourceLink.objects.using(alias).values_list("token_hash", flat=True))
    return found


def test_a_debug_logged_merge_shows_no_secret(merge_databases, source_url, tmp_path):
    moving = source_url
    hidden = secrets(source.connect(moving))
    receiving = merge_databases.new()
    alias = source.connect(receiving)
    populate(alias, "receiving")
    hidden |= secrets(alias)
    user = get_user_model().objects.db_manager(alias).create_user("beheer", ADMIN, PASSWORD)
    RoleGrant.objects.using(alias).create(
        user=user, role="board_admin", board=Board.objects.using(alias).get(number="B100")
    )
    source.close()
    var, plan_path, report = tmp_path / "var", tmp_path / "PLAN.json", tmp_path / "verslag.json"
    secret_url = with_password(moving)
    printed = []
    printed.append(schoolbrug(
        ["merge", "plan", "--from", secret_url, "--out", str(plan_path),
         "--central-admin", ADMIN, "--receiving-board", "B100"],
        receiving, var,
    ))  # fmt: skip
    plan = json.loads(plan_path.read_text())
    for candidate in plan["candidates"]:
        candidate["decision"] = "different"
    plan_path.write_text(json.dumps(plan))
    printed.append(schoolbrug(["merge", "plan", "--seal", str(plan_path)], receiving, var))
    plan = json.loads(plan_path.read_text())
    for approver in approvals.approvers(plan):
        side_url = receiving if approver.side == "receiving" else moving
        MergeApproval.objects.using(source.connect(side_url)).create(
            digest=plan["digest"], email=approver.email, institution_number=approver.institution,
            side=approver.side, via=MergeApproval.Via.CLI,
        )  # fmt: skip
    source.close()
    printed.append(schoolbrug(
        ["merge", "execute", str(plan_path), "--as", ADMIN, "--from", secret_url,
         "--report", str(report)],
        receiving, var,
    ))  # fmt: skip

    alias = source.connect(receiving)
    run = MergeRun.objects.using(alias).get()
    assert run.state == MergeRun.State.DONE
    log = (var / "schoolbrug.log").read_text()
    assert "merge fold: registry.Pupil" in log  # the DEBUG/INFO lines are there
    texts = {
        "log": log,
        "plan": plan_path.read_text(),
        "report": report.read_text(),
        "run": json.dumps(MergeRun.objects.using(alias).values().get(), default=str),
        "audit": json.dumps(
            list(AuditEntry.objects.using(alias).values_list("changes", "reason")), default=str
        ),
        **{f"stdout {n}": p.stdout for n, p in enumerate(printed)},
        **{f"stderr {n}": p.stderr for n, p in enumerate(printed)},
    }
    for where, text in texts.items():
        shown = sorted(s for s in hidden if s and s in text)
        assert shown == [], f"{where} shows {len(shown)} secret(s)"
