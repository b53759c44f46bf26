"""The OneRoster 1.2 CSV binding's rules, read from its text
(shared/oneroster/spec/csv-binding-1.2.md), as a checker for every set Schoolbrug writes: an
oracle independent of the exporter."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest

BINDING = Path(__file__).resolve().parents[2] / ".." / "shared" / "oneroster" / "spec"
BINDING = BINDING / "csv-binding-1.2.md"
SOURCED_ID = re.compile(r"[0-9A-Za-z./@_-]{1,255}")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
USER_IDS = re.compile(r"\{[^{}:]+:[^{}]+\}(,\{[^{}:]+:[^{}]+\})*")
ENUMERATIONS = {
    ("orgs", "type"): {"department", "district", "local", "national", "school", "state"},
    ("academicSessions", "type"): {"gradingPeriod", "semester", "schoolYear", "term"},
    ("classes", "classType"): {"homeroom", "scheduled"},
    ("roles", "roleType"): {"primary", "secondary"},
    ("roles", "role"): {"guardian", "parent", "principal", "student", "teacher", "aide"},
    ("enrollments", "role"): {"administrator", "proctor", "student", "teacher"},
    ("demographics", "sex"): {"male", "female", "unspecified", "other", ""},
    ("users", "enabledUser"): {"true", "false"},
    ("enrollments", "primary"): {"true", "false", ""},
}
DATE_COLUMNS = {"startDate", "endDate", "beginDate", "birthDate"}


def binding() -> tuple[list[str], dict[str, list[tuple[str, bool]]]]:
    """(the 21 manifest file names, {file: [(column, value required)]})."""
    if not BINDING.exists():
        pytest.skip(f"OneRoster CSV binding not found at {BINDING.resolve()} (outside the repo)")
    text = BINDING.read_text(encoding="utf-8")
    names = re.search(r"for each of these 21 names: ([^.]+)\.", text).group(1)
    files = {}
    for line in text.splitlines():
        row = re.match(r"\| (\w+)\.csv(?: \(new in 1\.2\))? \| ([^|]+) \|", line)
        item = re.match(r"- (\w+)\.csv: (.+)$", line)
        if match := row or item:
            columns = re.sub(r"\([^)]*\)", "", match.group(2))
            files[match.group(1)] = [
                (c.split()[0], "R" in c.split()[1:]) for c in columns.split(",") if c.strip()
            ]
    return [n.strip() for n in names.split(",")], files


def read(path: Path) -> tuple[list[str], list[list[str]]]:
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    # No line break inside a cell: as many physical lines as CSV rows.
    assert len(raw.splitlines()) == len(rows), path.name
    return rows[0], rows[1:]


def table(folder: Path, name: str) -> list[dict[str, str]]:
    header, rows = read(folder / f"{name}.csv")
    return [dict(zip(header, row, strict=True)) for row in rows]


# --- the binding's rules, checked on any set we write ------------------------------------------


def binding_rules() -> dict:
    """The status values, manifest values and DateTime shape, read from the binding's text."""
    binding()  # skips when the binding is not there
    text = BINDING.read_text(encoding="utf-8")
    status = re.search(r"\| status \(delta only; blank in bulk\) \| ([a-z, ]+)", text).group(1)
    manifest = re.search(r"\| manifest file\.\* values \| ([a-z, ]+) \|", text).group(1)
    shape = re.search(r"DateTime: `([^`]+)`", text).group(1)  # YYYY-MM-DDTHH:MM:SS.sssZ
    return {
        "status": {s.strip() for s in status.split(",")},
        "manifest": {s.strip() for s in manifest.split(",")},
        "datetime": re.compile(re.sub(r"[YMDHSs]", r"\\d", shape)),
    }


def unpacked(path: Path) -> Path:
    """A zip's set, extracted next to it after checking its members: files at the root only."""
    if path.is_dir():
        return path
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert names[0] == "manifest.csv", names
        assert all("/" not in n and n.endswith(".csv") for n in names), names
        assert len(names) == len(set(names))
        folder = path.with_name(path.name + ".unpacked")
        archive.extractall(folder)
    return folder


def check_set(path: Path, mode: str, earlier: Path | None = None) -> dict[str, list[dict]]:
    """Check a set (folder or zip) against the binding: the manifest, every file's header, every
    row's values, and the references. A delta's references may point to the rows of `earlier`
    (the set before it). Returns the rows of each file."""
    names, files = binding()
    rules = binding_rules()
    folder = unpacked(path)
    header, rows = read(folder / "manifest.csv")
    assert header == ["propertyName", "value"]
    properties = dict(rows)
    assert properties["manifest.version"] == "1.0"
    assert properties["oneroster.version"] == "1.2"
    assert sorted(k[5:] for k in properties if k.startswith("file.")) == sorted(names)
    assert len(names) == 21
    assert {mode, "absent"} <= rules["manifest"]
    tables: dict[str, list[dict]] = {}
    for name in names:
        written = properties[f"file.{name}"]
        assert written in (mode, "absent"), name
        assert (folder / f"{name}.csv").exists() == (written == mode), name
        if written == mode:
            tables[name] = check_file(folder / f"{name}.csv", files[name], mode, rules)
            assert tables[name], f"{name}.csv is {mode} but has no rows"
    assert {p.name for p in folder.iterdir()} == {"manifest.csv"} | {f"{n}.csv" for n in tables}
    check_references(tables, check_set(earlier, "bulk") if earlier else {})
    return tables


def check_file(path: Path, columns: list, mode: str, rules: dict) -> list[dict]:
    name = path.stem
    header, rows = read(path)
    assert header == [column for column, _ in columns], name
    required = [column for column, is_required in columns if is_required]
    for line, row in enumerate(rows, start=2):
        assert len(row) == len(header), f"{name}.csv:{line} has {len(row)} cells"
    ids = [row[0] for row in rows]
    assert len(ids) == len(set(ids)), f"{name}: sourcedId not unique"
    result = []
    for line, row in enumerate(rows, start=2):
        where = f"{name}.csv:{line}"
        cells = dict(zip(header, row, strict=True))
        assert SOURCED_ID.fullmatch(cells["sourcedId"]), where
        if mode == "bulk":
            assert cells["status"] == "" and cells["dateLastModified"] == "", where
        else:
            assert cells["status"] in rules["status"], f"{where} status={cells['status']!r}"
            assert rules["datetime"].fullmatch(cells["dateLastModified"]), where
        for column in required:
            assert cells[column], f"{where} {column} is required"
        for column in DATE_COLUMNS & cells.keys():
            assert cells[column] == "" or DATE.fullmatch(cells[column]), f"{where} {column}"
        for (file, column), allowed in ENUMERATIONS.items():
            if file == name:
                assert cells[column] in allowed, f"{where} {column}={cells[column]!r}"
        if cells.get("userIds"):
            assert USER_IDS.fullmatch(cells["userIds"]), where
        result.append(cells)
    return result


def check_references(tables: dict[str, list[dict]], earlier: dict[str, list[dict]]) -> None:
    """References resolve, in the set or (a delta) in the set before it: a row of the delta
    replaces the earlier row with its sourcedId. A `tobedeleted` row is gone for the reader:
    what it pointed to need not be there (a class deactivated before any export had its
    course), and nothing may point to it."""
    deleted = {
        name: {r["sourcedId"] for r in rows if r["status"] == "tobedeleted"}
        for name, rows in tables.items()
    }
    tables = {
        name: [r for r in rows if r["status"] != "tobedeleted"] for name, rows in tables.items()
    }

    def rows(name: str) -> dict[str, dict]:
        merged = {r["sourcedId"]: r for r in earlier.get(name, [])}
        merged.update({r["sourcedId"]: r for r in tables.get(name, [])})
        for sourced_id in deleted.get(name, ()):
            merged.pop(sourced_id, None)
        return merged

    orgs, sessions, courses = rows("orgs"), rows("academicSessions"), rows("courses")
    classes, users, roles = rows("classes"), rows("users"), rows("roles").values()
    schools = {k for k, r in orgs.items() if r["type"] == "school"}
    for org in tables.get("orgs", []):
        assert org["parentSourcedId"] in orgs or not org["parentSourcedId"]
    for course in tables.get("courses", []):
        assert course["orgSourcedId"] in orgs
        assert sessions[course["schoolYearSourcedId"]]["type"] == "schoolYear"
    for klass in tables.get("classes", []):
        assert klass["courseSourcedId"] in courses
        assert klass["schoolSourcedId"] in schools
        assert all(term in sessions for term in klass["termSourcedIds"].split(","))
    for enrollment in tables.get("enrollments", []):
        assert enrollment["classSourcedId"] in classes
        assert enrollment["schoolSourcedId"] in schools
        assert enrollment["userSourcedId"] in users
    for role in tables.get("roles", []):
        assert role["userSourcedId"] in users and role["orgSourcedId"] in orgs
    primary = [(r["userSourcedId"], r["orgSourcedId"]) for r in roles if r["roleType"] == "primary"]
    assert len(primary) == len(set(primary)), "one primary role per user and org"
    for user in users.values():
        assert (user["sourcedId"], user["primaryOrgSourcedId"]) in primary
    assert all(r["sourcedId"] in users for r in tables.get("demographics", []))
