"""`schoolbrug platform products load FILE`: CSV and XLSX, all or nothing, audited."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from schoolbrug.audit.context import acting
from schoolbrug.audit.models import AuditEntry
from schoolbrug.platform import products
from schoolbrug.platform.models import Product

pytestmark = pytest.mark.django_db

GOOD_CSV = (
    "code;naam;uitgever;vak;url\n"
    "REK-3;Rekenrijk groep 3;Uitgeverij Test;rekenen;https://rekenen.test/3\n"
    "TAAL-3;Taalrijk groep 3;Uitgeverij Test;taal;\n"
)


def test_a_csv_catalogue_adds_products_and_logs_each_with_the_person(tmp_path):
    path = tmp_path / "producten.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    with acting("ict@regenboog.be", "catalogus"):
        loaded = products.load(path)
    assert (loaded.created, loaded.updated) == (2, 0)
    rek = Product.objects.get(code="REK-3")
    assert (rek.name, rek.subject, rek.url) == (
        "Rekenrijk groep 3",
        "rekenen",
        "https://rekenen.test/3",
    )
    entries = AuditEntry.objects.filter(entity="product")
    assert {e.actor for e in entries} == {"ict@regenboog.be"}
    assert entries.count() == 2


def test_loading_again_updates_only_what_changed(tmp_path):
    path = tmp_path / "producten.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    products.load(path)
    path.write_text(GOOD_CSV.replace("Taalrijk groep 3", "Taalrijk 3"), encoding="utf-8")
    loaded = products.load(path)
    assert (loaded.created, loaded.updated, loaded.unchanged) == (0, 1, 1)
    assert Product.objects.get(code="TAAL-3").name == "Taalrijk 3"


def test_an_xlsx_catalogue_loads_through_the_command(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Code", "Name", "Publisher"])
    sheet.append(["WO-5", "Wereldrijk", "Uitgeverij Test"])
    path = tmp_path / "producten.xlsx"
    book.save(path)
    out = io.StringIO()
    call_command("platform", "products", "load", str(path), "--as", "beheer@test", stdout=out)
    assert "1 nieuw" in out.getvalue()
    assert Product.objects.get(code="WO-5").publisher == "Uitgeverij Test"
    assert AuditEntry.objects.get(entity="product").actor == "beheer@test"


def test_a_bad_file_names_file_line_field_and_reason_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "fout.csv"
    path.write_text(
        GOOD_CSV + ";Zonder code;;;\nREK-3;Dubbel;;;\nWEB-1;Web;;;geen-url\n", encoding="utf-8"
    )
    with pytest.raises(products.BadCatalogue) as bad:
        products.load(path)
    messages = [str(p) for p in bad.value.problems]
    assert messages == [
        "fout.csv, regel 4, veld code: is leeg",
        "fout.csv, regel 5, veld code: staat ook al op regel 2",
        "fout.csv, regel 6, veld url: geen geldig webadres (https://...)",
    ]
    assert not Product.objects.exists()
    with pytest.raises(SystemExit) as stop:
        call_command("platform", "products", "load", str(path))
    assert stop.value.code == 2
    assert "Er is niets geladen." in capsys.readouterr().err
    assert not Product.objects.exists()


def test_a_file_without_the_name_column_is_refused(tmp_path):
    path = tmp_path / "kolommen.csv"
    path.write_text("code,prijs\nA,3\n", encoding="utf-8")
    with pytest.raises(products.BadCatalogue) as bad:
        products.load(path)
    assert [str(p) for p in bad.value.problems] == [
        "kolommen.csv, regel 1, veld naam: deze kolom ontbreekt"
    ]


def test_an_xlsx_that_is_no_workbook_is_named_unreadable_not_a_traceback(tmp_path):
    path = tmp_path / "producten.xlsx"
    path.write_bytes(b"code;naam\nREK-3;Rekenrijk\n")  # a CSV saved under the wrong name
    with pytest.raises(products.BadCatalogue) as bad:
        products.load(path)
    assert "producten.xlsx, regel 1" in str(bad.value)
    assert "niet te lezen" in str(bad.value)
    assert not Product.objects.exists()


def test_a_nul_byte_in_a_cell_is_a_problem_of_its_line_not_a_database_error(tmp_path):
    path = tmp_path / "producten.csv"
    path.write_bytes(b"code;naam\nREK-3;Rekenrijk\nTAAL-3;Taal\x00rijk\n")
    with pytest.raises(products.BadCatalogue) as bad:
        products.load(path)
    assert [str(p) for p in bad.value.problems] == [
        "producten.csv, regel 3, veld naam: bevat een stuurteken"
    ]
    assert not Product.objects.exists()


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(products, "MAX_BYTES", 100)
    path = tmp_path / "producten.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    with pytest.raises(products.BadCatalogue) as bad:
        products.load(path)
    assert "niet te lezen (groter dan" in str(bad.value)
    assert not Product.objects.exists()


def test_a_utf8_byte_order_mark_before_a_windows_1252_body_still_finds_the_header(tmp_path):
    path = tmp_path / "producten.csv"
    path.write_bytes(b"\xef\xbb\xbfcode;naam;uitgever\r\nREK-3;Caf\xe9 rekenen;Test\r\n")
    products.load(path)
    assert Product.objects.get(code="REK-3").name == "Café rekenen"
