"""A staff upload while a sync (or another upload) of the school holds its lock: it waits at
most SCHOOLBRUG_SYNC_LOCK_WAIT, then is refused (`busy`, exit 5) with nothing written — real
locks on both databases (PostgreSQL: an advisory lock held by another connection; SQLite:
another writer on the database file, the CLI in its own process)."""

from __future__ import annotations

import json
import subprocess
import sys

import psycopg
import pytest
from django.db import connection

from schoolbrug.registry.models import Assignment, Institution
from schoolbrug.staff.upload import run_upload
from schoolbrug.sync.locking import LOCK_SPACE, lock_key
from schoolbrug.sync.models import SyncRun
from schoolbrug.sync.report import EXIT_BUSY
from tests.sync.test_locking import (  # noqa: F401 (fixtures)
    ROOT,
    SqliteWriter,
    _env,
    migrated_sqlite,
    sqlite_file,
)

pytestmark = pytest.mark.django_db(transaction=True)

NUMBER = "099999"  # the school the locking tests' database already knows
STAFF_LIST = (
    "e-mailadres;voornaam;familienaam;instellingsnummer;rol;startdatum;einddatum\r\n"
    f"lies@school.be;Lies;Peeters;{NUMBER};leerkracht;01/09/2025;\r\n"
)


def test_an_upload_the_schools_lock_keeps_waiting_too_long_is_refused(tmp_path, request, settings):
    path = tmp_path / "personeel.csv"
    path.write_text(STAFF_LIST, encoding="utf-8")
    if connection.vendor == "postgresql":
        Institution.objects.create(number=NUMBER, name="School")
        settings.SCHOOLBRUG_SYNC_LOCK_WAIT = 0.5
        other = psycopg.connect(**connection.get_connection_params(), autocommit=True)
        other.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_SPACE, lock_key(NUMBER)])
        try:
            report = run_upload(path, institution=NUMBER)
        finally:
            other.close()
        assert report["busy"] is True and not report["applied"]
        assert "Er liep net een synchronisatie" in report["message"]
        assert not Assignment.objects.exists()
        assert SyncRun.objects.get(source="staff_upload").status == SyncRun.Status.BUSY
        assert run_upload(path, institution=NUMBER)["applied"]  # released: applied
        assert Assignment.objects.count() == 1
    else:
        database = request.getfixturevalue("sqlite_file")
        writer = SqliteWriter(database)
        try:
            ran = subprocess.run(
                [sys.executable, "-m", "schoolbrug.cli", "staff", "import", str(path), "--json"],
                env=_env(database, wait=1),
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
            )
        finally:
            writer.release()
        assert ran.returncode == EXIT_BUSY, ran.stderr[-2000:]
        report = json.loads(ran.stdout)
        assert report["busy"] is True and not report["applied"]
        assert "Er liep net een synchronisatie" in ran.stderr
        again = subprocess.run(
            [sys.executable, "-m", "schoolbrug.cli", "staff", "import", str(path), "--json"],
            env=_env(database, wait=5),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert again.returncode == 0, again.stderr[-2000:]
        assert json.loads(again.stdout)["counts"]["assignments_created"] == 1
