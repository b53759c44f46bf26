import datetime
import gc

import pytest

from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.tabular import (
    compact_national_number,
    detect_delimiter,
    gc_paused,
    normalise_gender,
    parse_class_number,
    parse_date,
    parse_table,
    read_table,
)

NAMES = "KLAS;NAAM;VOORNAAM\r\n1A;Peeters;Zoë\r\n1A;Maes;Gaëlle\r\n2B;Dubois;Françoise\r\n"


def rows(table):
    return list(table.rows())


# --- encodings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (NAMES.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + NAMES.encode("utf-8"), "utf-8-sig"),
        (NAMES.encode("cp1252"), "cp1252"),
    ],
)
def test_every_encoding_a_school_sends_reads_the_same(data, encoding):
    table = parse_table(data, file="leerlingen.csv")
    assert table.encoding == encoding
    assert table.header == ["KLAS", "NAAM", "VOORNAAM"]  # no BOM left in the first name
    assert rows(table) == [
        (2, ["1A", "Peeters", "Zoë"]),
        (3, ["1A", "Maes", "Gaëlle"]),
        (4, ["2B", "Dubois", "Françoise"]),
    ]


def test_a_file_from_path_is_named_by_its_file_name(tmp_path):
    path = tmp_path / "leerlingen.csv"
    path.write_bytes(NAMES.encode("cp1252"))
    table = read_table(path)
    assert table.file == "leerlingen.csv"
    assert rows(table)[2][1][2] == "Françoise"


def test_a_bom_with_windows_1252_bytes_after_it_still_reads_as_windows_1252():
    data = b"\xef\xbb\xbf" + "KLAS;NAAM\r\n1A;Zoë\r\n".encode("cp1252")
    table = parse_table(data, file="x.csv")
    assert table.encoding == "cp1252"
    assert table.header == ["KLAS", "NAAM"]
    assert rows(table) == [(2, ["1A", "Zoë"])]


# --- delimiters, line ends, quotes -----------------------------------------------------


def test_comma_separated_with_lf_and_no_final_newline():
    table = parse_table(b"KLAS,NAAM,VOORNAAM\n1A,Peeters,Jan\n1B,Maes,An", file="x.csv")
    assert table.delimiter == ","
    assert rows(table) == [(2, ["1A", "Peeters", "Jan"]), (3, ["1B", "Maes", "An"])]


def test_crlf_and_lone_cr_line_ends():
    table = parse_table(b"KLAS;NAAM\r\n1A;Peeters\r\n1B;Maes\r1C;Jacobs", file="x.csv")
    assert [line for line, _ in rows(table)] == [2, 3, 4]
    assert rows(table)[2][1] == ["1C", "Jacobs"]


def test_the_delimiter_is_counted_in_the_header_outside_quotes():
    assert detect_delimiter('"Naam, voornaam";KLAS;GEBOORTEDATUM') == ";"
    assert detect_delimiter("KLAS,NAAM;VOORNAAM,GESLACHT") == ","
    assert detect_delimiter("KLAS;NAAM,VOORNAAM") == ";"  # a tie: the Belgian Excel default
    assert detect_delimiter("KLAS NAAM") == ""


def test_quoted_cells_keep_the_delimiter_and_their_spaces():
    data = b'KLAS;NAAM\r\n" 1A ";"Van den Broeck; Jan"\r\n'
    assert rows(parse_table(data, file="x.csv")) == [(2, [" 1A ", "Van den Broeck; Jan"])]


def test_blank_lines_are_skipped_but_still_counted():
    data = b"KLAS;NAAM\r\n\r\n1A;Peeters\r\n;\r\n   \r\n1B;Maes\r\n\r\n"
    assert rows(parse_table(data, file="x.csv")) == [(3, ["1A", "Peeters"]), (6, ["1B", "Maes"])]


def test_a_quoted_line_break_keeps_the_line_numbers_of_the_rows_after_it():
    data = b'KLAS;STRAAT\r\n1A;"Kerkstraat 1\r\nbus 2"\r\n1B;Markt 3\r\n'
    assert rows(parse_table(data, file="x.csv")) == [
        (2, ["1A", "Kerkstraat 1\r\nbus 2"]),
        (4, ["1B", "Markt 3"]),
    ]


def test_excel_sep_line_sets_the_delimiter_and_moves_the_header():
    table = parse_table(b"sep=,\r\nKLAS,NAAM\r\n1A,Peeters\r\n", file="x.csv")
    assert (table.delimiter, table.header_line, table.header) == (",", 2, ["KLAS", "NAAM"])
    assert rows(table) == [(3, ["1A", "Peeters"])]


def test_leading_blank_lines_move_the_header():
    table = parse_table(b"\r\n\r\nKLAS;NAAM\r\n1A;Peeters\r\n", file="x.csv")
    assert table.header_line == 3
    assert rows(table) == [(4, ["1A", "Peeters"])]


def test_a_padded_header_marks_a_padded_export():
    assert parse_table(b"KLAS ; NAAM \r\n", file="x.csv").is_padded
    assert not parse_table(b"KLAS;NAAM \r\n", file="x.csv").is_padded


def test_header_columns_match_case_insensitively_first_one_wins():
    table = parse_table(b" klas ;Naam;KLAS\r\n", file="x.csv")
    assert table.column_index() == {"KLAS": 0, "NAAM": 1}


# --- what is not a CSV export ----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "leeg"),
        (b"\r\n  \r\n", "leeg"),
        (b"\xef\xbb\xbf", "leeg"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Excel"),
        (b"%PDF-1.7\n", "PDF"),
        (b"\xff\xfeK\x00L\x00", "UTF-16"),
        (b"KLAS;NAAM\r\n\x00\x17\x89\xfe\x00\x01", "binaire"),
        (b"KLAS NAAM VOORNAAM\r\n1A Peeters Jan\r\n", "scheidingsteken"),
        (b"\x1b\x02\x7f\xe9;x\r\n", "onleesbare"),
    ],
)
def test_what_is_not_a_csv_export_stops_the_run(data, reason):
    with pytest.raises(BadInput) as caught:
        parse_table(data, file="leerlingen.csv")
    error = caught.value
    assert reason in error.reason_nl
    assert error.file == "leerlingen.csv"
    assert error.line is not None
    assert error.user_text().startswith("leerlingen.csv, regel ")


def test_binary_garbage_names_the_line_of_the_first_nul():
    with pytest.raises(BadInput) as caught:
        parse_table(b"KLAS;NAAM\r\n1A;Peeters\r\n\x00\x00", file="x.csv")
    assert caught.value.line == 3


def test_bytes_that_are_neither_utf8_nor_windows_1252_name_their_line():
    # 0x81 is undefined in Windows-1252 and invalid in UTF-8.
    with pytest.raises(BadInput) as caught:
        parse_table(b"KLAS;NAAM\r\n1A;Peeters\r\n1B;Ma\x81s\r\n", file="x.csv")
    assert caught.value.line == 3
    assert "UTF-8" in caught.value.reason_nl


def test_a_file_mixing_utf8_and_windows_1252_names_the_line_that_is_not_utf8():
    # Rows pasted together from two exports: "Zoë" in UTF-8, "Françoise" in Windows-1252.
    # Read as Windows-1252 the first would be stored as "ZoÃ«".
    data = "KLAS;NAAM\r\n1A;Zoë\r\n".encode() + "1B;Françoise\r\n".encode("cp1252")
    with pytest.raises(BadInput) as refused:
        parse_table(data, file="leerlingen.csv")
    assert refused.value.line == 3 and refused.value.file == "leerlingen.csv"
    assert "mengt twee tekensets" in refused.value.reason_nl


def test_windows_1252_capitals_before_punctuation_are_not_taken_for_utf8():
    data = "KLAS;NAAM\r\n1A;CAFÉ’S\r\n1B;Françoise\r\n".encode("cp1252")
    assert rows(parse_table(data, file="x.csv")) == [
        (2, ["1A", "CAFÉ’S"]),
        (3, ["1B", "Françoise"]),
    ]


def test_an_unclosed_quote_that_swallows_rows_stops_the_run():
    data = b'KLAS;NAAM\r\n1A;"Peeters\r\n1B;Maes\r\n1C;Jacobs\r\n'
    with pytest.raises(BadInput) as caught:
        rows(parse_table(data, file="x.csv"))
    assert caught.value.line == 2
    assert "Aanhalingsteken" in caught.value.reason_nl


def test_a_missing_file_is_bad_input(tmp_path):
    with pytest.raises(BadInput) as caught:
        read_table(tmp_path / "weg.csv")
    assert caught.value.file == "weg.csv"


# --- values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["30/7/2015", "30/07/2015", "30-7-2015", "30.07.2015", "2015-07-30", " 2015-07-30 "]
    + ["2015-07-30T00:00:00", "30/07/2015 0:00"],
)
def test_dates_as_schools_type_them(text):
    assert parse_date(text) == datetime.date(2015, 7, 30)


def test_day_first_single_digits():
    assert parse_date("1/2/2016") == datetime.date(2016, 2, 1)
    assert parse_date("2016-2-1") == datetime.date(2016, 2, 1)


@pytest.mark.parametrize(
    "text",
    ["", "  ", "31/02/2015", "30/7/15", "2015", "30/13/2015", "morgen", "1/1/1850", "7/30/2015"]
    + ["2015/07/30x", "30/07/2015 ochtend", "٣٠/٧/٢٠١٥"],
)
def test_unreadable_dates_are_none(text):
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("text", "gender"),
    [
        ("M", "M"),
        ("m", "M"),
        ("Man", "M"),
        ("Mannelijk", "M"),
        ("J", "M"),
        ("jongen", "M"),
        (" M ", "M"),
        ("V", "F"),
        ("v", "F"),
        ("F", "F"),
        ("Vrouw", "F"),
        ("Vrouwelijk", "F"),
        ("meisje", "F"),
        ("X", "X"),
        ("x", "X"),
        ("", ""),
        ("?", ""),
        ("1", ""),
        ("onbekend", ""),
    ],
)
def test_gender_as_schools_write_it(text, gender):
    assert normalise_gender(text) == gender


def test_gc_paused_restores_the_collector():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


@pytest.mark.parametrize(
    ("text", "number"),
    [("3", 3), (" 07 ", 7), ("12.0", 12), ("", None), ("0", None), ("00", None), ("3a", None)]
    + [("-2", None), ("²", None)],
)
def test_class_number_empty_or_zero_is_none(text, number):
    assert parse_class_number(text) == number


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("85.07.30-033.28", "85073003328"),
        ("85073003328", "85073003328"),
        ("85 07 30 033 28", "85073003328"),
        ("850730/033-28", "85073003328"),
        ("", ""),
        ("85.07.30-O33.28", "850730O3328"),
    ],
)
def test_national_number_separators_are_removed(text, number):
    assert compact_national_number(text) == number
