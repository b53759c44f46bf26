"""A sync end to end, as the school lives it: export files in, registry and history out."""

import datetime
import json

import pytest
from django.core.management import call_command

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import (
    LEAVERS_CLASS_CODE,
    Enrolment,
    Institution,
    Pupil,
    SchoolClass,
    SourceAlias,
)
from schoolbrug.sources.findings import mask_national_number
from schoolbrug.sync.models import SyncRun
from tests.factories import klass, pupil, wisa_files

pytestmark = pytest.mark.django_db

INSTITUTION = "012345"
CLASSES = [klass("1A"), klass("1B"), klass("K2A", stage="NVT", year=2, curriculum="KO")]


def run_sync(tmp_path, pupils, *extra, classes=CLASSES, encoding="utf-8-sig", delimiter=";"):
    """Run `schoolbrug sync wisa` and return (exit code, JSON report)."""
    folder = tmp_path / f"export{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    pupils_path, classes_path = wisa_files(
        folder, pupils, classes, encoding=encoding, delimiter=delimiter
    )
    report = folder / "report.json"
    argv = [
        "wisa",
        "--institution",
        INSTITUTION,
        "--pupils",
        str(pupils_path),
        "--classes",
        str(classes_path),
        "--report",
        str(report),
        "--school-year",
        "2026-2027",
        *extra,
    ]
    try:
        call_command("sync", *argv)
        code = 0
    except SystemExit as stop:
        code = stop.code
    return code, json.loads(report.read_text(encoding="utf-8"))


def class_of(record):
    return Enrolment.objects.get(pupil__national_number=record.national_number).school_class.code


def registry_rows():
    return (
        list(
            Pupil.objects.values_list(
                "national_number", "family_name", "given_name", "is_leaver", "origin"
            ).order_by("national_number")
        ),
        list(
            Enrolment.objects.values_list(
                "pupil__national_number", "school_class__code", "class_number"
            ).order_by("pupil__national_number")
        ),
        AuditEntry.objects.count(),
    )


SCHOOL = [pupil(i, "1A" if i < 6 else "1B", class_number=i) for i in range(1, 11)]


def test_the_first_night_creates_classes_pupils_and_the_leavers_class(tmp_path):
    code, report = run_sync(tmp_path, SCHOOL)
    assert code == 0 and report["applied"] is True
    assert report["institution"] == INSTITUTION and report["dry_run"] is False
    assert report["counts"]["created"] == 10
    assert set(report["counts"]) >= {
        "created",
        "moved",
        "updated",
        "left",
        "returned",
        "deferred",
        "rejected",
        "unchanged",
    }
    assert Pupil.objects.count() == 10
    codes = set(SchoolClass.objects.values_list("code", flat=True))
    assert codes == {"1A", "1B", "K2A", LEAVERS_CLASS_CODE}
    assert SchoolClass.objects.get(code="K2A").kindergarten_level == "K2"
    assert SourceAlias.objects.filter(source="wisa", kind="pupil").count() == 10
    assert AuditEntry.objects.filter(entity="pupil", action="create").count() == 10
    run = SyncRun.objects.get()
    assert run.status == "applied" and run.counts["created"] == 10


def test_the_same_export_twice_gives_only_unchanged(tmp_path):
    run_sync(tmp_path, SCHOOL)
    before = registry_rows()
    code, report = run_sync(tmp_path, SCHOOL)
    assert code == 0
    assert report["counts"]["unchanged"] == 10
    assert sum(report["counts"].values()) == 10
    assert registry_rows() == before


def test_next_night_moves_updates_leaves_and_creates(tmp_path):
    run_sync(tmp_path, SCHOOL)
    night2 = [
        pupil(1, "1B", class_number=1),  # moved
        pupil(2, "1A", class_number=12),  # new class number
        pupil(3, "1A", class_number=3, given_name="Gaëlle"),  # renamed
        *SCHOOL[3:9],  # 4..9 unchanged; 10 leaves
        pupil(11, "1B", class_number=11),  # new
    ]
    code, report = run_sync(tmp_path, night2)
    assert code == 0
    counts = report["counts"]
    assert (
        counts["moved"],
        counts["updated"],
        counts["left"],
        counts["created"],
        counts["unchanged"],
    ) == (1, 2, 1, 1, 6)
    assert class_of(SCHOOL[0]) == "1B"
    assert class_of(SCHOOL[9]) == LEAVERS_CLASS_CODE
    assert Pupil.objects.get(national_number=SCHOOL[9].national_number).is_leaver
    assert Pupil.objects.count() == 11  # the leaver is kept, never deleted
    number_change = [f for f in report["findings"] if f["code"] == "CLASS_NUMBER_CHANGED"]
    assert len(number_change) == 1 and number_change[0]["national_number_masked"]
    login = [a for a in report["actions"] if a["login_affecting"]]
    assert len(login) == 1
    moved = AuditEntry.objects.get(action="move")
    assert moved.changes["class"] == ["1A", "1B"]
    assert moved.sync_run_id == report["run_id"] and moved.actor == "cli"


def test_a_leaver_enrolled_again_returns_to_a_class(tmp_path):
    run_sync(tmp_path, SCHOOL)
    run_sync(tmp_path, SCHOOL[:9])
    code, report = run_sync(tmp_path, SCHOOL)
    assert report["counts"]["returned"] == 1
    assert class_of(SCHOOL[9]) == "1B"
    assert not Pupil.objects.get(national_number=SCHOOL[9].national_number).is_leaver


def test_a_pupil_without_class_number_waits_until_the_sis_gives_one(tmp_path):
    waiting = pupil(20, "1A", class_number=None)
    code, report = run_sync(tmp_path, [*SCHOOL, waiting])
    assert report["counts"]["deferred"] == 1
    assert not Pupil.objects.filter(national_number=waiting.national_number).exists()
    code, report = run_sync(tmp_path, [*SCHOOL, pupil(20, "1A", class_number=20)])
    assert report["counts"]["created"] == 1


def test_invalid_and_duplicate_national_numbers_are_rejected_and_named(tmp_path):
    broken = pupil(21, national_number="85073003329")
    twin_a = pupil(22)
    twin_b = pupil(23, national_number=twin_a.national_number, source_id="W23")
    code, report = run_sync(tmp_path, [*SCHOOL, broken, twin_a, twin_b])
    assert code == 0
    assert report["counts"]["rejected"] == 3 and report["counts"]["created"] == 10
    codes = {f["code"] for f in report["findings"]}
    assert {"PUPIL_NATIONAL_NUMBER_INVALID", "PUPIL_NATIONAL_NUMBER_DUPLICATE"} <= codes
    invalid = next(f for f in report["findings"] if f["code"] == "PUPIL_NATIONAL_NUMBER_INVALID")
    assert invalid["line"] == 12 and invalid["national_number_masked"] == "85.07.30-***.**"
    assert "85073003329" not in json.dumps(report)


def test_a_class_without_curriculum_rejects_its_pupils(tmp_path):
    classes = [klass("1A"), klass("1B", curriculum="")]
    code, report = run_sync(tmp_path, SCHOOL, classes=classes)
    assert report["counts"]["rejected"] == 5 and report["counts"]["created"] == 5
    (finding,) = [f for f in report["findings"] if f["code"] == "CLASS_CURRICULUM_MISSING"]
    assert finding["class_code"] == "1B"


def test_dry_run_shows_the_plan_apply_executes_and_writes_nothing(tmp_path):
    run_sync(tmp_path, SCHOOL)
    night2 = [pupil(1, "1B", class_number=1), *SCHOOL[1:9], pupil(11, "1A", class_number=11)]
    before = registry_rows()
    code, dry = run_sync(tmp_path, night2, "--dry-run")
    assert code == 0 and dry["dry_run"] is True and dry["applied"] is False
    assert registry_rows() == before
    code, real = run_sync(tmp_path, night2)
    assert real["applied"] is True
    assert dry["counts"] == real["counts"]
    assert dry["actions"] == real["actions"]
    assert dry["findings"] == real["findings"]


def test_an_export_that_empties_a_school_stops_with_exit_3_and_writes_nothing(tmp_path):
    run_sync(tmp_path, SCHOOL)
    before = registry_rows()
    code, report = run_sync(tmp_path, SCHOOL[:7])  # 3 of 10 would leave: 30% > 25%
    assert code == 3 and report["stopped"] and not report["applied"]
    assert "Schoolverlaters" in report["stop_reason"]
    assert registry_rows() == before
    assert SyncRun.objects.filter(status="stopped").count() == 1
    code, report = run_sync(tmp_path, SCHOOL[:7], "--force")
    assert code == 0 and report["counts"]["left"] == 3


def test_an_empty_export_stops(tmp_path):
    run_sync(tmp_path, SCHOOL)
    before = registry_rows()
    code, report = run_sync(tmp_path, [])
    assert code == 3 and report["stopped"] and not report["applied"]
    assert "geen enkele leerling" in report["stop_reason"]
    assert registry_rows() == before


def test_the_threshold_is_a_setting(tmp_path, settings):
    settings.SCHOOLBRUG_LEAVER_THRESHOLD = 0.5
    run_sync(tmp_path, SCHOOL)
    code, report = run_sync(tmp_path, SCHOOL[:7])
    assert code == 0 and report["counts"]["left"] == 3


def test_a_pupil_entered_by_hand_is_adopted(tmp_path):
    institution = Institution.objects.create(number=INSTITUTION, name="De Regenboog")
    Pupil.objects.create(
        institution=institution,
        national_number=SCHOOL[0].national_number,
        family_name="Peeters",
        given_name="Zoe",
        origin="",
    )
    code, report = run_sync(tmp_path, SCHOOL)
    # Entered by hand without a class: adopted, and moved into the class the SIS gives.
    assert report["counts"]["created"] == 9 and report["counts"]["moved"] == 1
    assert [a["adopted"] for a in report["actions"] if a["action"] == "moved"] == [True]
    adopted = Pupil.objects.get(national_number=SCHOOL[0].national_number)
    assert adopted.origin == "wisa" and adopted.given_name == "Zoë"
    assert Pupil.objects.count() == 10
    by_hand, entry = AuditEntry.objects.filter(entity_sourced_id=adopted.sourced_id).order_by("id")
    assert entry.changes["origin"] == ["", "wisa"] and entry.sync_run_id == report["run_id"]
    # Entering the pupil was logged too, the national number only masked.
    assert by_hand.action == "create" and by_hand.sync_run_id is None
    assert by_hand.changes["national_number"][1] == mask_national_number(SCHOOL[0].national_number)


def test_a_pupil_in_two_institutions_is_fine(tmp_path):
    run_sync(tmp_path, SCHOOL)
    other = Institution.objects.create(number="054321", name="Andere school")
    Pupil.objects.create(
        institution=other,
        national_number=SCHOOL[0].national_number,
        family_name="Peeters",
        given_name="Zoë",
        origin="wisa",
    )
    code, report = run_sync(tmp_path, SCHOOL)
    assert report["counts"]["unchanged"] == 10


@pytest.mark.parametrize(("encoding", "delimiter"), [("cp1252", ","), ("utf-8", ";")])
def test_windows_exports_and_comma_files_sync_the_same(tmp_path, encoding, delimiter):
    code, report = run_sync(tmp_path, SCHOOL, encoding=encoding, delimiter=delimiter)
    assert code == 0 and report["counts"]["created"] == 10
    assert set(Pupil.objects.values_list("given_name", flat=True)) == {"Zoë"}


def test_a_broken_export_exits_2_names_the_file_and_writes_nothing(tmp_path, capsys):
    pupils_path, classes_path = wisa_files(tmp_path, SCHOOL, CLASSES)
    pupils_path.write_text("NAAM;VOORNAAM\nPeeters;Zoë\n", encoding="utf-8")
    with pytest.raises(SystemExit) as stop:
        call_command(
            "sync",
            "wisa",
            "--institution",
            INSTITUTION,
            "--pupils",
            str(pupils_path),
            "--classes",
            str(classes_path),
        )
    assert stop.value.code == 2
    assert "leerlingen.csv" in capsys.readouterr().err
    assert Pupil.objects.count() == 0 and SchoolClass.objects.count() == 0
    assert SyncRun.objects.get().status == "bad_input"


def test_contact_data_from_the_pupils_main_record_when_the_school_chose_so(tmp_path):
    Institution.objects.create(
        number=INSTITUTION, name="De Regenboog", contact_source=Institution.ContactSource.HEADER
    )
    record = pupil(
        1, email="zoe@example.be", contacts={"mother": {"email": "mama@example.be", "city": "Gent"}}
    )
    from schoolbrug.sync.service import sync_snapshot
    from tests.factories import snapshot

    sync_snapshot(
        snapshot([record], classes=CLASSES, institution=INSTITUTION),
        started_by="test",
        school_year=2026,
    )
    stored = Pupil.objects.get()
    assert stored.email == "zoe@example.be"
    assert stored.contacts == {"mother": {"city": "Gent"}}


def test_the_pupils_own_email_is_kept_audited_and_never_logged(tmp_path, caplog):
    """Whatever the contact source (here the default: the parents'), from a WISA export."""
    caplog.set_level("DEBUG")
    run_sync(tmp_path, [pupil(1, email="zoe@example.be")])
    assert Pupil.objects.get().email == "zoe@example.be"
    code, report = run_sync(tmp_path, [pupil(1, email="zoe.peeters@example.be")], "--force")
    assert Pupil.objects.get().email == "zoe.peeters@example.be"
    update = AuditEntry.objects.get(entity="pupil", action="update")
    assert update.changes["email"] == ["zoe@example.be", "zoe.peeters@example.be"]

    code, report = run_sync(tmp_path, [pupil(1, email="zoe.peeters(at)example.be")], "--force")
    assert Pupil.objects.get().email == ""  # left out, with a finding that names the column
    [finding] = [f for f in report["findings"] if f["code"] == "PUPIL_EMAIL_INVALID"]
    assert finding["field"] == "EMAIL" and "example.be" not in json.dumps(finding)
    assert "example.be" not in caplog.text


def test_runs_are_listed(tmp_path, capsys):
    run_sync(tmp_path, SCHOOL)
    capsys.readouterr()
    call_command("runs")
    out = capsys.readouterr().out
    # In Dutch, like the rest of the command line: the status as the portal shows it.
    assert INSTITUTION in out and "\ttoegepast\t" in out and "applied" not in out


def test_the_school_year_defaults_to_today(tmp_path):
    from schoolbrug.registry.models import SchoolYear

    assert SchoolYear.start_year_for(datetime.date(2026, 8, 31)) == 2025
    assert SchoolYear.start_year_for(datetime.date(2026, 9, 1)) == 2026


def test_two_schools_may_use_the_same_wisa_ids():
    from schoolbrug.sync.service import sync_snapshot
    from tests.factories import snapshot

    first = [pupil(i, source_id=f"W{i}") for i in range(1, 4)]
    second = [pupil(i + 50, source_id=f"W{i}") for i in range(1, 4)]
    sync_snapshot(snapshot(first, institution="011111"), started_by="test", school_year=2026)
    report = sync_snapshot(
        snapshot(second, institution="022222"), started_by="test", school_year=2026
    )
    assert report.counts["created"] == 3
    assert SourceAlias.objects.filter(external_id="W1").count() == 2


def test_new_pupils_get_a_payment_reference_which_a_next_sync_keeps(tmp_path):
    """No SIS format carries a structured payment reference: Schoolbrug issues one to each
    new pupil at the sync, logs it with the pupil's creation, and never changes it."""
    from stdnum.be import ogm_vcs

    code, _ = run_sync(tmp_path, SCHOOL)
    assert code == 0
    first = dict(Pupil.objects.values_list("national_number", "structured_reference"))
    assert len(first) == len(SCHOOL) and len(set(first.values())) == len(SCHOOL)
    assert all(ogm_vcs.is_valid(reference) for reference in first.values())
    created = AuditEntry.objects.filter(entity="pupil", action=AuditEntry.Action.CREATE)
    logged = {e.changes["structured_reference"][1] for e in created}
    assert logged == set(first.values())

    moved = [pupil(i, "1B", class_number=i) for i in range(1, 11)]
    assert run_sync(tmp_path, [*moved, pupil(11, "1A", class_number=11)])[0] == 0
    after = dict(Pupil.objects.values_list("national_number", "structured_reference"))
    assert {nn: after[nn] for nn in first} == first
    newcomer = pupil(11).national_number
    assert ogm_vcs.is_valid(after[newcomer]) and after[newcomer] not in first.values()
