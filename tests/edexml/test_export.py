"""`schoolbrug export edexml`: the Dutch variant for a BRIN, the Flemish one otherwise, valid
against the standard's schema; importing what was exported changes nothing (same ids)."""

import io

import pytest
from django.core.management import CommandError, call_command
from lxml import etree

from schoolbrug.audit.models import AuditEntry
from schoolbrug.edexml.schema import schema
from schoolbrug.registry.models import (
    Enrolment,
    Pupil,
    SchoolClass,
    Staff,
    SubclassMembership,
    Teaching,
)
from tests.edexml.files import DUTCH, FLEMISH, combined, group, leerkracht, leerling, shared_schema
from tests.edexml.files import write as write_file
from tests.edexml.test_mapping import valid_nn
from tests.edexml.test_sync import sync

pytestmark = pytest.mark.django_db
YEAR = ["--school-year", "2024-2025"]  # within the schema's own list of school years


def export(path, number, *extra):
    out = io.StringIO()
    call_command("export", "edexml", str(path), "--institution", number, *extra, stdout=out)
    return etree.parse(str(path))


def registry_snapshot():
    """Every id and value an import could change."""
    return {
        "pupils": sorted(
            Pupil.objects.values_list(
                "sourced_id", "family_name", "given_name", "gender", "birth_date",
                "national_number", "eckid", "is_leaver", "address",
            )
        ),
        "enrolments": sorted(
            Enrolment.objects.values_list(
                "sourced_id", "pupil_id", "school_class_id", "class_number"
            )
        ),
        "classes": sorted(
            SchoolClass.objects.values_list(
                "sourced_id", "code", "stage", "year", "curriculum", "is_active"
            )
        ),
        "groups": sorted(
            SubclassMembership.objects.values_list(
                "sourced_id", "pupil_id", "subclass_id", "ended_at"
            )
        ),
        "staff": sorted(Staff.objects.values_list("sourced_id", "email")),
        "teaching": sorted(
            Teaching.objects.values_list("sourced_id", "schoolclass_id", "end_date")
        ),
    }  # fmt: skip


def flemish_school(tmp_path):
    number = valid_nn("170304", 1)
    return write_file(
        tmp_path / "vl.xml",
        number="12345",
        groups=[group("a", "3A", "5"), group("k", "K2", "1"), combined("s", "Lezen")],
        pupils=[
            leerling("1", "Peeters", "Jan", "a", rrn=number, gender="1", birth="2017-03-04",
                     combined=["s"]),
            leerling("2", "Maes", "Lien", "k", jaargroep="1", gender="2", birth="2021-05-06"),
        ],
        teachers=[leerkracht("T1", "Claes", "An", "an@example.be", ["a"], ["s"])],
        year="2024-2025",
    )  # fmt: skip


@pytest.mark.parametrize("variant", ["dutch", "flemish"])
def test_the_export_is_schema_valid_and_its_import_changes_nothing(tmp_path, variant):
    source = DUTCH if variant == "dutch" else flemish_school(tmp_path)
    assert sync(source, *YEAR)[0] == 0
    number = "99ZZ00" if variant == "dutch" else "012345"
    tree = export(tmp_path / "out.xml", number, *YEAR, "--with-national-number")
    shared = shared_schema()
    assert shared.validate(tree), shared.error_log
    school = tree.getroot().find("school")
    if variant == "dutch":
        assert (school.findtext("brincode"), school.findtext("dependancecode")) == ("99ZZ", "00")
        assert tree.find(".//rijksregisternummer") is None
        assert tree.find(".//leerling").get("eckid").startswith("https://id.school/")
    else:
        assert school.findtext("instellingsnummer") == "12345"
        assert tree.find(".//rijksregisternummer").text == valid_nn("170304", 1)
        assert tree.find(".//leerkracht/emailadres").text == "an@example.be"
    assert tree.find(".//samengestelde_groepen") is not None
    before = registry_snapshot()
    audited = AuditEntry.objects.count()
    code, report = sync(tmp_path / "out.xml", *YEAR)
    assert code == 0
    assert report["counts"]["created"] == 0 and report["counts"]["updated"] == 0
    assert report["counts"]["moved"] == 0 and report["counts"]["left"] == 0
    assert registry_snapshot() == before
    assert AuditEntry.objects.count() == audited


def test_an_export_of_this_school_year_validates_with_the_years_after_the_standards_list(
    tmp_path,
):
    sync(DUTCH)
    tree = export(tmp_path / "now.xml", "99ZZ00")
    assert schema().validate(tree)
    assert int(tree.findtext("school/schooljaar")[:4]) > 2024
    code, report = sync(tmp_path / "now.xml")
    assert code == 0 and report["counts"]["created"] == 0


def test_an_institution_without_active_pupils_is_refused(tmp_path):
    """The Flemish example's pupils are rejected (no name, no group) or left: nothing to
    write, and EDEXML needs at least one pupil."""
    sync(FLEMISH, *YEAR)
    with pytest.raises(CommandError) as refused:
        export(tmp_path / "x.xml", "001234", *YEAR)
    assert refused.value.returncode == 2 and "geen leerlingen" in str(refused.value)
    assert not (tmp_path / "x.xml").exists()


def test_the_national_number_is_written_only_when_asked(tmp_path):
    sync(flemish_school(tmp_path), *YEAR)
    tree = export(tmp_path / "out.xml", "012345", *YEAR)
    assert shared_schema().validate(tree)
    assert tree.find(".//rijksregisternummer") is None
    assert valid_nn("170304", 1) not in (tmp_path / "out.xml").read_text(encoding="utf-8")
    before = registry_snapshot()
    code, report = sync(tmp_path / "out.xml", *YEAR)  # matched on the key: nothing changes
    assert code == 0 and report["counts"]["created"] == report["counts"]["updated"] == 0
    assert registry_snapshot() == before
