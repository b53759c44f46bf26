"""The other database of a merge: a real second database of the same kind as the test
database (an SQLite file, or a PostgreSQL database made from a migrated template), migrated
once per session in a subprocess exactly as `schoolbrug migrate` does it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connections

ROOT = Path(__file__).resolve().parents[2]


def run_django(args: list[str], database_url: str, **kwargs) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "schoolbrug.settings",
    }
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, **kwargs
    )


def _migrate(url: str) -> None:
    done = run_django(["manage.py", "migrate", "-v0"], url, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]


def _pg_admin():
    import psycopg

    settings = connections["default"].settings_dict
    return psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"] or "postgres",
        dbname="postgres",
        autocommit=True,
    )


def _pg_url(name: str) -> str:
    s = connections["default"].settings_dict
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{s['USER'] or 'postgres'}@{host}/{name}"


class Databases:
    """Makes migrated empty Schoolbrug databases: `new()` returns a DATABASE_URL."""

    def __init__(self, tmp: Path):
        self.vendor = connections["default"].vendor
        self.tmp = tmp
        self.made: list[str] = []
        if self.vendor == "postgresql":
            base = connections["default"].settings_dict["NAME"]
            self.template = f"{base}_merge_tpl"
            with _pg_admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.template}"')
                admin.execute(f'CREATE DATABASE "{self.template}"')
            _migrate(_pg_url(self.template))
        else:
            self.template = tmp / "template.sqlite3"
            _migrate(f"sqlite:///{self.template}")

    def new(self) -> str:
        name = f"merge_{uuid.uuid4().hex[:8]}"
        if self.vendor == "postgresql":
            base = connections["default"].settings_dict["NAME"]
            name = f"{base}_{name}"
            with _pg_admin() as admin:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            self.made.append(name)
            return _pg_url(name)
        path = self.tmp / f"{name}.sqlite3"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def drop_all(self) -> None:
        if self.vendor != "postgresql":
            return
        with _pg_admin() as admin:
            for name in [*self.made, self.template]:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def merge_databases(tmp_path_factory, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        made = Databases(tmp_path_factory.mktemp("merge"))
    yield made
    with django_db_blocker.unblock():
        made.drop_all()


@pytest.fixture
def source_url(merge_databases, db) -> str:
    """A fresh migrated database holding the moving side's world (tests/merge/world.py)."""
    from schoolbrug.merge import source

    from .world import populate

    url = merge_databases.new()
    source.connect(url)
    populate(source.ALIAS, "moving")
    yield url
    source.close()
