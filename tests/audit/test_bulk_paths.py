"""The sync and the staff upload write in bulk and their own audit entries: no signal of the
automatic log fires on their path (it would double entries and slow a region night), and
they write exactly the entries they did before, each pointing to its run."""

from __future__ import annotations

import datetime
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command

from schoolbrug.audit import changes
from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Assignment, Staff
from schoolbrug.sync.models import SyncRun
from tests.factories import klass, pupil, wisa_files

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "oneroster" / "samples"
CLASSES = [klass("1A"), klass("1B")]
NIGHT_1 = [pupil(i, "1A" if i % 2 else "1B", class_number=i) for i in range(1, 11)]
NIGHT_2 = [
    pupil(1, "1B", class_number=1),  # moved
    pupil(2, "1B", class_number=2, given_name="Zoe"),  # updated
    *NIGHT_1[2:9],  # pupil 10 left
    pupil(11, "1A", class_number=11),  # created
]
NO_SIGNAL = AssertionError("the automatic log fired on a bulk path")


@pytest.fixture
def no_automatic_log():
    """Fail if a receiver of the automatic log reads or writes anything."""
    with (
        mock.patch.object(changes, "_stored", side_effect=NO_SIGNAL),
        mock.patch.object(changes, "_write", side_effect=NO_SIGNAL),
        mock.patch.object(changes, "_owners", side_effect=NO_SIGNAL),
    ):
        yield


def sync_wisa(tmp_path, pupils, name: str) -> None:
    folder = tmp_path / name
    folder.mkdir()
    pupils_path, classes_path = wisa_files(folder, pupils, CLASSES)
    call_command("sync", "wisa", "--institution", "012345", "--pupils", str(pupils_path),
                 "--classes", str(classes_path), "--school-year", "2026-2027")  # fmt: skip


def entries_of(run: SyncRun) -> list[tuple[str, str]]:
    return sorted(run.audit.values_list("entity", "action"))


def test_two_nights_of_a_sync_write_only_their_own_entries(tmp_path, no_automatic_log):
    sync_wisa(tmp_path, NIGHT_1, "night1")
    sync_wisa(tmp_path, NIGHT_2, "night2")

    first, second = SyncRun.objects.order_by("id")
    assert entries_of(first) == sorted(
        [("class", "create")] * 3 + [("pupil", "create")] * 10  # 1A, 1B, Schoolverlaters
    )
    assert entries_of(second) == sorted(
        [("pupil", "create"), ("pupil", "leave"), ("pupil", "move"), ("pupil", "update")]
    )
    assert not AuditEntry.objects.filter(sync_run__isnull=True).exists()
    assert {entry.actor for entry in AuditEntry.objects.all()} == {"cli"}


def test_teachers_from_a_real_oneroster_set_write_only_the_syncs_entries(
    tmp_path, no_automatic_log
):
    grand_bend = SAMPLES / "edfi-grand-bend-1.1"
    if not grand_bend.is_dir():
        pytest.skip(f"OneRoster sample sets not found at {SAMPLES} (outside the repo)")
    org_map = tmp_path / "orgs.csv"
    org_map.write_text("255901001,012345\n", encoding="utf-8")

    call_command("sync", "oneroster", str(grand_bend), "--org-map", str(org_map),
                 "--school-year", "2026-2027", "--force")  # fmt: skip

    assert Staff.objects.count() == 2 and Assignment.objects.count() == 2
    assert Assignment.classes.through.objects.count() == 2
    run = SyncRun.objects.get()
    assert entries_of(run).count(("staff", "create")) == 2
    assert entries_of(run).count(("pupil", "create")) == 8
    assert AuditEntry.objects.count() == len(entries_of(run))


def test_a_staff_upload_writes_only_its_own_entries(tmp_path, no_automatic_log):
    from schoolbrug.registry.models import Institution

    Institution.objects.bulk_create([Institution(number="012345", name="De Linde")])
    path = tmp_path / "personeel.csv"
    path.write_text(
        "email,given_name,family_name,institution_number,role,start_date,end_date\n"
        "dir@delinde.test,Dirk,Baas,012345,director,2024-09-01,\n",
        encoding="utf-8",
    )
    call_command("staff", "import", str(path), "--as", "secretariaat@delinde.test",
                 "--import-date", datetime.date(2024, 9, 2).isoformat())  # fmt: skip

    run = SyncRun.objects.get()
    assert entries_of(run) == [("assignment", "create"), ("staff", "create")]
    assert AuditEntry.objects.count() == 2
