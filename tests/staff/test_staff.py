"""Teaching links follow what the sources say (staff/source_teachers.py): a OneRoster bulk set that
no longer sends a teacher in a class ends that link, a delta's `tobedeleted` enrollment ends it,
a link sent again is a new period, and the staff upload ending an assignment ends its links the
same day. Every start and end is in the history; the CSV export follows (bulk: only links that
count today; delta: an ended link `tobedeleted`, stamped with when it ended)."""

from __future__ import annotations

import datetime
import io
import json
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.oneroster.csv_out.export import export_oneroster
from schoolbrug.oneroster.csv_out.files import timestamp
from schoolbrug.registry.models import Institution, SchoolClass, Staff, Teaching
from schoolbrug.registry.outward import OutwardIds
from tests.sync.oneroster_binding import check_set, table
from tests.sync.teaching_sets import BART, ELS, FIRST, SCHOOL, bulk_set, delta_set, sync

pytestmark = pytest.mark.django_db

# Els no longer teaches 1A.
WITHOUT_ELS_IN_1A = {"t-1": ["class-1b"], "t-2": ["class-1a"]}


def today() -> datetime.date:
    return timezone.localdate()


def links(email: str, code: str):
    return Teaching.objects.filter(assignment__staff__email=email, schoolclass__code=code)


def taught_today() -> set[tuple[str, str]]:
    return set(
        Teaching.objects.active_on(today()).values_list(
            "assignment__staff__email", "schoolclass__code"
        )
    )


def moment() -> datetime.datetime:
    time.sleep(0.002)
    now = timezone.now()
    time.sleep(0.002)
    return now


def teacher_enrollments(folder) -> dict[tuple[str, str], dict]:
    """(teacher e-mail, class code) → the enrollments row of a set, whose ids are the SIS's
    (registry/outward.py)."""
    outward = OutwardIds.load()
    emails = {outward[s.sourced_id]: s.email for s in Staff.objects.all()}
    codes = {outward[c.sourced_id]: c.code for c in SchoolClass.objects.all()}
    return {
        (emails[row["userSourcedId"]], codes[row["classSourcedId"]]): row
        for row in table(folder, "enrollments")
        if row["role"] == "teacher"
    }


def test_a_bulk_set_that_no_longer_sends_a_teacher_in_a_class_ends_that_link(tmp_path):
    first = sync(bulk_set(tmp_path / "first", FIRST))
    assert taught_today() == {(ELS, "1A"), (ELS, "1B"), (BART, "1A")}

    second = sync(bulk_set(tmp_path / "second", WITHOUT_ELS_IN_1A))

    ended = links(ELS, "1A").get()  # kept, never deleted
    assert (ended.start_date, ended.end_date) == (today(), today() - datetime.timedelta(days=1))
    assert taught_today() == {(ELS, "1B"), (BART, "1A")}
    history = AuditEntry.objects.filter(entity="teaching", entity_sourced_id=ended.sourced_id)
    assert {(e.action, e.sync_run_id) for e in history} == {
        ("create", first["run_id"]),
        ("end", second["run_id"]),
    }
    end = history.get(action="end")
    assert end.institution_number == SCHOOL and end.reason.startswith("synchronisatie")
    assert end.changes["end_date"] == [None, (today() - datetime.timedelta(days=1)).isoformat()]
    assert end.changes["class"][1] == "1A" and end.changes["teacher"][1] == ELS

    # The same set again changes nothing.
    entries = AuditEntry.objects.filter(entity="teaching").count()
    sync(bulk_set(tmp_path / "again", WITHOUT_ELS_IN_1A))
    assert AuditEntry.objects.filter(entity="teaching").count() == entries
    assert Teaching.objects.count() == 3


def test_the_bulk_export_has_only_links_that_count_and_a_delta_says_tobedeleted(tmp_path):
    sync(bulk_set(tmp_path / "first", FIRST))
    before = tmp_path / "before"
    export_oneroster(before)
    assert (ELS, "1A") in teacher_enrollments(before)
    since = moment()
    sync(bulk_set(tmp_path / "second", WITHOUT_ELS_IN_1A))

    export_oneroster(tmp_path / "bulk")
    export_oneroster(tmp_path / "delta", delta_since=since)

    check_set(tmp_path / "bulk", "bulk")
    assert teacher_enrollments(tmp_path / "bulk").keys() == {(ELS, "1B"), (BART, "1A")}
    check_set(tmp_path / "delta", "delta", earlier=before)
    delta = teacher_enrollments(tmp_path / "delta")
    assert delta[(ELS, "1A")]["status"] == "tobedeleted"
    assert delta[(ELS, "1A")]["dateLastModified"] == timestamp(links(ELS, "1A").get().updated_at)
    # Who is 1A's primary teacher depends on all of them: Bart's row comes again, primary now.
    assert (delta[(BART, "1A")]["status"], delta[(BART, "1A")]["primary"]) == ("active", "true")
    assert (ELS, "1B") not in delta  # unchanged


def test_a_delta_tobedeleted_enrollment_ends_the_link_and_silence_ends_nothing(tmp_path):
    sync(bulk_set(tmp_path / "first", FIRST))
    since = moment()

    report = sync(delta_set(tmp_path / "delta-in", ended={"t-1": ["class-1a"]}))

    assert taught_today() == {(ELS, "1B"), (BART, "1A")}
    ended = links(ELS, "1A").get()
    assert ended.end_date == today() - datetime.timedelta(days=1)
    assert (
        AuditEntry.objects.get(
            entity="teaching", entity_sourced_id=ended.sourced_id, action="end"
        ).sync_run_id
        == report["run_id"]
    )
    export_oneroster(tmp_path / "delta-out", delta_since=since)
    delta = teacher_enrollments(tmp_path / "delta-out")
    assert delta[(ELS, "1A")]["status"] == "tobedeleted"
    assert (ELS, "1A") not in teacher_enrollments(export_oneroster(tmp_path / "bulk")[0].parent)


@pytest.mark.parametrize("again", ["bulk", "delta"])
def test_a_link_sent_again_later_is_a_new_period(tmp_path, again):
    sync(bulk_set(tmp_path / "first", FIRST))
    sync(bulk_set(tmp_path / "second", WITHOUT_ELS_IN_1A))
    old = links(ELS, "1A").get()
    since = moment()

    if again == "bulk":
        sync(bulk_set(tmp_path / "third", FIRST))
    else:
        sync(delta_set(tmp_path / "third", ended={}, added={"t-1": ["class-1a"]}))

    assert taught_today() == {(ELS, "1A"), (ELS, "1B"), (BART, "1A")}
    old.refresh_from_db()
    new = links(ELS, "1A").exclude(pk=old.pk).get()
    assert old.end_date == today() - datetime.timedelta(days=1)  # the history stays
    assert (new.start_date, new.end_date) == (today(), None)
    assert new.sourced_id != old.sourced_id  # apps that saw the old one deleted get a new one
    assert AuditEntry.objects.filter(
        entity="teaching", entity_sourced_id=new.sourced_id, action="create"
    ).exists()
    export_oneroster(tmp_path / "delta", delta_since=since)
    assert teacher_enrollments(tmp_path / "delta")[(ELS, "1A")]["status"] == "active"


# --- the staff upload ----------------------------------------------------------------------

UPLOAD_HEADER = "email,given_name,family_name,institution_number,role,start_date,end_date"


def upload(tmp_path, rows: list[str], day: datetime.date) -> dict:
    folder = tmp_path / f"upload{len(list(tmp_path.glob('upload*')))}"
    folder.mkdir()
    path = folder / "personeel.csv"
    path.write_text("\n".join([UPLOAD_HEADER, *rows]) + "\n", encoding="utf-8")
    out = io.StringIO()
    call_command(
        "staff", "import", str(path), "--json", "--import-date", day.isoformat(), stdout=out
    )
    return json.loads(out.getvalue())


def els_row(end: str = "") -> str:
    return f"{ELS},Els,Teerlinck,{SCHOOL},teacher,2024-09-01,{end}"


BART_ROW = f"{BART},Bart,Aerts,{SCHOOL},teacher,2024-09-01,"


@pytest.fixture
def taught_from_the_upload(tmp_path):
    """Els and Bart's teacher assignments come from the staff upload; the SIS's bulk set
    gives them their classes."""
    Institution.objects.create(number=SCHOOL, name="Basisschool De Linde")
    upload(tmp_path, [els_row(), BART_ROW], today() - datetime.timedelta(days=30))
    sync(bulk_set(tmp_path / "first", FIRST))
    assert taught_today() == {(ELS, "1A"), (ELS, "1B"), (BART, "1A")}
    assert set(links(ELS, "1A").values_list("assignment__origin", flat=True)) == {"staff_upload"}


def test_an_assignment_the_staff_upload_ends_ends_its_links_the_same_day(
    tmp_path, taught_from_the_upload
):
    report = upload(tmp_path, [BART_ROW], today())  # Els is no longer in the upload

    yesterday = (today() - datetime.timedelta(days=1)).isoformat()
    assert report["counts"]["assignments_ended"] == 1
    assert report["counts"]["teaching_ended"] == 2
    ended = Teaching.objects.filter(assignment__staff__email=ELS)
    assert {link.end_date.isoformat() for link in ended} == {yesterday}
    assert taught_today() == {(BART, "1A")}
    entries = AuditEntry.objects.filter(
        entity="teaching", action="end", sync_run_id=report["run_id"]
    )
    assert {e.entity_sourced_id for e in entries} == {link.sourced_id for link in ended}
    assert {e.reason for e in entries} == {"import personeel.csv"}

    # The next upload names Els again (her end date was a mistake): her classes come back.
    report = upload(tmp_path, [els_row(), BART_ROW], today())
    assert report["counts"]["teaching_extended"] == 2
    assert taught_today() == {(ELS, "1A"), (ELS, "1B"), (BART, "1A")}


def test_an_end_date_in_the_upload_ends_the_links_that_day_and_no_later(
    tmp_path, taught_from_the_upload
):
    report = upload(tmp_path, [els_row(end=today().isoformat()), BART_ROW], today())

    assert report["counts"]["teaching_ended"] == 2
    assert {link.end_date for link in links(ELS, "1A") | links(ELS, "1B")} == {today()}
    assert taught_today() == {(ELS, "1A"), (ELS, "1B"), (BART, "1A")}  # her last day
    tomorrow = today() + datetime.timedelta(days=1)
    assert set(
        Teaching.objects.active_on(tomorrow).values_list(
            "assignment__staff__email", "schoolclass__code"
        )
    ) == {(BART, "1A")}
