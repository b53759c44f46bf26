import datetime
import hashlib
import json

import pytest

from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.validate import validate
from schoolbrug.sources.wisa import load_mapping, parse_wisa, parse_years

PUPIL_HEADER = [
    "KLAS",
    "KLASNUMMER",
    "NAAM",
    "VOORNAAM",
    "GEBOORTEDATUM",
    "WISAID",
    "STAMBOEKNUMMER",
    "GESLACHT",
    "RIJKSREGISTERNR",
]
CLASS_HEADER = ["KLAS", "GRAAD", "LEERJAAR", "VAKKENPAKKET"]


def national_number(birth: datetime.date, sequence: int) -> str:
    first9 = f"{birth:%y%m%d}{sequence:03d}"
    base = int(("2" if birth.year >= 2000 else "") + first9)
    return f"{first9}{97 - base % 97:02d}"


ZOE = national_number(datetime.date(2016, 3, 14), 2)
LUCAS = national_number(datetime.date(2015, 11, 2), 1)


def pupil_row(**cells):
    row = {
        "KLAS": "1A",
        "KLASNUMMER": "3",
        "NAAM": "Peeters",
        "VOORNAAM": "Zoë",
        "GEBOORTEDATUM": "14/3/2016",
        "WISAID": "W1",
        "STAMBOEKNUMMER": "1001",
        "GESLACHT": "V",
        "RIJKSREGISTERNR": ZOE,
    }
    row.update(cells)
    return row


def write_csv(path, header, rows, *, delimiter=";", encoding="utf-8-sig", newline="\r\n"):
    lines = [delimiter.join(header)]
    lines += [delimiter.join(row.get(name, "") for name in header) for row in rows]
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


def export(tmp_path, pupils, classes=None, *, pupil_header=PUPIL_HEADER, **options):
    if classes is None:
        classes = [{"KLAS": "1A", "GRAAD": "", "LEERJAAR": "1", "VAKKENPAKKET": "LO"}]
    pupils_path = write_csv(tmp_path / "leerlingen.csv", pupil_header, pupils, **options)
    classes_path = write_csv(tmp_path / "klassen.csv", CLASS_HEADER, classes, **options)
    return pupils_path, classes_path


def test_a_wisa_export_becomes_a_snapshot(tmp_path):
    pupils, classes = export(
        tmp_path,
        [
            pupil_row(RIJKSREGISTERNR="16.03.14-002." + ZOE[-2:]),
            pupil_row(
                KLASNUMMER="",
                NAAM="Maes",
                VOORNAAM="Lucas",
                GEBOORTEDATUM="2015-11-02",
                WISAID="W2",
                GESLACHT="M",
                RIJKSREGISTERNR=LUCAS,
            ),
        ],
    )
    snapshot = parse_wisa(pupils, classes, "012345")
    assert (snapshot.source, snapshot.key, snapshot.institution_number) == (
        "wisa",
        "national_number",
        "012345",
    )
    assert snapshot.files == {"pupils": "leerlingen.csv", "classes": "klassen.csv"}
    assert snapshot.classes_known
    zoe, lucas = snapshot.pupils
    assert (zoe.line, zoe.source_id, zoe.class_code, zoe.class_number) == (2, "W1", "1A", 3)
    assert (zoe.family_name, zoe.given_name, zoe.gender) == ("Peeters", "Zoë", "F")
    assert zoe.birth_date == datetime.date(2016, 3, 14)
    assert zoe.national_number == ZOE  # separators removed
    assert zoe.registration_number == "1001"
    assert (zoe.raw_gender, zoe.raw_birth_date) == ("V", "14/3/2016")
    assert (lucas.line, lucas.class_number, lucas.gender) == (3, None, "M")
    assert lucas.birth_date == datetime.date(2015, 11, 2)
    [klass] = snapshot.classes
    assert (klass.code, klass.stage, klass.year, klass.curriculum, klass.line) == (
        "1A",
        "",
        1,
        "LO",
        2,
    )
    assert snapshot.columns["national_number"] == "RIJKSREGISTERNR"
    assert snapshot.columns["class.curriculum"] == "VAKKENPAKKET"


def test_source_hash_covers_both_files(tmp_path):
    pupils, classes = export(tmp_path, [pupil_row()])
    first = parse_wisa(pupils, classes, "1").source_hash
    assert first == parse_wisa(pupils, classes, "1").source_hash
    assert len(first) == 64
    expected = hashlib.sha256(
        (
            hashlib.sha256(pupils.read_bytes()).hexdigest()
            + hashlib.sha256(classes.read_bytes()).hexdigest()
        ).encode()
    ).hexdigest()
    assert first == expected
    classes.write_bytes(classes.read_bytes().replace(b"LO", b"L0"))
    assert parse_wisa(pupils, classes, "1").source_hash != first


@pytest.mark.parametrize(
    ("encoding", "delimiter", "newline"),
    [("utf-8", ";", "\r\n"), ("utf-8-sig", ",", "\n"), ("cp1252", ";", "\r\n")],
)
def test_every_encoding_and_delimiter_gives_the_same_names(tmp_path, encoding, delimiter, newline):
    rows = [
        pupil_row(VOORNAAM="Zoë"),
        pupil_row(VOORNAAM="Gaëlle", WISAID="W2", RIJKSREGISTERNR=""),
        pupil_row(VOORNAAM="Françoise", WISAID="W3", RIJKSREGISTERNR=""),
    ]
    pupils, classes = export(
        tmp_path, rows, encoding=encoding, delimiter=delimiter, newline=newline
    )
    snapshot = parse_wisa(pupils, classes, "1")
    assert [p.given_name for p in snapshot.pupils] == ["Zoë", "Gaëlle", "Françoise"]


def test_header_names_match_whatever_their_case_and_spaces(tmp_path):
    header = [f" {name.lower()} " if i % 2 else name.title() for i, name in enumerate(PUPIL_HEADER)]
    rows = [{header[i]: pupil_row()[name] for i, name in enumerate(PUPIL_HEADER)}]
    pupils, classes = export(tmp_path, rows, pupil_header=header)
    [pupil] = parse_wisa(pupils, classes, "1").pupils
    assert (pupil.family_name, pupil.national_number) == ("Peeters", ZOE)


def test_missing_required_columns_name_the_file_line_and_columns(tmp_path):
    header = [name for name in PUPIL_HEADER if name not in ("KLASNUMMER", "GESLACHT")]
    pupils, classes = export(tmp_path, [pupil_row()], pupil_header=header)
    with pytest.raises(BadInput) as caught:
        parse_wisa(pupils, classes, "1")
    error = caught.value
    assert (error.file, error.line) == ("leerlingen.csv", 1)
    assert error.field == "KLASNUMMER, GESLACHT"
    assert "KLASNUMMER, GESLACHT" in error.user_text()


def test_a_classes_file_without_curriculum_column_is_bad_input(tmp_path):
    pupils, _ = export(tmp_path, [pupil_row()])
    classes = tmp_path / "klassen.csv"
    classes.write_text("KLAS;GRAAD;LEERJAAR\r\n1A;;1\r\n", encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        parse_wisa(pupils, classes, "1")
    assert (caught.value.file, caught.value.line, caught.value.field) == (
        "klassen.csv",
        1,
        "VAKKENPAKKET",
    )


def test_binary_garbage_as_pupils_file_is_bad_input(tmp_path):
    _, classes = export(tmp_path, [pupil_row()])
    garbage = tmp_path / "leerlingen.xlsx"
    garbage.write_bytes(b"PK\x03\x04" + bytes(range(256)))
    with pytest.raises(BadInput) as caught:
        parse_wisa(garbage, classes, "1")
    assert caught.value.file == "leerlingen.xlsx"


# --- class codes: every letter and space counts ----------------------------------------


def test_class_codes_are_kept_exactly_with_their_spaces(tmp_path):
    rows = [
        pupil_row(KLAS="1 A"),
        pupil_row(KLAS="1A ", WISAID="W2", RIJKSREGISTERNR=LUCAS),
    ]
    classes = [
        {"KLAS": "1 A", "LEERJAAR": "1", "VAKKENPAKKET": "LO"},
        {"KLAS": "1A", "LEERJAAR": "1", "VAKKENPAKKET": "LO"},
    ]
    pupils_path, classes_path = export(tmp_path, rows, classes)
    snapshot = parse_wisa(pupils_path, classes_path, "1")
    assert [p.class_code for p in snapshot.pupils] == ["1 A", "1A "]
    result = validate(snapshot)
    assert [f.class_code for f in result.findings if f.code == "CLASS_UNKNOWN"] == ["1A "]


def test_a_padded_export_loses_its_padding_but_not_inner_spaces(tmp_path):
    pupils = tmp_path / "leerlingen.csv"
    pupils.write_text(
        " ; ".join(PUPIL_HEADER)
        + " \r\n"
        + " ; ".join(["1 A  ", "3", "Peeters", "Zoë", "14/3/2016", "W1", "1", "V", ZOE])
        + " \r\n",
        encoding="utf-8",
    )
    classes = tmp_path / "klassen.csv"
    classes.write_text("KLAS ; GRAAD ; LEERJAAR ; VAKKENPAKKET \r\n1 A   ;  ; 1 ; LO \r\n")
    snapshot = parse_wisa(pupils, classes, "1")
    assert snapshot.pupils[0].class_code == "1 A"
    assert snapshot.classes[0].code == "1 A"
    assert snapshot.pupils[0].national_number == ZOE
    assert validate(snapshot).accepted == snapshot.pupils


def test_a_blank_class_code_is_no_class(tmp_path):
    pupils, classes = export(tmp_path, [pupil_row(KLAS="  ")])
    assert parse_wisa(pupils, classes, "1").pupils[0].class_code == ""


# --- values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("1", (1,)),
        (" 0 ", (0,)),
        ("1,2", (1, 2)),
        ("1-2", (1, 2)),
        ("1 - 3", (1, 2, 3)),
        ("2/1", (1, 2)),
        ("5+6", (5, 6)),
        ("1 en 2", (1, 2)),
        ("", ()),
        ("eerste", ()),
        ("3-1", ()),
        ("1,x", ()),
    ],
)
def test_years_of_a_class(text, years):
    assert parse_years(text) == years


def test_a_multi_grade_class_lists_its_years_and_takes_the_lowest(tmp_path):
    classes = [
        {"KLAS": "L12", "LEERJAAR": "1,2", "VAKKENPAKKET": "LO"},
        {"KLAS": "L34", "LEERJAAR": "3-4", "VAKKENPAKKET": "LO"},
        {"KLAS": "5A", "LEERJAAR": "5", "VAKKENPAKKET": "LO"},
    ]
    pupils, classes_path = export(tmp_path, [pupil_row(KLAS="L12")], classes)
    snapshot = parse_wisa(pupils, classes_path, "1")
    assert [(c.code, c.year, c.years) for c in snapshot.classes] == [
        ("L12", 1, (1, 2)),
        ("L34", 3, (3, 4)),
        ("5A", 5, ()),
    ]
    assert validate(snapshot).accepted == snapshot.pupils


def test_kindergarten_classes_have_stage_nvt_and_a_level(tmp_path):
    classes = [
        {"KLAS": "K0", "GRAAD": "NVT", "LEERJAAR": "0", "VAKKENPAKKET": "KO"},
        {"KLAS": "K3", "GRAAD": "nvt", "LEERJAAR": "3", "VAKKENPAKKET": "KO"},
    ]
    pupils, classes_path = export(tmp_path, [pupil_row(KLAS="K0")], classes)
    snapshot = parse_wisa(pupils, classes_path, "1")
    assert [(c.code, c.is_kindergarten, c.kindergarten_level) for c in snapshot.classes] == [
        ("K0", True, "K0"),
        ("K3", True, "K3"),
    ]


def test_contacts_and_address_from_the_optional_columns(tmp_path):
    header = [
        *PUPIL_HEADER,
        "STRAAT",
        "STRAATNR",
        "BUSNR",
        "POSTCODE",
        "WOONPLAATS",
        "EMAIL",
        "GSM",
        "TELEFOON",
        "EMAIL_VADER",
        "GSM_VADER",
        "EMAIL_MOEDER",
        "TELEFOON_MOEDER",
        "GSM_MOEDER",
        "STRAAT_VOOGD",
        "EMAIL_VOOGD",
    ]
    rows = [
        pupil_row(
            STRAAT="Kerkstraat",
            STRAATNR="12",
            POSTCODE="9000",
            WOONPLAATS="Gent",
            EMAIL=" zoe@example.be ",
            GSM="",
            TELEFOON="09 123 45 67",
            EMAIL_VADER="vader@example.be",
            GSM_VADER="0470 12 34 56",
            TELEFOON_MOEDER="09 765 43 21",
            GSM_MOEDER="0471 65 43 21",
        ),
        pupil_row(WISAID="W2", RIJKSREGISTERNR=LUCAS, GSM="0472 00 00 00", TELEFOON="09 1"),
    ]
    pupils, classes = export(tmp_path, rows, pupil_header=header)
    zoe, lucas = parse_wisa(pupils, classes, "1").pupils
    assert zoe.address == {
        "street": "Kerkstraat",
        "number": "12",
        "postal_code": "9000",
        "city": "Gent",
    }
    assert (zoe.email, zoe.phone) == ("zoe@example.be", "09 123 45 67")
    assert zoe.contacts == {
        "father": {"email": "vader@example.be", "phone": "0470 12 34 56"},
        "mother": {"phone": "0471 65 43 21"},  # the mobile number wins over the landline
    }
    assert lucas.phone == "0472 00 00 00"
    assert lucas.contacts == {}
    assert lucas.address == {}


def test_a_row_with_more_cells_than_the_header_is_rejected_not_dropped(tmp_path):
    pupils, classes = export(tmp_path, [pupil_row(), pupil_row(WISAID="W2", RIJKSREGISTERNR=LUCAS)])
    data = pupils.read_bytes().decode("utf-8-sig").splitlines()
    data[2] = data[2].replace("Peeters", "Van Dam;Peeters")  # an unquoted separator
    data[1] += ";;"  # empty trailing cells are harmless
    pupils.write_text("\r\n".join(data) + "\r\n", encoding="utf-8")
    snapshot = parse_wisa(pupils, classes, "1")
    assert len(snapshot.pupils) == 2  # dropping it would make the pupil look like a leaver
    [finding] = snapshot.findings
    assert (finding.code, finding.file, finding.line) == ("ROW_TOO_MANY_CELLS", "leerlingen.csv", 3)
    assert "10 in plaats van 9" in finding.message
    result = validate(snapshot)
    assert [p.line for p in result.rejected] == [3]
    assert [p.line for p in result.accepted] == [2]
    assert "ROW_TOO_MANY_CELLS" not in {f.code for f in result.findings}  # not twice


def test_short_rows_are_padded_and_blank_rows_skipped(tmp_path):
    pupils, classes = export(tmp_path, [pupil_row()])
    pupils.write_bytes(pupils.read_bytes() + b"\r\n;;;;\r\n  ;  \r\n1B;4;Maes\r\n")
    snapshot = parse_wisa(pupils, classes, "1")
    assert [(p.line, p.family_name, p.given_name) for p in snapshot.pupils] == [
        (2, "Peeters", "Zoë"),
        (6, "Maes", ""),
    ]


# --- mapping ---------------------------------------------------------------------------


def renamed_export(tmp_path):
    header = [
        "Klascode" if n == "KLAS" else "Rijksregisternummer" if n == "RIJKSREGISTERNR" else n
        for n in PUPIL_HEADER
    ]
    rows = [
        {
            (
                "Klascode"
                if k == "KLAS"
                else "Rijksregisternummer"
                if k == "RIJKSREGISTERNR"
                else k
            ): v
            for k, v in pupil_row().items()
        }
    ]
    pupils = write_csv(tmp_path / "leerlingen.csv", header, rows)
    classes = write_csv(
        tmp_path / "klassen.csv",
        ["Klas", "GRAAD", "Jaar", "VAKKENPAKKET"],
        [{"Klas": "1A", "Jaar": "1", "VAKKENPAKKET": "LO"}],
    )
    return pupils, classes


def test_a_csv_mapping_file_renames_columns(tmp_path):
    pupils, classes = renamed_export(tmp_path)
    mapping_path = tmp_path / "kolommen.csv"
    mapping_path.write_text(
        "schoolbrug;export\r\n"
        "pupils.KLAS;Klascode\r\n"
        "classes.klas;Klas\r\n"
        "LEERJAAR;Jaar\r\n"
        "RIJKSREGISTERNR;Rijksregisternummer\r\n",
        encoding="utf-8",
    )
    mapping = load_mapping(mapping_path)
    assert mapping == {
        "pupils.KLAS": "Klascode",
        "classes.KLAS": "Klas",
        "LEERJAAR": "Jaar",
        "RIJKSREGISTERNR": "Rijksregisternummer",
    }
    snapshot = parse_wisa(pupils, classes, "1", mapping=mapping)
    assert snapshot.pupils[0].class_code == "1A"
    assert snapshot.pupils[0].national_number == ZOE
    assert snapshot.classes[0].year == 1
    assert snapshot.columns["national_number"] == "Rijksregisternummer"
    assert snapshot.columns["class.year"] == "Jaar"


def test_a_json_mapping_file_renames_columns(tmp_path):
    pupils, classes = renamed_export(tmp_path)
    mapping_path = tmp_path / "kolommen.json"
    mapping_path.write_text(
        json.dumps(
            {
                "pupils.KLAS": "Klascode",
                "classes.KLAS": "Klas",
                "leerjaar": "Jaar",
                "RIJKSREGISTERNR": "Rijksregisternummer",
            }
        )
    )
    snapshot = parse_wisa(pupils, classes, "1", mapping=load_mapping(mapping_path))
    assert snapshot.classes[0].year == 1


def test_without_the_mapping_the_renamed_export_misses_columns(tmp_path):
    pupils, classes = renamed_export(tmp_path)
    with pytest.raises(BadInput) as caught:
        parse_wisa(pupils, classes, "1", mapping={"KLAS": "Klascode"})
    assert caught.value.field == "RIJKSREGISTERNR"


def test_a_mapped_column_that_is_missing_names_both_names(tmp_path):
    pupils, classes = export(tmp_path, [pupil_row()])
    with pytest.raises(BadInput) as caught:
        parse_wisa(pupils, classes, "1", mapping={"pupils.NAAM": "Familienaam"})
    assert caught.value.field == "Familienaam (NAAM)"


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("kolommen.csv", "KLAS;Klascode\r\nKLASNUMER;Nr\r\n", 2),
        ("kolommen.csv", "KLAS;Klascode\r\nNAAM\r\n", 2),
        ("kolommen.csv", "KLAS;Klascode\r\nleerlingen.NAAM;Naam\r\n", 2),
        ("kolommen.json", '{"KLAS": "Klascode",\n "NAAM": 3}', None),
        ("kolommen.json", '{"KLAS": "Klascode",\n "NAAM" "x"}', 2),
    ],
)
def test_a_broken_mapping_file_is_bad_input(tmp_path, name, text, line):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        load_mapping(path)
    assert (caught.value.file, caught.value.line) == (name, line)
