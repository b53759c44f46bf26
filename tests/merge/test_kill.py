"""A merge killed half-way (SIGKILL of the process running `fold.apply`, inside its
transaction) leaves the receiving database exactly as it was; run again, it completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.db import connections
from django.db.utils import load_backend

from tests.merge.databases import ROOT, run_django
from tests.merge.test_fold import folded_models
from tests.merge.world import populate

ALIAS = "merge_receiving_test"


def _open(url: str) -> None:
    import dj_database_url

    config = connections.configure_settings(
        {"default": dict(connections["default"].settings_dict), ALIAS: dj_database_url.parse(url)}
    )[ALIAS]
    connections[ALIAS] = load_backend(config["ENGINE"]).DatabaseWrapper(config, ALIAS)


def _close() -> None:
    connections[ALIAS].close()
    delattr(connections._connections, ALIAS)


def _counts() -> dict[str, int]:
    return {m._meta.label: m._base_manager.using(ALIAS).count() for m in folded_models()}


def test_a_kill_during_the_fold_leaves_the_old_state(merge_databases, source_url, tmp_path):
    receiving_url = merge_databases.new()
    _open(receiving_url)
    try:
        populate(ALIAS, "receiving")
        before = _counts()
    finally:
        _close()
    plan = tmp_path / "plan.json"
    made = run_django(["-m", "tests.merge.fold_run", "plan", source_url, str(plan)], receiving_url)
    assert made.returncode == 0, made.stderr[-3000:]

    env = {**os.environ, "DATABASE_URL": receiving_url}
    args = ["-m", "tests.merge.fold_run", "apply", source_url, str(plan)]
    process = subprocess.Popen(
        [sys.executable, *args, "--stall-after", "registry.Enrolment"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for line in process.stdout:
            if line.startswith("STALLED"):
                break
        else:
            raise AssertionError(process.stderr.read()[-3000:])
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL

    _open(receiving_url)
    try:
        assert _counts() == before  # the old state, to the row
    finally:
        _close()

    done = run_django([*args], receiving_url, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    _open(receiving_url)
    try:
        after = _counts()
        assert after["registry.Institution"] == before["registry.Institution"] + 3
        assert after["registry.Enrolment"] > before["registry.Enrolment"]
    finally:
        _close()
