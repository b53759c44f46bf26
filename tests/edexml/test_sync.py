"""An EDEXML file through the pipeline every source shares: the WISA sync's findings, counts,
dry run and safety rules hold, combined groups become pupils' extra groups, teachers staff with
teaching links, and the institution learns its country."""

import io
import json

import pytest
from django.core.management import call_command

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import (
    Institution,
    Pupil,
    SchoolClass,
    SourceAlias,
    Staff,
    SubclassMembership,
    Teaching,
)
from schoolbrug.sync.models import SyncRun
from tests.edexml.files import DUTCH, FLEMISH, combined, group, leerkracht, leerling, write
from tests.edexml.test_mapping import valid_nn

pytestmark = pytest.mark.django_db
GROUPS = [group("g5", "5A", "7"), group("g1", "Kikkers", "1"), combined("s1", "Rekenen plus")]


def sync(path, *extra) -> tuple[int, dict]:
    out = io.StringIO()
    try:
        call_command("sync", "edexml", str(path), "--json", *extra, stdout=out)
        code = 0
    except SystemExit as stop:
        code = stop.code
    return code, json.loads(out.getvalue())


def dutch_school(tmp_path, pupils, teachers=(), name="school.xml"):
    return write(tmp_path / name, brin="12AB", dependance="01", groups=GROUPS, pupils=pupils,
                 teachers=teachers)  # fmt: skip


def test_dutch_school_groups_pupils_extra_groups_and_teachers(tmp_path):
    pupils = [leerling("1", "Jansen", "Eva", "g5", combined=["s1"], eckid="https://k/1"),
              leerling("2", "Smit", "Noah", "g1", jaargroep="1")]  # fmt: skip
    teachers = [leerkracht("T1", "Dekker", "Ilse", "ilse@example.nl", ["g5"], ["s1"])]
    code, report = sync(dutch_school(tmp_path, pupils, teachers))
    assert code == 0 and report["counts"]["created"] == 2
    institution = Institution.objects.get()
    assert (institution.number, institution.country) == ("12AB01", "NL")
    eva = Pupil.objects.get(given_name="Eva")
    assert eva.eckid == "https://k/1"
    assert eva.enrolments.get().school_class.code == "5A"
    assert Pupil.objects.get(given_name="Noah").enrolments.get().school_class.kindergarten_level
    (membership,) = SubclassMembership.objects.all()
    assert (membership.pupil, membership.subclass.code) == (eva, "Rekenen plus")
    assert AuditEntry.objects.filter(entity_sourced_id=eva.sourced_id, changes__group__isnull=False)
    staff = Staff.objects.get()
    assert staff.email == "ilse@example.nl"
    linked = Teaching.objects.filter(assignment__staff=staff).values_list("schoolclass__code")
    assert sorted(c for (c,) in linked) == ["5A", "Rekenen plus"]


def test_a_pupil_leaves_a_combined_group_the_file_no_longer_names(tmp_path):
    sync(dutch_school(tmp_path, [leerling("1", "Jansen", "Eva", "g5", combined=["s1"])]))
    assert SubclassMembership.objects.filter(ended_at__isnull=True).count() == 1
    code, _ = sync(dutch_school(tmp_path, [leerling("1", "Jansen", "Eva", "g5")], name="2.xml"))
    assert code == 0
    assert SubclassMembership.objects.filter(ended_at__isnull=True).count() == 0
    assert SubclassMembership.objects.count() == 1  # ended, not deleted


def test_a_rejected_pupil_keeps_the_extra_groups_they_had(tmp_path):
    sync(dutch_school(tmp_path, [leerling("1", "Jansen", "Eva", "g5", combined=["s1"])]))
    nameless = leerling("1", None, "Eva", "g5")  # no family name: rejected
    code, report = sync(dutch_school(tmp_path, [nameless], name="2.xml"))
    assert report["counts"]["rejected"] == 1
    assert SubclassMembership.objects.filter(ended_at__isnull=True).count() == 1


def test_the_wisa_findings_hold_for_a_flemish_file(tmp_path):
    good, bad = valid_nn("170304", 1), "17030400100"
    pupils = [leerling("1", "Peeters", "Jan", "g5", rrn=good, gender="1", birth="2017-03-04"),
              leerling("2", "Maes", "Lien", "g5", rrn=bad),
              leerling("3", "Claes", "Mona", "g5"),
              leerling("4", "Wouters", "Tim", None)]  # fmt: skip
    path = write(tmp_path / "f.xml", number="12345", groups=GROUPS, pupils=pupils)
    code, report = sync(path)
    assert code == 0
    codes = {f["code"] for f in report["findings"]}
    assert {"PUPIL_NATIONAL_NUMBER_INVALID", "PUPIL_CLASS_MISSING"} <= codes
    assert "PUPIL_NATIONAL_NUMBER_MISSING" not in codes  # Mona is keyed on her key
    assert report["counts"]["created"] == 2 and report["counts"]["rejected"] == 2
    assert all(bad not in json.dumps(f) for f in report["findings"])  # masked
    institution = Institution.objects.get()
    assert (institution.number, institution.country) == ("012345", "BE")
    assert Pupil.objects.get(given_name="Jan").national_number == good
    assert SourceAlias.objects.filter(source="edexml", external_id="3").exists()


def test_the_flemish_key_follows_the_national_number_when_the_file_key_changes(tmp_path):
    number = valid_nn("170304", 1)
    first = leerling("1", "Peeters", "Jan", "g5", rrn=number, gender="1", birth="2017-03-04")
    sync(write(tmp_path / "a.xml", number="12345", groups=GROUPS, pupils=[first]))
    again = dict(first, key="NEW-7")
    code, report = sync(write(tmp_path / "b.xml", number="12345", groups=GROUPS, pupils=[again]))
    assert code == 0 and report["counts"]["created"] == 0
    assert Pupil.objects.count() == 1


def test_dry_run_writes_nothing_but_its_run(tmp_path):
    code, report = sync(dutch_school(tmp_path, [leerling("1", "Jansen", "Eva", "g5")]), "--dry-run")
    assert code == 0 and report["dry_run"] and report["counts"]["created"] == 1
    assert not Pupil.objects.exists() and not SchoolClass.objects.exists()
    assert SyncRun.objects.get().status == SyncRun.Status.DRY_RUN


def test_the_safety_rule_stops_a_file_that_loses_most_pupils(tmp_path):
    many = [leerling(str(i), f"Naam{i}", "Kind", "g5") for i in range(1, 21)]
    sync(dutch_school(tmp_path, many))
    code, report = sync(dutch_school(tmp_path, many[:2], name="2.xml"))
    assert code == 3 and report["stopped"]
    assert Pupil.objects.filter(is_leaver=False).count() == 20
    code, report = sync(dutch_school(tmp_path, many[:2], name="2.xml"), "--force")
    assert code == 0 and report["counts"]["left"] == 18


def test_both_example_files_report_what_they_hold(tmp_path):
    _, flemish = sync(FLEMISH)
    _, dutch = sync(DUTCH)
    assert flemish["institution"] == "001234" and dutch["institution"] == "99ZZ00"
    assert {f["code"] for f in flemish["findings"]} >= {
        "PUPIL_FAMILY_NAME_MISSING",  # Wimpie has only a roepnaam
        "PUPIL_CLASS_MISSING",  # Assati has no group
        "TEACHER_EMAIL_MISSING",
    }
    report_fields = {"institution", "source", "dry_run", "applied", "counts", "findings", "run_id"}
    assert report_fields <= dutch.keys()
    assert dutch["source"] == "edexml" and dutch["counts"]["created"] == 2  # 1 leaver record
    wimpie = Pupil.objects.get(institution__number="99ZZ00", given_name="Wimpie")
    groups = SubclassMembership.objects.filter(pupil=wimpie).values_list("subclass__code")
    assert sorted(c for (c,) in groups) == ["Samgroep 1", "Samgroep 2"]
