"""The weekly staff upload, as a school's secretary and its directors live it (seed 001).

The data manager right ("LeerID-databeheerder") is never granted by hand: it follows the
director assignments the upload brings in, from their start to their end date.
"""

import datetime
import io
import json
import re
import uuid
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Assignment, Institution, Staff
from schoolbrug.sharing.consent import is_data_manager
from schoolbrug.sources.records import StaffRecord
from schoolbrug.staff.upload import Key, StaffRow, plan_upload
from schoolbrug.sync.models import SyncRun
from schoolbrug.sync.service import sync_snapshot
from tests.factories import pupil, snapshot

pytestmark = pytest.mark.django_db

HEADER = "email,given_name,family_name,institution_number,role,start_date,end_date"
COLUMNS = tuple(HEADER.split(","))
SCHOOL = "012345"
OTHER_SCHOOL = "067890"
DIRECTOR = ("dirk.baas@delinde.be", "Dirk", "Baas", SCHOOL, "director", "2023-09-01", "2024-08-31")
TEACHER = ("an.claes@delinde.be", "An", "Claes", SCHOOL, "teacher", "2024-09-01", "")
SECRETARY = (
    "els.wouters@delinde.be",
    "Els",
    "Wouters",
    OTHER_SCHOOL,
    "secretary",
    "2024-09-01",
    "",
)


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def row(base=TEACHER, **changes):
    values = dict(zip(COLUMNS, base, strict=True)) | changes
    return tuple(values[name] for name in COLUMNS)


@pytest.fixture(autouse=True)
def schools():
    # In bulk, as `institutions load` makes them: no audit entries of their own here, so that
    # the tests see only what the upload writes.
    Institution.objects.bulk_create(
        [
            Institution(number=SCHOOL, name="De Linde"),
            Institution(number=OTHER_SCHOOL, name="Het Anker", level="secondary"),
        ]
    )


def write_csv(tmp_path, rows, *, header=HEADER, delimiter=",", encoding="utf-8", name=None):
    folder = tmp_path / f"upload{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    lines = [header.replace(",", delimiter), *(delimiter.join(r) for r in rows)]
    path = folder / (name or "staff.csv")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def upload(path, *args):
    """Run `schoolbrug staff import FILE --json`: (exit code, JSON report, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("staff", "import", str(path), "--json", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as stop:
        code = stop.code
    return code, json.loads(out.getvalue()), err.getvalue()


def upload_rows(tmp_path, rows, *args, **csv_options):
    return upload(write_csv(tmp_path, rows, **csv_options), *args)


def registry():
    """Everything the upload may write, to compare before and after."""
    return (
        sorted(Staff.objects.values_list("email", "given_name", "family_name")),
        sorted(
            Assignment.objects.values_list(
                "staff__email", "institution__number", "role", "start_date", "end_date", "origin"
            )
        ),
        AuditEntry.objects.count(),
    )


def nothing_written():
    return not (
        Staff.objects.exists() or Assignment.objects.exists() or AuditEntry.objects.exists()
    )


# ---------------------------------------------------------------------------------------
# The data manager right follows the director assignments (seed 001, 1.1)
# ---------------------------------------------------------------------------------------


def test_a_temporary_director_whose_assignment_ends_on_31_08_is_data_manager_on_31_08_not_01_09(
    tmp_path,
):
    code, report, _ = upload_rows(tmp_path, [DIRECTOR], "--import-date", "2024-08-26")
    assert code == 0 and report["counts"]["assignments_created"] == 1
    school = Institution.objects.get(number=SCHOOL)
    assert is_data_manager("dirk.baas@delinde.be", school, on=day("2024-08-31"))
    assert not is_data_manager("dirk.baas@delinde.be", school, on=day("2024-09-01"))


def test_a_new_upload_with_a_director_assignment_for_the_new_school_year_gives_the_right_back(
    tmp_path,
):
    upload_rows(tmp_path, [DIRECTOR], "--import-date", "2024-08-26")
    school = Institution.objects.get(number=SCHOOL)
    new_year = row(DIRECTOR, start_date="2024-09-01", end_date="2025-08-31")
    # The next Monday's upload sends the assignment for the new school year; the old one,
    # no longer in it, had already ended and keeps its end date.
    code, report, _ = upload_rows(tmp_path, [new_year], "--import-date", "2024-09-02")
    assert code == 0
    assert report["counts"]["assignments_created"] == 1
    assert report["counts"]["assignments_ended"] == 0
    assert is_data_manager("dirk.baas@delinde.be", school, on=day("2024-09-02"))
    assert is_data_manager("dirk.baas@delinde.be", school, on=day("2025-08-31"))
    assert not is_data_manager("dirk.baas@delinde.be", school, on=day("2025-09-01"))
    assert sorted(Assignment.objects.values_list("start_date", "end_date")) == [
        (day("2023-09-01"), day("2024-08-31")),
        (day("2024-09-01"), day("2025-08-31")),
    ]


def test_a_director_absent_from_the_next_upload_loses_the_right_from_the_import_day(tmp_path):
    permanent = row(DIRECTOR, start_date="2015-09-01", end_date="")
    upload_rows(tmp_path, [permanent, TEACHER], "--import-date", "2024-09-02")
    school = Institution.objects.get(number=SCHOOL)
    assert is_data_manager("dirk.baas@delinde.be", school, on=day("2030-01-01"))

    code, report, _ = upload_rows(tmp_path, [TEACHER], "--import-date", "2024-09-09")
    assert code == 0 and report["counts"]["assignments_ended"] == 1
    assert is_data_manager("dirk.baas@delinde.be", school, on=day("2024-09-08"))
    assert not is_data_manager("dirk.baas@delinde.be", school, on=day("2024-09-09"))
    ended = Assignment.objects.get(role="director")  # ended, never deleted
    assert ended.end_date == day("2024-09-08")


# ---------------------------------------------------------------------------------------
# What an upload changes
# ---------------------------------------------------------------------------------------


def test_the_first_upload_creates_staff_and_assignments_with_their_history(tmp_path):
    code, report, _ = upload_rows(
        tmp_path, [DIRECTOR, TEACHER, SECRETARY], "--as", "secretariaat@delinde.be"
    )
    assert code == 0 and report["applied"] and not report["dry_run"]
    assert report["counts"] == {
        "staff_created": 3,
        "staff_updated": 0,
        "assignments_created": 3,
        "assignments_updated": 0,
        "assignments_ended": 0,
        "teaching_ended": 0,
        "teaching_extended": 0,
        "unchanged": 0,
    }
    assert set(Assignment.objects.values_list("origin", flat=True)) == {"staff_upload"}
    assert Assignment.objects.get(role="teacher").end_date is None  # empty: no end
    run = SyncRun.objects.get()
    assert (run.source, run.status, run.institution_number) == ("staff_upload", "applied", "")
    assert run.counts == report["counts"] and run.pk == report["run_id"]
    entries = AuditEntry.objects.order_by("id")
    assert {(e.entity, e.action) for e in entries} == {
        ("staff", "create"),
        ("assignment", "create"),
    }
    assert {(e.actor, e.reason, e.sync_run_id) for e in entries} == {
        ("secretariaat@delinde.be", "import staff.csv", run.pk)
    }
    secretary = Assignment.objects.get(role="secretary")
    entry = entries.get(entity="assignment", entity_sourced_id=secretary.sourced_id)
    assert entry.institution_number == OTHER_SCHOOL
    assert entry.changes == {"start_date": [None, "2024-09-01"], "end_date": [None, None]}
    staff_entry = entries.get(entity_sourced_id=Staff.objects.get(given_name="Els").sourced_id)
    assert staff_entry.changes["email"] == [None, "els.wouters@delinde.be"]


def test_the_actor_defaults_to_cli(tmp_path):
    upload_rows(tmp_path, [TEACHER])
    assert set(AuditEntry.objects.values_list("actor", flat=True)) == {"cli"}
    assert SyncRun.objects.get().started_by == "cli"


def test_the_same_file_twice_changes_nothing_the_second_time(tmp_path):
    path = write_csv(tmp_path, [DIRECTOR, TEACHER, SECRETARY])
    upload(path, "--import-date", "2024-09-02")
    before = registry()
    code, report, _ = upload(path, "--import-date", "2024-09-02")
    assert code == 0 and report["actions"] == []
    assert report["counts"]["unchanged"] == 3
    assert sum(v for k, v in report["counts"].items() if k != "unchanged") == 0
    assert registry() == before
    # A week later, still nothing: an assignment ended earlier is not ended again.
    upload_rows(tmp_path, [TEACHER], "--import-date", "2024-09-09")
    again = registry()
    code, report, _ = upload_rows(tmp_path, [TEACHER], "--import-date", "2024-09-16")
    assert report["actions"] == [] and registry() == again


def test_names_and_end_dates_are_corrected_and_the_email_matches_in_any_case(tmp_path):
    upload_rows(tmp_path, [TEACHER, DIRECTOR])
    renamed = row(TEACHER, email="An.Claes@DeLinde.be", family_name="Claes-Peeters")
    shorter = row(DIRECTOR, end_date="2024-06-30")
    code, report, _ = upload_rows(tmp_path, [renamed, shorter])
    assert code == 0
    assert report["counts"]["staff_created"] == 0
    assert report["counts"]["staff_updated"] == 1
    assert report["counts"]["assignments_updated"] == 1
    assert Staff.objects.get(email="an.claes@delinde.be").family_name == "Claes-Peeters"
    assert Assignment.objects.get(role="director").end_date == day("2024-06-30")
    name_entry = AuditEntry.objects.get(entity="staff", action="update")
    assert name_entry.changes == {"family_name": ["Claes", "Claes-Peeters"]}
    date_entry = AuditEntry.objects.get(entity="assignment", action="update")
    assert date_entry.changes == {"end_date": ["2024-08-31", "2024-06-30"]}


def test_assignments_absent_from_the_upload_are_ended_the_day_before_never_deleted(tmp_path):
    running = row(SECRETARY, end_date="2025-08-31")
    upload_rows(tmp_path, [DIRECTOR, TEACHER, running], "--import-date", "2024-08-26")
    code, report, _ = upload_rows(tmp_path, [], "--import-date", "2024-09-09")
    assert code == 2  # an empty upload would end everyone: refused
    code, report, _ = upload_rows(tmp_path, [DIRECTOR], "--import-date", "2024-09-09")
    assert code == 0 and report["counts"]["assignments_ended"] == 2
    ends = dict(Assignment.objects.values_list("role", "end_date"))
    assert ends == {
        "director": day("2024-08-31"),  # named: unchanged
        "teacher": day("2024-09-08"),  # had no end
        "secretary": day("2024-09-08"),  # would have ended later
    }
    ended = AuditEntry.objects.filter(action="end")
    assert {tuple(e.changes["end_date"]) for e in ended} == {
        (None, "2024-09-08"),
        ("2025-08-31", "2024-09-08"),
    }
    assert {a["action"] for a in report["actions"]} == {"end"}
    assert all(a["line"] is None for a in report["actions"])


def test_teacher_assignments_from_a_oneroster_sync_are_not_ended_by_the_upload(tmp_path):
    teacher = StaffRecord(
        source_id="t-1", email="juf.lies@delinde.be", given_name="Lies", family_name="Maes"
    )
    sync_snapshot(
        snapshot(
            [pupil(1)], institution=SCHOOL, source="oneroster", key="source_id", staff=[teacher]
        ),
        started_by="test",
        school_year=2024,
    )
    from_sync = Assignment.objects.get(staff__email="juf.lies@delinde.be")
    assert from_sync.origin == ""
    code, report, _ = upload_rows(tmp_path, [DIRECTOR], "--import-date", "2024-09-09")
    assert code == 0 and report["counts"]["assignments_ended"] == 0
    from_sync.refresh_from_db()
    assert from_sync.end_date is None
    # Named by the upload as well (same key): matched, not doubled, still the sync's.
    same = ("juf.lies@delinde.be", "Lies", "Maes", SCHOOL, "teacher", "2024-09-01", "")
    code, report, _ = upload_rows(tmp_path, [DIRECTOR, same], "--import-date", "2024-09-16")
    assert report["counts"]["assignments_created"] == 0
    assert Assignment.objects.filter(staff__email="juf.lies@delinde.be").count() == 1
    code, report, _ = upload_rows(tmp_path, [DIRECTOR], "--import-date", "2024-09-23")
    from_sync.refresh_from_db()
    assert (from_sync.origin, from_sync.end_date) == ("", None)


def test_a_dry_run_shows_the_plan_the_upload_applies_and_writes_nothing(tmp_path):
    upload_rows(tmp_path, [DIRECTOR, TEACHER], "--import-date", "2024-08-26")
    before = registry()
    changed = [row(DIRECTOR, end_date="2024-07-31"), SECRETARY, row(TEACHER, given_name="Ann")]
    path = write_csv(tmp_path, changed)
    code, dry, _ = upload(path, "--dry-run", "--import-date", "2024-09-02")
    assert code == 0 and dry["dry_run"] and not dry["applied"]
    assert registry() == before
    assert SyncRun.objects.order_by("-id").first().status == "dry_run"
    code, applied, _ = upload(path, "--import-date", "2024-09-02")
    assert applied["applied"]
    assert applied["actions"] == dry["actions"] and applied["counts"] == dry["counts"]
    assert dry["counts"] == {
        "staff_created": 1,
        "staff_updated": 1,
        "assignments_created": 1,
        "assignments_updated": 1,
        "assignments_ended": 0,
        "teaching_ended": 0,
        "teaching_extended": 0,
        "unchanged": 1,
    }
    assert registry() != before


def test_the_text_summary_is_dutch_and_a_dry_run_lists_each_change(tmp_path):
    path = write_csv(tmp_path, [DIRECTOR])
    out = io.StringIO()
    call_command("staff", "import", str(path), "--dry-run", stdout=out)
    text = out.getvalue()
    assert "proefdraai (niets gewijzigd)" in text
    assert "nieuwe opdrachten: 1" in text and "beëindigde opdrachten: 0" in text
    assert (
        "nieuwe opdracht dirk.baas@delinde.be directeur @ 012345 (vanaf 01/09/2023): "
        "startdatum 01/09/2023, einddatum 31/08/2024" in text
    )
    assert "director" not in text and "start_date" not in text
    out = io.StringIO()
    call_command("staff", "import", str(path), stdout=out)
    assert "toegepast" in out.getvalue() and "nieuwe personeelsleden: 1" in out.getvalue()


def test_the_plan_is_a_pure_function_of_the_rows_and_the_registry_state():
    rows = [StaffRow(2, "an@x.be", "An", "Claes", SCHOOL, "teacher", day("2024-09-01"), None)]
    staff = [
        SimpleNamespace(
            pk=7,
            sourced_id=uuid.uuid4(),
            email_lower="an@x.be",
            given_name="An",
            family_name="Claes",
        )
    ]
    own = SimpleNamespace(
        pk=1,
        sourced_id=uuid.uuid4(),
        email_lower="an@x.be",
        institution_number=SCHOOL,
        role="director",
        start_date=day("2020-09-01"),
        end_date=None,
        origin="staff_upload",
    )
    synced = SimpleNamespace(**(vars(own) | {"pk": 2, "role": "care_team", "origin": ""}))
    plan = plan_upload(rows, staff, [own, synced], day("2024-09-09"))
    assert [(c.entity, c.action, c.key) for c in plan.changes] == [
        ("assignment", "create", rows[0].key),
        ("assignment", "end", Key("an@x.be", SCHOOL, "director", day("2020-09-01"))),
    ]
    assert plan.changes[1].changes == {"end_date": [None, "2024-09-08"]}
    assert plan.staff_pks == {"an@x.be": 7} and plan.unchanged == 0


# ---------------------------------------------------------------------------------------
# Files as schools save them
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "delimiter"), [("utf-8-sig", ";"), ("cp1252", ";"), ("utf-8", ",")]
)
def test_csv_in_our_encodings_and_separators_with_a_header_in_any_case_and_order(
    tmp_path, encoding, delimiter
):
    header = "Role,E-mail,EMAIL,Family_Name,given_name,Institution_Number,start_date,end_date"
    cells = ("teacher", "extra", "noel.celik@delinde.be", "Çelik", "Noël", SCHOOL, "2024-09-01", "")
    code, report, err = upload_rows(
        tmp_path, [cells], header=header, delimiter=delimiter, encoding=encoding
    )
    assert code == 0, err
    person = Staff.objects.get()
    assert (person.email, person.given_name, person.family_name) == (
        "noel.celik@delinde.be",
        "Noël",
        "Çelik",
    )
    assert Assignment.objects.get().institution.number == SCHOOL


def write_xlsx(tmp_path, rows, header=COLUMNS):
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for cells in rows:
        sheet.append(list(cells))
    book.create_sheet("notities").append(["dit blad wordt niet gelezen"])
    path = tmp_path / "personeel.xlsx"
    book.save(path)
    return path


def test_an_xlsx_first_sheet_with_number_and_date_cells(tmp_path):
    header = [
        "opmerking",
        "ROLE",
        "Email",
        "given_name",
        "family_name",
        "institution_number",
        "start_date",
        "end_date",
    ]
    path = write_xlsx(
        tmp_path,
        [
            (
                "",
                "director",
                "Dirk.Baas@delinde.be",
                "Dirk",
                "Baas",
                12345,
                datetime.datetime(2024, 9, 1),
                datetime.datetime(2025, 8, 31),
            ),
            (
                "tijdelijk",
                "secretary",
                "els@hetanker.be",
                "Els",
                "Wouters",
                OTHER_SCHOOL,
                "2024-09-01",
                None,
            ),
        ],
        header,
    )
    code, report, err = upload(path)
    assert code == 0, err
    assert sorted(
        Assignment.objects.values_list("staff__email", "institution__number", "end_date")
    ) == [
        ("dirk.baas@delinde.be", SCHOOL, day("2025-08-31")),  # 12345 → 012345
        ("els@hetanker.be", OTHER_SCHOOL, None),
    ]


def test_an_xlsx_bad_row_is_named_by_its_row_number(tmp_path):
    path = write_xlsx(tmp_path, [DIRECTOR, row(TEACHER, start_date="1 september")])
    code, report, err = upload(path)
    assert code == 2 and nothing_written()
    assert "personeel.xlsx, regel 3, kolom start_date: Ongeldige datum '1 september'" in err


# ---------------------------------------------------------------------------------------
# Bad input: exit 2, file/line/column named, nothing written
# ---------------------------------------------------------------------------------------

BAD_ROWS = [
    pytest.param([row(email="")], 2, "email", "Het e-mailadres ontbreekt.", id="no-email"),
    pytest.param(
        [row(email="an.claes@")], 2, "email", "Ongeldig e-mailadres 'an.claes@'", id="bad-email"
    ),
    pytest.param([row(given_name="")], 2, "given_name", "De voornaam ontbreekt", id="no-name"),
    pytest.param([row(role="boss")], 2, "role", "Onbekende rol 'boss'", id="unknown-role"),
    pytest.param(
        [row(start_date="2024/09/01")],
        2,
        "start_date",
        "Ongeldige datum '2024/09/01': schrijf DD/MM/JJJJ",
        id="year-first-with-slashes",
    ),
    pytest.param(
        [row(start_date="31/02/2024")],
        2,
        "start_date",
        "Ongeldige datum '31/02/2024'",
        id="no-such-day",
    ),
    pytest.param(
        [row(end_date="2025-02-30")], 2, "end_date", "Ongeldige datum '2025-02-30'", id="no-day"
    ),
    pytest.param(
        [row(start_date="2024-09-01", end_date="2024-08-31")],
        2,
        "end_date",
        "De einddatum 2024-08-31 ligt voor de startdatum",
        id="end-before-start",
    ),
    pytest.param(
        [row(institution_number="12345")],
        2,
        "institution_number",
        "Onbekend instellingsnummer '12345'",
        id="unknown-institution",
    ),
    pytest.param(
        [DIRECTOR, TEACHER, row(email="AN.CLAES@delinde.be")],
        4,
        "start_date",
        "Dubbele opdracht: dezelfde persoon, instelling, rol en startdatum als op regel 3",
        id="duplicate-row",
    ),
    pytest.param(
        [TEACHER, row(role="care_team", family_name="Peeters")],
        3,
        "given_name",
        "Andere naam voor dit e-mailadres dan op regel 2",
        id="other-name",
    ),
    pytest.param(
        [TEACHER[:3]],
        2,
        "institution_number",
        "Het instellingsnummer ontbreekt",
        id="short-row",
    ),
]


@pytest.mark.parametrize(("rows", "line", "field", "message"), BAD_ROWS)
def test_a_bad_row_exits_2_names_file_line_and_column_and_writes_nothing(
    tmp_path, rows, line, field, message
):
    code, report, err = upload_rows(tmp_path, rows)
    assert code == 2
    assert f"staff.csv, regel {line}, kolom {field}: {message}" in err
    assert any(
        (e["file"], e["line"], e["field"]) == ("staff.csv", line, field) and message in e["message"]
        for e in report["errors"]
    )
    assert nothing_written() and not report["applied"]
    run = SyncRun.objects.get()  # the run is listed, as the sync lists a bad export
    assert run.status == "bad_input" and run.findings == report["errors"]


def test_a_missing_column_is_named_in_the_header_line(tmp_path):
    header = "email,given_name,family_name,institution_number,start_date,end_date"
    cells = ("an@delinde.be", "An", "Claes", SCHOOL, "2024-09-01", "")
    code, report, err = upload_rows(tmp_path, [cells], header=header)
    assert code == 2 and nothing_written()
    assert "staff.csv, regel 1, kolom rol: De kolom rol ontbreekt in de kopregel." in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Het bestand is leeg."),
        (b"%PDF-1.4 ...", "PDF-bestand"),
        (b"PK\x03\x04 not really a workbook", "geen leesbare Excel-werkmap"),
    ],
)
def test_a_file_that_is_not_a_staff_list_exits_2(tmp_path, content, message):
    path = tmp_path / "staff.csv"
    path.write_bytes(content)
    code, report, err = upload(path)
    assert code == 2 and message in err and nothing_written()


def test_a_missing_file_exits_2(tmp_path):
    code, report, err = upload(tmp_path / "nope.csv")
    assert code == 2 and "nope.csv: Het bestand kan niet gelezen worden." in err


def test_every_bad_row_is_reported_up_to_a_cap(tmp_path):
    rows = [row(email=f"p{i}@delinde.be", role="boss") for i in range(60)]
    code, report, err = upload_rows(tmp_path, [TEACHER, *rows])
    assert code == 2
    assert [e["line"] for e in report["errors"]] == list(range(3, 53))
    assert report["more_errors"] == 10 and "en nog 10 fouten" in err


def test_one_bad_row_keeps_the_whole_upload_out_also_the_endings(tmp_path):
    upload_rows(tmp_path, [DIRECTOR, TEACHER], "--import-date", "2024-08-26")
    before = registry()
    code, _, err = upload_rows(
        tmp_path, [row(SECRETARY, role="conciërge")], "--import-date", "2024-09-02"
    )
    assert code == 2 and "regel 2, kolom role" in err
    assert registry() == before


def claiming_full_width(path, empty_rows: int = 0):
    """The workbook again, its first sheet declaring all 16 384 columns (and `empty_rows`
    empty rows after the data): a few kB that a naive read pads to millions of cells."""
    import zipfile

    packed = zipfile.ZipFile(path)
    out = path.with_name("breed.xlsx")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in packed.infolist():
            data = packed.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = re.sub(
                    r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', data.decode()
                )
                start = text.count("<row ") + 1
                extra = "".join(f'<row r="{n}"/>' for n in range(start, start + empty_rows))
                data = text.replace("</sheetData>", extra + "</sheetData>").encode()
            target.writestr(item, data)
    return out


def test_an_xlsx_is_read_within_bounds_whatever_it_declares(tmp_path, monkeypatch):
    from schoolbrug.staff import upload_rows

    cells = []
    real_cell = upload_rows._cell
    monkeypatch.setattr(upload_rows, "_cell", lambda *a: cells.append(1) or real_cell(*a))
    path = claiming_full_width(write_xlsx(tmp_path, [TEACHER, SECRETARY]))

    code, report, err = upload(path)

    assert code == 0, err
    assert report["counts"]["assignments_created"] == 2
    # Its rows as wide as our column limit, not the 16 384 columns it claims.
    assert len(cells) <= 1000


def test_an_xlsx_with_too_many_rows_or_unpacking_too_large_is_refused_in_dutch(
    tmp_path, monkeypatch
):
    from schoolbrug.staff import upload_rows

    monkeypatch.setattr(upload_rows, "MAX_ROWS", 100)
    rows_path = claiming_full_width(write_xlsx(tmp_path, [TEACHER]), empty_rows=500)

    code, report, err = upload(rows_path)

    assert code != 0 and nothing_written()
    assert "Dit bestand heeft meer dan 100 regels" in report["errors"][0]["message"]
    assert report["errors"][0]["file"] == "breed.xlsx"

    monkeypatch.setattr(upload_rows, "XLSX_MAX_UNPACKED", 2 * 1024 * 1024)
    long_name = "Claes" + "x" * 30_000  # a cell holds at most 32 767 characters
    large = write_xlsx(tmp_path, [row(TEACHER, family_name=long_name)] * 80)

    code, report, err = upload(large)

    assert code != 0 and nothing_written()
    assert "uitgepakt groter dan 2 MB" in report["errors"][0]["message"]
