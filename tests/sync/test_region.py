"""A region night: many institutions in one run, written in batches, on one or more cores."""

import logging

import pytest
from django.core.management import call_command
from django.db import IntegrityError

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Pupil, SchoolClass
from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.wisa import parse_wisa_folder
from schoolbrug.sync import service
from schoolbrug.sync.models import SyncRun
from schoolbrug.sync.parallel import sync_folders
from schoolbrug.sync.report import EXIT_FAILED
from schoolbrug.sync.service import SyncOptions
from tests.factories import klass, pupil, wisa_files

NUMBERS = ["011001", "011002", "011003", "011004", "011005"]
CLASSES = [klass("1A"), klass("1B")]


def region(tmp_path, numbers=NUMBERS, broken: str | None = None):
    for index, number in enumerate(numbers):
        folder = tmp_path / number
        folder.mkdir()
        pupils = [
            pupil(index * 100 + i, "1A" if i % 2 else "1B", class_number=i, source_id=f"W{i}")
            for i in range(1, 9)
        ]
        wisa_files(folder, pupils, CLASSES)
        if number == broken:
            (folder / "leerlingen.csv").write_bytes(b"\x00\x01 not a csv \x00")
    return sorted(p for p in tmp_path.iterdir())


def options():
    return SyncOptions(started_by="test", school_year=2026)


def counts(reports):
    return {r.institution: {k: v for k, v in r.counts.items() if v} for r in reports}


@pytest.mark.django_db(transaction=True)
def test_a_region_synced_on_two_cores_gives_what_one_process_gives(tmp_path):
    folders = region(tmp_path)
    reports = sync_folders(folders, parse_wisa_folder, options=options(), jobs=2)
    assert [r.institution for r in reports] == NUMBERS
    assert counts(reports) == {n: {"created": 8} for n in NUMBERS}
    assert Pupil.objects.count() == 40
    assert SyncRun.objects.filter(status="applied").count() == 5
    # Each institution has its own leavers class, also when written by another process.
    assert SchoolClass.objects.filter(is_leavers=True).count() == 5
    again = sync_folders(folders, parse_wisa_folder, options=options(), jobs=2)
    assert counts(again) == {n: {"unchanged": 8} for n in NUMBERS}


@pytest.mark.django_db(transaction=True)
def test_one_unreadable_export_in_a_region_writes_nothing_anywhere(tmp_path):
    folders = region(tmp_path, broken="011004")
    with pytest.raises(BadInput) as error:
        sync_folders(folders, parse_wisa_folder, options=options(), jobs=2)
    assert error.value.file == "leerlingen.csv"
    assert Pupil.objects.count() == 0
    assert SyncRun.objects.filter(status="applied").count() == 0


@pytest.mark.django_db
def test_sync_dir_on_the_command_line_takes_jobs(tmp_path, capsys):
    (tmp_path / "regio").mkdir()
    region(tmp_path / "regio")
    call_command(
        "sync",
        "wisa",
        "--dir",
        str(tmp_path / "regio"),
        "--jobs",
        "1",
        "--school-year",
        "2026-2027",
    )
    out = capsys.readouterr().out
    assert all(f"{n}: toegepast" in out for n in NUMBERS)
    assert Pupil.objects.count() == 40


@pytest.mark.django_db
def test_batches_hold_institutions_and_a_failing_batch_is_retried_one_by_one(tmp_path, monkeypatch):
    monkeypatch.setattr(service, "BATCH_INSTITUTIONS", 2)
    folders = region(tmp_path)
    calls = []
    real_write = service._write

    def flaky_write(planned, school_year, options):
        calls.append([p.snapshot.institution_number for p in planned])
        if len(planned) > 1 and "011003" in calls[-1]:
            real_write(planned, school_year, options)  # written, then the batch fails
            raise service.DatabaseError("simulated failure in a batch")
        real_write(planned, school_year, options)

    monkeypatch.setattr(service, "_write", flaky_write)
    reports = sync_folders(folders, parse_wisa_folder, options=options(), jobs=1)
    assert calls == [
        ["011001", "011002"],
        ["011003", "011004"],
        ["011003"],
        ["011004"],
        ["011005"],
    ]
    assert counts(reports) == {n: {"created": 8} for n in NUMBERS}
    # The failed batch's first attempt left nothing: every pupil once, every run once.
    assert Pupil.objects.count() == 40
    assert SyncRun.objects.count() == 5


# What a database's refusal says can quote the row: a national number in the log would leak.
ROW_IN_ERROR = "Key (institution_id, national_number)=(3, 16031400227) already exists."


@pytest.mark.django_db(transaction=True)
def test_an_institution_that_fails_every_time_is_reported_and_the_others_are_applied(
    tmp_path, monkeypatch, capfd
):
    # The processes of --jobs fork from this one and log through the handler they inherit.
    log_file = tmp_path / "sync.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    logging.getLogger("schoolbrug.sync").addHandler(handler)

    (tmp_path / "regio").mkdir()
    region(tmp_path / "regio")
    real_apply = service.apply_plans
    attempts = []

    def apply_failing_for_011003(items, school_year):
        if any(item.plan.institution_number == "011003" for item in items):
            attempts.append(len(items))
            raise IntegrityError(f"duplicate key value\nDETAIL:  {ROW_IN_ERROR}")
        real_apply(items, school_year)

    # Before the processes fork (--jobs 2 on PostgreSQL): they inherit it.
    monkeypatch.setattr(service, "apply_plans", apply_failing_for_011003)
    try:
        with pytest.raises(SystemExit) as stop:
            call_command(
                "sync", "wisa", "--dir", str(tmp_path / "regio"), "--jobs", "2",
                "--school-year", "2026-2027",
            )  # fmt: skip
    finally:
        logging.getLogger("schoolbrug.sync").removeHandler(handler)
        handler.close()

    assert stop.value.code == EXIT_FAILED
    out = capfd.readouterr().out
    err = log_file.read_text(encoding="utf-8")
    assert all(f"{n}: toegepast" in out for n in NUMBERS if n != "011003"), out
    assert "011003: mislukt" in out and "niets gewijzigd voor deze instelling" in out
    # The others are applied; this one wrote nothing but its run, marked failed.
    assert Pupil.objects.count() == 32
    assert not Pupil.objects.filter(institution__number="011003").exists()
    assert not AuditEntry.objects.filter(institution_number="011003").exists()
    assert SyncRun.objects.get(institution_number="011003").status == "failed"
    assert set(SyncRun.objects.values_list("status", flat=True)) == {"applied", "failed"}
    # The log says where, in English, with the traceback but not what the error quoted.
    assert "011003: failed, nothing written for it" in err
    assert "django.db.utils.IntegrityError" in err and "apply_failing_for_011003" in err
    assert "16031400227" not in err and "16031400227" not in out
