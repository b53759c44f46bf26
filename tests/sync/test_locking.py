"""Two syncs of one institution at once: the second waits until the first has written and
then plans on what it wrote, or after SCHOOLBRUG_SYNC_LOCK_WAIT is refused (exit 5) with
nothing written; never do both write on the same state.

Real concurrency on both databases: on PostgreSQL two threads of this process, each on its
own connection; on SQLite two processes (`schoolbrug sync` on one database file), as the
demo's web server and a CLI sync are, because SQLite's one writer is per database file.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from schoolbrug.registry.models import Pupil
from schoolbrug.sync import service
from schoolbrug.sync.locking import LOCK_SPACE, lock_key
from schoolbrug.sync.models import SyncRun
from schoolbrug.sync.report import EXIT_BUSY
from tests.factories import klass, pupil, wisa_files

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
INSTITUTION = "012345"
SCHOOL = [pupil(i, "1A", class_number=i) for i in range(1, 11)]


def export(folder: Path) -> list[str]:
    """The school's export written into `folder`; the sync command's arguments for it."""
    folder.mkdir(parents=True, exist_ok=True)
    pupils_path, classes_path = wisa_files(folder, SCHOOL, [klass("1A")])
    return [
        "wisa", "--institution", INSTITUTION, "--pupils", str(pupils_path),
        "--classes", str(classes_path), "--school-year", "2026-2027", "--json",
    ]  # fmt: skip


def counts(report: dict) -> dict:
    return {k: v for k, v in report["counts"].items() if v}


# --- SQLite: processes on one database file ---------------------------------------------------


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory) -> Path:
    """An empty, migrated registry in an SQLite file (made once: migrating takes seconds)."""
    folder = tmp_path_factory.mktemp("sqlite")
    path = folder / "schoolbrug.sqlite3"
    subprocess.run(
        [sys.executable, "-m", "schoolbrug.cli", "migrate", "-v0"],
        env=_env(path, wait=5),
        cwd=ROOT,
        check=True,
    )
    # Another school's sync: the school year is there, as on any night but the year's first
    # (its row is a write of its own, which would put the syncs one after the other anyway).
    other = export(folder / "other")
    other[other.index("--institution") + 1] = "099999"
    subprocess.run(
        [sys.executable, "-m", "schoolbrug.cli", "sync", *other],
        env=_env(path, wait=5),
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return path


def _env(database: Path, *, wait: float) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "SCHOOLBRUG_VAR_DIR": str(database.parent / "var"),
        "SCHOOLBRUG_SYNC_LOCK_WAIT": str(wait),
    }


def _start_cli(database: Path, args: list[str], *, wait: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "schoolbrug.cli", "sync", *args],
        env=_env(database, wait=wait),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class SqliteWriter:
    """Another writer (as the web server would be): holds the database's write lock until
    released."""

    def __init__(self, database: Path) -> None:
        self.connection = sqlite3.connect(database, isolation_level=None)
        self.connection.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.connection.execute("COMMIT")
        self.connection.close()


def _wait_until_open(process: subprocess.Popen, database: Path) -> None:
    """Until the process has the database open (it then reads, or waits to), and a moment."""
    fds = Path(f"/proc/{process.pid}/fd")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if any(str(database) in os.readlink(fd) for fd in fds.iterdir()):
                break
        except OSError:
            pass  # a descriptor closed while we looked
        time.sleep(0.05)
    time.sleep(1)


def _sqlite_pupils(database: Path) -> int:
    """The pupils of the test's school in the database file."""
    with sqlite3.connect(database) as db:
        return db.execute(
            "SELECT COUNT(*) FROM registry_pupil p JOIN registry_institution i "
            "ON i.id = p.institution_id WHERE i.number = ?",
            [INSTITUTION],
        ).fetchone()[0]


@pytest.fixture
def sqlite_file(migrated_sqlite, tmp_path) -> Path:
    """A database file of its own for the test's processes (only on SQLite)."""
    path = tmp_path / "db" / "schoolbrug.sqlite3"
    path.parent.mkdir()
    shutil.copy(migrated_sqlite, path)
    return path


def _two_cli_syncs_at_once(database: Path, tmp_path: Path) -> list[tuple[int, str, str]]:
    # Both start while another writer holds the database: each would read the empty
    # registry (reading is allowed) and wait to write, unless the read waits too.
    writer = SqliteWriter(database)
    runs = [_start_cli(database, export(tmp_path / name), wait=60) for name in ("a", "b")]
    for run in runs:
        _wait_until_open(run, database)
    writer.release()
    return [_finish(run) for run in runs]


def _finish(run: subprocess.Popen) -> tuple[int, str, str]:
    out, errors = run.communicate()
    return run.returncode, out, errors


# --- PostgreSQL: threads, each on its own connection ------------------------------------------


def _two_thread_syncs_at_once(tmp_path, monkeypatch) -> list[tuple[int, str, str]]:
    inside = threading.Event()
    real_write = service._write

    def slow_write(planned, school_year, options):
        if not inside.is_set():
            inside.set()  # the first sync has read the state and planned: let the second start
            time.sleep(1.5)
        real_write(planned, school_year, options)

    monkeypatch.setattr(service, "_write", slow_write)
    results: dict[str, tuple[int, str, str]] = {}

    def run(name: str) -> None:
        try:
            code, out = _sync_here(export(tmp_path / name))
        except Exception as error:  # what the test must not see
            code, out = 1, repr(error)
        finally:
            connection.close()
        results[name] = (code, out, "")

    first = threading.Thread(target=run, args=("a",))
    first.start()
    assert inside.wait(30)
    second = threading.Thread(target=run, args=("b",))
    second.start()
    first.join()
    second.join()
    return [results["a"], results["b"]]


def _sync_here(args: list[str]) -> tuple[int, str]:
    """`schoolbrug sync …` in this process: (exit code, standard output)."""
    out = io.StringIO()
    try:
        call_command("sync", *args, stdout=out)
        return 0, out.getvalue()
    except SystemExit as stop:
        return stop.code, out.getvalue()


def test_two_syncs_of_one_school_at_once_write_one_after_the_other(tmp_path, monkeypatch, request):
    if connection.vendor == "postgresql":
        results = _two_thread_syncs_at_once(tmp_path, monkeypatch)
        pupils = Pupil.objects.count()
    else:
        database = request.getfixturevalue("sqlite_file")
        results = _two_cli_syncs_at_once(database, tmp_path)
        pupils = _sqlite_pupils(database)

    assert [code for code, _, _ in results] == [0, 0], results
    reports = [json.loads(out) for _, out, _ in results]
    # One created the school; the other, run after it, planned on what the first wrote:
    # no lost update, no IntegrityError.
    assert sorted(map(counts, reports), key=str) == [{"created": 10}, {"unchanged": 10}]
    assert pupils == 10


def test_a_sync_another_sync_holds_too_long_is_refused_with_exit_5(tmp_path, request, settings):
    if connection.vendor == "postgresql":
        settings.SCHOOLBRUG_SYNC_LOCK_WAIT = 0.5
        other = psycopg.connect(**connection.get_connection_params(), autocommit=True)
        other.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_SPACE, lock_key(INSTITUTION)])
        try:
            code, out = _sync_here(export(tmp_path / "a"))
        finally:
            other.close()  # the server releases the lock with the connection
        assert SyncRun.objects.get().status == SyncRun.Status.BUSY
        after_release = _sync_here(export(tmp_path / "b"))
        pupils = Pupil.objects.count()
    else:
        database = request.getfixturevalue("sqlite_file")
        writer = SqliteWriter(database)
        code, out, errors = _finish(_start_cli(database, export(tmp_path / "a"), wait=1))
        # The same, waiting long enough: applied once the other writer is done.
        waiting = _start_cli(database, export(tmp_path / "b"), wait=60)
        _wait_until_open(waiting, database)
        writer.release()
        after_release = _finish(waiting)[:2]
        pupils = _sqlite_pupils(database)

    assert code == EXIT_BUSY, (out, locals().get("errors", "")[-2000:])
    report = json.loads(out)
    assert report["busy"] is True and report["applied"] is False
    assert "Er liep al een synchronisatie van deze instelling" in report["message"]
    assert after_release[0] == 0 and counts(json.loads(after_release[1])) == {"created": 10}
    assert pupils == 10
