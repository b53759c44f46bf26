"""Every field the official OneRoster 1.2 schema requires is present and not empty, in every
object the REST API and the CSV export give, for a synthetic region (WISA exports of
demo/generate.py, a district without a number, a teacher without classes) and for a
school imported from a real OneRoster set (Ed-Fi's Grand Bend). Which fields are required is
read from 1EdTech's OpenAPI file (../shared/oneroster/spec/), not listed here: the object
types are the wrapper keys of the file's GET collections (orgs, academicSessions, courses,
classes, users, enrollments, demographics), each walked in full through its own collection,
and each object checked against the `required` lists of its schema and of the objects inside
it (references, roles).

The CSV export is held to the same schemas: a file is the collection of the same name
(`orgs.csv` ↔ `/orgs`); a required property is its column of the same name, or the column
that references it (`course` → `courseSourcedId`, `terms` → `termSourcedIds`), or a file of
its name whose rows name the object (`roles` → roles.csv rows with its `userSourcedId`).
A bulk set leaves `status` and `dateLastModified` blank (the CSV binding's rule), so those
are checked in a delta of everything."""

from __future__ import annotations

import datetime
import json
from functools import cache
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from schoolbrug.demo.generate import generate_region, write_region
from schoolbrug.registry.models import Assignment, Board, Institution, SchoolYear, Staff
from schoolbrug.sharing import access, consent
from schoolbrug.sharing.models import SCOPE_DEMOGRAPHICS, SCOPE_ROSTER, SCOPE_ROSTER_CORE
from tests.sharing.conftest import Api
from tests.sync.oneroster_binding import table

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SHARED = Path(__file__).resolve().parents[3] / "shared" / "oneroster"
SPEC = SHARED / "spec" / "onerosterv1p2rostersservice_openapi3_v1p0.json"
EDFI = SHARED / "samples" / "edfi-grand-bend-1.1"
BULK_BLANK = {"status", "dateLastModified"}  # the CSV binding: blank in a bulk set


@cache
def spec() -> dict:
    if not SPEC.is_file():
        pytest.skip(f"official OneRoster schema not found at {SPEC} (outside the repo)")
    return json.loads(SPEC.read_text(encoding="utf-8"))


def resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def collections() -> dict[str, dict]:
    """Wrapper key → the schema of one of its objects, for every GET collection of the file
    without a path parameter (/orgs, /users, /demographics, …)."""
    found = {}
    for path, operations in spec()["paths"].items():
        if "{" in path or "get" not in operations:
            continue
        body = resolve(
            operations["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        )
        ((key, listed),) = body["properties"].items()
        found.setdefault(key, resolve(listed["items"]))
    return found


def empty_required(item: dict, schema: dict, where: str) -> list[str]:
    """`where.field` for each required field of `item` (and of the objects in it) that is
    missing or empty."""
    problems = []
    properties = schema.get("properties", {})
    for name in schema.get("required", ()):
        value = item.get(name)
        if value is None or value == "" or value == [] or value == {}:
            problems.append(f"{where}.{name}")
    for name, value in item.items():
        inner = resolve(properties.get(name, {}))
        if inner.get("type") == "array":
            inner = resolve(inner.get("items", {}))
            for i, element in enumerate(value):
                if isinstance(element, dict):
                    problems += empty_required(element, inner, f"{where}.{name}[{i}]")
        elif isinstance(value, dict):
            problems += empty_required(value, inner, f"{where}.{name}")
    return problems


def check_api(api: Api) -> dict[str, int]:
    """Every object of every collection: a list of what is empty (none), and how many."""
    problems, counts = [], {}
    for key, schema in collections().items():
        path = "/" + key  # the collection of all of them: /orgs, /academicSessions, …
        items, offset = [], 0
        while True:
            response = api.get(path, limit=5000, offset=offset)
            assert response.status_code == 200, (path, response.text)
            page = response.json()[key]
            items += page
            offset += len(page)
            if len(page) < 5000:
                break
        counts[key] = len(items)
        for item in items:
            problems += empty_required(item, schema, f"{key}[{item['sourcedId']}]")
    assert problems == []
    return counts


def check_csv(folder: Path, mode: str) -> dict[str, int]:
    problems, counts = [], {}
    for key, schema in collections().items():
        if not (folder / f"{key}.csv").exists():
            continue
        rows = table(folder, key)
        counts[key] = len(rows)
        singular = key[:-1]  # users → user: how another file names one of these
        for row in rows:
            for name in schema["required"]:
                if mode == "bulk" and name in BULK_BLANK:
                    assert row[name] == "", (key, name)
                    continue
                where = f"{key}.csv[{row['sourcedId']}].{name}"
                for column in (name, f"{name}SourcedId", f"{name.removesuffix('s')}SourcedIds"):
                    if column in row:
                        if not row[column]:
                            problems.append(where)
                        break
                else:
                    naming = (folder / f"{name}.csv").exists() and [
                        r for r in table(folder, name)
                        if r.get(f"{singular}SourcedId") == row["sourcedId"]
                    ]  # fmt: skip
                    if not naming:
                        problems.append(f"{where} (no {name}.csv row names it)")
    assert problems == []
    return counts


def share_whole(institution: Institution, app) -> None:
    director = Staff.objects.create(
        email=f"directie@{institution.number}.test", given_name="Dirk", family_name="Baas"
    )
    Assignment.objects.create(
        staff=director,
        institution=institution,
        role="director",
        start_date=timezone.localdate() - datetime.timedelta(days=1),
    )
    consent.activate(institution, director.email)
    access.grant(app.app, institution, [], by=director.email)


def this_year() -> str:
    year = SchoolYear.start_year_for(timezone.localdate())
    return f"{year}-{year + 1}"


@pytest.fixture
def synthetic_region(tmp_path, app):
    region = generate_region(700, seed=18)
    write_region(region, tmp_path / "region")
    call_command("sync", "wisa", "--dir", str(tmp_path / "region"), "--school-year", this_year())
    institutions = list(Institution.objects.all())
    assert len(institutions) >= 2
    # A district without a number of its own (Board.number may be blank).
    board = Board.objects.create(name="Scholengroep Zonder Nummer")
    Institution.objects.filter(pk=institutions[0].pk).update(board=board)
    # A teacher the staff list names, before the timetable gives her a class.
    teacher = Staff.objects.create(
        email="nieuw@school.test", given_name="Nora", family_name="Nieuw"
    )
    Assignment.objects.create(
        staff=teacher, institution=institutions[0], role="teacher",
        start_date=timezone.localdate() - datetime.timedelta(days=1),
    )  # fmt: skip
    for institution in institutions:
        share_whole(institution, app)
    return institutions


@pytest.fixture
def grand_bend(app):
    if not EDFI.is_dir():
        pytest.skip(f"OneRoster sample set not found at {EDFI} (outside the repo)")
    call_command("sync", "oneroster", str(EDFI), "--school-year", this_year())
    school = Institution.objects.get()
    share_whole(school, app)
    return [school]


@pytest.mark.parametrize("data", ["synthetic_region", "grand_bend"])
def test_every_required_field_is_filled_in_the_api_and_the_csv_export(
    data, request, app, live_server, tmp_path
):
    request.getfixturevalue(data)
    scopes = " ".join((SCOPE_ROSTER_CORE, SCOPE_ROSTER, SCOPE_DEMOGRAPHICS))
    api = Api(live_server.url, app.client_id, app.secret, scope=scopes)
    served = check_api(api)
    assert served["users"] and served["courses"] and served["classes"] and served["enrollments"]

    call_command("export", "oneroster", str(tmp_path / "bulk"))
    call_command("export", "oneroster", str(tmp_path / "delta"), "--delta-since", "2000-01-01")
    bulk, delta = check_csv(tmp_path / "bulk", "bulk"), check_csv(tmp_path / "delta", "delta")
    assert bulk == delta and bulk["courses"] and bulk["users"]
