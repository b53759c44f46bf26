"""Institutions from a list file: created once, updated when the list changes, in bulk."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from schoolbrug.demo.generate import generate_region, write_region
from schoolbrug.registry.institutions_file import load_institutions, load_institutions_file
from schoolbrug.registry.models import Institution
from schoolbrug.sources.errors import BadInput

pytestmark = pytest.mark.django_db

HEADER = "instellingsnummer;naam;niveau;vestigingsnummer;gemeente\r\n"
REAL_SITES = Path(__file__).resolve().parents[3] / "shared/flanders/institutions/sites-sample.csv"


def write(tmp_path: Path, text: str, encoding: str = "utf-8-sig") -> Path:
    path = tmp_path / "instellingen.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_a_generated_list_loads_every_institution_once(tmp_path):
    region = generate_region(8000, seed=4)
    write_region(region, tmp_path)
    assert load_institutions(tmp_path / "instellingen.csv") == len(region.institutions)
    stored = {i.number: (i.name, i.level) for i in Institution.objects.all()}
    assert stored == {i.number: (i.name, i.level) for i in region.institutions}


def test_loading_again_changes_only_what_changed_in_a_few_queries(tmp_path):
    path = write(
        tmp_path,
        HEADER + "123455;Vrije Basisschool De Linde;basis;1;Gent\r\n"
        "123463;Sint-Jozefscollege;secundair;1;Aalst\r\n"
        "123463;Sint-Jozefscollege;secundair;2;Aalst\r\n",
    )
    first = load_institutions_file(path)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    linde = Institution.objects.get(number="123455")

    path = write(
        tmp_path,
        HEADER + "123455;Vrije Basisschool De Linde;basis;1;Gent\r\n"
        "123463;Sint-Jozefscollege Campus Zuid;secundair;1;Aalst\r\n"
        "123471;Gemeentelijke Basisschool Zoë;basis;1;Gent\r\n",
    )
    with CaptureQueriesContext(connection) as queries:
        second = load_institutions_file(path)
    assert (second.created, second.updated, second.unchanged) == (1, 1, 1)
    # read, insert, update, transaction, the LOP pages' version: not a query per row
    assert len(queries) <= 7
    assert Institution.objects.get(number="123463").name == "Sint-Jozefscollege Campus Zuid"
    assert Institution.objects.get(number="123471").name == "Gemeentelijke Basisschool Zoë"
    unchanged = Institution.objects.get(number="123455")
    assert (unchanged.sourced_id, unchanged.updated_at) == (linde.sourced_id, linde.updated_at)


def test_a_windows_1252_list_with_commas_and_a_leading_zero(tmp_path):
    text = HEADER.replace(";", ",") + "012344,Basisschool Françoise,basis,1,Gent\r\n"
    assert load_institutions(write(tmp_path, text, encoding="cp1252")) == 1
    school = Institution.objects.get()
    assert (school.number, school.name) == ("012344", "Basisschool Françoise")
    assert school.level == Institution.Level.PRIMARY


def test_the_governments_list_of_sites_loads_with_its_own_column_names():
    if not REAL_SITES.exists():
        pytest.skip("shared/flanders sample not present")
    result = load_institutions_file(REAL_SITES)
    assert result.total > 100 and result.skipped >= 1  # one HO row (hogeschool)
    assert Institution.objects.get(number="18").level == "primary"
    assert Institution.objects.get(number="35162").level == "secondary"  # College Petrus & Paulus


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("12A45;School;basis;1;Gent", "instellingsnummer"),
        ("1234567;School;basis;1;Gent", "instellingsnummer"),
        ("123455;;basis;1;Gent", "naam"),
    ],
)
def test_a_bad_row_names_its_line(tmp_path, line, message):
    with pytest.raises(BadInput) as error:
        load_institutions(write(tmp_path, HEADER + line + "\r\n"))
    assert error.value.line == 2 and message in error.value.user_text()
    assert not Institution.objects.exists()


def test_a_missing_column_is_reported(tmp_path):
    with pytest.raises(BadInput, match="niveau"):
        load_institutions(write(tmp_path, "instellingsnummer;naam\r\n123455;School\r\n"))


def test_the_command_loads_and_reports(tmp_path):
    path = write(tmp_path, HEADER + "123455;Vrije Basisschool De Linde;basis;1;Gent\r\n")
    out = io.StringIO()
    call_command("institutions", "load", str(path), stdout=out)
    assert "1 nieuw" in out.getvalue()
    with pytest.raises(CommandError, match="niet gevonden"):
        call_command("institutions", "load", str(tmp_path / "nope.csv"))
    with pytest.raises(CommandError, match="regel 2"):
        call_command("institutions", "load", str(write(tmp_path, HEADER + "x;y;basis;1;z\r\n")))
