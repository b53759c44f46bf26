"""Import what we export: a OneRoster set Schoolbrug wrote, read into an empty registry and
written again, is the same set, with the same ids (leavers too); a delta read into the registry
that had the earlier set gives the registry the later bulk set gives."""

import dataclasses
import datetime
import time
import uuid
import zipfile

import pytest
from django.core.management import call_command
from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.oneroster.csv_out.export import export_oneroster
from schoolbrug.registry.models import (
    LEAVERS_CLASS_CODE,
    Assignment,
    Enrolment,
    Institution,
    Pupil,
    SchoolClass,
    SchoolYear,
    SourceAlias,
    SourceDetails,
    Staff,
)
from schoolbrug.sources.records import StaffRecord
from schoolbrug.staff.source_teachers import apply_staff
from schoolbrug.sync.models import SyncRun
from schoolbrug.sync.service import sync_snapshot
from tests.factories import klass, pupil, snapshot
from tests.sync.oneroster_binding import check_set, table

pytestmark = pytest.mark.django_db

CLASSES = [klass("1A"), klass("2B", year=2), klass("K1", stage="NVT", year=1, curriculum="KO")]
PUPILS = [
    pupil(i, ["1A", "2B", "K1"][i % 3], class_number=i, birth=datetime.date(2015 + i % 4, 5, i))
    for i in range(1, 13)
]
LEAVER = pupil(13, "2B", class_number=13, family_name="Wouters", birth=datetime.date(2016, 1, 9))
SCHOOL_YEAR = ["--school-year", "2026-2027"]


def night(pupils, classes=CLASSES):
    report = sync_snapshot(snapshot(pupils, classes=classes), started_by="test", school_year=2026)
    assert report.applied and not report.stopped, report


def registry_from_wisa():
    """Twelve pupils in three classes, one leaver (in the last night's export no more) and a
    teacher of 1A."""
    night(PUPILS + [LEAVER])
    night(PUPILS)
    teacher = Staff.objects.create(email="juf.an@example.be", given_name="An", family_name="Claes")
    assignment = Assignment.objects.create(
        staff=teacher,
        institution=Institution.objects.get(),
        role="teacher",
        start_date=datetime.date(2026, 9, 1),
    )
    assignment.classes.add(SchoolClass.objects.get(code="1A"))


def empty_registry():
    for model in (
        AuditEntry,
        SyncRun,
        SourceAlias,
        SourceDetails,
        Enrolment,
        Assignment,
        Staff,
        Pupil,
        SchoolClass,
        Institution,
        SchoolYear,
    ):
        model.objects.all().delete()


def files_of(path):
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return {name: archive.read(name) for name in sorted(archive.namelist())}
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def assert_same_files(first, second):
    first_files, second_files = files_of(first), files_of(second)
    assert first_files.keys() == second_files.keys()
    for name in first_files:
        assert first_files[name] == second_files[name], name


def registry_contents() -> dict:
    """What a OneRoster set carries of the registry, by our ids (class numbers it has not)."""
    enrolments = dict(Enrolment.objects.values_list("pupil__sourced_id", "school_class__code"))
    return {
        "pupils": {
            p.sourced_id: (
                p.family_name, p.given_name, p.gender, p.birth_date, p.is_leaver,
                enrolments.get(p.sourced_id),
            )
            for p in Pupil.objects.all()
        },
        "classes": set(
            SchoolClass.objects.values_list(
                "sourced_id", "code", "stage", "year", "curriculum", "is_leavers", "is_active"
            )
        ),
        "staff": {
            s.sourced_id: (s.email, s.given_name, s.family_name, sorted(
                Assignment.classes.through.objects.filter(assignment__staff=s)
                .values_list("schoolclass__code", flat=True)
            ))
            for s in Staff.objects.all()
        },
    }  # fmt: skip


def sync_oneroster(path, *extra):
    call_command("sync", "oneroster", str(path), *SCHOOL_YEAR, *extra)


# --- bulk: export, import into an empty registry, export ----------------------------------------


@pytest.mark.parametrize("target", ["first", "first.zip"])
@pytest.mark.parametrize("with_national_number", [False, True])
def test_export_import_export_gives_identical_files(tmp_path, with_national_number, target):
    registry_from_wisa()
    first = tmp_path / target
    export_oneroster(first, with_national_number=with_national_number, school_year=2026)
    check_set(first, "bulk")
    pupil_ids = set(Pupil.objects.values_list("sourced_id", flat=True))
    leaver = Pupil.objects.get(is_leaver=True).sourced_id

    empty_registry()
    sync_oneroster(first)
    assert set(Pupil.objects.values_list("sourced_id", flat=True)) == pupil_ids
    # The leaver is there, as a leaver in the leavers class: not an active pupil, not lost.
    assert list(Pupil.objects.filter(is_leaver=True).values_list("sourced_id", flat=True)) == [
        leaver
    ]
    assert Enrolment.objects.get(pupil__sourced_id=leaver).school_class.code == LEAVERS_CLASS_CODE
    assert Staff.objects.get().email == "juf.an@example.be"
    if with_national_number:
        assert set(Pupil.objects.values_list("national_number", flat=True)) == {
            p.national_number for p in PUPILS + [LEAVER]
        }

    second = tmp_path / target.replace("first", "second")
    export_oneroster(second, with_national_number=with_national_number, school_year=2026)
    assert_same_files(first, second)


def test_reading_our_own_export_back_into_the_same_registry_changes_nothing(tmp_path, capsys):
    registry_from_wisa()
    export_oneroster(tmp_path, school_year=2026)
    before = registry_contents()
    sync_oneroster(tmp_path, "--json")
    out = capsys.readouterr().out
    assert '"created": 0' in out and '"left": 0' in out and '"returned": 0' in out
    assert registry_contents() == before  # the leaver stays a leaver, nobody is deleted


# --- delta: what changed after the bulk set -----------------------------------------------------


def moment() -> datetime.datetime:
    time.sleep(0.002)
    now = timezone.now()
    time.sleep(0.002)
    return now


def renamed(record, **changes):
    return dataclasses.replace(record, **changes)


def later_nights():
    """After the first export: pupil 3 moves from 1A to 2B, pupil 5 is renamed, pupil 6 leaves,
    the leaver comes back to 1A, pupil 14 comes in a new class 3C, pupil 15 comes and leaves
    again; An also teaches 2B, and Bert teaches 3C."""
    by_id = {p.source_id: p for p in PUPILS}
    second = [by_id[f"W{i}"] for i in (1, 2, 4, 7, 8, 9, 10, 11, 12)]
    second += [
        renamed(by_id["W3"], class_code="2B"),
        renamed(by_id["W5"], family_name="Peeters-Maes"),
        renamed(LEAVER, class_code="1A"),
        pupil(14, "3C", class_number=1, family_name="Nieuw", birth=datetime.date(2014, 2, 2)),
        pupil(15, "2B", class_number=15, family_name="Kort", birth=datetime.date(2015, 3, 3)),
    ]
    classes = CLASSES + [klass("3C", year=3)]
    night(second, classes)
    night(second[:-1], classes)  # pupil 15 leaves again
    institution = Institution.objects.get()
    an = Staff.objects.get(email="juf.an@example.be")
    apply_staff(
        [StaffRecord(str(an.sourced_id), an.email, "An", "Claes", ["1A", "2B"])],
        source="oneroster",
        institution=institution,
        school_year=SchoolYear.objects.get(start_year=2026),
        class_pks=dict(SchoolClass.objects.values_list("code", "pk")),
        record_audit=lambda *args: None,
    )
    bert = Staff.objects.create(
        email="meester.bert@example.be", given_name="Bert", family_name="Smet"
    )
    assignment = Assignment.objects.create(
        staff=bert, institution=institution, role="teacher", start_date=datetime.date(2026, 9, 1)
    )
    assignment.classes.add(SchoolClass.objects.get(code="3C"))


def wisa_pupil_id(source_id: str) -> str:
    return str(SourceAlias.objects.get(source="wisa", external_id=source_id).sourced_id)


@pytest.fixture
def three_sets(tmp_path):
    """(bulk before, delta since then, bulk after) of a registry the WISA syncs made."""
    registry_from_wisa()
    before = tmp_path / "before"
    export_oneroster(before, school_year=2026)
    since = moment()
    later_nights()
    delta, after = tmp_path / "delta", tmp_path / "after"
    export_oneroster(delta, school_year=2026, delta_since=since)
    export_oneroster(after, school_year=2026)
    return before, delta, after


def test_the_delta_follows_the_binding_and_names_each_change(three_sets):
    before, delta, after = three_sets
    check_set(before, "bulk")
    check_set(after, "bulk")
    tables = check_set(delta, "delta", earlier=before)

    assert tables.keys() == {"classes", "courses", "users", "roles", "enrollments", "demographics"}
    ids = {f"W{i}": wisa_pupil_id(f"W{i}") for i in (3, 5, 6, 13, 14, 15)}
    users = {r["sourcedId"]: r["status"] for r in tables["users"]}
    an, bert = (str(Staff.objects.get(given_name=n).sourced_id) for n in ("An", "Bert"))
    assert users == {
        ids["W3"]: "active", ids["W5"]: "active", ids["W13"]: "active", ids["W14"]: "active",
        ids["W6"]: "tobedeleted", ids["W15"]: "tobedeleted", an: "active", bert: "active",
    }  # fmt: skip
    code = {r["sourcedId"]: r["classCode"] for r in table(after, "classes")}
    enrollments = {
        (r["userSourcedId"], code[r["classSourcedId"]], r["status"]) for r in tables["enrollments"]
    }
    assert enrollments >= {
        (ids["W3"], "2B", "active"), (ids["W3"], "1A", "tobedeleted"),  # moved
        (ids["W6"], LEAVERS_CLASS_CODE, "tobedeleted"), (ids["W6"], "1A", "tobedeleted"),
        (ids["W13"], "1A", "active"), (ids["W13"], LEAVERS_CLASS_CODE, "tobedeleted"),
        (ids["W15"], LEAVERS_CLASS_CODE, "tobedeleted"), (ids["W15"], "2B", "tobedeleted"),
        (ids["W14"], "3C", "active"), (an, "2B", "active"), (bert, "3C", "active"),
    }  # fmt: skip
    assert {r["classCode"] for r in tables["classes"]} == {"3C"}
    # Every enrollment names a class of the sets: none that the reader never had.
    assert {r["classSourcedId"] for r in tables["enrollments"]} <= code.keys()


@pytest.mark.parametrize("zipped", [False, True])
def test_a_delta_read_after_the_bulk_gives_the_registry_the_later_bulk_gives(
    three_sets, tmp_path, zipped
):
    before, delta, after = three_sets
    ids = {f"W{i}": uuid.UUID(wisa_pupil_id(f"W{i}")) for i in (3, 5, 6, 13, 14, 15)}
    if zipped:
        since_files = {p.name for p in delta.iterdir()}
        delta = tmp_path / "delta.zip"
        with zipfile.ZipFile(delta, "w") as archive:
            for name in sorted(since_files):
                archive.write(tmp_path / "delta" / name, name)

    empty_registry()
    sync_oneroster(before)
    sync_oneroster(delta)
    by_delta = registry_contents()
    export_oneroster(tmp_path / "by-delta", school_year=2026)

    empty_registry()
    sync_oneroster(before)
    sync_oneroster(after)
    by_bulk = registry_contents()

    empty_registry()
    sync_oneroster(after)
    assert registry_contents() == by_bulk == by_delta
    pupils = by_delta["pupils"]
    assert pupils[ids["W3"]][-2:] == (False, "2B")  # moved
    assert pupils[ids["W5"]][0] == "Peeters-Maes"
    assert pupils[ids["W13"]][-2:] == (False, "1A")  # came back
    assert pupils[ids["W14"]][-2:] == (False, "3C")
    # Leavers are leavers, in the leavers class: never deleted, never active; the one who came
    # and went after the bulk set too.
    assert pupils[ids["W6"]][-2:] == pupils[ids["W15"]][-2:] == (True, LEAVERS_CLASS_CODE)
    assert sum(1 for p in pupils.values() if p[-2]) == 2
    staff = {email: codes for email, _, _, codes in by_delta["staff"].values()}
    assert staff == {"juf.an@example.be": ["1A", "2B"], "meester.bert@example.be": ["3C"]}
    # And the registry read from the delta writes the later bulk set again, byte for byte.
    assert_same_files(after, tmp_path / "by-delta")


def test_our_delta_moves_and_makes_leavers_in_a_registry_whose_pupils_came_from_elsewhere(
    tmp_path,
):
    """The pupils came from WISA (the registry knows WISA's ids for them): the delta names them
    by our own ids, and that is enough to move them and to make them leave."""
    registry_from_wisa()
    since = moment()
    later_nights()
    export_oneroster(tmp_path / "delta", school_year=2026, delta_since=since)
    after = registry_contents()
    # Back, by hand, to before: pupil 6 active in 1A, pupil 3 in 1A.
    one_a = SchoolClass.objects.get(code="1A")
    for source_id in ("W6", "W3"):
        pupil_id = wisa_pupil_id(source_id)
        Pupil.objects.filter(sourced_id=pupil_id).update(is_leaver=False)
        Enrolment.objects.filter(pupil__sourced_id=pupil_id).update(school_class=one_a)
    assert registry_contents() != after

    sync_oneroster(tmp_path / "delta")

    assert registry_contents() == after
