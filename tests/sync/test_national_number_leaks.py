"""A shifted column puts a national number where a name, a birth date, a gender or a class
number should be. Whatever the export holds, no full national number reaches the JSON report,
the stored run, the web pages or the log; the pupil is rejected and not stored."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from schoolbrug.demo.generate import COL, generate_region, write_region
from schoolbrug.registry.models import Enrolment, Pupil
from schoolbrug.sync.models import SyncRun

pytestmark = pytest.mark.django_db


def spellings(number: str) -> list[str]:
    """How a package writes a national number: 85073003328, 85.07.30-033.28, 850730-033.28."""
    n = number
    return [n, f"{n[:2]}.{n[2:4]}.{n[4:6]}-{n[6:9]}.{n[9:]}", f"{n[:6]}-{n[6:9]}.{n[9:]}"]


def assert_no_full_number(text: str, numbers: list[str], where: str) -> None:
    digits_only = re.sub(r"[^0-9]", "", text)
    for number in numbers:
        for written in spellings(number):
            assert written not in text, f"{written} in {where}"
        # The part a mask hides (sequence and check digits) right after the birth date part.
        assert number not in digits_only, f"{number} (digits) in {where}"


@pytest.fixture
def shifted_export(tmp_path):
    """A real-looking WISA export (the generator's) of one school, in which four pupils'
    rows carry a national number in another column, as a shifted export does."""
    region = generate_region(340, seed=7)
    number = region.institutions[0].number
    rows = [list(row) for row in region.pupils[number]]
    nn = COL["RIJKSREGISTERNR"]
    with_number = [row for row in rows if row[nn] and row[COL["KLASNUMMER"]] not in ("", "0")]
    victims = with_number[:4]
    numbers = [row[nn] for row in victims]
    dotted = spellings(numbers[0])[1]
    victims[0][COL["NAAM"]] = dotted  # the name column holds the pupil's own number
    victims[1][COL["GEBOORTEDATUM"]] = numbers[1]
    victims[2][COL["GESLACHT"]] = spellings(numbers[2])[2]
    victims[3][COL["KLASNUMMER"]] = numbers[3]  # an 11-digit class number
    region.pupils[number] = [tuple(row) for row in rows]
    write_region(region, tmp_path / "export")
    folder = tmp_path / "export" / number
    sources = [row[COL["WISAID"]] for row in victims]
    return folder, number, numbers, sources


def test_a_shifted_export_leaks_no_national_number_anywhere(
    shifted_export, tmp_path, client, django_user_model, caplog
):
    folder, institution, numbers, sources = shifted_export
    report_path = tmp_path / "report.json"
    out = io.StringIO()
    with caplog.at_level(logging.DEBUG, logger="schoolbrug"):
        call_command(
            "sync",
            "wisa",
            "--institution",
            institution,
            "--pupils",
            str(folder / "leerlingen.csv"),
            "--classes",
            str(folder / "klassen.csv"),
            "--report",
            str(report_path),
            "--json",
            stdout=out,
        )

    report = json.loads(report_path.read_text(encoding="utf-8"))
    by_line = {f["line"]: f for f in report["findings"] if f["severity"] == "error"}
    codes = {f["code"] for f in by_line.values()}
    assert {
        "PUPIL_NAME_HOLDS_NATIONAL_NUMBER",
        "PUPIL_BIRTH_DATE_MISSING",
        "PUPIL_GENDER_MISSING",
        "PUPIL_CLASS_NUMBER_INVALID",
    } <= codes
    masked = [f"{n[:2]}.{n[2:4]}.{n[4:6]}-***.**" for n in numbers]
    messages = " ".join(f["message"] + " " + f["pupil_name"] for f in report["findings"])
    for mask in masked:
        assert mask in messages  # the secretary still sees which number it was, masked
    assert_no_full_number(report_path.read_text(encoding="utf-8"), numbers, "the JSON report")
    assert_no_full_number(out.getvalue(), numbers, "the command's output")
    assert_no_full_number(caplog.text, numbers, "the log")
    assert "PUPIL_NAME_HOLDS_NATIONAL_NUMBER" in caplog.text  # the log was written

    # The four pupils are rejected, not stored (no name or class number of 11 digits).
    rejected = {a["line"] for a in report["actions"] if a["action"] == "rejected"}
    assert set(by_line) <= rejected
    assert not Pupil.objects.filter(national_number__in=numbers).exists()
    assert not Pupil.objects.filter(family_name__regex=r"[0-9]").exists()
    assert not Enrolment.objects.filter(class_number__gt=99).exists()
    assert report["counts"]["created"] > 300

    run = SyncRun.objects.get(pk=report["run_id"])
    assert_no_full_number(json.dumps(run.findings), numbers, "the stored run")

    admin = django_user_model.objects.create_superuser("beheer", "beheer@example.be", "x")
    client.force_login(admin)
    for url in (
        reverse("web:run", args=[run.pk]),
        reverse("web:run_report", args=[run.pk]),
        reverse("admin:sync_syncrun_change", args=[run.pk]),
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert_no_full_number(page.content.decode(), numbers, url)
    page = client.get(reverse("web:run", args=[run.pk])).content.decode()
    assert masked[1] in page  # the birth date finding quotes the cell, masked


def test_runs_stored_before_the_fix_are_masked_by_the_migration(db):
    from importlib import import_module

    from django.apps import apps

    number = "85073003328"
    run = SyncRun.objects.create(
        started_at="2026-09-01T02:00:00Z",
        started_by="cli",
        source="wisa",
        institution_number="012345",
        status=SyncRun.Status.APPLIED,
        findings=[
            {
                "code": "PUPIL_BIRTH_DATE_MISSING",
                "message": f"De geboortedatum ontbreekt of is onleesbaar ({number}).",
                "pupil_name": "Zoë 85.07.30-033.28",
                "national_number_masked": number,
                "line": 4,
            }
        ],
    )
    migration = import_module("schoolbrug.sync.migrations.0003_mask_national_numbers_in_findings")
    migration.mask_stored_findings(apps, None)

    run.refresh_from_db()
    (finding,) = run.findings
    assert_no_full_number(json.dumps(finding), [number], "the migrated run")
    assert finding["message"] == "De geboortedatum ontbreekt of is onleesbaar (85.07.30-***.**)."
    assert finding["pupil_name"] == "Zoë 85.07.30-***.**"
    assert finding["national_number_masked"] == "85.07.30-***.**"
    assert finding["line"] == 4


def test_a_national_number_typed_into_another_cell_is_masked_in_the_history(
    tmp_path, client, django_user_model
):
    """A national number typed into the wrong field of the package (the registration number,
    a parent's phone) is data the sync takes as it is, and the history records the change:
    the history's pages and its CSV show it masked, as every other text."""
    region = generate_region(60, seed=3)
    number = region.institutions[0].number
    folder = tmp_path / "export" / number

    def sync() -> None:
        write_region(region, tmp_path / "export")
        call_command(
            "sync", "wisa", "--institution", number, "--pupils", str(folder / "leerlingen.csv"),
            "--classes", str(folder / "klassen.csv"), stdout=io.StringIO(),
        )  # fmt: skip

    sync()
    rows = [list(row) for row in region.pupils[number]]
    nn = COL["RIJKSREGISTERNR"]
    victim = next(row for row in rows if row[nn] and row[COL["KLASNUMMER"]] not in ("", "0"))
    numbers = [victim[nn]]
    victim[COL["STAMBOEKNUMMER"]] = victim[nn]
    victim[COL["GSM_MOEDER"]] = spellings(victim[nn])[1]
    region.pupils[number] = [tuple(row) for row in rows]
    sync()
    pupil = Pupil.objects.get(national_number=victim[nn])
    assert pupil.registration_number == victim[nn]  # the package's data, kept as it came

    admin = django_user_model.objects.create_superuser("beheer", "beheer@example.be", "x")
    client.force_login(admin)
    masked = f"{victim[nn][:2]}.{victim[nn][2:4]}.{victim[nn][4:6]}-***.**"
    for url in (
        reverse("web:pupil", args=[pupil.sourced_id]),
        reverse("web:audit") + f"?id={pupil.sourced_id}",
        reverse("web:audit_csv") + f"?id={pupil.sourced_id}",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        text = b"".join(page.streaming_content if page.streaming else [page.content]).decode()
        history = text.split("Geschiedenis", 1)[-1]  # the pupil page's own record aside
        assert_no_full_number(history, numbers, url)
        assert masked in history, url
