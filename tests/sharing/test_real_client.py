"""A real OneRoster 1.2 client, not our code, reads the API: timeback-oneroster from PyPI
(maintained, v1.2, base URL and token URL configurable, client credentials). It fetches
its own token from /oauth/token/, lists orgs, schools, academic sessions, classes, users,
students (also filtered), teachers and enrollments page by page, reads one user by id and
the classes, students and enrollments under a school and a class, and what it parsed must be
our data.

The client needs Python 3.12 and the project runs on 3.11, so it runs in its own locked
environment (tests/sharing/oneroster_client_run.py with its .lock, `uv run --script`) as a
subprocess against the live server."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from schoolbrug.registry.models import AcademicSession, Enrolment, Staff
from schoolbrug.sharing import access, consent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SCRIPT = Path(__file__).with_name("oneroster_client_run.py")
B_TEACHER = "meester@anker.test"  # teaches 1A at B (conftest)


def _uv() -> str | None:
    return os.environ.get("UV") or shutil.which("uv")


def _python_312() -> str | None:
    """An interpreter of Python 3.12 or later on this machine (the project's is 3.11)."""
    candidates = [shutil.which(name) for name in ("python3.13", "python3.12")]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[2-9]*/bin/python3")))
    for candidate in filter(None, candidates):
        try:
            probe = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info >= (3, 12))"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except OSError:
            continue
        if probe.returncode == 0 and probe.stdout.strip() == "True":
            return candidate
    return None


@pytest.fixture
def client_read(schools, app, live_server):
    """Sharing on at A with every class granted, at B with 1A only; runs the client once."""
    uv, python = _uv(), _python_312()
    if uv is None or python is None:
        pytest.skip("timeback-oneroster needs uv and a Python 3.12 interpreter")
    a = schools.a
    consent.activate(a.institution, schools.director)
    access.grant(app.app, a.institution, [], by=schools.director)
    consent.activate(schools.b.institution, "directie@anker.test")
    access.grant(app.app, schools.b.institution, ["1A"], by="directie@anker.test")
    pupil = next(p for p in a.pupils if not p.is_leaver)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env |= {"UV_PYTHON_DOWNLOADS": "never", "NO_COLOR": "1"}
    done = subprocess.run(
        [
            uv,
            "run",
            "--quiet",
            "--locked",
            "--no-project",
            "--python",
            python,
            "--script",
            str(SCRIPT),
            live_server.url,
            f"{live_server.url}/oauth/token/",
            app.client_id,
            app.secret,
            str(pupil.sourced_id),
            str(a.institution.sourced_id),
            str(a.classes["1A"].sourced_id),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout), schools, pupil


def _ids(items) -> set[str]:
    return {item["sourcedId"] for item in items}


def _pupils_in(school, codes=None) -> set[str]:
    return {
        str(e.pupil.sourced_id)
        for e in Enrolment.objects.filter(school_class__institution=school.institution)
        if codes is None or e.school_class.code in codes
    }


def test_the_client_reads_orgs_and_sessions(client_read):
    read, schools, _ = client_read
    a, b = schools.a.institution, schools.b.institution
    assert _ids(read["orgs"]) == {str(a.sourced_id), str(b.sourced_id)}
    assert _ids(read["schools"]) == _ids(read["orgs"])
    org = next(o for o in read["orgs"] if o["sourcedId"] == str(a.sourced_id))
    assert (org["name"], org["type"], org["identifier"]) == (a.name, "school", a.number)
    (session,) = [s for s in read["academicSessions"] if s["type"] == "schoolYear"]
    year = schools.a.classes["1A"].school_year
    assert session["sourcedId"] == str(year.sourced_id)
    assert session["type"] == "schoolYear" and session["schoolYear"] == year.start_year + 1
    assert session["startDate"] == f"{year.start_year}-09-01"


def test_the_client_reads_classes(client_read):
    read, schools, _ = client_read
    a, b = schools.a, schools.b
    expected = {str(c.sourced_id) for c in a.classes.values()} | {str(b.classes["1A"].sourced_id)}
    assert _ids(read["classes"]) == expected
    one_a = next(c for c in read["classes"] if c["sourcedId"] == str(a.classes["1A"].sourced_id))
    assert one_a["title"] == "1A" and one_a["classType"] == "homeroom"
    assert one_a["grades"] == [1]  # the client reads "01" as grade 1
    assert one_a["school"]["sourcedId"] == str(a.institution.sourced_id)
    terms = AcademicSession.objects.filter(institution=a.institution, kind="term")
    assert [t["sourcedId"] for t in one_a["terms"]] == [
        str(t.sourced_id) for t in terms.order_by("start_date")
    ]
    assert _ids(read["school_classes"]) == {str(c.sourced_id) for c in a.classes.values()}


def test_the_client_reads_users_students_and_teachers(client_read):
    read, schools, _ = client_read
    a, b = schools.a, schools.b
    pupils = _pupils_in(a) | _pupils_in(b, {"1A"})
    teachers = {str(schools.teacher.sourced_id), str(Staff.objects.get(email=B_TEACHER).sourced_id)}
    assert _ids(read["students"]) == pupils
    assert len(read["students"]) == len(pupils)  # paged by 3, nothing twice
    assert _ids(read["users"]) == pupils | _ids(read["teachers"])
    assert _ids(read["teachers"]) == teachers
    leavers = {str(p.sourced_id) for p in a.pupils + b.pupils if p.is_leaver}
    assert _ids(read["active_students"]) == pupils - leavers
    by_id = {u["sourcedId"]: u for u in read["users"]}
    for pupil in a.pupils:
        user = by_id[str(pupil.sourced_id)]
        assert (user["givenName"], user["familyName"]) == (pupil.given_name, pupil.family_name)
        assert user["enabledUser"] is (not pupil.is_leaver)  # "true"/"false" read as booleans
        assert user["status"] == ("tobedeleted" if pupil.is_leaver else "active")
        assert [r["role"] for r in user["roles"]] == ["student"]
        assert user["roles"][0]["org"]["sourcedId"] == str(a.institution.sourced_id)
    teacher = by_id[str(schools.teacher.sourced_id)]
    assert teacher["email"] == schools.teacher.email
    assert [r["role"] for r in teacher["roles"]] == ["teacher"]
    assert _ids(read["school_students"]) == _pupils_in(a)
    assert _ids(read["class_students"]) == _pupils_in(a, {"1A"})


def test_the_client_reads_enrollments(client_read):
    read, schools, _ = client_read
    a, b = schools.a, schools.b
    pupil_enrolments = Enrolment.objects.filter(school_class__institution=a.institution) | (
        Enrolment.objects.filter(school_class=b.classes["1A"])
    )
    enrollments = read["enrollments"]
    students = [e for e in enrollments if e["role"] == "student"]
    assert _ids(students) == {str(e.sourced_id) for e in pupil_enrolments}
    for enrolment in pupil_enrolments:
        parsed = next(e for e in students if e["sourcedId"] == str(enrolment.sourced_id))
        assert parsed["user"]["sourcedId"] == str(enrolment.pupil.sourced_id)
        assert parsed["class"]["sourcedId"] == str(enrolment.school_class.sourced_id)
        assert parsed["school"]["sourcedId"] == str(enrolment.school_class.institution.sourced_id)
        assert parsed["primary"] is False
    teaching = [e for e in enrollments if e["role"] == "teacher"]
    mine = [e for e in teaching if e["user"]["sourcedId"] == str(schools.teacher.sourced_id)]
    assert len(mine) == 1 and mine[0]["primary"] is True
    assert mine[0]["class"]["sourcedId"] == str(a.classes["1A"].sourced_id)
    assert len(_ids(enrollments)) == len(enrollments)  # paged by 2, nothing twice


def test_the_client_reads_one_user_and_paging_headers(client_read):
    read, schools, pupil = client_read
    user = read["user"]
    assert user["sourcedId"] == str(pupil.sourced_id)
    assert (user["givenName"], user["familyName"]) == (pupil.given_name, pupil.family_name)
    assert user["username"] == str(pupil.sourced_id)
    klass = Enrolment.objects.get(pupil=pupil).school_class
    assert _ids(read["user_classes"]) == {str(klass.sourced_id)}
    assert read["first_page"] == {"count": 2, "total": len(read["users"]), "more": True}
    assert read["unknown_user"] == "not found"
