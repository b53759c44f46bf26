"""The synthetic region: WISA exports that look real, are the same for a seed, and a next
night with about 3% of the pupils changed."""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import random
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from stdnum.be import nn

from schoolbrug.demo import names
from schoolbrug.demo.generate import (
    CLASS_COLUMNS,
    COL,
    PUPIL_COLUMNS,
    Institution,
    _primary_classes,
    generate_region,
    next_night,
    write_region,
)

PUPILS = 3000
SEED = 11


@pytest.fixture(scope="module")
def region_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("region")
    night1 = generate_region(PUPILS, seed=SEED)
    write_region(night1, out / "night1")
    write_region(next_night(night1), out / "night2")
    return out


@pytest.fixture(scope="module")
def region():
    return generate_region(PUPILS, seed=SEED)


def read_export(path: Path) -> tuple[bool, list[str], list[list[str]]]:
    """(has a UTF-8 BOM, header, rows): UTF-8 with BOM and `;`, else Windows-1252 and `,`."""
    data = path.read_bytes()
    bom = data.startswith(codecs.BOM_UTF8)
    text = data.decode("utf-8-sig") if bom else data.decode("cp1252")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";" if bom else ","))
    return bom, rows[0], rows[1:]


def night(region_dir: Path, name: str) -> dict[str, tuple[list[dict], list[dict]]]:
    """Institution number → (pupil rows, class rows) as dicts by column name."""
    result = {}
    for folder in sorted(p for p in (region_dir / name).iterdir() if p.is_dir()):
        _, pupil_header, pupils = read_export(folder / "leerlingen.csv")
        _, class_header, classes = read_export(folder / "klassen.csv")
        result[folder.name] = (
            [dict(zip(pupil_header, row, strict=True)) for row in pupils],
            [dict(zip(class_header, row, strict=True)) for row in classes],
        )
    return result


def all_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_the_same_seed_writes_the_same_bytes(tmp_path, region_dir):
    again = generate_region(PUPILS, seed=SEED)
    write_region(again, tmp_path / "night1")
    write_region(next_night(again), tmp_path / "night2")
    assert all_files(tmp_path) == all_files(region_dir)
    write_region(generate_region(PUPILS, seed=SEED + 1), tmp_path / "other")
    assert all_files(tmp_path / "other") != all_files(region_dir / "night1")


def test_every_national_number_is_valid_and_matches_birth_date_and_gender(region_dir):
    for name in ("night1", "night2"):
        seen = Counter()
        for pupils, _ in night(region_dir, name).values():
            for pupil in pupils:
                number = pupil["RIJKSREGISTERNR"]
                if not number:
                    continue  # a deliberate defect, counted below
                assert nn.is_valid(number), number
                day, month, year = map(int, pupil["GEBOORTEDATUM"].split("/"))
                assert nn.get_birth_date(number) == datetime.date(year, month, day)
                assert nn.get_gender(number) == {"M": "M", "V": "F"}[pupil["GESLACHT"]]
                seen[number] += 1
        assert max(seen.values()) == 1, "a national number appears twice in the region"


def test_the_national_number_rule_covers_both_centuries():
    assert names.national_number(datetime.date(1985, 7, 30), 33) == "85073003328"
    born_2019 = names.national_number(datetime.date(2019, 3, 14), 7)
    assert nn.is_valid(born_2019) and nn.get_birth_date(born_2019).year == 2019


def test_every_class_a_pupil_names_is_in_the_classes_file(region_dir):
    for name in ("night1", "night2"):
        for number, (pupils, classes) in night(region_dir, name).items():
            codes = {c["KLAS"] for c in classes}
            assert {p["KLAS"] for p in pupils} <= codes, number
            assert len(codes) == len(classes), "class codes are unique per institution"


def test_classes_have_wisa_stages_and_years(region_dir):
    missing_curriculum = 0
    for pupils, classes in night(region_dir, "night1").values():
        assert pupils
        for cls in classes:
            stage, year = cls["GRAAD"], cls["LEERJAAR"]
            if stage == "NVT":  # kindergarten
                assert year in {"0", "1", "2", "3"}
                assert cls["KLAS"].startswith("K")
            elif stage == "":  # primary, possibly a multi-grade class "1,2"
                assert all(y in {"1", "2", "3", "4", "5", "6"} for y in year.split(","))
            else:  # secondary
                assert stage in {"1", "2", "3"} and year in {"1", "2"}
            missing_curriculum += not cls["VAKKENPAKKET"]
    assert missing_curriculum >= 1  # the deliberate defect


def test_a_small_primary_school_has_multi_grade_classes():
    school = Institution("123456", "Vrije Basisschool De Linde", "primary", "9000", "Gent")
    plan = _primary_classes(random.Random(1), school, 90)
    years = {cls.year for cls, count in plan if count}
    assert {"1,2", "3,4", "5,6"} & years


def test_about_340_pupils_per_institution_a_quarter_secondary(region):
    assert region.pupil_count == PUPILS
    assert 300 <= PUPILS / len(region.institutions) <= 380
    big = generate_region(30_000, seed=3)
    assert 300 <= big.pupil_count / len(big.institutions) <= 380
    secondary = sum(inst.level == "secondary" for inst in big.institutions)
    assert 0.2 <= secondary / len(big.institutions) <= 0.3
    assert 1100 <= big.class_count <= 1900  # ~20 pupils per class
    assert any(inst.legacy_export for inst in region.institutions)


def test_institution_numbers_have_six_digits_and_the_real_lists_check_digit(region):
    numbers = [inst.number for inst in region.institutions]
    assert len(set(numbers)) == len(numbers)
    for number in numbers:
        assert len(number) == 6 and number.isdigit()
        assert names.institution_number(int(number[:-1])) == number
    # The pattern of the government's list: 18, 26, 191, 19067, 115841 are real numbers.
    assert [names.institution_number(n) for n in (1, 2, 19, 1906, 11584)] == [
        "18",
        "26",
        "191",
        "19067",
        "115841",
    ]


def test_exports_are_utf8_with_bom_and_a_tenth_windows_1252_with_commas(region_dir):
    encodings = Counter()
    for folder in (region_dir / "night1").iterdir():
        if not folder.is_dir():
            continue
        bom, header, _ = read_export(folder / "leerlingen.csv")
        assert tuple(header) == PUPIL_COLUMNS
        assert read_export(folder / "klassen.csv")[:2] == (bom, list(CLASS_COLUMNS))
        assert (folder / "leerlingen.csv").read_bytes().endswith(b"\r\n")
        encodings["utf-8" if bom else "cp1252"] += 1
    assert encodings["cp1252"] >= 1 and encodings["utf-8"] > encodings["cp1252"]


def test_the_institution_list_names_every_folder(region_dir, region):
    _, header, rows = read_export(region_dir / "night1" / "instellingen.csv")
    assert header == ["instellingsnummer", "naam", "niveau", "vestigingsnummer", "gemeente"]
    folders = {p.name for p in (region_dir / "night1").iterdir() if p.is_dir()}
    assert {row[0] for row in rows} == folders
    assert {row[2] for row in rows} <= {"basis", "secundair"}
    assert len(rows) == sum(len(inst.sites) for inst in region.institutions)


def test_names_have_accents_and_contacts_are_fake(region):
    rows = [row for rows in region.pupils.values() for row in rows]
    given = {row[COL["VOORNAAM"]] for row in rows}
    assert given & {"Zoë", "Gaëlle", "Françoise", "Noël", "Chloë"}
    for row in rows:
        for column in ("EMAIL", "EMAIL_VADER", "EMAIL_MOEDER"):
            value = row[COL[column]]
            assert not value or value.rsplit("@", 1)[1] in names.EMAIL_DOMAINS
        for column in ("GSM", "GSM_VADER", "GSM_MOEDER"):
            assert row[COL[column]] in ("",) or row[COL[column]].startswith("0400 ")
    words = [*names.BOYS, *names.GIRLS, *names.FAMILY_NAMES, *names.STREETS]
    "".join(words).encode("cp1252")  # every name fits the legacy exports


def test_night1_holds_each_deliberate_defect(region):
    defects = region.defects()
    assert all(count >= 1 for count in defects.values()), defects
    assert sum(defects.values()) <= 0.01 * PUPILS


def test_next_night_changes_about_3_percent_with_every_kind(region_dir, region):
    before, after = night(region_dir, "night1"), night(region_dir, "night2")
    seen = Counter()
    for number, (pupils, _) in before.items():
        old = {p["WISAID"]: p for p in pupils}
        new = {p["WISAID"]: p for p in after[number][0]}
        seen["leaver"] += len(old.keys() - new.keys())
        seen["new_pupil"] += len(new.keys() - old.keys())
        for wisa_id in old.keys() & new.keys():
            a, b = old[wisa_id], new[wisa_id]
            if a["KLAS"] != b["KLAS"]:
                seen["class_move"] += 1
            elif a["KLASNUMMER"] != b["KLASNUMMER"]:
                seen["class_number"] += 1
            elif a != b:
                seen["field_update"] += 1
                assert a["RIJKSREGISTERNR"] == b["RIJKSREGISTERNR"]
        old_numbers = {p["RIJKSREGISTERNR"] for p in pupils}
        for wisa_id in new.keys() - old.keys():
            assert new[wisa_id]["RIJKSREGISTERNR"] not in old_numbers
    expected = next_night(region).changes
    assert dict(seen) == expected
    assert all(seen[kind] > 0 for kind in expected)
    assert 0.025 <= sum(seen.values()) / PUPILS <= 0.035


def test_field_updates_touch_only_addresses_and_e_mail(region):
    # PupilFactory.update_contact writes by position: address 9-13, e-mail 14, 16, 18.
    assert [COL[c] for c in ("STRAAT", "WOONPLAATS", "EMAIL", "EMAIL_VADER", "EMAIL_MOEDER")] == [
        9,
        13,
        14,
        16,
        18,
    ]
    after = next_night(region)
    updated = {(inst, key) for kind, inst, key in after.change_log if kind == "field_update"}
    contact = {*range(9, 14), 14, 16, 18}
    wisa = COL["WISAID"]
    for inst, rows in after.pupils.items():
        old = {row[wisa]: row for row in region.pupils[inst]}
        for row in rows:
            if (inst, row[wisa]) in updated:
                pairs = enumerate(zip(old[row[wisa]], row, strict=True))
                changed = {i for i, (a, b) in pairs if a != b}
                assert changed and changed <= contact


def test_a_waiting_pupil_gets_a_class_number_the_next_night(region):
    after = next_night(region)
    number = COL["KLASNUMMER"]
    waiting = sum(r[number] in ("0", "") for rows in region.pupils.values() for r in rows)
    still = sum(r[number] in ("0", "") for rows in after.pupils.values() for r in rows)
    assert still < waiting


def test_the_wisa_parser_reads_what_the_generator_writes(region_dir, region):
    from schoolbrug.sources.wisa import parse_wisa

    legacy = next(inst for inst in region.institutions if inst.legacy_export)
    for inst in (region.institutions[0], legacy):
        folder = region_dir / "night1" / inst.number
        snapshot = parse_wisa(folder / "leerlingen.csv", folder / "klassen.csv", inst.number)
        assert len(snapshot.pupils) == len(region.pupils[inst.number])
        assert len(snapshot.classes) == len(region.classes[inst.number])
        assert {p.family_name for p in snapshot.pupils} == {
            row[COL["NAAM"]] for row in region.pupils[inst.number]
        }


def test_the_command_writes_two_nights_and_reports_counts(tmp_path):
    out = io.StringIO()
    call_command("generate", pupils=1500, out=tmp_path, seed=5, stdout=out)
    text = out.getvalue()
    assert (tmp_path / "night1" / "instellingen.csv").exists()
    assert (tmp_path / "night2" / "instellingen.csv").exists()
    assert "1,500 pupils" in text and "class_move" in text and "time:" in text


def test_writing_a_smaller_region_removes_the_old_folders(tmp_path):
    write_region(generate_region(2000, seed=1), tmp_path)
    small = generate_region(700, seed=2)
    write_region(small, tmp_path)
    assert {p.name for p in tmp_path.iterdir() if p.is_dir()} == set(small.pupils)
