"""The real OneRoster sets others wrote (shared/oneroster/samples), imported into the
registry: on SQLite and on PostgreSQL (the suite runs on both), because only PostgreSQL
checks a column's length: Ed-Fi's school has no Flemish number, so its org id `255901001`
is its identifier wherever one is stored (institution, run, aliases, audit)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.management import call_command

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Institution, Pupil, SourceAlias
from schoolbrug.sync.models import SyncRun

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "oneroster" / "samples"
EDFI = SAMPLES / "edfi-grand-bend-1.1"


@pytest.fixture
def edfi() -> Path:
    if not EDFI.is_dir():
        pytest.skip(f"OneRoster sample sets not found at {SAMPLES} (outside the repo)")
    return EDFI


def student_emails(folder: Path) -> dict[str, str]:
    with (folder / "users.csv").open(encoding="utf-8-sig", newline="") as handle:
        return {row["sourcedId"]: row["email"] for row in csv.DictReader(handle)
                if row["role"] == "student"}  # fmt: skip


def test_the_edfi_set_imports_under_its_own_school_identifier(edfi):
    call_command("sync", "oneroster", str(edfi), "--school-year", "2026-2027")

    run = SyncRun.objects.get()
    assert (run.status, run.institution_number) == (SyncRun.Status.APPLIED, "255901001")
    school = Institution.objects.get(number="255901001")
    assert school.pupils.count() == 8
    assert SourceAlias.objects.filter(scope="255901001", kind="pupil").count() == 8
    assert AuditEntry.objects.filter(institution_number="255901001").exists()


def test_the_edfi_pupils_keep_the_email_the_set_gives(edfi):
    call_command("sync", "oneroster", str(edfi), "--school-year", "2026-2027")

    emails = student_emails(edfi)
    assert len(emails) == 8 and all(emails.values())
    stored = dict(SourceAlias.objects.filter(kind="pupil").values_list("external_id", "sourced_id"))
    by_pupil = dict(Pupil.objects.values_list("sourced_id", "email"))
    assert {user: by_pupil[stored[user]] for user in emails} == emails


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_lepo_sets_are_read_under_their_org_id(language):
    """A university's set: its classes have no grades, which another part of issue 18 takes
    up; here only that the run is stored under the org's id `or0001`."""
    folder = SAMPLES / "lepo-1.1-quoted" / language
    if not folder.is_dir():
        pytest.skip(f"OneRoster sample sets not found at {SAMPLES} (outside the repo)")
    call_command("sync", "oneroster", str(folder), "--school-year", "2026-2027")

    run = SyncRun.objects.get()
    assert (run.status, run.institution_number) == (SyncRun.Status.APPLIED, "or0001")
    assert Institution.objects.filter(number="or0001").exists()
