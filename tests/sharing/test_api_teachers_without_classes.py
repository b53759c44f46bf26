"""Teachers the staff list names before the timetable gives them a class (issue 18, point 4):
the CSV export of their school lists them, and so does the API to an app that sees their
school whole. An app granted chosen classes sees the teachers of those classes only; a
director, or a teacher whose assignment ended or has not begun, is no teacher of the day."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from schoolbrug.registry.models import Staff
from schoolbrug.sharing import access
from tests.sync.oneroster_binding import table

pytestmark = pytest.mark.django_db(transaction=True)

NEW = "nieuw@regenboog.test"  # a teacher at A (granted all classes), no class yet
ANKER = "nieuw@anker.test"  # a teacher at B (granted class 1A only), no class yet


def upload_staff(tmp_path, rows: list[str]) -> None:
    path = tmp_path / "personeel.csv"
    header = "email,given_name,family_name,institution_number,role,start_date,end_date"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    call_command("staff", "import", str(path), "--as", "secretariaat@regenboog.test",
                 "--import-date", timezone.localdate().isoformat())  # fmt: skip


def sourced_id(email: str) -> str:
    return str(Staff.objects.get(email=email).sourced_id)


@pytest.fixture
def uploaded(served, tmp_path):
    today = timezone.localdate()
    month_ago = today - datetime.timedelta(days=30)
    yesterday, tomorrow = today - datetime.timedelta(days=1), today + datetime.timedelta(days=1)
    upload_staff(tmp_path, [
        f"{NEW},Nora,Nieuw,012345,teacher,{month_ago},",
        f"{ANKER},Anke,Nieuw,067890,teacher,{month_ago},",
        f"weg@regenboog.test,Wim,Weg,012345,teacher,{month_ago},{yesterday}",
        f"straks@regenboog.test,Sam,Straks,012345,teacher,{tomorrow},",
        f"zorg@regenboog.test,Zoe,Zorg,012345,care_team,{month_ago},",
    ])  # fmt: skip
    return served


def test_a_teacher_without_classes_is_listed_like_the_csv_export_lists_her(uploaded, api, tmp_path):
    a = uploaded.a.institution
    teachers = api.ids("/teachers", "users")
    assert sourced_id(NEW) in teachers
    assert sourced_id(NEW) in api.ids("/users", "users")
    assert sourced_id(NEW) in api.ids(f"/schools/{a.sourced_id}/teachers", "users")
    one = api.get(f"/teachers/{sourced_id(NEW)}")
    assert one.status_code == 200, one.text
    me = one.json()["user"]
    assert (me["email"], me["roles"][0]["role"]) == (NEW, "teacher")
    assert me["primaryOrg"]["sourcedId"] == str(a.sourced_id)
    classes = api.get(f"/teachers/{sourced_id(NEW)}/classes")
    assert (classes.status_code, classes.json()) == (200, {"classes": []})
    # Not a teacher of a class: not among any class's teachers.
    assert sourced_id(NEW) not in api.ids(
        f"/classes/{uploaded.a.classes['1A'].sourced_id}/teachers", "users"
    )

    # The school's CSV export (of the school year: also who taught or will teach in it)
    # lists every teacher the API shows of the school today, her included.
    call_command("export", "oneroster", str(tmp_path / "set"), "--institution", a.number)
    exported = {
        row["sourcedId"]
        for row in table(tmp_path / "set", "users")
        if row["sourcedId"] in {str(s.sourced_id) for s in Staff.objects.all()}
    }
    assert sourced_id(NEW) in exported
    assert api.ids(f"/schools/{a.sourced_id}/teachers", "users") <= exported


def test_only_teachers_of_the_day_of_a_school_seen_whole(uploaded, api, app):
    teachers = api.ids("/teachers", "users")
    others = (ANKER, "weg@regenboog.test", "straks@regenboog.test", "zorg@regenboog.test")
    for email in (*others, uploaded.director):
        assert sourced_id(email) not in teachers, email
        assert api.get(f"/teachers/{sourced_id(email)}").status_code == 404, email
    # Granted all of B's classes later: B's new teacher shows too.
    access.grant(app.app, uploaded.b.institution, [], by="directie@anker.test")
    assert sourced_id(ANKER) in api.ids("/teachers", "users")
