"""Issue 18, point 6: a record that came from a OneRoster set is exported under the set's own
`sourcedId` (users, classes, courses, enrollments, orgs), ours staying the key inside; two
sets that give one id to different records do not give an app two rows with one id; and our
export of such a registry still reads back into an empty registry as the same set.

With the real Ed-Fi set (../shared/oneroster/samples), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.oneroster.csv_in.reader import parse_oneroster
from schoolbrug.oneroster.csv_out.export import export_oneroster
from schoolbrug.registry.models import (
    AcademicSession,
    Institution,
    Pupil,
    SourceAlias,
    SourceDetails,
)
from schoolbrug.registry.outward import OutwardIds, inward, outward_ids
from tests.sync.test_oneroster_roundtrip import assert_same_files, empty_registry

pytestmark = pytest.mark.django_db

EDFI = Path(__file__).resolve().parents[3] / "shared/oneroster/samples/edfi-grand-bend-1.1"
YEAR = ("--school-year", "2026-2027")


@pytest.fixture
def edfi() -> Path:
    if not EDFI.is_dir():
        pytest.skip(f"OneRoster sample set not found at {EDFI} (outside the repo)")
    return EDFI


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def ids(folder: Path, name: str) -> set[str]:
    return {row["sourcedId"] for row in rows(folder, name)}


def sync(folder: Path) -> None:
    call_command("sync", "oneroster", str(folder), *YEAR)


def test_the_sets_ids_come_back_unchanged_in_our_export(edfi, tmp_path):
    sync(edfi)
    export_oneroster(tmp_path / "out", school_year=2026)
    out = tmp_path / "out"

    assert ids(out, "users") == ids(edfi, "users")  # 8 students and 2 teachers
    assert ids(out, "orgs") == {"255901001"}  # the school (its district is no institution)
    classes = {row["sourcedId"]: row for row in rows(out, "classes")}
    assert set(classes) - {c for c in classes if classes[c]["title"] == "Schoolverlaters"} == ids(
        edfi, "classes"
    )
    # Each class's course is the set's course of that class.
    courses = {row["sourcedId"]: row["courseSourcedId"] for row in rows(edfi, "classes")}
    assert {c: classes[c]["courseSourcedId"] for c in courses} == courses
    assert set(courses.values()) <= ids(out, "courses")
    # Every enrollment we write is one of the set's, under its id and between the same two.
    theirs = {row["sourcedId"]: row for row in rows(edfi, "enrollments")}
    ours = rows(out, "enrollments")
    assert len(ours) == 10  # one class per pupil (8) and the two teachers' classes
    for row in ours:
        source = theirs[row["sourcedId"]]
        assert (row["userSourcedId"], row["classSourcedId"], row["role"]) == (
            source["userSourcedId"], source["classSourcedId"], source["role"]
        )  # fmt: skip
    # Every reference names a row of the set we wrote.
    users, orgs = ids(out, "users"), ids(out, "orgs")
    assert {r["userSourcedId"] for r in rows(out, "roles")} == users
    assert {r["orgSourcedId"] for r in rows(out, "roles")} == orgs
    assert {r["primaryOrgSourcedId"] for r in rows(out, "users")} == orgs
    assert ids(out, "demographics") <= users
    # Users log in by the set's usernames, with its userIds (issue 18, point 6).
    given = {r["sourcedId"]: (r["username"], r["userIds"]) for r in rows(edfi, "users")}
    assert {r["sourcedId"]: (r["username"], r["userIds"]) for r in rows(out, "users")} == given
    # Ours stays the key inside.
    alias = SourceAlias.objects.get(kind="pupil", external_id="604863")
    assert Pupil.objects.get(sourced_id=alias.sourced_id).given_name == "Mary"
    assert inward("604863", "users") == alias.sourced_id


def test_reading_our_export_back_changes_nothing(edfi, tmp_path):
    sync(edfi)
    export_oneroster(tmp_path / "first", school_year=2026)
    aliases = set(SourceAlias.objects.values_list("kind", "external_id", "sourced_id"))

    sync(tmp_path / "first")

    assert set(SourceAlias.objects.values_list("kind", "external_id", "sourced_id")) == aliases
    export_oneroster(tmp_path / "second", school_year=2026)
    assert_same_files(tmp_path / "first", tmp_path / "second")


def test_our_export_read_into_an_empty_registry_gives_the_same_set(edfi, tmp_path):
    sync(edfi)
    export_oneroster(tmp_path / "first", school_year=2026)
    empty_registry()

    sync(tmp_path / "first")
    export_oneroster(tmp_path / "second", school_year=2026)

    assert_same_files(tmp_path / "first", tmp_path / "second")


def other_school(tmp_path: Path) -> Path:
    """The Ed-Fi set as a second school's: its own org id (and so class ids), but the same
    user, course and enrollment ids for other people: two SISes that both count from 1."""
    folder = tmp_path / "other"
    shutil.copytree(EDFI, folder)
    for path in folder.glob("*.csv"):
        text = path.read_text(encoding="utf-8-sig").replace("255901001", "255901002")
        path.write_text(text.replace("Mary", "Maria"), encoding="utf-8")
    return folder


def test_two_sets_that_give_one_id_to_different_pupils_never_give_two_rows_one_id(edfi, tmp_path):
    sync(edfi)
    sync(other_school(tmp_path))
    export_oneroster(tmp_path / "out", school_year=2026)

    for name in ("users", "enrollments", "courses", "classes", "orgs"):
        written = [row["sourcedId"] for row in rows(tmp_path / "out", name)]
        assert len(written) == len(set(written)), name
    users = {row["sourcedId"]: row["givenName"] for row in rows(tmp_path / "out", "users")}
    assert users["604863"] == "Mary"  # the first set keeps its id
    maria = Pupil.objects.get(given_name="Maria")
    assert users[str(maria.sourced_id)] == "Maria"  # the later one has ours
    # The same rule for the API's batch lookup and for the export's.
    assert outward_ids([maria.sourced_id]) == {}
    assert OutwardIds.load()[maria.sourced_id] == str(maria.sourced_id)
    assert inward("604863", "users") == Pupil.objects.get(given_name="Mary").sourced_id
    # Deterministic: the same again.
    export_oneroster(tmp_path / "again", school_year=2026)
    assert_same_files(tmp_path / "out", tmp_path / "again")


def test_the_sets_enrollment_dates_come_back_on_its_pupils_enrollments(edfi, tmp_path):
    sync(edfi)
    export_oneroster(tmp_path / "out", school_year=2026)

    theirs = {row["sourcedId"]: row for row in rows(edfi, "enrollments")}
    students = [r for r in rows(tmp_path / "out", "enrollments") if r["role"] == "student"]
    assert len(students) == 8
    for row in students:
        given = theirs[row["sourcedId"]]
        assert (row["beginDate"], row["endDate"]) == (given["beginDate"], given["endDate"])
    assert SourceDetails.objects.filter(kind="enrollment").count() == 8
    # A change is in the log, under the record's id and the sync's run.
    entries = AuditEntry.objects.filter(entity="source_details")
    assert entries.count() == 18 and all(e.sync_run_id for e in entries)  # 10 users, 8 pupils'


def changed_set(tmp_path: Path) -> Path:
    """The Ed-Fi set as the SIS sends it later: Mary's username changed, Kyle's gone (the
    default again), Mary's national number added to her userIds, an enrollment's end moved."""
    folder = tmp_path / "later"
    shutil.copytree(EDFI, folder)
    users = (folder / "users.csv").read_text(encoding="utf-8-sig")
    users = users.replace("Mary Archer,{Local:863}", "marcher,{Local:863}{RRN:85.07.30-033.28}")
    users = users.replace("Kyle Hughes,{Local:874}", ",{Local:874}")
    (folder / "users.csv").write_text(users, encoding="utf-8")
    enrollments = (folder / "enrollments.csv").read_text(encoding="utf-8-sig")
    mary = "604863,student,,2020-08-17,2020-12-18"
    assert enrollments.count(mary) == 2  # both her classes: we keep one
    enrollments = enrollments.replace(mary, "604863,student,,2020-08-17,2021-01-15")
    (folder / "enrollments.csv").write_text(enrollments, encoding="utf-8")
    return folder


def test_a_later_set_changes_what_is_kept_and_a_national_number_is_never_kept(edfi, tmp_path):
    sync(edfi)
    mary = SourceAlias.objects.get(kind="pupil", external_id="604863").sourced_id
    kyle = SourceAlias.objects.get(kind="pupil", external_id="604874").sourced_id

    sync(changed_set(tmp_path))

    kept = SourceDetails.objects.get(sourced_id=mary)
    assert (kept.username, kept.user_ids) == ("marcher", "{Local:863}")
    assert SourceDetails.objects.get(sourced_id=kyle).username == ""
    assert not SourceDetails.objects.filter(user_ids__contains="85").exists()
    export_oneroster(tmp_path / "out", school_year=2026)
    users = {r["sourcedId"]: r for r in rows(tmp_path / "out", "users")}
    assert (users["604863"]["username"], users["604863"]["userIds"]) == ("marcher", "{Local:863}")
    assert users["604874"]["username"] == "604874"  # our default: their id
    ends = {r["userSourcedId"]: r["endDate"] for r in rows(tmp_path / "out", "enrollments")}
    assert ends["604863"] == "2021-01-15"
    # With the national number exported, it follows the set's own ids.
    export_oneroster(tmp_path / "rrn", school_year=2026, with_national_number=True)
    users = {r["sourcedId"]: r for r in rows(tmp_path / "rrn", "users")}
    assert users["604863"]["userIds"] == "{Local:863},{RRN:85073003328}"
    assert AuditEntry.objects.filter(entity="source_details", action="update").count() >= 2


def test_a_delta_has_the_users_and_enrollments_whose_kept_details_changed(edfi, tmp_path):
    sync(edfi)
    moment = timezone.now()
    teacher = next(r for r in rows(edfi, "users") if r["role"] == "teacher")
    later = changed_set(tmp_path)
    users = (later / "users.csv").read_text(encoding="utf-8")
    (later / "users.csv").write_text(
        users.replace(f",{teacher['username']},", ",teacher-login,", 1), encoding="utf-8"
    )

    sync(later)
    export_oneroster(tmp_path / "delta", school_year=2026, delta_since=moment)

    written = {r["sourcedId"]: r["username"] for r in rows(tmp_path / "delta", "users")}
    assert written == {
        "604863": "marcher",
        "604874": "604874",
        teacher["sourcedId"]: "teacher-login",
    }
    ends = {r["userSourcedId"]: r["endDate"] for r in rows(tmp_path / "delta", "enrollments")}
    assert ends == {"604863": "2021-01-15"}


FALL, SPRING = "255901001_2021_2020-2021_Fall", "255901001_2021_2020-2021_Spring"
YEAR_ID = "255901001_2021_2020-2021_SchoolYear"
ALGEBRA, ENGLISH = "25590100102Trad220ALG112011", "25590100101Trad120ENG112011"


def sessions_set(tmp_path: Path) -> Path:
    """The Ed-Fi set with a grading period in the fall and Algebra I in the fall only."""
    folder = tmp_path / "sessions"
    shutil.copytree(EDFI, folder)
    path = folder / "academicSessions.csv"
    path.write_text(
        path.read_text(encoding="utf-8-sig").rstrip("\r\n")
        + f"\r\nGP-FALL-1,,,Fall Progress 1,gradingPeriod,2020-08-17,2020-10-09,{FALL},2021\r\n",
        encoding="utf-8",
    )
    classes = (folder / "classes.csv").read_text(encoding="utf-8-sig")
    line = next(row for row in classes.splitlines() if row.startswith(ALGEBRA))
    classes = classes.replace(line, line.replace(f'"{FALL},{SPRING}"', FALL))
    (folder / "classes.csv").write_text(classes, encoding="utf-8")
    return folder


def test_the_sets_academic_sessions_are_the_schools_instead_of_our_default_terms(edfi, tmp_path):
    sync(edfi)
    export_oneroster(tmp_path / "out", school_year=2026)

    written = {r["sourcedId"]: r for r in rows(tmp_path / "out", "academicSessions")}
    assert set(written) == ids(edfi, "academicSessions")  # no trimesters of ours
    for given in rows(edfi, "academicSessions"):
        row = written[given["sourcedId"]]
        assert row["type"] == given["type"]
        if given["type"] != "schoolYear":  # the school year is the register's (its id the set's)
            assert (row["title"], row["startDate"], row["endDate"]) == (
                given["title"], given["startDate"], given["endDate"]
            )  # fmt: skip
            assert row["parentSourcedId"] == YEAR_ID
    school = Institution.objects.get(number="255901001")
    assert sorted(school.academic_sessions.values_list("kind", "title")) == [
        ("semester", "2020-2021 Fall Semester"), ("semester", "2020-2021 Spring Semester")
    ]  # fmt: skip
    terms = {r["sourcedId"]: r["termSourcedIds"] for r in rows(tmp_path / "out", "classes")}
    assert {c: terms[c] for c in (ALGEBRA, ENGLISH)} == {
        ALGEBRA: f"{FALL},{SPRING}", ENGLISH: f"{FALL},{SPRING}"
    }  # fmt: skip


def test_a_class_runs_in_the_terms_its_set_names_and_a_grading_period_keeps_its_term(
    edfi, tmp_path
):
    sync(sessions_set(tmp_path))
    export_oneroster(tmp_path / "out", school_year=2026)

    terms = {r["sourcedId"]: r["termSourcedIds"] for r in rows(tmp_path / "out", "classes")}
    assert (terms[ALGEBRA], terms[ENGLISH]) == (FALL, f"{FALL},{SPRING}")
    written = {r["sourcedId"]: r for r in rows(tmp_path / "out", "academicSessions")}
    period = written["GP-FALL-1"]
    assert (period["type"], period["title"], period["parentSourcedId"]) == (
        "gradingPeriod", "Fall Progress 1", FALL
    )  # fmt: skip
    # The next set has Algebra in both terms again: it runs in all of them.
    sync(edfi)
    export_oneroster(tmp_path / "again", school_year=2026)
    terms = {r["sourcedId"]: r["termSourcedIds"] for r in rows(tmp_path / "again", "classes")}
    assert terms[ALGEBRA] == f"{FALL},{SPRING}"
    assert AuditEntry.objects.filter(entity="source_details", action="update").exists()


def test_the_sets_sessions_survive_our_round_trip(edfi, tmp_path):
    sync(sessions_set(tmp_path))
    export_oneroster(tmp_path / "first", school_year=2026)
    sessions = set(AcademicSession.objects.values_list("sourced_id", "kind", "title"))

    sync(tmp_path / "first")  # reading our export back changes nothing
    assert set(AcademicSession.objects.values_list("sourced_id", "kind", "title")) == sessions
    export_oneroster(tmp_path / "second", school_year=2026)
    assert_same_files(tmp_path / "first", tmp_path / "second")

    empty_registry()
    sync(tmp_path / "first")  # into an empty register: the same set
    export_oneroster(tmp_path / "third", school_year=2026)
    assert_same_files(tmp_path / "first", tmp_path / "third")


def test_a_new_school_year_gets_the_sets_sessions_of_its_own(edfi, tmp_path):
    sync(edfi)
    call_command("sync", "oneroster", str(edfi), "--school-year", "2027-2028")

    school = Institution.objects.get(number="255901001")
    for start in (2026, 2027):
        kept = school.academic_sessions.filter(school_year__start_year=start)
        assert sorted(kept.values_list("title", flat=True)) == [
            "2020-2021 Fall Semester", "2020-2021 Spring Semester"
        ], start  # fmt: skip
    export_oneroster(tmp_path / "2027", school_year=2027)
    titles = {r["title"] for r in rows(tmp_path / "2027", "academicSessions")}
    assert {"2020-2021 Fall Semester", "2020-2021 Spring Semester"} <= titles
    assert not {"Trimester 1", "Rapport 1"} & titles


def test_a_session_row_without_dates_or_known_type_is_skipped_with_a_finding(edfi, tmp_path):
    folder = tmp_path / "bad"
    shutil.copytree(EDFI, folder)
    path = folder / "academicSessions.csv"
    text = path.read_text(encoding="utf-8-sig").rstrip("\r\n")
    path.write_text(
        text + "\r\nX1,,,Quarter,quarter,2020-08-17,2020-10-01,,2021"
        "\r\nX2,,,No dates,term,,2020-10-01,,2021\r\n",
        encoding="utf-8",
    )
    [snapshot] = parse_oneroster(folder)

    assert [s.source_id for s in snapshot.sessions] == [YEAR_ID, FALL, SPRING]
    found = {(f.line, f.field) for f in snapshot.findings if f.code == "ONEROSTER_VALUE_MISSING"}
    assert found == {(5, "type"), (6, "startDate")}
    assert all(f.file == "academicSessions.csv" for f in snapshot.findings)
