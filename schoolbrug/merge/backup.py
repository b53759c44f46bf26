"""A copy of the whole receiving database before a merge, and putting it back.

PostgreSQL: `pg_dump --format=custom`, put back with `pg_restore --clean --single-transaction`
(all or nothing). Both must be at least the server's major version (a pg_dump older than the
server refuses to dump it, and saying so before the merge starts beats failing half-way): they
are looked up on PATH or in SCHOOLBRUG_PG_BIN. SQLite: the sqlite3 module's online backup API,
page by page under the database's lock, both ways.

Backups hold every pupil's personal data: the folder is the owner's only (0700, files 0600).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .errors import MergeRefused

log = logging.getLogger("schoolbrug.merge")

FOLDER = "merge-backups"
_VERSION = re.compile(r"(\d+)(?:\.(\d+))?")


def folder() -> Path:
    path = Path(settings.VAR_DIR) / FOLDER
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def _new_path(suffix: str) -> Path:
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%fZ")
    return folder() / f"schoolbrug-{stamp}{suffix}"


def _not_in_transaction() -> None:
    if connection.in_atomic_block:
        raise RuntimeError("a backup is taken and restored outside any transaction")


def take() -> Path:
    """Copy the configured (receiving) database to a new file under VAR_DIR/merge-backups/."""
    _not_in_transaction()
    if connection.vendor == "postgresql":
        path = _new_path(".dump")
        _pg_dump(path)
    elif connection.vendor == "sqlite":
        path = _new_path(".sqlite3")
        _sqlite_copy(path)
    else:
        raise MergeRefused(
            f"Een back-up van een {connection.vendor}-databank kan Schoolbrug niet maken.",
            f"no backup for {connection.vendor}",
        )
    path.chmod(0o600)
    log.warning("merge: backup taken (%s bytes)", path.stat().st_size)
    return path


def restore(path: Path | str) -> None:
    """Put the database back as it was in the backup (everything since is gone)."""
    _not_in_transaction()
    path = Path(path)
    if not path.is_file():
        raise MergeRefused(
            f"De back-up {path.name} is er niet meer (map {FOLDER} onder de gegevensmap).",
            "backup file missing",
        )
    if connection.vendor == "postgresql":
        _pg_restore(path)
    else:
        _sqlite_restore(path)
    connection.close()  # a fresh connection sees the restored schema and sequences
    log.warning("merge: backup restored")


# --- SQLite --------------------------------------------------------------------------------


def _raw_sqlite() -> sqlite3.Connection:
    connection.ensure_connection()
    return connection.connection


def _sqlite_copy(path: Path) -> None:
    target = sqlite3.connect(path)
    try:
        _raw_sqlite().backup(target)
    finally:
        target.close()


def _sqlite_restore(path: Path) -> None:
    source = sqlite3.connect(path)
    try:
        source.backup(_raw_sqlite())
    finally:
        source.close()


# --- PostgreSQL ----------------------------------------------------------------------------


def _tool(name: str, server_major: int | None = None) -> str:
    """The pg_dump/pg_restore to run, refused unless at least the server's major version
    (`server_major`: the connected server's unless given)."""
    folder_setting = settings.SCHOOLBRUG_PG_BIN
    found = str(Path(folder_setting) / name) if folder_setting else shutil.which(name)
    if not found or not Path(found).is_file():
        raise MergeRefused(
            f"{name} is niet gevonden op deze server. Installeer de PostgreSQL-clientprogramma's "
            "(bv. het pakket postgresql-client) of zet SCHOOLBRUG_PG_BIN op hun map.",
            f"{name} not found",
        )
    output = subprocess.run([found, "--version"], capture_output=True, text=True, check=True).stdout
    match = _VERSION.search(output.split(")")[-1]) or _VERSION.search(output)
    tool_major = int(match.group(1)) if match else 0
    if server_major is None:
        connection.ensure_connection()
        server_major = connection.pg_version // 10000
    if tool_major < server_major:
        raise MergeRefused(
            f"{name} is versie {tool_major}, de databankserver versie {server_major}: die "
            f"{name} kan deze databank niet lezen. Installeer de clientprogramma's van versie "
            f"{server_major} of hoger en zet SCHOOLBRUG_PG_BIN op hun map.",
            f"{name} {tool_major} older than server {server_major}",
        )
    return found


def _pg_connection_args() -> tuple[list[str], dict[str, str]]:
    db = connection.settings_dict
    args = ["--no-password", "--dbname", db["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args += [flag, str(db[key])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        # The tools' messages name tables and values, not people: safe for the operator's log.
        log.error("merge: %s failed (%s): %s", what, done.returncode, done.stderr[-2000:])
        raise MergeRefused(
            f"De {what} is mislukt ({Path(command[0]).name} gaf foutcode {done.returncode}); "
            "details in het logboek van Schoolbrug.",
            f"{what} failed",
        )


def _pg_dump(path: Path) -> None:
    args, env = _pg_connection_args()
    _run([_tool("pg_dump"), "--format=custom", "--file", str(path), *args], env, "back-up")


def _pg_restore(path: Path) -> None:
    tool = _tool("pg_restore")
    args, env = _pg_connection_args()
    connection.close()  # nothing of ours holds a lock on the tables it drops
    _run(
        [
            tool,
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            *args,
            str(path),
        ],
        env,
        "terugzetting",
    )
