"""Every mapping rule of the EDEXML reader: institution, pupil key, groups and years,
combined groups, teachers, leavers, class numbers."""

import datetime

import pytest

from schoolbrug.edexml.reader import parse_edexml
from schoolbrug.edexml.years import jaargroep_for, stage_and_year
from tests.edexml.files import DUTCH, FLEMISH, combined, group, leerkracht, leerling, write


def valid_nn(yymmdd: str, sequence: int, after_2000: bool = True) -> str:
    base = int(yymmdd + f"{sequence:03d}")
    check = 97 - ((2_000_000_000 if after_2000 else 0) + base) % 97
    return f"{yymmdd}{sequence:03d}{check:02d}"


def test_the_institution_comes_from_the_file_unless_given():
    dutch, flemish = parse_edexml(DUTCH), parse_edexml(FLEMISH)
    assert (dutch.institution_number, dutch.country) == ("99ZZ00", "NL")
    assert (flemish.institution_number, flemish.country) == ("1234", "BE")
    assert parse_edexml(DUTCH, "12AB01").institution_number == "12AB01"


def test_a_brin_without_dependance_code_is_dependance_00(tmp_path):
    path = write(tmp_path / "f.xml", brin="12AB", groups=[group("g", "5A", "7")],
                 pupils=[leerling("1", "Jansen", "Eva", "g")])  # fmt: skip
    assert parse_edexml(path).institution_number == "12AB00"


def test_dutch_pupils_are_keyed_on_the_files_key_with_eckid_and_never_a_bsn():
    snapshot = parse_edexml(DUTCH)
    assert snapshot.key == "source_id"
    wimpie = next(p for p in snapshot.pupils if p.source_id == "00001")
    assert wimpie.eckid.startswith("https://id.school/LL_")
    assert all(p.national_number == "" for p in snapshot.pupils)  # the BSN 133456785 is not read
    assert "133456785" not in repr(snapshot)


def test_flemish_pupils_are_keyed_on_the_national_number_where_they_have_one(tmp_path):
    number = valid_nn("170304", 1)
    path = write(tmp_path / "f.xml", number="12345", groups=[group("g", "3A", "5")],
                 pupils=[leerling("1", "Peeters", "Jan", "g", rrn=number, gender="1"),
                         leerling("2", "Maes", "Lien", "g")])  # fmt: skip
    snapshot = parse_edexml(path)
    assert snapshot.key == "national_number" and snapshot.national_number_optional
    assert [p.national_number for p in snapshot.pupils] == [number, ""]
    assert [p.source_id for p in snapshot.pupils] == ["1", "2"]


def test_family_name_prefix_given_name_gender_and_birth_date(tmp_path):
    path = write(tmp_path / "f.xml", brin="12AB", groups=[group("g", "5A", "7")],
                 pupils=[leerling("1", "Berg", "Sanne", "g", prefix="van den", gender="2"),
                         leerling("2", "Smit", "Noah", "g", gender="1", birth="2016-01-31"),
                         leerling("3", "Bakker", "Sam", "g", gender="9"),
                         leerling("4", "Visser", "Kim", "g", gender="0")])  # fmt: skip
    pupils = parse_edexml(path).pupils
    assert [p.family_name for p in pupils][:2] == ["van den Berg", "Smit"]
    assert [p.given_name for p in pupils][:2] == ["Sanne", "Noah"]
    assert [p.gender for p in pupils] == ["F", "M", "X", ""]
    assert pupils[1].birth_date == datetime.date(2016, 1, 31)


@pytest.mark.parametrize(
    ("jaargroep", "stage", "year"),
    [
        ("0", "NVT", 1),
        ("1", "NVT", 2),
        ("2", "NVT", 3),
        ("3", "", 1),
        ("8", "", 6),
        ("11", "1", 1),
        ("12", "1", 2),
        ("16", "3", 2),
    ],  # fmt: skip
)
def test_jaargroep_gives_the_year_and_groep_1_2_are_kindergarten(jaargroep, stage, year):
    assert stage_and_year(jaargroep) == (stage, year)
    assert jaargroep_for(stage, year) == jaargroep


def test_groups_become_classes_named_as_the_school_names_them():
    classes = {c.code: c for c in parse_edexml(DUTCH).classes}
    assert classes["4A"].source_id == "GRP4A" and classes["4A"].year == 2  # groep 4
    assert classes["Kabouters"].kindergarten_level == "K1"
    assert classes["Muizen"].kindergarten_level == "K2"  # groep 1
    assert not classes["4A"].is_combined and classes["Samgroep 1"].is_combined


def test_a_combination_group_takes_its_years_from_its_pupils(tmp_path):
    path = write(tmp_path / "f.xml", brin="12AB", groups=[group("c", "5/6", "C")],
                 pupils=[leerling("1", "A", "A", "c", jaargroep="5"),
                         leerling("2", "B", "B", "c", jaargroep="6")])  # fmt: skip
    (record,) = parse_edexml(path).classes
    assert (record.stage, record.year, record.years) == ("", 3, (3, 4))


def test_combined_groups_are_the_extra_groups_a_pupil_belongs_to():
    wimpie = next(p for p in parse_edexml(DUTCH).pupils if p.source_id == "00001")
    assert wimpie.class_code == "4B"
    assert wimpie.extra_class_codes == ("Samgroep 1", "Samgroep 2")


def test_teachers_become_staff_with_their_groups(tmp_path):
    path = write(tmp_path / "f.xml", brin="12AB",
                 groups=[group("g", "5A", "7"), combined("s", "Rekenen plus")],
                 pupils=[leerling("1", "Jansen", "Eva", "g")],
                 teachers=[leerkracht("T1", "Dekker", "Ilse", "ilse@example.nl", ["g"], ["s"]),
                           leerkracht("T2", "Mulder", "Bram", None, ["g"])])  # fmt: skip
    snapshot = parse_edexml(path)
    first, second = snapshot.staff
    assert (first.email, first.class_codes) == ("ilse@example.nl", ["5A", "Rekenen plus"])
    assert second.email == ""
    assert [f.code for f in snapshot.findings] == ["TEACHER_EMAIL_MISSING"]


def test_a_pupil_who_left_is_a_leaver_record(tmp_path):
    path = write(tmp_path / "f.xml", brin="12AB", groups=[group("g", "5A", "7")],
                 pupils=[leerling("1", "Jansen", "Eva", "g", left="2020-07-01"),
                         leerling("2", "Smit", "Noah", None, jaargroep="H"),
                         leerling("3", "Bakker", "Sam", "g", left="2999-07-01")])  # fmt: skip
    pupils = parse_edexml(path).pupils
    assert [p.is_leaver for p in pupils] == [True, True, False]
    assert pupils[0].class_code == "" and pupils[2].class_code == "5A"


def test_pupils_are_numbered_per_group_by_name(tmp_path):
    path = write(tmp_path / "f.xml", brin="12AB", groups=[group("g", "5A", "7")],
                 pupils=[leerling("1", "Smit", "Noah", "g"),
                         leerling("2", "Bakker", "Sam", "g")])  # fmt: skip
    snapshot = parse_edexml(path)
    assert [p.class_number for p in snapshot.pupils] == [2, 1]
    assert snapshot.class_numbers_generated
