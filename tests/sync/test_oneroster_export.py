"""OneRoster out: a small registry exported, checked file by file against the 1.2 CSV binding
(shared/oneroster/spec/csv-binding-1.2.md), and read back with our own parser."""

from __future__ import annotations

import datetime
import shutil
import time
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from schoolbrug.oneroster.csv_in import values as oneroster
from schoolbrug.oneroster.csv_in.reader import parse_oneroster
from schoolbrug.oneroster.csv_out import export as oneroster_export
from schoolbrug.oneroster.csv_out.export import export_oneroster, parse_moment
from schoolbrug.oneroster.csv_out.files import timestamp
from schoolbrug.oneroster.csv_out.values import LOCAL_ZONE as BRUSSELS
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
    Teaching,
)
from tests.factories import national_number
from tests.sync.oneroster_binding import check_set, table

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


# --- a bulk set --------------------------------------------------------------------------------


def test_manifest_lists_all_21_files_and_only_bulk_files_exist(exported):
    folder, paths = exported
    tables = check_set(folder, "bulk")
    assert paths[0].name == "manifest.csv"
    assert {p.name for p in folder.iterdir()} == {p.name for p in paths}  # no staging left
    expected = {"academicSessions", "orgs", "courses", "classes", "users", "roles"}
    expected |= {"enrollments", "demographics"}
    assert tables.keys() == expected


def test_the_checker_catches_what_the_binding_forbids(exported, tmp_path):
    """The checker itself: each break of a rule it checks fails it."""
    folder, _ = exported
    breaks = {
        "users.csv": (",true,", ",TRUE,"),  # booleans are lower case
        "classes.csv": ("homeroom", "Homeroom"),  # enumerations are case-sensitive
        "orgs.csv": (",school,", ",,"),  # a required value
        "enrollments.csv": ("\r\n", "\r\n\r\n"),  # an empty row: width
    }
    for name, (old, new) in breaks.items():
        broken = tmp_path / f"broken-{name}"
        shutil.copytree(folder, broken)
        text = (broken / name).read_bytes().decode("utf-8")
        assert old in text, name
        (broken / name).write_bytes(text.replace(old, new, 1).encode("utf-8"))
        with pytest.raises(AssertionError):
            check_set(broken, "bulk")
    stamped = tmp_path / "stamped"
    shutil.copytree(folder, stamped)
    lines = (stamped / "orgs.csv").read_bytes().decode("utf-8").split("\r\n")
    sourced_id, rest = lines[1].split(",", 1)
    lines[1] = f"{sourced_id},active,2025-01-01T00:00:00.000Z{rest[1:]}"  # status in a bulk set
    (stamped / "orgs.csv").write_bytes("\r\n".join(lines).encode("utf-8"))
    with pytest.raises(AssertionError):
        check_set(stamped, "bulk")
    manifest = (folder / "manifest.csv").read_bytes().replace(b",bulk", b",delta")
    (stamped / "manifest.csv").write_bytes(manifest)
    (stamped / "orgs.csv").write_bytes((folder / "orgs.csv").read_bytes())
    with pytest.raises(AssertionError):
        check_set(stamped, "delta")  # a delta row needs a status and a dateLastModified


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


# --- a delta -----------------------------------------------------------------------------------


def moment() -> datetime.datetime:
    """A moment strictly between what happened before and what happens after the call."""
    time.sleep(0.002)
    now = timezone.now()
    time.sleep(0.002)
    return now


def by_id(rows: list[dict]) -> dict[str, dict]:
    return {r["sourcedId"]: r for r in rows}


def test_a_delta_has_only_what_changed_since_then_stamped(registry, tmp_path):
    bulk = tmp_path / "bulk"
    export_oneroster(bulk, school_year=2025)
    since = moment()
    pupils, staff = registry["pupils"], registry["staff"]
    pupils["peeters"].given_name = "Zoe"
    pupils["peeters"].save()
    claes = pupils["claes"]  # leaves: the sync's way, by hand
    claes.is_leaver = True
    claes.save()
    Enrolment.objects.filter(pupil=claes).update(school_class=registry["leavers"])
    Enrolment.objects.get(pupil=claes).save()
    staff["els"].given_name = "Elsa"
    staff["els"].save()
    Assignment.objects.get(staff__email="gone@delinde.be").save()  # ended before the year
    old = SchoolClass.objects.get(code="OUD")  # inactive
    old.save()

    paths = export_oneroster(tmp_path / "delta", school_year=2025, delta_since=since)

    tables = check_set(tmp_path / "delta", "delta", earlier=bulk)
    assert paths[0].name == "manifest.csv"
    # Nothing about orgs, the school year or courses changed: absent, not written.
    assert tables.keys() == {"classes", "users", "roles", "enrollments", "demographics"}
    users = by_id(tables["users"])
    peeters, claes_id = str(pupils["peeters"].sourced_id), str(claes.sourced_id)
    gert = str(Staff.objects.get(email="gone@delinde.be").sourced_id)
    els, bart = str(staff["els"].sourced_id), str(staff["bart"].sourced_id)
    assert users.keys() == {peeters, claes_id, els, gert}
    assert users[peeters]["givenName"] == "Zoe" and users[peeters]["status"] == "active"
    enrolment = Enrolment.objects.select_related("school_class").get(pupil=pupils["peeters"])
    changed = max(
        Pupil.objects.get(pk=pupils["peeters"].pk).updated_at,
        enrolment.updated_at,
        enrolment.school_class.updated_at,
    )
    assert users[peeters]["dateLastModified"] == timestamp(changed)
    assert changed.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S") in timestamp(changed)
    # A leaver: gone for the reader, in every file; never deleted here.
    assert (users[claes_id]["status"], users[claes_id]["enabledUser"]) == ("tobedeleted", "false")
    assert users[gert]["status"] == "tobedeleted"  # no assignment in the school year left
    assert users[els]["status"] == "active" and users[els]["givenName"] == "Elsa"
    roles = {(r["userSourcedId"], r["status"]) for r in tables["roles"]}
    assert roles == {(peeters, "active"), (claes_id, "tobedeleted"), (gert, "tobedeleted")}
    enrollments = {(r["userSourcedId"], r["classSourcedId"]): r for r in tables["enrollments"]}
    leavers = str(registry["leavers"].sourced_id)
    assert enrollments[(claes_id, leavers)]["status"] == "tobedeleted"
    one_a = str(SchoolClass.objects.get(code="1A").sourced_id)
    assert enrollments[(gert, one_a)]["status"] == "tobedeleted"
    # 1A's teachers changed: its teacher enrollments (one of them primary) come again.
    assert enrollments[(bart, one_a)]["primary"] == "true"
    assert enrollments[(els, one_a)]["primary"] == "false"
    assert {(r["sourcedId"], r["status"]) for r in tables["demographics"]} == {
        (peeters, "active"),
        (claes_id, "tobedeleted"),
    }
    (klass,) = tables["classes"]
    assert (klass["classCode"], klass["status"]) == ("OUD", "tobedeleted")
    assert Pupil.objects.filter(pk=claes.pk).exists()


def test_a_delta_with_nothing_changed_is_a_manifest_alone(registry, tmp_path):
    since = moment()
    paths = export_oneroster(tmp_path / "delta", school_year=2025, delta_since=since)
    assert [p.name for p in paths] == ["manifest.csv"]
    assert check_set(tmp_path / "delta", "delta") == {}
    # A bulk set written into the same folder before is replaced, not mixed in.
    export_oneroster(tmp_path / "again", school_year=2025)
    export_oneroster(tmp_path / "again", school_year=2025, delta_since=since)
    assert [p.name for p in (tmp_path / "again").iterdir()] == ["manifest.csv"]


def test_a_moment_without_zone_is_belgian_time(registry, tmp_path):
    assert parse_moment("2026-09-01") == datetime.datetime(2026, 9, 1, tzinfo=BRUSSELS)
    assert parse_moment("2026-09-01T08:30") == datetime.datetime(2026, 9, 1, 8, 30, tzinfo=BRUSSELS)
    assert parse_moment("2026-01-10 08:30:00Z") == datetime.datetime(
        2026, 1, 10, 8, 30, tzinfo=datetime.UTC
    )
    with pytest.raises(ValueError):
        parse_moment("1/9/2026")
    long_ago = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    for model in (
        Board, Institution, SchoolYear, SchoolClass, Pupil, Enrolment, Staff, Assignment, Teaching
    ):  # fmt: skip
        model.objects.update(updated_at=long_ago)
    # 22:30 UTC on 31 August is 00:30 on 1 September in Brussels (summer time).
    pupil = registry["pupils"]["smet"]
    Pupil.objects.filter(pk=pupil.pk).update(
        updated_at=datetime.datetime(2026, 8, 31, 22, 30, tzinfo=datetime.UTC)
    )

    call_command("export", "oneroster", str(tmp_path / "a"), "--school-year", "2025",
                 "--delta-since", "2026-09-01")  # fmt: skip
    (row,) = table(tmp_path / "a", "users")
    assert (row["sourcedId"], row["dateLastModified"]) == (
        str(pupil.sourced_id),
        "2026-08-31T22:30:00.000Z",
    )
    call_command("export", "oneroster", str(tmp_path / "b"), "--school-year", "2025",
                 "--delta-since", "2026-09-01T01:00")  # fmt: skip
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["manifest.csv"]


# --- a zip ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("delta", [False, True])
def test_a_zip_holds_the_same_set_as_a_folder(registry, tmp_path, delta):
    since = earlier = None
    if delta:
        earlier = tmp_path / "earlier"
        export_oneroster(earlier, school_year=2025)
        since = moment()
        registry["pupils"]["smet"].save()
        registry["staff"]["an"].save()
    folder = export_oneroster(tmp_path / "set", school_year=2025, delta_since=since)
    paths = export_oneroster(tmp_path / "set.zip", school_year=2025, delta_since=since)

    assert paths == [tmp_path / "set.zip"]
    check_set(tmp_path / "set.zip", "delta" if delta else "bulk", earlier=earlier)
    with zipfile.ZipFile(tmp_path / "set.zip") as archive:
        assert archive.namelist() == [p.name for p in folder]
        for path in folder:
            assert archive.read(path.name) == path.read_bytes(), path.name
    written = sorted(p.name for p in tmp_path.iterdir() if p.name != "earlier")
    assert written == ["set", "set.zip", "set.zip.unpacked"]  # no temporary file left


def test_a_failed_export_leaves_no_partial_zip_or_folder(registry, tmp_path, monkeypatch):
    export_oneroster(tmp_path / "set.zip", school_year=2025)
    export_oneroster(tmp_path / "set", school_year=2025)
    before = (
        (tmp_path / "set.zip").read_bytes(),
        {p.name: p.read_bytes() for p in (tmp_path / "set").iterdir()},
    )

    def broken(self):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(oneroster_export._Export, "_teachers", broken)  # after the pupils
    for target in ("set.zip", "new.zip", "set"):
        with pytest.raises(RuntimeError):
            export_oneroster(tmp_path / target, school_year=2025, delta_since=None)

    assert (tmp_path / "set.zip").read_bytes() == before[0]
    assert {p.name: p.read_bytes() for p in (tmp_path / "set").iterdir()} == before[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set", "set.zip"]  # no temporary files


def test_the_export_command_writes_a_delta_or_a_zip_and_refuses_bad_input(
    registry, tmp_path, capsys
):
    call_command("export", "oneroster", str(tmp_path / "set.zip"), "--school-year", "2025")
    out = capsys.readouterr().out
    assert f"{tmp_path / 'set.zip'}:manifest.csv  (" in out
    assert f"{tmp_path / 'set.zip'}:users.csv  (9 regels)" in out
    check_set(tmp_path / "set.zip", "bulk")

    for value in ("gisteren", "2026-13-01", "1/9/2026"):
        with pytest.raises(CommandError) as refused:
            call_command("export", "oneroster", str(tmp_path / "delta"), "--school-year",
                         "2025", "--delta-since", value)  # fmt: skip
        assert refused.value.returncode == 2
        assert f"--delta-since '{value}'" in str(refused.value)
        assert "2026-09-01" in str(refused.value)  # how to write it
        assert not (tmp_path / "delta").exists()  # nothing written

    (tmp_path / "folder.zip").mkdir()
    with pytest.raises(CommandError) as refused:
        call_command("export", "oneroster", str(tmp_path / "folder.zip"), "--school-year", "2025")
    assert refused.value.returncode == 2 and "is een map" in str(refused.value)
    assert list((tmp_path / "folder.zip").iterdir()) == []

    with pytest.raises(CommandError) as refused:
        call_command("export", "oneroster", str(tmp_path / "x"), "--school-year", "2030")
    assert "schooljaar 2030-2031 staat niet in het register" in str(refused.value)

    call_command("export", "oneroster", str(tmp_path / "delta.zip"), "--school-year", "2025",
                 "--delta-since", "2020-01-01T00:00:00+01:00")  # fmt: skip
    check_set(tmp_path / "delta.zip", "delta")  # everything changed since 2020: all rows


def test_a_zip_that_fails_while_written_leaves_the_earlier_one(registry, tmp_path, monkeypatch):
    export_oneroster(tmp_path / "set.zip", school_year=2025)
    before = (tmp_path / "set.zip").read_bytes()
    write = zipfile.ZipFile.write
    calls = []

    def disk_full(self, *args, **kwargs):
        calls.append(args)
        if len(calls) == 2:  # the first file is in, the second does not fit
            raise OSError(28, "No space left on device")
        return write(self, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "write", disk_full)
    with pytest.raises(OSError):
        export_oneroster(tmp_path / "set.zip", school_year=2025)

    assert (tmp_path / "set.zip").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["set.zip"]  # no temporary file left
