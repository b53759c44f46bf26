"""OneRoster CSV in: the real sets others wrote (shared/oneroster/samples) and small sets of
our own for each quirk, defect and refusal."""

from __future__ import annotations

import datetime
import shutil
import zipfile
from pathlib import Path

import pytest

from schoolbrug.oneroster.csv_in.reader import load_org_map, parse_oneroster
from schoolbrug.oneroster.csv_in.values import levels_from_grades, national_number_from_user_ids
from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.findings import RULES

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
SAMPLES = SHARED / "oneroster" / "samples"

ALL_FILES = [  # the 21 file.* lines of a 1.2 manifest
    "academicSessions", "categories", "classes", "classResources", "courses", "courseResources",
    "demographics", "enrollments", "lineItemLearningObjectiveIds", "lineItems",
    "lineItemScoreScales", "orgs", "resources", "resultLearningObjectiveIds", "results",
    "resultScoreScales", "roles", "scoreScales", "userProfiles", "userResources", "users",
]  # fmt: skip


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"OneRoster sample sets not found at {SAMPLES.resolve()} (outside the repo)")
    return SAMPLES


def only(snapshots):
    assert len(snapshots) == 1, [s.institution_number for s in snapshots]
    return snapshots[0]


def by_id(records):
    return {r.source_id: r for r in records}


# --- a small valid 1.2 set of our own, written as a SIS would ----------------------------------


BASE_FILES = (
    "academicSessions", "orgs", "courses", "classes", "users", "roles", "enrollments",
    "demographics",
)  # fmt: skip


def manifest(mode: str = "bulk", files=BASE_FILES) -> str:
    lines = ["propertyName,value", "manifest.version,1.0", "oneroster.version,1.2"]
    lines += [f"file.{name},{mode if name in files else 'absent'}" for name in ALL_FILES]
    return "\n".join(lines) + "\n"


USERS_12 = (
    "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,"
    "middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,"
    "preferredGivenName,preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns\n"
)


def base_set() -> dict[str, str]:
    return {
        "manifest.csv": manifest(),
        "academicSessions.csv": (
            "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,"
            "schoolYear\n"
            "year-1,,,2025-2026,schoolYear,2025-09-01,2026-08-31,,2026\n"
        ),
        "orgs.csv": (
            "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
            "board-1,,,Scholengroep Noord,district,,\n"
            "school-1,,,Basisschool De Linde,school,012345,board-1\n"
        ),
        "courses.csv": (
            "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,"
            "orgSourcedId,subjects,subjectCodes\n"
            "course-1,,,year-1,Wiskunde L1,WIS1,01,school-1,,\n"
            "course-2,,,year-1,,WIS2,02,school-1,,\n"
        ),
        "classes.csv": (
            "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,"
            "location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n"
            "class-1a,,,Eerste leerjaar A,01,course-1,1A,homeroom,,school-1,year-1,,,\n"
            "class-2a,,,2A,,course-2,,homeroom,,school-1,year-1,,,\n"
        ),
        "users.csv": USERS_12
        + (
            "t-1,,,true,els,,Els,Teerlinck,,,els@delinde.be,,,,,,,,,,school-1,\n"
            "p-1,,,true,p1,{Local:015},Zoë,Peeters,,,,,,,01,,,,,,school-1,\n"
            "p-2,,,true,p2,,Adam,Aerts,,,,,,,01,,,,,,school-1,\n"
            "p-3,,,true,p3,,Lotte,Maes,,,,,,,02,,,,,,school-1,\n"
        ),
        "roles.csv": (
            "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,"
            "orgSourcedId,userProfileSourcedId\n"
            "r-t1,,,t-1,primary,teacher,,,school-1,\n"
            "r-p1,,,p-1,primary,student,,,school-1,\n"
            "r-p2,,,p-2,primary,student,,,school-1,\n"
            "r-p3,,,p-3,primary,student,,,school-1,\n"
        ),
        "enrollments.csv": (
            "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,"
            "primary,beginDate,endDate\n"
            "e-1,,,class-1a,school-1,p-1,student,,,\n"
            "e-2,,,class-1a,school-1,p-2,student,,,\n"
            "e-3,,,class-2a,school-1,p-3,student,,,\n"
            "e-4,,,class-1a,school-1,t-1,teacher,true,,\n"
            "e-5,,,class-2a,school-1,t-1,teacher,true,,\n"
        ),
        "demographics.csv": (
            "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,"
            "blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,"
            "demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity,countryOfBirthCode,"
            "stateOfBirthAbbreviation,cityOfBirth,publicSchoolResidenceStatus\n"
            "p-1,,,2019-03-14,female,,,,,,,,,,,\n"
            "p-2,,,2019-05-02,male,,,,,,,,,,,\n"
        ),
    }


def write_set(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (folder / name).write_bytes(data)
    return folder


def edit(files: dict[str, str], name: str, old: str, new: str) -> dict[str, str]:
    assert old in files[name], (name, old)
    files[name] = files[name].replace(old, new)
    return files


# --- the sample sets others wrote ----------------------------------------------------------


def test_edfi_1_1_set_reads_pupils_classes_and_teachers(samples):
    snapshot = only(parse_oneroster(samples / "edfi-grand-bend-1.1"))

    assert snapshot.source == "oneroster" and snapshot.key == "source_id"
    assert snapshot.institution_number == "255901001"  # no identifier: the school's sourcedId
    assert snapshot.institution_name == "Grand Bend High School"
    assert not snapshot.is_delta and snapshot.findings == []
    assert len(snapshot.pupils) == 8
    assert len(snapshot.classes) == 2
    assert len(snapshot.staff) == 2  # the two teacher rows have a trailing extra comma

    classes = by_id(snapshot.classes)
    algebra = classes["25590100102Trad220ALG112011"]
    assert (algebra.code, algebra.title, algebra.curriculum) == ("Algebra I", "ALG-1", "Algebra I")
    assert (algebra.stage, algebra.year) == ("2", 1)  # grade 09: secondary stage 2, year 1

    pupils = by_id(snapshot.pupils)
    turner = pupils["605015"]  # no newline at the end of users.csv
    assert (turner.given_name, turner.family_name) == ("Micheal", "Turner")
    assert turner.national_number == ""  # {Local:015} is not a national number
    assert turner.class_code == "English I"
    archer = pupils["604863"]  # enrolled in both classes: the first enrollment in the file wins
    assert archer.class_code == "English I"
    assert archer.class_source_id == "25590100101Trad120ENG112011"
    assert (archer.gender, archer.birth_date) == ("F", datetime.date(1997, 5, 30))
    numbers = {p.family_name: p.class_number for p in snapshot.pupils}
    assert numbers == {
        "Archer": 1, "Caldwell": 2, "Hardy": 3, "Turner": 4,  # English I
        "Hughes": 1, "Mahoney": 2, "Nash": 3, "Phillips": 4,  # Algebra I
    }  # fmt: skip
    assert snapshot.class_numbers_generated

    staff = by_id(snapshot.staff)
    assert staff["207270"].class_codes == ["Algebra I"]
    assert staff["207268"].email == "Sara.Preston@studentgps.org"


@pytest.mark.parametrize("language", ["en", "ja"])
def test_lepo_set_with_every_cell_quoted(samples, language):
    snapshot = only(parse_oneroster(samples / "lepo-1.1-quoted" / language))

    assert snapshot.institution_number == "or0001"
    assert snapshot.findings == []  # the "fiel.demographics" typo in the manifest is ignored
    assert len(snapshot.classes) == 5
    # us0001 and us0002 have role student in users.csv but teach in enrollments.csv.
    assert {s.source_id for s in snapshot.staff} == {"us0001", "us0002"}
    assert len(snapshot.pupils) == 18
    assert "us0001" not in by_id(snapshot.pupils)
    pupil = by_id(snapshot.pupils)["us0003"]
    assert pupil.class_code == "C401"
    if language == "ja":
        assert (pupil.given_name, pupil.family_name) == ("名03", "姓03")
        assert by_id(snapshot.classes)["cl0001"].curriculum == "情報処理入門"


def test_moodle_delta_set(samples):
    snapshot = only(parse_oneroster(samples / "moodle-1.2" / "delta-valid"))

    assert snapshot.is_delta
    assert snapshot.leaving_source_ids == frozenset()
    assert snapshot.findings == []
    (pupil,) = snapshot.pupils  # enabledUser TRUE is tolerated
    assert (pupil.source_id, pupil.given_name, pupil.family_name) == ("USER_0", "Bruce", "Wayne")
    assert pupil.birth_date == datetime.date(2010, 4, 17)
    assert pupil.class_code == "Basic Detection"  # no classCode: the title
    (klass,) = snapshot.classes
    assert klass.curriculum == "Crime Fighting 101"
    assert snapshot.staff == []


def test_moodle_malformed_set_is_refused_naming_file_line_and_column(samples):
    with pytest.raises(BadInput) as caught:
        parse_oneroster(samples / "moodle-1.2" / "bulk-malformed")

    error = caught.value
    assert (error.file, error.line, error.field) == ("orgs.csv", 2, "type")
    assert "department" in error.user_text()


def test_moodle_malformed_set_with_a_real_school_gives_findings_per_row(samples, tmp_path):
    folder = tmp_path / "set"
    shutil.copytree(samples / "moodle-1.2" / "bulk-malformed", folder)
    orgs = folder / "orgs.csv"
    orgs.write_bytes(orgs.read_bytes().replace(b",department,", b",school,"))

    snapshot = only(parse_oneroster(folder))

    # Tolerated: roles.csv's dataLastModified and empty header names, users.csv's
    # preffered* columns and D/M/Y dates, `Scheduled`, statuses in a bulk set.
    assert snapshot.institution_number == "History"  # its identifier, whatever it is
    codes = [(f.code, f.file, f.line, f.field) for f in snapshot.findings]
    # courses.csv is missing; the other class is tobedeleted and left out without a finding.
    assert codes == [("ONEROSTER_REFERENCE_UNKNOWN", "classes.csv", 2, "courseSourcedId")]
    assert "crs-222-2023-456-12345" in snapshot.findings[0].message
    assert snapshot.classes == [] and snapshot.pupils == []
    assert snapshot.withheld_source_ids == {"usr-222-987654", "usr-222-1234561232"}


def test_a_zip_reads_like_the_folder(samples, tmp_path):
    source = samples / "edfi-grand-bend-1.1"
    flat, nested = tmp_path / "flat.zip", tmp_path / "nested.zip"
    with zipfile.ZipFile(flat, "w") as archive:
        for path in source.glob("*.csv"):
            archive.write(path, path.name)
    with zipfile.ZipFile(nested, "w") as archive:
        for path in source.glob("*.csv"):
            archive.write(path, f"export/{path.name}")

    folder = only(parse_oneroster(source))
    for path in (flat, nested):
        snapshot = only(parse_oneroster(path))
        assert by_id(snapshot.pupils).keys() == by_id(folder.pupils).keys()
        assert [c.code for c in snapshot.classes] == [c.code for c in folder.classes]
        assert snapshot.source_hash == folder.source_hash


# --- our own sets: quirks ------------------------------------------------------------------


def test_a_valid_1_2_set(tmp_path):
    snapshot = only(parse_oneroster(write_set(tmp_path, base_set())))

    assert snapshot.institution_number == "012345"  # the identifier, leading zero kept
    assert snapshot.institution_name == "Basisschool De Linde"
    assert [(c.code, c.year, c.curriculum) for c in snapshot.classes] == [
        ("1A", 1, "Wiskunde L1"),
        ("2A", 2, "WIS2"),  # no classCode: the title; no course title: the courseCode
    ]
    pupils = by_id(snapshot.pupils)
    assert {k: (p.class_code, p.class_number) for k, p in pupils.items()} == {
        "p-1": ("1A", 2),
        "p-2": ("1A", 1),  # Aerts before Peeters
        "p-3": ("2A", 1),
    }
    assert (pupils["p-1"].gender, pupils["p-1"].birth_date) == ("F", datetime.date(2019, 3, 14))
    assert (pupils["p-3"].gender, pupils["p-3"].birth_date) == ("", None)
    (teacher,) = snapshot.staff
    assert (teacher.source_id, teacher.email, teacher.class_codes) == (
        "t-1",
        "els@delinde.be",
        ["1A", "2A"],
    )
    assert snapshot.findings == [] and snapshot.withheld_source_ids == frozenset()


def test_quirks_real_files_have(tmp_path):
    files = base_set()
    # BOM, CRLF, no final newline, every cell quoted (also ""), a trailing extra empty cell.
    lines = files["users.csv"].strip().split("\n")
    lines[2] += ","  # p-1
    files["users.csv"] = "\ufeff" + "\r\n".join(
        ",".join(f'"{cell}"' for cell in line.split(",")) for line in lines
    )
    # Status in a bulk set, `inactive` leaves the pupil out; capitalised enumerations, TRUE.
    files = edit(files, "enrollments.csv", "e-3,,,", "e-3,inactive,2023-05-01,")
    files = edit(files, "enrollments.csv", "student,,,\ne-2", "student,TRUE,,\ne-2")
    files = edit(files, "classes.csv", ",homeroom,", ",HomeRoom,")
    # A national number in userIds, any case, with separators and a space after the comma.
    files = edit(files, "users.csv", '"{Local:015}"', '"{Local:015}, {rrn:19.03.14-123.45}"')
    # metadata.* columns, unknown manifest keys and a manifest line missing (= absent).
    files = edit(files, "orgs.csv", "parentSourcedId\n", "parentSourcedId,metadata.city\n")
    files = edit(files, "orgs.csv", "district,,\n", "district,,,\n")
    files = edit(files, "orgs.csv", ",board-1\n", ",board-1,Gent\n")
    files = edit(files, "manifest.csv", "file.demographics,bulk\n", "source.extra,x\n")
    # Multi-grade class with a space after the comma.
    files = edit(files, "classes.csv", ",01,course-1,", ',"01, 02",course-1,')

    snapshot = only(parse_oneroster(write_set(tmp_path, files)))

    pupils = by_id(snapshot.pupils)
    assert pupils.keys() == {"p-1", "p-2"}  # p-3's only enrollment is inactive
    assert pupils["p-1"].national_number == "19031412345"
    assert pupils["p-1"].gender == ""  # demographics absent from the manifest: not read
    assert snapshot.classes[0].years == (1, 2)
    assert snapshot.findings == []


def test_the_homeroom_class_is_the_pupils_class(tmp_path):
    files = base_set()
    files = edit(files, "classes.csv", "1A,homeroom", "1A,scheduled")
    files = edit(
        files, "enrollments.csv", "e-3,,,class-2a,school-1,p-3", "e-3,,,class-2a,school-1,p-1"
    )
    files = edit(
        files,
        "enrollments.csv",
        "e-1,,,class-1a,school-1,p-1,student,,",
        "e-1,,,class-1a,school-1,p-1,student,true,",
    )

    pupils = by_id(only(parse_oneroster(write_set(tmp_path, files))).pupils)

    assert pupils["p-1"].class_code == "2A"  # homeroom before primary=true before file order


@pytest.mark.parametrize("kind", ["RRN", "insz", "Rijksregisternummer"])
def test_national_number_only_from_its_user_id_types(kind):
    assert national_number_from_user_ids(f"{{LDAP:12}},{{{kind}:15031412345}}") == "15031412345"
    assert national_number_from_user_ids("{Local:15031412345},{LTI:15}") == ""
    assert national_number_from_user_ids("RRN:15031412345") == ""  # not a {type:id} item


def test_grades_map_to_stage_and_year():
    assert levels_from_grades("03") == ("", 3, ())
    assert levels_from_grades("01,02") == ("", 1, (1, 2))
    assert levels_from_grades("07") == ("1", 1, ())
    assert levels_from_grades("10") == ("2", 2, ())
    assert levels_from_grades("KG") == ("NVT", 3, ())
    assert levels_from_grades("PK, KG") == ("NVT", 2, (2, 3))
    assert levels_from_grades("Other") == ("", None, ())


def test_a_1_0_set_without_manifest(tmp_path):
    files = {
        "orgs.csv": (
            "sourcedId,status,dateLastModified,name,type,identifier,metadata.classification,"
            "metadata.gender,metadata.boarding,parentSourcedId\n"
            "s1,,,School Een,school,54321,public,,,\n"
        ),
        "courses.csv": (
            "sourcedId,status,dateLastModified,schoolYearId,title,courseCode,grade,orgSourcedId,"
            "subjects\n"
            "c1,,,,Lezen,LEZ,04,s1,\n"
        ),
        "classes.csv": (
            "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,"
            "location,schoolSourcedId,termSourcedId,subjects\n"
            "k4,,,4B,04,c1,4B,homeroom,,s1,t1,\n"
        ),
        "users.csv": (
            "sourcedId,status,dateLastModified,orgSourcedIds,role,username,userId,givenName,"
            "familyName,identifier,email,sms,phone,agents\n"
            "u1,,,s1,student,u1,7,Noor,Claes,,,,,\n"
            "u2,,,s1,teacher,u2,8,Jan,Smet,,jan@een.be,,,\n"
        ),
        "enrollments.csv": (
            "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,"
            "primary\n"
            "e1,,,k4,s1,u1,student,false\n"
        ),
        "demographics.csv": (
            "userSourcedId,status,dateLastModified,birthdate,sex,americanIndianOrAlaskaNative\n"
            "u1,,,2016-01-31,Female,FALSE\n"
        ),
    }

    snapshot = only(parse_oneroster(write_set(tmp_path, files)))

    assert snapshot.institution_number == "54321"  # five digits: kept as given
    (pupil,) = snapshot.pupils
    assert (pupil.source_id, pupil.class_code, pupil.gender) == ("u1", "4B", "F")
    assert pupil.birth_date == datetime.date(2016, 1, 31)
    assert [(s.source_id, s.class_codes) for s in snapshot.staff] == [("u2", [])]
    assert snapshot.classes[0].curriculum == "Lezen"


def test_one_snapshot_per_school_and_an_org_map(tmp_path):
    files = base_set()
    files = edit(files, "orgs.csv", "board-1\n", "board-1\nschool-2,,,Sint-Jan,school,,board-1\n")
    files["classes.csv"] += "class-2b,,,2B,02,course-2,2B,homeroom,,school-2,year-1,,,\n"
    files = edit(files, "enrollments.csv", "e-3,,,class-2a,school-1", "e-3,,,class-2b,school-2")

    first, second = parse_oneroster(write_set(tmp_path, files), org_map={"school-2": "067890"})

    assert (first.institution_number, second.institution_number) == ("012345", "067890")
    assert by_id(first.pupils).keys() == {"p-1", "p-2"}
    assert by_id(second.pupils).keys() == {"p-3"}
    assert [c.code for c in second.classes] == ["2B"]
    assert second.staff == []  # t-1 teaches and has a role at school-1 only
    assert [s.class_codes for s in first.staff] == [["1A", "2A"]]


def test_an_org_map_file(tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text("sourcedId;instellingsnummer\nschool-2;067890\n\nschool-3;012345\n")
    assert load_org_map(path) == {"school-2": "067890", "school-3": "012345"}
    path.write_text("school-2\n")
    with pytest.raises(BadInput) as caught:
        load_org_map(path)
    assert caught.value.line == 1


# --- our own sets: defects per row -----------------------------------------------------------


def test_dangling_references_withhold_the_pupil(tmp_path):
    files = edit(base_set(), "enrollments.csv", "e-3,,,class-2a", "e-3,,,class-9z")
    files["enrollments.csv"] += "e-6,,,class-1a,school-1,p-9,student,,,\n"

    snapshot = only(parse_oneroster(write_set(tmp_path, files)))

    found = [(f.code, f.file, f.line, f.field) for f in snapshot.findings]
    assert found == [
        ("ONEROSTER_REFERENCE_UNKNOWN", "enrollments.csv", 4, "classSourcedId"),
        ("ONEROSTER_REFERENCE_UNKNOWN", "enrollments.csv", 7, "userSourcedId"),
    ]
    assert "class-9z" in snapshot.findings[0].message
    assert by_id(snapshot.pupils).keys() == {"p-1", "p-2"}
    # Not leavers: their rows could not be read.
    assert snapshot.withheld_source_ids == {"p-3", "p-9"}


def test_a_missing_name_a_duplicate_id_and_a_school_that_is_none(tmp_path):
    files = base_set()
    files = edit(files, "users.csv", "p2,,Adam,Aerts", "p2,,Adam,")
    files["users.csv"] += "p-3,,,true,p3b,,Lotte,Maes,,,,,,,02,,,,,,school-1,\n"
    files = edit(
        files, "classes.csv", "course-2,,homeroom,,school-1", "course-2,,homeroom,,board-1"
    )

    snapshot = only(parse_oneroster(write_set(tmp_path, files)))

    found = {(f.code, f.file, f.line, f.field) for f in snapshot.findings}
    assert found == {
        ("ONEROSTER_ORG_NOT_SCHOOL", "classes.csv", 3, "schoolSourcedId"),
        ("ONEROSTER_ID_DUPLICATE", "users.csv", 5, "sourcedId"),
        ("ONEROSTER_ID_DUPLICATE", "users.csv", 6, "sourcedId"),
        ("ONEROSTER_VALUE_MISSING", "users.csv", 4, "familyName"),
    }
    assert by_id(snapshot.pupils).keys() == {"p-1"}
    assert snapshot.withheld_source_ids == {"p-2", "p-3"}
    assert [c.code for c in snapshot.classes] == ["1A"]
    for finding in snapshot.findings:
        assert finding.code in RULES and finding.message and finding.hint


# --- our own sets: what cannot be read at all ------------------------------------------------


def test_a_missing_required_column(tmp_path):
    files = edit(base_set(), "users.csv", "givenName,familyName,", "givenName,family_name,")
    with pytest.raises(BadInput) as caught:
        parse_oneroster(write_set(tmp_path, files))
    assert (caught.value.file, caught.value.line, caught.value.field) == (
        "users.csv",
        1,
        "familyName",
    )


def test_undecodable_bytes_name_line_and_column(tmp_path):
    files: dict = base_set()
    files["users.csv"] = files["users.csv"].encode("utf-8").replace("Zoë".encode(), b"Zo\xeb")
    with pytest.raises(BadInput) as caught:
        parse_oneroster(write_set(tmp_path, files))
    assert (caught.value.file, caught.value.line, caught.value.field) == (
        "users.csv",
        3,
        "givenName",
    )


def test_a_file_name_in_another_case_is_mapped_unless_ambiguous(tmp_path):
    files = base_set()
    files["Users.csv"] = files.pop("users.csv")
    assert len(only(parse_oneroster(write_set(tmp_path / "one", files))).pupils) == 3

    files["USERS.csv"] = files["Users.csv"]
    with pytest.raises(BadInput) as caught:
        parse_oneroster(write_set(tmp_path / "two", files))
    assert caught.value.file == "USERS.csv"  # which one is meant?

    files["users.csv"] = files["USERS.csv"]  # the exact name wins
    assert len(only(parse_oneroster(write_set(tmp_path / "three", files))).pupils) == 3


def test_a_row_of_the_wrong_width(tmp_path):
    files = edit(base_set(), "enrollments.csv", "p-2,student,,,", "p-2,student,,")
    with pytest.raises(BadInput) as caught:
        parse_oneroster(write_set(tmp_path, files))
    assert (caught.value.file, caught.value.line, caught.value.field) == (
        "enrollments.csv",
        3,
        "endDate",
    )


def test_a_file_the_manifest_promises_is_missing(tmp_path):
    files = base_set()
    del files["roles.csv"]
    with pytest.raises(BadInput) as caught:
        parse_oneroster(write_set(tmp_path, files))
    assert caught.value.file == "manifest.csv" and caught.value.field == "value"
    assert caught.value.line == ALL_FILES.index("roles") + 4


def test_not_a_set(tmp_path):
    (tmp_path / "export.xlsx").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(BadInput):
        parse_oneroster(tmp_path / "export.xlsx")
    with pytest.raises(BadInput):
        parse_oneroster(tmp_path / "nothing-here")


# --- deltas ----------------------------------------------------------------------------------


def test_a_delta_names_who_leaves_and_tolerates_earlier_ids(tmp_path):
    header = base_set()
    files = {
        "manifest.csv": manifest("delta", ("users", "roles", "enrollments")),
        "users.csv": USERS_12
        + (
            "p-1,active,2026-01-05T00:00:00.000Z,true,p1,,Zoë,Peeters-Aerts,,,,,,,,,,,,,"
            "school-1,\n"
            "p-2,tobedeleted,2026-01-05T00:00:00.000Z,true,p2,,Adam,Aerts,,,,,,,,,,,,,"
            "school-1,\n"
            "t-1,tobedeleted,2026-01-05T00:00:00.000Z,true,els,,Els,Teerlinck,,,,,,,,,,,,,"
            "school-1,\n"
        ),
        "roles.csv": header["roles.csv"].split("\n")[0]
        + "\nr-p3,tobedeleted,2026-01-05T00:00:00.000Z,p-3,primary,student,,,school-1,\n"
        + "r-t1,tobedeleted,2026-01-05T00:00:00.000Z,t-1,primary,teacher,,,school-1,\n",
        "enrollments.csv": header["enrollments.csv"].split("\n")[0]
        + "\ne-9,active,2026-01-05T00:00:00.000Z,class-2a,school-1,p-1,student,,,\n",
    }

    snapshot = only(parse_oneroster(write_set(tmp_path, files)))

    assert snapshot.is_delta and snapshot.findings == []
    assert snapshot.leaving_source_ids == {"p-2", "p-3"}  # not the teacher
    (pupil,) = snapshot.pupils
    assert (pupil.family_name, pupil.class_code, pupil.class_source_id) == (
        "Peeters-Aerts",
        "",  # the class came in an earlier set
        "class-2a",
    )
    assert not snapshot.classes_known


def test_a_delta_needs_a_status_column(tmp_path):
    files = base_set()
    files["manifest.csv"] = manifest("delta")
    files = edit(files, "orgs.csv", "sourcedId,status,", "sourcedId,state,")
    with pytest.raises(BadInput) as caught:
        parse_oneroster(write_set(tmp_path, files))
    assert (caught.value.file, caught.value.line, caught.value.field) == ("orgs.csv", 1, "status")


@pytest.mark.parametrize("mode", ["bulk", "delta"])
def test_a_pupil_in_the_leavers_class_has_left(tmp_path, mode):
    files = base_set()
    files["manifest.csv"] = manifest(mode)
    files["classes.csv"] += "class-sv,,,Schoolverlaters,,course-1,,homeroom,,school-1,year-1,,,\n"
    files = edit(files, "enrollments.csv", "e-3,,,class-2a", "e-3,,,class-sv")

    snapshot = only(parse_oneroster(write_set(tmp_path, files)))

    assert "Schoolverlaters" not in {c.code for c in snapshot.classes}
    pupils = by_id(snapshot.pupils)
    assert {k for k, p in pupils.items() if not p.is_leaver} == {"p-1", "p-2"}
    # A leaver, with their data (created as a leaver when the registry does not know them).
    leaver = pupils["p-3"]
    assert (leaver.is_leaver, leaver.class_code, leaver.class_number) == (
        True,
        "Schoolverlaters",
        None,
    )
    assert (leaver.given_name, leaver.class_source_id) == ("Lotte", "class-sv")
    assert snapshot.findings == [] and snapshot.withheld_source_ids == frozenset()
    assert snapshot.leaving_source_ids == ({"p-3"} if mode == "delta" else frozenset())
