"""`schoolbrug enrolment sync-admin-groups FILE`: the government's list from ../shared, its
counts, a second run that changes nothing, bad rows, CSV/XLSX/TXT, and the programmes' order."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from schoolbrug.audit.models import AuditEntry
from schoolbrug.enrolment.admin_groups import programme_sort_key, sync_admin_groups
from schoolbrug.enrolment.models import (
    NEWCOMERS_CODE,
    AdministrativeGroup,
    Lop,
    LopSchool,
    Offer,
    SchoolType,
)
from schoolbrug.registry.models import Institution

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "flanders" / "offer"
SAMPLE = SHARED / "administrative-groups-sample.csv"


def sample_rows() -> list[dict]:
    with SAMPLE.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def run(path) -> str:
    out = io.StringIO()
    call_command("enrolment", "sync-admin-groups", str(path), stdout=out)
    return out.getvalue().strip()


def write_csv(path: Path, rows: list[dict], delimiter=",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_the_real_list_loads_and_a_second_run_changes_nothing(db):
    rows = sample_rows()
    assert run(SAMPLE) == f"added={len(rows)} updated=0 unchanged=0 missing=0"
    entries = AuditEntry.objects.filter(entity="admin_group").count()
    assert entries == len(rows)
    assert run(SAMPLE) == f"added=0 updated=0 unchanged={len(rows)} missing=0"
    assert AuditEntry.objects.filter(entity="admin_group").count() == entries
    group = AdministrativeGroup.objects.get(code=40091)
    assert (group.name, group.form, group.stage, group.year) == (
        "2e leerjaar A Economie en organisatie",
        "GSO",
        "Eerste graad",
        "2",
    )


def test_names_are_updated_new_codes_added_and_a_used_code_kept(db, tmp_path):
    rows = sample_rows()
    sync_admin_groups(SAMPLE)
    used = rows[0]["administratievegroep_code"]
    lop = Lop.objects.create(name="LOP", slug="lop", current_year_start=2026)
    school = LopSchool.objects.create(
        lop=lop,
        institution=Institution.objects.create(number="100001", name="School"),
        school_type=SchoolType.SO,
    )
    Offer.objects.create(
        school=school, year="current", group=AdministrativeGroup.objects.get(code=int(used))
    )
    newer = [dict(r) for r in rows[1:]]  # the used code left the list
    newer[0]["administratievegroep_omschrijving"] += " (hervormd)"
    newer[1]["administratievegroep_omschrijving"] += " (hervormd)"
    newer.append({**rows[5], "administratievegroep_code": "99999", "duaal": "true"})
    counts = sync_admin_groups(write_csv(tmp_path / "lijst.csv", newer, delimiter=";"))
    assert str(counts) == f"added=1 updated=2 unchanged={len(rows) - 3} missing=1"
    assert AdministrativeGroup.objects.filter(code=int(used)).exists()
    assert AdministrativeGroup.objects.get(code=99999).dual is True
    updated = AuditEntry.objects.filter(entity="admin_group", action="update").get(
        changes__name__1=newer[0]["administratievegroep_omschrijving"]
    )
    assert updated.changes["name"][0] == rows[1]["administratievegroep_omschrijving"]


def test_programme_10000_is_there_and_never_counted_missing(db):
    assert AdministrativeGroup.objects.filter(code=NEWCOMERS_CODE).exists()
    assert sync_admin_groups(SAMPLE).missing == 0


def test_xlsx_and_tab_separated_txt_read_the_same(db, tmp_path):
    from openpyxl import Workbook

    rows = sample_rows()
    book = Workbook()
    sheet = book.active
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    book.save(tmp_path / "lijst.xlsx")
    assert run(tmp_path / "lijst.xlsx") == f"added={len(rows)} updated=0 unchanged=0 missing=0"
    txt = write_csv(tmp_path / "lijst.txt", rows, delimiter="\t")
    assert run(txt) == f"added=0 updated=0 unchanged={len(rows)} missing=0"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"administratievegroep_code": "12A"}, "regel 4, administratievegroep_code: '12A'"),
        ({"administratievegroep_code": "6246"}, "regel 4, administratievegroep_code: 6246 staat"),
        ({"administratievegroep_omschrijving": ""}, "regel 4, administratievegroep_omschrijving"),
        ({"duaal": "misschien"}, "regel 4, duaal: 'misschien'"),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_written(db, tmp_path, capsys, change, message):
    rows = sample_rows()
    rows[2] = {**rows[2], **change}
    path = write_csv(tmp_path / "lijst.csv", rows)
    with pytest.raises(SystemExit):
        call_command("enrolment", "sync-admin-groups", str(path))
    assert f"lijst.csv, {message}" in capsys.readouterr().err
    assert list(AdministrativeGroup.objects.values_list("code", flat=True)) == [NEWCOMERS_CODE]


def test_a_list_without_the_code_column_is_refused(db, tmp_path, capsys):
    (tmp_path / "lijst.csv").write_text("code,naam\n1,x\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        call_command("enrolment", "sync-admin-groups", str(tmp_path / "lijst.csv"))
    assert "regel 1: kolom administratievegroep_code" in capsys.readouterr().err


def test_secondary_programmes_sort_by_form_stage_year_and_name():
    def group(code, form, stage, name):
        from schoolbrug.enrolment.admin_groups import year_of

        return AdministrativeGroup(code=code, form=form, stage=stage, name=name, year=year_of(name))

    shuffled = [
        group(1, "", "", "Zonder vorm"),
        group(2, "999", "", "Code 999"),
        group(3, "KSO", "Derde graad", "1e leerjaar in de 3e graad Beeldende vorming KSO"),
        group(4, "HBO", "Hoger beroepsonderwijs", "Basisverpleegkunde"),
        group(5, "TSO", "Derde graad", "2e leerjaar in de 3e graad Bedrijfsorganisatie TSO"),
        group(6, "TSO", "Derde graad", "1e leerjaar in de 3e graad Bedrijfsorganisatie TSO"),
        group(7, "TSO", "Tweede graad", "1e leerjaar in de 2e graad Mechanica TSO"),
        group(8, "BSO", "Tweede graad", "1e leerjaar in de 2e graad Bouw BSO"),
        group(9, "ASO", "Derde graad", "1e leerjaar in de 3e graad Latijn-Wiskunde ASO"),
        group(10, "ASO", "Derde graad", "1e leerjaar in de 3e graad Economie-Wiskunde ASO"),
        group(11, "GSO", "Eerste graad", "2e leerjaar A Economie en organisatie"),
        group(12, "GSO", "Eerste graad", "1ste leerjaar B"),
        group(13, "GSO", "Eerste graad", "1ste leerjaar A"),
    ]
    ordered = [g.code for g in sorted(shuffled, key=programme_sort_key)]
    assert ordered == [13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252"])
def test_the_real_list_saved_as_excel_unicode_text_or_latin1_loads(db, tmp_path, encoding):
    """Excel's "Unicode text" is UTF-16 with a byte order mark, an older export Windows'
    Latin-1: both load as the UTF-8 list does (UTF-16 used to end in a csv traceback)."""
    path = tmp_path / f"lijst-{encoding}.csv"
    path.write_bytes(SAMPLE.read_text(encoding="utf-8").encode(encoding))
    assert run(path) == f"added={len(sample_rows())} updated=0 unchanged=0 missing=0"
    assert run(SAMPLE) == f"added=0 updated=0 unchanged={len(sample_rows())} missing=0"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"administratievegroep_code,administratievegroep_omschrijving\n1,a\rb\n", "regel 2"),
        (
            b"administratievegroep_code,administratievegroep_omschrijving\n99999999999,x\n",
            "regel 2, administratievegroep_code: '99999999999' is te groot",
        ),
        (
            b"administratievegroep_code,administratievegroep_omschrijving\n1," + b"x" * 301,
            "regel 2, administratievegroep_omschrijving: langer dan 300",
        ),
    ],
)
def test_an_unreadable_line_is_named_in_dutch_and_nothing_is_written(
    db, tmp_path, capsys, content, message
):
    (tmp_path / "lijst.csv").write_bytes(content)
    with pytest.raises(SystemExit):
        call_command("enrolment", "sync-admin-groups", str(tmp_path / "lijst.csv"))
    assert f"lijst.csv, {message}" in capsys.readouterr().err
    assert list(AdministrativeGroup.objects.values_list("code", flat=True)) == [NEWCOMERS_CODE]
