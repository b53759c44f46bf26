"""A backup is taken before the fold, and `schoolbrug merge rollback` puts the receiving side's
content back exactly as it was (on SQLite with its backup API, on PostgreSQL with pg_dump and
pg_restore: run this file with DATABASE_URL set for the latter)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.merge import backup, execute, readonly
from schoolbrug.merge.errors import MergeRefused
from schoolbrug.merge.models import MergeApproval, MergeRun, ReadOnlyFlag
from schoolbrug.registry.models import Institution, Pupil

from .conftest import approve_all

pytestmark = pytest.mark.django_db(transaction=True)

RECEIVING_CONTENT = (
    "registry.Board",
    "registry.Institution",
    "registry.Staff",
    "registry.Assignment",
    "registry.Pupil",
    "auth.User",
    "roles.RoleGrant",
)


def content() -> dict[str, list]:
    """Every row of the receiving side's tables, as values (ids included)."""
    return {
        label: sorted(map(repr, apps.get_model(label).objects.values_list()))
        for label in RECEIVING_CONTENT
    }


def add_pupil(institution, name: str) -> Pupil:
    return Pupil.objects.create(
        institution=institution, family_name=name, given_name="Test", origin="wisa"
    )


def test_backup_and_restore_put_back_every_row(world, settings):
    add_pupil(world.receiving, "Voor")
    before = content()
    path = backup.take()
    assert path.parent == Path(settings.VAR_DIR) / "merge-backups"
    assert path.suffix == {"postgresql": ".dump", "sqlite": ".sqlite3"}[connection.vendor]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    add_pupil(world.receiving, "Na")
    Institution.objects.filter(number="012345").update(name="Gewijzigd")
    Institution.objects.create(number="077777", name="Nieuw")
    assert content() != before
    backup.restore(path)
    assert content() == before


def test_rollback_restores_the_receiving_side_and_keeps_the_merge_history(
    world, same_database, fold
):
    add_pupil(world.receiving, "Peeters")
    approve_all(world.plan)
    before = content()
    run = execute.execute(world.plan, starter="beheer@ontvanger.be")
    assert Path(run.backup_path).is_file() and Path(run.report_path).is_file()
    assert Institution.objects.filter(number="099999").exists()
    call_command("merge", "rollback", "--as", "beheer@ontvanger.be")
    assert content() == before
    assert not Institution.objects.filter(number="099999").exists()
    run.refresh_from_db()
    assert run.state == MergeRun.State.ROLLED_BACK and run.rolled_back_at is not None
    assert MergeApproval.objects.count() == 2  # the history of the merge stays
    assert not ReadOnlyFlag.objects.exists()
    readonly.forget()
    assert not readonly.is_read_only()
    entry = AuditEntry.objects.filter(entity="merge_run").order_by("-at", "-id").first()
    assert entry.actor == "beheer@ontvanger.be"
    assert entry.changes["state"] == ["done", "rolled_back"]
    # Nothing left to roll back.
    with pytest.raises(CommandError, match="geen samenvoeging met een back-up"):
        call_command("merge", "rollback", "--as", "beheer@ontvanger.be")


def test_rollback_is_for_the_receiving_board_admin_and_asks_before_losing_later_work(
    world, same_database, fold
):
    approve_all(world.plan)
    execute.execute(world.plan, starter="beheer@ontvanger.be")
    with pytest.raises(CommandError, match="Alleen de bestuursbeheerder"):
        call_command("merge", "rollback", "--as", "directie@regenboog.be")
    # A sync after the merge: its work would be lost, so rollback asks for --force.
    AuditEntry.objects.create(
        at=timezone.now(),
        actor="secretariaat",
        reason="synchronisatie 9 (wisa)",
        entity="pupil",
        entity_sourced_id="4c1f0a52-8d0e-4a6b-9a8f-0d6b3c0e1a11",
        action="create",
    )
    with pytest.raises(CommandError, match="nog 1 wijzigingen gelogd"):
        call_command("merge", "rollback", "--as", "beheer@ontvanger.be")
    assert Institution.objects.filter(number="099999").exists()
    call_command("merge", "rollback", "--as", "beheer@ontvanger.be", "--force")
    assert not Institution.objects.filter(number="099999").exists()


def test_pg_tools_that_are_missing_or_too_old_are_refused_before_anything(settings, tmp_path):
    settings.SCHOOLBRUG_PG_BIN = str(tmp_path)
    with pytest.raises(MergeRefused, match="pg_dump is niet gevonden"):
        backup._tool("pg_dump", server_major=15)
    old = tmp_path / "pg_dump"
    old.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 13.16 (Debian 13.16-0+deb11u1)'\n")
    old.chmod(0o755)
    with pytest.raises(MergeRefused, match="pg_dump is versie 13, de databankserver versie 15"):
        backup._tool("pg_dump", server_major=15)
    assert backup._tool("pg_dump", server_major=13) == str(old)


def test_a_change_made_while_rollback_starts_is_not_lost_silently(
    world, same_database, fold, monkeypatch
):
    approve_all(world.plan)
    execute.execute(world.plan, starter="beheer@ontvanger.be")
    raise_flag = readonly.raise_flag

    def a_portal_write_just_before_the_flag(action, run):
        AuditEntry.objects.create(
            at=timezone.now(),
            actor="secretariaat",
            reason="portaal",
            entity="pupil",
            entity_sourced_id="4c1f0a52-8d0e-4a6b-9a8f-0d6b3c0e1a11",
            action="update",
        )
        return raise_flag(action, run)

    monkeypatch.setattr(readonly, "raise_flag", a_portal_write_just_before_the_flag)
    with pytest.raises(CommandError, match="nog 1 wijzigingen gelogd"):
        call_command("merge", "rollback", "--as", "beheer@ontvanger.be")
    assert Institution.objects.filter(number="099999").exists()
    assert not ReadOnlyFlag.objects.exists()
