"""OneRoster out: a small registry exported, checked file by file against the 1.2 CSV binding
(shared/oneroster/spec/csv-binding-1.2.md), and read back with our own parser."""

from __future__ import annotations

import csv
import datetime
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from schoolbrug.registry.models import (
    LEAVERS_CLASS_CODE,
    Assignment,
    Board,
    Enrolment,
    Institution,
    Pupil,
    SchoolClass,
    SchoolYear,
    Staff,
)
from schoolbrug.sources import oneroster
from schoolbrug.sources.oneroster import parse_oneroster
from schoolbrug.sync.oneroster_export import export_oneroster
from tests.factories import national_number

BINDING = Path(__file__).resolve().parents[2] / ".." / "shared" / "oneroster" / "spec"
BINDING = BINDING / "csv-binding-1.2.md"
SOURCED_ID = re.compile(r"[0-9A-Za-z./@_-]{1,255}")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ENUMERATIONS = {
    ("orgs", "type"): {"department", "district", "local", "national", "school", "state"},
    ("academicSessions", "type"): {"gradingPeriod", "semester", "schoolYear", "term"},
    ("classes", "classType"): {"homeroom", "scheduled"},
    ("roles", "roleType"): {"primary", "secondary"},
    ("roles", "role"): {"guardian", "parent", "principal", "student", "teacher", "aide"},
    ("enrollments", "role"): {"administrator", "proctor", "student", "teacher"},
    ("demographics", "sex"): {"male", "female", "unspecified", "other", ""},
    ("users", "enabledUser"): {"true", "false"},
    ("enrollments", "primary"): {"true", "false", ""},
}
DATE_COLUMNS = {"startDate", "endDate", "beginDate", "birthDate"}


# --- the binding, read from the spec text (an oracle independent of the exporter) -------------


def binding() -> tuple[list[str], dict[str, list[tuple[str, bool]]]]:
    """(the 21 manifest file names, {file: [(column, value required)]})."""
    if not BINDING.exists():
        pytest.skip(f"OneRoster CSV binding not found at {BINDING.resolve()} (outside the repo)")
    text = BINDING.read_text(encoding="utf-8")
    names = re.search(r"for each of these 21 names: ([^.]+)\.", text).group(1)
    files = {}
    for line in text.splitlines():
        row = re.match(r"\| (\w+)\.csv(?: \(new in 1\.2\))? \| ([^|]+) \|", line)
        item = re.match(r"- (\w+)\.csv: (.+)$", line)
        if match := row or item:
            columns = re.sub(r"\([^)]*\)", "", match.group(2))
            files[match.group(1)] = [
                (c.split()[0], "R" in c.split()[1:]) for c in columns.split(",") if c.strip()
            ]
    return [n.strip() for n in names.split(",")], files


def read(path: Path) -> tuple[list[str], list[list[str]]]:
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    # No line break inside a cell: as many physical lines as CSV rows.
    assert len(raw.splitlines()) == len(rows), path.name
    return rows[0], rows[1:]


def table(folder: Path, name: str) -> list[dict[str, str]]:
    header, rows = read(folder / f"{name}.csv")
    return [dict(zip(header, row, strict=True)) for row in rows]


# --- a small registry --------------------------------------------------------------------------


@pytest.fixture
def registry(db):
    year = SchoolYear.objects.create(start_year=2025)
    SchoolYear.objects.create(start_year=2024)
    board = Board.objects.create(name="Scholengroep Noord", number="950123")
    linde = Institution.objects.create(number="012345", name="De Linde", board=board)
    anker = Institution.objects.create(number="054321", name="Het Anker")  # no board

    def klass(institution, code, **extra):
        return SchoolClass.objects.create(
            institution=institution, school_year=year, code=code, **extra
        )

    one_a = klass(linde, "1A", year=1, curriculum="Wiskunde L1")
    one_b = klass(linde, "1B", year=1, curriculum="Wiskunde L1")
    k3 = klass(linde, "K3A", stage="NVT", year=3, kindergarten_level="K3", curriculum="Kleuter")
    klass(linde, "OUD", year=2, curriculum="Wiskunde L2", is_active=False)
    leavers = klass(linde, LEAVERS_CLASS_CODE, is_leavers=True)
    aso = klass(anker, "3 ASO", stage="2", year=1, curriculum="Latijn")

    pupils = {}

    def pupil(key, institution, school_class, number, *, leaver=False, **extra):
        birth = extra.pop("birth_date", datetime.date(2018, 2, 1 + len(pupils)))
        nn = national_number(birth, 2 * len(pupils) + 2) if birth else None
        pupils[key] = Pupil.objects.create(
            institution=institution,
            family_name=extra.pop("family_name", key.title()),
            given_name=extra.pop("given_name", "Kim"),
            gender=extra.pop("gender", "F"),
            birth_date=birth,
            national_number=nn,
            is_leaver=leaver,
            **extra,
        )
        Enrolment.objects.create(
            pupil=pupils[key], school_class=school_class, school_year=year, class_number=number
        )

    pupil("peeters", linde, one_a, 1, given_name="Zoë")
    pupil("aerts", linde, one_a, 2, gender="M", email="adam@example.be")
    pupil("maes", linde, one_b, 1, gender="", birth_date=None, family_name="Van\nMaele")
    pupil("claes", linde, k3, 1, gender="X")
    pupil("wouters", linde, leavers, None, leaver=True)
    pupil("smet", anker, aso, 7)

    def teacher(email, given, family, institution, classes, **dates):
        staff = Staff.objects.get_or_create(
            email=email, defaults={"given_name": given, "family_name": family}
        )[0]
        assignment = Assignment.objects.create(
            staff=staff,
            institution=institution,
            role=dates.pop("role", Assignment.Role.TEACHER),
            start_date=dates.pop("start", datetime.date(2024, 9, 1)),
            end_date=dates.pop("end", None),
        )
        assignment.classes.set(classes)
        return staff

    staff = {
        "els": teacher("els@delinde.be", "Els", "Teerlinck", linde, [one_a, one_b]),
        "bart": teacher("bart@delinde.be", "Bart", "Aerts", linde, [one_a]),
        "an": teacher("an@anker.be", "An", "Dewulf", anker, [aso]),
    }
    teacher("an@anker.be", "An", "Dewulf", linde, [k3])  # teaches at both schools
    teacher("gone@delinde.be", "Gert", "Weg", linde, [one_a], end=datetime.date(2025, 6, 30))
    teacher("dir@delinde.be", "Dirk", "Baas", linde, [], role=Assignment.Role.DIRECTOR)
    return {
        "year": year,
        "institutions": (linde, anker),
        "pupils": pupils,
        "staff": staff,
        "leavers": leavers,
    }


@pytest.fixture
def exported(registry, tmp_path):
    paths = export_oneroster(tmp_path / "out", school_year=2025)
    return tmp_path / "out", paths


# --- the files ---------------------------------------------------------------------------------


def test_manifest_lists_all_21_files_and_only_bulk_files_exist(exported):
    folder, paths = exported
    names, _ = binding()
    header, rows = read(folder / "manifest.csv")

    assert header == ["propertyName", "value"]
    properties = dict(rows)
    assert properties["manifest.version"] == "1.0"
    assert properties["oneroster.version"] == "1.2"
    assert sorted(k[5:] for k in properties if k.startswith("file.")) == sorted(names)
    assert len(names) == 21
    written = {p.name for p in paths}
    assert paths[0].name == "manifest.csv"
    assert {p.name for p in folder.iterdir()} == written  # no staging folder left behind
    for name in names:
        mode = properties[f"file.{name}"]
        assert mode in ("bulk", "absent"), name
        assert ((folder / f"{name}.csv").exists(), f"{name}.csv" in written) == (
            mode == "bulk",
            mode == "bulk",
        ), name
        if mode == "bulk":
            assert read(folder / f"{name}.csv")[1], f"{name}.csv has no rows"
    expected = {"academicSessions", "orgs", "courses", "classes", "users", "roles"}
    expected |= {"enrollments", "demographics"}
    assert {n for n in names if properties[f"file.{n}"] == "bulk"} == expected


def test_every_file_follows_the_binding(exported):
    folder, _ = exported
    _, files = binding()
    for path in folder.glob("*.csv"):
        if path.name == "manifest.csv":
            continue
        name = path.stem
        header, rows = read(path)
        assert header == [column for column, _ in files[name]], name
        required = [column for column, is_required in files[name] if is_required]
        ids = [row[0] for row in rows]
        assert len(ids) == len(set(ids)), f"{name}: sourcedId not unique"
        for line, row in enumerate(rows, start=2):
            where = f"{name}.csv:{line}"
            assert len(row) == len(header), where
            cells = dict(zip(header, row, strict=True))
            assert SOURCED_ID.fullmatch(cells["sourcedId"]), where
            assert cells["status"] == "" and cells["dateLastModified"] == "", where
            for column in required:
                assert cells[column], f"{where} {column} is required"
            for column in DATE_COLUMNS & cells.keys():
                assert cells[column] == "" or DATE.fullmatch(cells[column]), f"{where} {column}"
            for (file, column), allowed in ENUMERATIONS.items():
                if file == name:
                    assert cells[column] in allowed, f"{where} {column}={cells[column]!r}"


def test_references_resolve_as_the_binding_demands(exported):
    folder, _ = exported
    orgs = {r["sourcedId"]: r for r in table(folder, "orgs")}
    schools = {k for k, r in orgs.items() if r["type"] == "school"}
    sessions = {r["sourcedId"]: r for r in table(folder, "academicSessions")}
    courses = {r["sourcedId"]: r for r in table(folder, "courses")}
    classes = {r["sourcedId"]: r for r in table(folder, "classes")}
    users = {r["sourcedId"]: r for r in table(folder, "users")}
    roles = table(folder, "roles")

    assert all(r["parentSourcedId"] in orgs for r in orgs.values() if r["parentSourcedId"])
    for course in courses.values():
        assert course["orgSourcedId"] in orgs
        assert sessions[course["schoolYearSourcedId"]]["type"] == "schoolYear"
    for klass in classes.values():
        assert klass["courseSourcedId"] in courses
        assert klass["schoolSourcedId"] in schools
        assert all(term in sessions for term in klass["termSourcedIds"].split(","))
    for enrollment in table(folder, "enrollments"):
        assert enrollment["classSourcedId"] in classes
        assert enrollment["schoolSourcedId"] in schools
        assert enrollment["userSourcedId"] in users
    for role in roles:
        assert role["userSourcedId"] in users and role["orgSourcedId"] in orgs
    primary = [(r["userSourcedId"], r["orgSourcedId"]) for r in roles if r["roleType"] == "primary"]
    assert len(primary) == len(set(primary)), "one primary role per user and org"
    for user in users.values():
        assert (user["sourcedId"], user["primaryOrgSourcedId"]) in primary
    assert all(r["sourcedId"] in users for r in table(folder, "demographics"))


def test_orgs_session_and_classes(registry, exported):
    folder, _ = exported
    linde, anker = registry["institutions"]
    orgs = {r["identifier"]: r for r in table(folder, "orgs")}
    assert orgs["012345"]["type"] == "school" and orgs["012345"]["name"] == "De Linde"
    assert orgs["012345"]["parentSourcedId"] == orgs["950123"]["sourcedId"]
    assert orgs["950123"]["type"] == "district"
    assert orgs["054321"]["parentSourcedId"] == ""

    (session,) = table(folder, "academicSessions")
    assert (session["title"], session["schoolYear"]) == ("2025-2026", "2026")
    assert (session["startDate"], session["endDate"]) == ("2025-09-01", "2026-08-31")

    classes = {(r["schoolSourcedId"], r["classCode"]): r for r in table(folder, "classes")}
    linde_id, anker_id = str(linde.sourced_id), str(anker.sourced_id)
    assert (linde_id, "OUD") not in classes  # inactive
    assert classes[(linde_id, "1A")]["grades"] == "01"
    assert classes[(linde_id, "K3A")]["grades"] == "KG"
    assert classes[(anker_id, "3 ASO")]["grades"] == "09"  # stage 2, year 1
    # One course per curriculum per institution.
    assert (
        classes[(linde_id, "1A")]["courseSourcedId"] == classes[(linde_id, "1B")]["courseSourcedId"]
    )


def test_the_leavers_class_is_always_there(registry, exported):
    folder, _ = exported
    linde, anker = registry["institutions"]
    leavers = {
        r["schoolSourcedId"]: r["sourcedId"]
        for r in table(folder, "classes")
        if r["classCode"] == LEAVERS_CLASS_CODE
    }
    # De Linde's own, and one for Het Anker that has none in the registry yet.
    assert leavers.keys() == {str(linde.sourced_id), str(anker.sourced_id)}
    assert leavers[str(linde.sourced_id)] == str(registry["leavers"].sourced_id)
    wouters = str(registry["pupils"]["wouters"].sourced_id)
    (enrollment,) = [r for r in table(folder, "enrollments") if r["userSourcedId"] == wouters]
    assert enrollment["classSourcedId"] == leavers[str(linde.sourced_id)]


def test_users_roles_enrollments_and_demographics(registry, exported):
    folder, _ = exported
    pupils, staff = registry["pupils"], registry["staff"]
    users = {r["sourcedId"]: r for r in table(folder, "users")}
    expected = {str(p.sourced_id) for p in pupils.values()}
    expected |= {str(s.sourced_id) for s in staff.values()}
    assert users.keys() == expected  # not the ended assignment, not the director
    maes = users[str(pupils["maes"].sourced_id)]
    assert maes["familyName"] == "Van Maele"  # the line break is gone
    assert maes["enabledUser"] == "true" and maes["userIds"] == ""
    els = users[str(staff["els"].sourced_id)]
    assert (els["username"], els["email"]) == ("els@delinde.be", "els@delinde.be")

    roles = {(r["userSourcedId"], r["orgSourcedId"]): r["role"] for r in table(folder, "roles")}
    an = str(staff["an"].sourced_id)
    assert {org for user, org in roles if user == an} == {
        str(i.sourced_id) for i in registry["institutions"]
    }
    teaching = [r for r in table(folder, "enrollments") if r["role"] == "teacher"]
    one_a = [r for r in teaching if r["userSourcedId"] in (str(staff["els"].sourced_id),
             str(staff["bart"].sourced_id)) and r["primary"] == "true"]  # fmt: skip
    assert len(teaching) == 5  # els 1A 1B, bart 1A, an 3 ASO and K3A
    assert len(one_a) == 2  # Bart Aerts is 1A's primary teacher, Els 1B's
    demographics = {r["sourcedId"]: r for r in table(folder, "demographics")}
    assert str(pupils["maes"].sourced_id) not in demographics  # neither gender nor birth date
    claes = demographics[str(pupils["claes"].sourced_id)]
    assert (claes["sex"], claes["birthDate"]) == ("other", pupils["claes"].birth_date.isoformat())


def test_the_national_number_only_with_the_flag(registry, tmp_path):
    numbers = [p.national_number for p in registry["pupils"].values() if p.national_number]
    assert len(numbers) == 5
    without = tmp_path / "without"
    export_oneroster(without, school_year=2025)
    for path in without.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "RRN" not in text
        assert not any(number in text for number in numbers), path.name

    with CaptureQueriesContext(connection) as captured:
        export_oneroster(without, school_year=2025)
    assert not any("national_number" in q["sql"] for q in captured), "not even read"

    with_flag = tmp_path / "with"
    export_oneroster(with_flag, with_national_number=True, school_year=2025)
    users = {r["sourcedId"]: r for r in table(with_flag, "users")}
    for pupil in registry["pupils"].values():
        expected = f"{{RRN:{pupil.national_number}}}" if pupil.national_number else ""
        assert users[str(pupil.sourced_id)]["userIds"] == expected
    assert users[str(registry["staff"]["els"].sourced_id)]["userIds"] == ""


def test_reading_the_export_back_gives_the_same_ids(registry, tmp_path):
    export_oneroster(tmp_path, with_national_number=True, school_year=2025)
    snapshots = {s.institution_number: s for s in parse_oneroster(tmp_path)}

    assert snapshots.keys() == {"012345", "054321"}
    linde = snapshots["012345"]
    assert linde.findings == [] and linde.withheld_source_ids == frozenset()
    registry_pupils = {str(p.sourced_id): p for p in registry["pupils"].values()}
    back = {p.source_id: p for s in snapshots.values() for p in s.pupils}
    leaver = str(registry["pupils"]["wouters"].sourced_id)
    assert back.keys() == registry_pupils.keys()
    assert {k for k, p in back.items() if p.is_leaver} == {leaver}
    for source_id, pupil in back.items():
        assert pupil.national_number == (registry_pupils[source_id].national_number or "")
        assert pupil.family_name == registry_pupils[source_id].family_name.replace("\n", " ")
    classes = SchoolClass.objects.filter(is_active=True, is_leavers=False).values_list(
        "sourced_id", flat=True
    )
    assert {str(c) for c in classes} <= {c.source_id for s in snapshots.values() for c in s.classes}
    # The leavers class is no class, and a leaver is no active pupil of the school.
    assert LEAVERS_CLASS_CODE not in {c.code for c in linde.classes}
    assert back[leaver].class_code == LEAVERS_CLASS_CODE and back[leaver].class_number is None
    k3 = next(c for c in linde.classes if c.code == "K3A")
    assert (k3.stage, k3.year, k3.curriculum) == ("NVT", 3, "Kleuter")
    aso = next(c for c in snapshots["054321"].classes if c.code == "3 ASO")
    assert (aso.stage, aso.year) == ("2", 1)
    staff = {s.source_id: s for s in linde.staff}
    assert staff[str(registry["staff"]["els"].sourced_id)].class_codes == ["1A", "1B"]
    assert staff[str(registry["staff"]["an"].sourced_id)].class_codes == ["K3A"]


def test_only_the_institutions_asked_for(registry, tmp_path):
    export_oneroster(tmp_path, institution_numbers=["054321"], school_year=2025)
    assert [r["identifier"] for r in table(tmp_path, "orgs")] == ["054321"]  # no board
    users = {r["sourcedId"] for r in table(tmp_path, "users")}
    assert users == {
        str(registry["pupils"]["smet"].sourced_id),
        str(registry["staff"]["an"].sourced_id),
    }

    with pytest.raises(LookupError, match="999999"):
        export_oneroster(tmp_path, institution_numbers=["999999"], school_year=2025)
    with pytest.raises(LookupError, match="2030-2031"):
        export_oneroster(tmp_path, school_year=2030)


def test_an_earlier_export_in_the_folder_is_replaced(registry, tmp_path):
    (tmp_path / "results.csv").write_text("stale")
    (tmp_path / "notes.txt").write_text("mine")
    export_oneroster(tmp_path, institution_numbers=["054321"], school_year=2025)
    assert not (tmp_path / "results.csv").exists()  # absent in the manifest: must not be there
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_queries_do_not_grow_with_the_number_of_pupils(registry, tmp_path):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            export_oneroster(tmp_path, school_year=2025)
        return len(captured)

    before = queries()
    linde = registry["institutions"][0]
    one_a = SchoolClass.objects.get(institution=linde, code="1A")
    for i in range(30):
        pupil = Pupil.objects.create(institution=linde, family_name=f"Extra{i}", given_name="X")
        Enrolment.objects.create(pupil=pupil, school_class=one_a, school_year=registry["year"])
    assert queries() == before
    assert len(table(tmp_path, "users")) == 6 + 30 + 3


def test_the_export_command(registry, tmp_path, capsys):
    call_command("export", "oneroster", str(tmp_path), "--institution", "012345",
                 "--school-year", "2025-2026")  # fmt: skip
    out = capsys.readouterr().out
    assert f"{tmp_path / 'manifest.csv'}  (" in out
    assert f"{tmp_path / 'users.csv'}  (" in out
    assert "RRN" not in (tmp_path / "users.csv").read_text()

    call_command("export", "oneroster", str(tmp_path), "--with-national-number",
                 "--school-year", "2025")  # fmt: skip
    assert "rijksregisternummers" in capsys.readouterr().err
    assert "{RRN:" in (tmp_path / "users.csv").read_text()

    with pytest.raises(CommandError, match="999999"):
        call_command("export", "oneroster", str(tmp_path), "--institution", "999999",
                     "--school-year", "2025")  # fmt: skip


def test_the_parser_knows_the_leavers_class_by_its_registry_name():
    assert oneroster.LEAVERS_CLASS_CODE == LEAVERS_CLASS_CODE
