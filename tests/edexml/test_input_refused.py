"""What is not a valid EDEXML 2.1 file is refused with exit 2, naming line and element, and
nothing but the refused run is written: the standard's invalid files, a file of another
version, an external entity, a billion laughs. The shipped schema is the standard's."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from schoolbrug.edexml.schema import XSD_DIR
from schoolbrug.registry.models import Institution, Pupil, SchoolClass
from schoolbrug.sync.models import SyncRun
from tests.edexml.files import DUTCH, FLEMISH, INVALID, SHARED

pytestmark = pytest.mark.django_db


def sync(*args) -> tuple[int, dict, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("sync", "edexml", *map(str, args), "--json", stdout=out, stderr=err)
        code = 0
    except SystemExit as stop:
        code = stop.code
    return code, json.loads(out.getvalue()), err.getvalue()


def test_the_shipped_schema_is_the_standards_byte_for_byte():
    shipped = sorted(p.name for p in XSD_DIR.glob("*.xsd"))
    reference = sorted(p.name for p in (SHARED / "xsd-2.1").glob("*.xsd"))
    assert shipped == reference and len(shipped) == 4
    for name in shipped:
        assert (XSD_DIR / name).read_bytes() == (SHARED / "xsd-2.1" / name).read_bytes(), name


@pytest.mark.parametrize("sample", [FLEMISH, DUTCH], ids=["flemish", "dutch"])
def test_the_standards_example_files_import(sample):
    code, report, _ = sync(sample)
    assert code == 0, report
    assert report["applied"] and report["counts"]["created"] >= 1


@pytest.mark.parametrize(
    ("invalid", "line", "element"),
    [(INVALID[0], 3, "school_incorrect_element"), (INVALID[1], 67, "toevoegingen")],
    ids=["unknown-element", "misplaced-toevoegingen"],
)
def test_the_invalid_files_are_refused_naming_line_and_element(invalid, line, element):
    code, report, err = sync(invalid)
    assert code == 2
    assert report["error"]["line"] == line and report["error"]["field"] == element
    assert f"regel {line}, element {element}" in err and "EDEXML 2.1-schema" in err
    assert not (Institution.objects.exists() or Pupil.objects.exists())
    assert not SchoolClass.objects.exists()
    assert list(SyncRun.objects.values_list("status", flat=True)) == [SyncRun.Status.BAD_INPUT]


def test_a_file_of_another_version_is_refused(tmp_path):
    text = DUTCH.read_text(encoding="utf-8").replace("<xsdversie>2.1<", "<xsdversie>2.0<")
    path = tmp_path / "oud.xml"
    path.write_text(text, encoding="utf-8")
    code, report, err = sync(path)
    assert code == 2 and report["error"]["field"] == "xsdversie"
    assert "versie 2.0" in err and not Pupil.objects.exists()


def test_a_file_that_is_not_edexml_is_refused(tmp_path):
    path = tmp_path / "ander.xml"
    path.write_text("<?xml version='1.0'?>\n<roster><pupil/></roster>\n", encoding="utf-8")
    code, report, _ = sync(path)
    assert code == 2 and report["error"]["field"] == "roster"


def _with_doctype(tmp_path: Path, name: str, doctype: str, value: str) -> Path:
    text = DUTCH.read_text(encoding="utf-8")
    text = text.replace("<EDEX ", doctype + "\n<EDEX ", 1)
    text = text.replace("<auteur>Geert Evers</auteur>", f"<auteur>{value}</auteur>")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_external_entity_is_never_read(tmp_path):
    secret = tmp_path / "geheim.txt"
    secret.write_text("GEHEIM-123", encoding="utf-8")
    path = _with_doctype(
        tmp_path, "xxe.xml", f'<!DOCTYPE EDEX [<!ENTITY x SYSTEM "file://{secret}">]>', "&x;"
    )
    code, report, err = sync(path)
    assert code == 2 and "GEHEIM" not in json.dumps(report) + err
    assert not Pupil.objects.exists()


def test_a_billion_laughs_is_refused(tmp_path):
    entities = '<!ENTITY l0 "ha">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    )
    path = _with_doctype(tmp_path, "lol.xml", f"<!DOCTYPE EDEX [{entities}]>", "&l9;")
    code, report, _ = sync(path)
    assert code == 2 and report["error"]
    assert not Pupil.objects.exists()
