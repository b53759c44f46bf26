"""OneRoster CSV (1.2, and the 1.1 / 1.0 sets most rostering hubs still write) → Snapshots.

`parse_oneroster(path)` reads a folder or a zip and returns one Snapshot per org of type
`school`. Longer than most modules because the whole format (package, tables, references,
records) is one job; the steps follow the order of the files: orgs, courses, classes, users,
roles, demographics, enrollments.

What it decides, so that a reader need not guess:

* The pupil key is the user's `sourcedId` (`key="source_id"`); a national number is taken only
  from a `userIds` entry `{RRN:…}`, `{INSZ:…}` or `{rijksregisternummer:…}` (any case).
* A pupil is a user with a `student` enrollment in a class of the school (the enrollment
  decides, not users.role / roles.csv: real files mislabel roles). Of several enrollments the
  class is the first `homeroom` one, else the first with `primary=true`, else the first in
  the file: Schoolbrug knows one class per pupil.
* OneRoster has no class numbers: pupils are numbered 1..n per class by family name, given
  name and sourcedId, and `Snapshot.class_numbers_generated` says so.
* `grades` (CEDS) map to the Flemish stage and year: 01–06 → primary year 1–6; 07–12 →
  secondary stage 1–3, year 1–2; IT/PS/PK/KG → kindergarten (stage NVT) year 0–3. The
  curriculum is the course's title, else its courseCode.
* A teacher is a user with a `teacher` enrollment in a class of the school, or with the role
  teacher at the school.
* A class "Schoolverlaters" is where a platform (or our own export) keeps leavers: it is no
  class, and a pupil who is only there is a leaver record (`is_leaver`, in a delta also in
  `leaving_source_ids`): the sync creates one it does not know as a leaver, and one it knows
  stays or becomes a leaver.
* The institution number is `org_map[sourcedId]`, else the org's `identifier` when it is 1 to 6
  digits (as text, never padded), else the org's `sourcedId`.
* Rows whose status is `tobedeleted` (or the legacy `inactive`) are left out, in bulk sets too.
  In a delta they are how a pupil leaves: a deleted user, or a deleted student role at a school,
  goes to `leaving_source_ids`; when the deleted users row names them and a student role or
  enrollment says they were a pupil there, they are a leaver record too (a pupil who came and
  went after the earlier set).
* A delta names only what changed; what it does not carry for a pupil is `kept_fields`: a users
  row without enrollment keeps the class ("class"), an enrollment without users row keeps the
  person ("person"), no demographics row keeps gender and birth date ("demographics"); a class,
  school or teacher's class from an earlier set is named by id only. sync/resolve.py completes
  them from the registry.
* A manifest line that is missing, empty or unknown means `absent`; a file marked absent is not
  read. A set without manifest is 1.0: every file present is bulk.
* File names are matched without regard to case when only one file fits; header names too.
  A required column is one whose value the importer needs; a missing optional column (or one
  with a typo) reads as empty.

What cannot be read as the format at all raises BadInput (file, line, column): a missing
required file or column, an ambiguous file name, undecodable bytes, a row whose width does not
match its header, a bulk set without any school. A row that is readable but defective (a
required value missing, a reference to an id that is not in the set, a school that is no
school, an id used twice) is skipped with a finding; a pupil it concerns is listed in
`withheld_source_ids` so that the sync neither changes them nor makes them a leaver. In a delta
a reference to an id that is not in the set is normal (it came in an earlier set).
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import re
import zipfile
from collections import Counter, defaultdict, namedtuple
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from schoolbrug.sources import zips
from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.findings import Finding, make_finding
from schoolbrug.sources.records import ClassRecord, PupilRecord, Snapshot, StaffRecord

SOURCE = "oneroster"
DELETED = frozenset({"tobedeleted", "inactive", "deleted"})
NATIONAL_NUMBER_TYPES = frozenset({"rrn", "insz", "rijksregisternummer"})
INSTITUTION_NUMBER = re.compile(r"\d{1,6}")
USER_ID = re.compile(r"\{\s*([^:{}]*?)\s*:\s*([^{}]*?)\s*\}")
KINDERGARTEN_GRADES = {"IT": 0, "PS": 1, "PK": 2, "KG": 3}
# The class our exports (and platforms) keep leavers in: registry.models.LEAVERS_CLASS_CODE.
LEAVERS_CLASS_CODE = "Schoolverlaters"
GENDERS = {"male": "M", "m": "M", "female": "F", "f": "F", "other": "X", "x": "X"}

# The files this importer reads; the rest of a set (gradebook, resources, userProfiles,
# academicSessions) is not needed for a snapshot and is not looked at.
READ_FILES = (
    "orgs.csv",
    "courses.csv",
    "classes.csv",
    "users.csv",
    "roles.csv",
    "demographics.csv",
    "enrollments.csv",
)
NEEDED_IN_BULK = ("orgs.csv", "classes.csv", "users.csv", "enrollments.csv")
# 1.0 names some columns differently.
ALIASES = {"demographics.csv": {"sourcedid": ("usersourcedid",)}}

# Where each canonical field comes from, for findings (Snapshot.columns).
COLUMNS = {
    "source_id": "users.csv sourcedId",
    "family_name": "users.csv familyName",
    "given_name": "users.csv givenName",
    "national_number": "users.csv userIds",
    "email": "users.csv email",
    "phone": "users.csv phone",
    "gender": "demographics.csv sex",
    "birth_date": "demographics.csv birthDate",
    "class_code": "enrollments.csv classSourcedId",
    "class.code": "classes.csv classCode",
    "class.year": "classes.csv grades",
    "class.curriculum": "courses.csv title",
}


def parse_oneroster(path: Path | str, org_map: dict[str, str] | None = None) -> list[Snapshot]:
    """Read a OneRoster CSV set (folder or zip) into one Snapshot per school.

    `org_map` maps an org's sourcedId to the institution number to use for it.
    """
    with _Package.open(Path(path)) as package:
        return _Parser(package, org_map or {}).snapshots()


def load_org_map(path: Path | str) -> dict[str, str]:
    """Read an org map: lines `sourcedId,institution_number` (`;` works too; a header line is
    allowed), for orgs whose `identifier` is not their institution number."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(
            f"Het bestand kan niet gelezen worden ({exc.strerror}).",
            f"cannot read the file: {exc.strerror}",
            file=path.name,
        ) from None
    text = _decode(path.name, data)
    first = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first and "," not in first else ","
    mapping: dict[str, str] = {}
    for line, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1):
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue
        if line == 1 and len(cells) >= 2 and not cells[1].isdigit():
            continue  # a header line
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise BadInput(
                "Elke regel moet een OneRoster-sourcedId en een instellingsnummer bevatten, "
                "gescheiden door een komma.",
                "each line needs an org sourcedId and an institution number",
                file=path.name,
                line=line,
            )
        mapping[cells[0]] = cells[1]
    return mapping


# --- the package: a folder or a zip ---------------------------------------------------------


class _Package:
    def __init__(
        self, names: dict[str, object], read, close=lambda: None, zip_name: str = ""
    ) -> None:
        self._names = names  # file name → handle for `read`
        self._read = read
        self._close = close
        self._zip_name = zip_name  # "": a folder

    @classmethod
    def open(cls, path: Path) -> _Package:
        if path.is_dir():
            files = {p.name: p for p in path.iterdir() if p.is_file()}
            return cls(files, Path.read_bytes)
        if path.is_file() and zipfile.is_zipfile(path):
            archive = zips.open_zip(path)
            entries = [
                i
                for i in archive.infolist()
                if not i.is_dir() and not i.filename.startswith("__MACOSX/")
            ]
            folders = {str(PurePosixPath(i.filename).parent) for i in entries}
            # Everything in one folder (a zipped folder): read that folder as the root.
            folder = folders.pop() if "." not in folders and len(folders) == 1 else "."
            files = {
                PurePosixPath(i.filename).name: i
                for i in entries
                if str(PurePosixPath(i.filename).parent) == folder
            }
            return cls(files, archive.read, archive.close, zip_name=path.name)
        if not path.exists():
            raise BadInput(
                "De map of het zip-bestand bestaat niet.",
                "no such folder or zip file",
                file=path.name,
            )
        raise BadInput(
            "Dit is geen map en geen zip-bestand met een OneRoster-export.",
            "not a folder or a zip file holding a OneRoster set",
            file=path.name,
        )

    def __enter__(self) -> _Package:
        return self

    def __exit__(self, *exc) -> None:
        self._close()

    def find(self, name: str) -> str | None:
        """The file's name in the package: exact, else the one name that differs in case."""
        if name in self._names:
            return name
        matches = sorted(n for n in self._names if n.lower() == name.lower())
        if len(matches) > 1:
            raise BadInput(
                f"Meerdere bestanden heten {name} op hoofdletters na ({', '.join(matches)}); "
                "het is niet duidelijk welk bedoeld is.",
                f"several files match {name} but for case: {', '.join(matches)}",
                file=matches[0],
            )
        return matches[0] if matches else None

    def read(self, name: str) -> bytes:
        if not self._zip_name:
            try:
                return self._read(self._names[name])
            except OSError as exc:
                raise BadInput(
                    f"Het bestand kan niet gelezen worden ({exc.strerror}).",
                    f"cannot read the file: {exc.strerror}",
                    file=name,
                ) from None
        with zips.reading(self._zip_name, name):
            return self._read(self._names[name])


# --- tables ------------------------------------------------------------------------------------


def _decode(file: str, data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]  # a bare CR ends a line too, as for the csv module
        line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
        raise BadInput(
            "Het bestand is niet in UTF-8 bewaard: deze cel bevat onleesbare tekens. "
            "OneRoster-bestanden moeten UTF-8 zijn.",
            "undecodable bytes: OneRoster files must be UTF-8",
            file=file,
            line=line,
            field=_column_at(data, exc.start),
        ) from None


def _column_at(data: bytes, position: int) -> str:
    """The header name of the cell that holds byte `position` (of an undecodable file), as
    far as the line up to there can tell; "" when it cannot."""
    start = max(data.rfind(b"\n", 0, position), data.rfind(b"\r", 0, position)) + 1
    before = data[start:position].decode("utf-8", "replace")
    first = data.split(b"\n", 1)[0].split(b"\r", 1)[0].decode("utf-8", "replace")
    try:
        cells = len(next(csv.reader([before + "x"])))
        header = next(csv.reader([first]), [])
    except csv.Error:  # a quote that opens a cell of several lines: no column to name
        return ""
    return header[cells - 1].strip() if cells <= len(header) else f"#{cells}"


class _Table:
    """One CSV file: the header, then rows as namedtuples of the asked columns, stripped."""

    def __init__(self, file: str, text: str, aliases: dict[str, tuple[str, ...]]) -> None:
        self.file = file
        self._reader = csv.reader(io.StringIO(text, newline=""))
        header = [h.strip() for h in self._next() or []]
        while header and not header[-1]:
            header.pop()  # empty trailing header names (a stray comma): nothing to read there
        self.header = header
        self._index: dict[str, int] = {}
        for i, name in enumerate(header):
            self._index.setdefault(name.lower(), i)
        for name, others in aliases.items():
            for other in others:
                if name not in self._index and other in self._index:
                    self._index[name] = self._index[other]

    def _next(self) -> list[str] | None:
        try:
            return next(self._reader, None)
        except csv.Error as exc:
            raise BadInput(
                f"Deze regel is geen geldige CSV ({exc}).",
                f"not valid CSV: {exc}",
                file=self.file,
                line=self._reader.line_num,
            ) from None

    def has(self, column: str) -> bool:
        return column.lower() in self._index

    def require(self, *columns: str) -> None:
        for column in columns:
            if not self.has(column):
                raise BadInput(
                    f"De verplichte kolom {column} ontbreekt in de kopregel.",
                    f"required column {column} missing from the header",
                    file=self.file,
                    line=1,
                    field=column,
                )

    def rows(self, *columns: str) -> Iterator:
        row_type = namedtuple("Row", ("line", *columns))
        positions = [self._index.get(c.lower()) for c in columns]
        width = len(self.header)
        line = self._reader.line_num
        while (cells := self._next()) is not None:
            start, line = line + 1, self._reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # an empty line
            if len(cells) != width:
                self._check_width(cells, start)
            yield row_type(start, *("" if i is None else cells[i].strip() for i in positions))

    def _check_width(self, cells: list[str], line: int) -> None:
        width = len(self.header)
        if len(cells) > width and not any(c.strip() for c in cells[width:]):
            return  # trailing empty cells (an extra comma): harmless
        column = self.header[len(cells)] if len(cells) < width else f"#{width + 1}"
        raise BadInput(
            f"Deze regel heeft {len(cells)} cellen, de kopregel {width}: de kolommen zijn "
            "verschoven en de regel kan niet gelezen worden.",
            f"row has {len(cells)} cells, the header {width}",
            file=self.file,
            line=line,
            field=column,
        )


# --- values ------------------------------------------------------------------------------------


def _is_deleted(status: str) -> bool:
    return status.lower() in DELETED


def _split(cell: str) -> list[str]:
    return [item.strip() for item in cell.split(",") if item.strip()]


def _date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        return None


def national_number_from_user_ids(cell: str) -> str:
    """`{Local:015},{RRN:15.03.14-123.45}` → `15031412345` (separators removed), else ""."""
    for kind, value in USER_ID.findall(cell):
        if kind.lower() in NATIONAL_NUMBER_TYPES:
            return re.sub(r"[\s./-]", "", value)
    return ""


def levels_from_grades(grades: str) -> tuple[str, int | None, tuple[int, ...]]:
    """CEDS grades → (stage, year, years): see the module docstring."""
    levels = []
    for grade in _split(grades.upper()):
        if grade in KINDERGARTEN_GRADES:
            levels.append((-1, "NVT", KINDERGARTEN_GRADES[grade]))
        elif grade.isdigit() and 1 <= int(grade) <= 6:
            levels.append((int(grade), "", int(grade)))
        elif grade.isdigit() and 7 <= int(grade) <= 12:
            number = int(grade) - 7
            levels.append((int(grade), str(number // 2 + 1), number % 2 + 1))
    if not levels:
        return "", None, ()
    levels.sort()
    _, stage, year = levels[0]
    if any(s != stage for _, s, _ in levels):
        return stage, year, ()  # across stages: the lowest one
    years = tuple(sorted({y for _, _, y in levels}))
    return stage, year, years if len(years) > 1 else ()


# --- the parser --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Class:
    school: str
    record: ClassRecord
    homeroom: bool


@dataclass(slots=True)
class _School:
    source_id: str
    name: str = ""
    identifier: str = ""


class _Parser:
    def __init__(self, package: _Package, org_map: dict[str, str]) -> None:
        self.package = package
        self.org_map = org_map
        self.hash = hashlib.sha256()
        self.files: dict[str, str] = {}  # canonical name → name in the package
        self.reported: list[tuple[frozenset[str] | None, Finding]] = []
        self.schools: dict[str, _School] = {}
        self.other_orgs: set[str] = set()
        self.deleted_orgs: set[str] = set()
        self.courses: dict[str, tuple[str, str]] = {}  # id → (curriculum, grades)
        self.bad_courses: set[str] = set()
        self.classes: dict[str, _Class] = {}
        self.bad_classes: dict[str, str] = {}  # id → school ("" when unknown)
        self.deleted_classes: set[str] = set()
        self.users: dict[str, tuple] = {}
        self.bad_users: set[str] = set()
        self.deleted_users: set[str] = set()
        self.deleted_user_rows: dict[str, tuple] = {}  # a delta's leaver may be new to us
        self.user_orgs: dict[str, list[tuple[str, str]]] = defaultdict(list)  # → (org, role)
        self.demographics: dict[str, tuple[str, str]] = {}  # user → (sex, birthDate)
        self.deleted_demographics: dict[str, tuple[str, str]] = {}
        self.students: dict[str, dict[str, list[tuple]]] = defaultdict(dict)
        self.teachers: dict[str, dict[str, list[str]]] = defaultdict(dict)
        # school → {teacher: classes whose enrollment the set marks tobedeleted}
        self.ended_teaching: dict[str, dict[str, list[str]]] = defaultdict(dict)
        self.withheld: dict[str, set[str]] = defaultdict(set)
        self.leaving: dict[str, set[str]] = defaultdict(set)
        self.ended_roles: dict[str, list[tuple[str, str]]] = defaultdict(list)  # deleted roles
        self.leavers_classes: dict[str, str] = {}  # class id → school
        # school → {user in its leavers class: that class's id}
        self.left: dict[str, dict[str, str]] = defaultdict(dict)
        self.enrolled_students: dict[str, set[str]] = defaultdict(
            set
        )  # any student row, any status

    # -- reading --

    def snapshots(self) -> list[Snapshot]:
        modes = self._modes()
        self.delta = "delta" in modes.values()
        tables = {name: self._table(name) for name in READ_FILES if modes[name] != "absent"}
        if "orgs.csv" in tables:
            self._orgs(tables["orgs.csv"])
        if "courses.csv" in tables:
            self._courses(tables["courses.csv"])
        if "classes.csv" in tables:
            self._classes(tables["classes.csv"])
        if "users.csv" in tables:
            self._users(tables["users.csv"])
        if "roles.csv" in tables:
            self._roles(tables["roles.csv"])
        if "demographics.csv" in tables:
            self._demographics(tables["demographics.csv"])
        if "enrollments.csv" in tables:
            self._enrollments(tables["enrollments.csv"])
        self._leavers()
        self._users_without_enrollment()
        schools = list(self.schools.values())
        return [self._snapshot(school, "classes.csv" in tables) for school in schools]

    def _modes(self) -> dict[str, str]:
        manifest_name = self.package.find("manifest.csv")
        present = {name: self.package.find(name) for name in READ_FILES}
        if manifest_name is None:  # 1.0: no manifest, every file present is bulk
            modes = {name: "bulk" if present[name] else "absent" for name in READ_FILES}
        else:
            table = _Table(manifest_name, self._text(manifest_name), {})
            table.require("propertyName", "value")
            entries = {
                row.propertyName.lower(): (row.value.lower(), row.line)
                for row in table.rows("propertyName", "value")
            }
            modes = {}
            for name in READ_FILES:
                mode, line = entries.get(f"file.{name[:-4]}".lower(), ("absent", None))
                modes[name] = mode if mode in ("bulk", "delta") else "absent"
                if modes[name] != "absent" and present[name] is None:
                    raise BadInput(
                        f"manifest.csv meldt {name} als {mode}, maar het bestand ontbreekt.",
                        f"the manifest lists {name} as {mode} but the file is missing",
                        file=manifest_name,
                        line=line,
                        field="value",
                    )
        if "delta" not in modes.values():
            for name in NEEDED_IN_BULK:
                if modes[name] == "absent":
                    raise BadInput(
                        f"{name} ontbreekt (of manifest.csv meldt het als absent); zonder dit "
                        "bestand kan de export niet ingelezen worden.",
                        f"{name} is missing (or absent in the manifest)",
                        file=name,
                    )
        return modes

    def _text(self, name: str) -> str:
        data = self.package.read(name)
        self.hash.update(name.encode() + b"\0" + data + b"\0")
        return _decode(name, data)

    def _table(self, canonical: str) -> _Table:
        name = self.package.find(canonical)
        self.files[canonical] = name
        table = _Table(name, self._text(name), ALIASES.get(canonical, {}))
        if self.delta:
            table.require("status")
        return table

    def _report(self, code: str, schools: Iterable[str] | None, **kw) -> None:
        """A finding for the snapshots of `schools` (all snapshots when none is a school)."""
        scope = frozenset(s for s in schools if s in self.schools) if schools else frozenset()
        self.reported.append((scope or None, make_finding(code, **kw)))

    def _org(self, org: str) -> str:
        """What `org` is: school, other, deleted or unknown (a delta may name an earlier one)."""
        if org in self.schools:
            return "school"
        if org in self.other_orgs:
            return "other"
        if org in self.deleted_orgs:
            return "deleted"
        if self.delta:
            self.schools[org] = _School(org)
            return "school"
        return "unknown"

    # -- the files, in order --

    def _orgs(self, table: _Table) -> None:
        table.require("sourcedId", "name", "type")
        rows = list(table.rows("sourcedId", "status", "name", "type", "identifier"))
        counts = Counter(row.sourcedId for row in rows)
        for row in rows:
            where = {"file": table.file, "line": row.line}
            if missing := _first_missing(sourcedId=row.sourcedId, type=row.type):
                self._report("ONEROSTER_VALUE_MISSING", None, field=missing, value=missing, **where)
            elif counts[row.sourcedId] > 1:
                self._report(
                    "ONEROSTER_ID_DUPLICATE", None, field="sourcedId", value=row.sourcedId, **where
                )
            elif _is_deleted(row.status):
                self.deleted_orgs.add(row.sourcedId)
            elif row.type.lower() == "school":
                self.schools[row.sourcedId] = _School(row.sourcedId, row.name, row.identifier)
            else:
                self.other_orgs.add(row.sourcedId)
        if not self.schools and not self.delta:
            first = rows[0] if rows else None
            raise BadInput(
                "Geen enkele organisatie in orgs.csv heeft het type school"
                + (f" (hier: '{first.type}')" if first else "")
                + "; Schoolbrug leest klassen en leerlingen per school.",
                "no org of type school",
                file=table.file,
                line=first.line if first else 1,
                field="type",
            )

    def _courses(self, table: _Table) -> None:
        table.require("sourcedId", "title")
        rows = list(table.rows("sourcedId", "status", "title", "courseCode", "grades"))
        counts = Counter(row.sourcedId for row in rows)
        for row in rows:
            if not row.sourcedId or _is_deleted(row.status):
                continue  # nothing can use it: a class that points to it says so
            if counts[row.sourcedId] > 1:
                self.bad_courses.add(row.sourcedId)
                self._report(
                    "ONEROSTER_ID_DUPLICATE",
                    None,
                    file=table.file,
                    line=row.line,
                    field="sourcedId",
                    value=row.sourcedId,
                )
            else:
                self.courses[row.sourcedId] = (row.title or row.courseCode, row.grades)

    def _classes(self, table: _Table) -> None:
        table.require("sourcedId", "title", "courseSourcedId", "schoolSourcedId")
        rows = list(
            table.rows(
                "sourcedId", "status", "title", "grades", "courseSourcedId", "classCode",
                "classType", "schoolSourcedId",
            )
        )  # fmt: skip
        counts = Counter(row.sourcedId for row in rows)
        for row in rows:
            if _is_deleted(row.status):
                self.deleted_classes.add(row.sourcedId)
                continue
            school, course = row.schoolSourcedId, row.courseSourcedId
            state = self._org(school) if school else ""
            if state == "deleted":
                self.deleted_classes.add(row.sourcedId)
                continue
            code = row.classCode or row.title
            if code == LEAVERS_CLASS_CODE and state == "school" and row.sourcedId:
                self.leavers_classes[row.sourcedId] = school  # not a class: where leavers are
                continue
            problem = self._class_problem(row, code, state, counts[row.sourcedId])
            if problem:
                rule, field, value, scope = problem
                where = {"file": table.file, "line": row.line, "class_code": code}
                self._report(rule, scope, field=field, value=value, **where)
                if row.sourcedId:
                    self.bad_classes[row.sourcedId] = school if state == "school" else ""
                continue
            if course in self.bad_courses:
                self.bad_classes[row.sourcedId] = school  # the course's finding says why
                continue
            curriculum, course_grades = self.courses.get(course, ("", ""))
            stage, year, years = levels_from_grades(row.grades or course_grades)
            record = ClassRecord(
                code=code,
                stage=stage,
                year=year,
                curriculum=curriculum,
                years=years,
                line=row.line,
                source_id=row.sourcedId,
                title=row.title,
            )
            self.classes[row.sourcedId] = _Class(
                school, record, row.classType.lower() == "homeroom"
            )

    def _class_problem(self, row, code: str, state: str, count: int) -> tuple | None:
        """(rule, field, value, scope) of the first defect of a class row, or None."""
        school, course = row.schoolSourcedId, row.courseSourcedId
        missing = _first_missing(
            sourcedId=row.sourcedId, title=code, schoolSourcedId=school, courseSourcedId=course
        )
        if missing:
            return "ONEROSTER_VALUE_MISSING", missing, missing, [school]
        if count > 1:
            return "ONEROSTER_ID_DUPLICATE", "sourcedId", row.sourcedId, [school]
        if state == "other":
            return "ONEROSTER_ORG_NOT_SCHOOL", "schoolSourcedId", school, None
        if state == "unknown":
            return "ONEROSTER_REFERENCE_UNKNOWN", "schoolSourcedId", school, None
        if course not in self.courses and course not in self.bad_courses and not self.delta:
            return "ONEROSTER_REFERENCE_UNKNOWN", "courseSourcedId", course, [school]
        return None

    def _users(self, table: _Table) -> None:
        table.require("sourcedId", "givenName", "familyName")
        legacy = table.has("role")  # 1.0 / 1.1: orgSourcedIds and role in users.csv
        if legacy:
            table.require("orgSourcedIds")
        rows = list(
            table.rows(
                "sourcedId", "status", "givenName", "familyName", "email", "phone", "userIds",
                "primaryOrgSourcedId", "orgSourcedIds", "role",
            )
        )  # fmt: skip
        counts = Counter(row.sourcedId for row in rows)
        for row in rows:
            orgs = _split(row.orgSourcedIds if legacy else row.primaryOrgSourcedId)
            where = {"file": table.file, "line": row.line}
            if not row.sourcedId:
                self._report(
                    "ONEROSTER_VALUE_MISSING", orgs, field="sourcedId", value="sourcedId", **where
                )
                continue
            role = row.role.lower() if legacy else ""
            self.user_orgs[row.sourcedId].extend((org, role) for org in orgs)
            if _is_deleted(row.status):
                self.deleted_users.add(row.sourcedId)
                self.deleted_user_rows[row.sourcedId] = row
            elif counts[row.sourcedId] > 1:
                self.bad_users.add(row.sourcedId)
                self._report(
                    "ONEROSTER_ID_DUPLICATE", orgs, field="sourcedId", value=row.sourcedId, **where
                )
            else:
                self.users[row.sourcedId] = row

    def _roles(self, table: _Table) -> None:
        table.require("userSourcedId", "role", "orgSourcedId")
        for row in table.rows("status", "userSourcedId", "role", "orgSourcedId"):
            role, org, user = row.role.lower(), row.orgSourcedId, row.userSourcedId
            if not user or not org:
                continue  # nothing to attach it to; only a teacher's role is read from here
            if _is_deleted(row.status):
                self.ended_roles[user].append((org, role))  # in a delta: left that org
            else:
                self.user_orgs[user].append((org, role))

    def _demographics(self, table: _Table) -> None:
        table.require("sourcedId")
        for row in table.rows("sourcedId", "status", "birthDate", "sex"):
            if row.sourcedId:
                deleted = _is_deleted(row.status)
                kept = self.deleted_demographics if deleted else self.demographics
                kept[row.sourcedId] = (row.sex, row.birthDate)

    def _enrollments(self, table: _Table) -> None:
        table.require("classSourcedId", "schoolSourcedId", "userSourcedId", "role")
        columns = ("status", "classSourcedId", "schoolSourcedId", "userSourcedId", "role")
        for order, row in enumerate(table.rows(*columns, "primary")):
            klass, user, role = row.classSourcedId, row.userSourcedId, row.role.lower()
            known = self.classes.get(klass)
            school = known.school if known else self.bad_classes.get(klass) or row.schoolSourcedId
            if role == "student" and user:
                self.enrolled_students[school].add(user)
            if _is_deleted(row.status):
                if role == "teacher" and user and klass and self._org(school) == "school":
                    self.ended_teaching[school].setdefault(user, []).append(klass)
                continue
            problem = self._enrollment_problem(klass, user, role, known, school)
            if problem == "skip":
                continue
            if problem == "left":
                if role == "student":
                    self.left[school][user] = klass
                continue
            if problem:
                if problem != "withhold":
                    field, value = problem
                    self._report(
                        ("ONEROSTER_VALUE_MISSING" if field == value
                         else "ONEROSTER_REFERENCE_UNKNOWN"),
                        [school], file=table.file, line=row.line, field=field, value=value,
                    )  # fmt: skip
                if role == "student" and user:
                    self.withheld[school].add(user)
            elif role == "student":
                homeroom = known.homeroom if known else False
                rank = (not homeroom, row.primary.lower() != "true", order)
                self.students[school].setdefault(user, []).append((rank, klass))
            elif role == "teacher":
                self.teachers[school].setdefault(user, []).append(klass)

    def _enrollment_problem(self, klass: str, user: str, role: str, known, school: str):
        """None (read it), "skip", "left" (in the leavers class), "withhold" (another row's
        finding says why) or the (field, value) of a finding: value == field for a missing
        value, else the id."""
        if missing := _first_missing(classSourcedId=klass, userSourcedId=user, role=role):
            return missing, missing
        if klass in self.deleted_classes or user in self.deleted_users:
            return "skip"
        if klass in self.leavers_classes:
            return "left"
        if klass in self.bad_classes or user in self.bad_users:
            return "withhold"
        if known is None:
            if not self.delta:
                return "classSourcedId", klass
            if not school or self._org(school) != "school":
                return "skip"  # a delta naming a class of another kind of org
        if user not in self.users and not self.delta:
            # In a delta the user row came in an earlier set: the registry has the person.
            return "userSourcedId", user
        return None

    def _leavers(self) -> None:
        """A delta's leavers: a deleted student role at a school, or a deleted user who is not
        known as anything but a pupil (at their schools; at every school when none is named)."""
        if not self.delta:
            return
        for user, ended in self.ended_roles.items():
            for org, role in ended:
                if role == "student" and self._org(org) == "school":
                    self.leaving[org].add(user)
        for user in self.deleted_users:
            orgs = self.user_orgs.get(user, []) + self.ended_roles.get(user, [])
            roles = {role for _, role in orgs if role}
            if roles and "student" not in roles:
                continue  # a teacher or parent, not a pupil
            schools = [org for org, _ in orgs if self._org(org) == "school"]
            for school in schools or list(self.schools):
                self.leaving[school].add(user)

    # -- snapshots --

    def _users_without_enrollment(self) -> None:
        """A delta's users rows of pupils it names no class for (a change of name or e-mail):
        at the schools where their role is student, or their primary org when it is a school
        and no role says otherwise. Teachers and parents are not pupils."""
        self.unplaced: dict[str, list[str]] = defaultdict(list)
        if not self.delta:
            return
        enrolled = {u for by_school in self.students.values() for u in by_school}
        enrolled |= {u for by_school in self.teachers.values() for u in by_school}
        enrolled |= {u for by_school in self.left.values() for u in by_school}
        for user_id in self.users.keys() - enrolled:
            roles: dict[str, set[str]] = defaultdict(set)
            for org, role in self.user_orgs.get(user_id, ()):
                roles[org].add(role)
            for org, found in roles.items():
                pupil = "student" in found or (found == {""} and org in self.schools)
                if pupil and self._org(org) == "school":
                    self.unplaced[org].append(user_id)

    def _snapshot(self, school: _School, classes_known: bool) -> Snapshot:
        sid = school.source_id
        pupils = self._pupils(sid)
        present = {p.source_id for p in pupils}
        withheld = self.withheld[sid] - present
        left = {u: c for u, c in self.left[sid].items() if u not in present and u not in withheld}
        if self.delta:
            self.leaving[sid] |= left.keys()
        pupils += self._leaver_records(sid, left, present | withheld)
        taken = {p.source_id for p in pupils} | withheld
        for user_id in self.unplaced[sid]:
            if user_id not in taken and (record := self._record(sid, user_id, "", "")):
                pupils.append(record)
        number = school.identifier if INSTITUTION_NUMBER.fullmatch(school.identifier) else sid
        users_file = self.files.get("users.csv", "users.csv")
        return Snapshot(
            source=SOURCE,
            institution_number=self.org_map.get(sid, number),
            classes=[c.record for c in self.classes.values() if c.school == sid],
            pupils=pupils,
            files={
                "pupils": users_file,
                "staff": users_file,
                "classes": self.files.get("classes.csv", "classes.csv"),
                "enrollments": self.files.get("enrollments.csv", "enrollments.csv"),
                "orgs": self.files.get("orgs.csv", "orgs.csv"),
            },
            source_hash=self.hash.hexdigest(),
            key="source_id",
            institution_name=school.name,
            institution_source_id=sid,
            is_delta=self.delta,
            leaving_source_ids=frozenset(self.leaving[sid]),
            findings=[f for scope, f in self.reported if scope is None or sid in scope],
            classes_known=classes_known,
            columns=dict(COLUMNS),
            staff=self._staff(sid),
            withheld_source_ids=frozenset(withheld),
            class_numbers_generated=True,
        )

    def _pupils(self, school: str) -> list[PupilRecord]:
        pupils = []
        for user_id, enrolments in self.students[school].items():
            klass = min(enrolments)[1]
            known = self.classes.get(klass)
            record = self._record(school, user_id, known.record.code if known else "", klass)
            if record is not None:
                pupils.append(record)
        _number_pupils(pupils)
        return pupils

    def _leaver_records(self, school: str, left: dict[str, str], taken: set[str]) -> list:
        """The pupils of the school's leavers class, and in a delta also the pupils it deletes
        (a deleted user with a student role or enrollment at the school) whose row names them:
        leavers, created as such when the registry does not know them."""
        candidates = dict(left)
        if self.delta:
            for user_id in sorted(self.leaving[school] - taken - left.keys()):
                roles = self.ended_roles.get(user_id, []) + self.user_orgs.get(user_id, [])
                if user_id in self.enrolled_students[school] or (school, "student") in roles:
                    candidates[user_id] = ""
        records = []
        for user_id, klass in candidates.items():
            user = self.users.get(user_id) or self.deleted_user_rows.get(user_id)
            if user is not None and user.givenName and user.familyName:
                records.append(self._record(school, user_id, LEAVERS_CLASS_CODE, klass, user))
        return records

    def _record(
        self, school: str, user_id: str, code: str, klass: str, leaver_row=None
    ) -> PupilRecord | None:
        """The pupil a user row (and demographics row) describes: a leaver when `leaver_row`
        (their row, even a deleted one) is given. In a delta what the set does not carry is
        `kept_fields`. None (with a finding) when the row lacks a name."""
        user = leaver_row or self.users.get(user_id)
        kept = set()
        if self.delta and not klass and leaver_row is None:
            kept.add("class")  # a users row without enrollment: the class stays
        if user is None:  # a delta's enrollment of a person from an earlier set
            user = _NO_USER
            kept.add("person")
        elif missing := _first_missing(givenName=user.givenName, familyName=user.familyName):
            self._report(
                "ONEROSTER_VALUE_MISSING",
                [school],
                file=self.files.get("users.csv", ""),
                line=user.line,
                field=missing,
                value=missing,
                class_code=code,
                pupil_name=f"{user.givenName} {user.familyName}".strip(),
            )
            self.withheld[school].add(user_id)
            return None
        demographics = self.demographics.get(user_id)
        if demographics is None and leaver_row is not None:
            demographics = self.deleted_demographics.get(user_id)
        if demographics is None and self.delta:
            kept.add("demographics")
        raw_gender, raw_birth = demographics or ("", "")
        return PupilRecord(
            line=user.line,
            source_id=user_id,
            class_code=code,
            class_number=None,
            family_name=user.familyName,
            given_name=user.givenName,
            gender=GENDERS.get(raw_gender.lower(), ""),
            birth_date=_date(raw_birth),
            national_number=national_number_from_user_ids(user.userIds),
            email=user.email,
            phone=user.phone,
            raw_gender=raw_gender,
            raw_birth_date=raw_birth,
            class_source_id=klass,
            is_leaver=leaver_row is not None,
            kept_fields=frozenset(kept),
        )

    def _staff(self, school: str) -> list[StaffRecord]:
        class_ids = dict(self.teachers[school])
        for user_id in self._teachers_by_role().get(school, ()):
            class_ids.setdefault(user_id, [])
        ended = self.ended_teaching[school]
        for user_id in ended:
            class_ids.setdefault(user_id, [])
        staff = []
        for user_id, classes in class_ids.items():
            user = self.users.get(user_id, _NO_USER)  # a delta may name only the enrollment
            codes, source_ids = self._class_refs(classes)
            ended_codes, ended_source_ids = self._class_refs(
                [c for c in ended.get(user_id, ()) if c not in classes]
            )
            staff.append(
                StaffRecord(
                    source_id=user_id,
                    email=user.email,
                    given_name=user.givenName,
                    family_name=user.familyName,
                    class_codes=codes,
                    line=user.line,
                    class_source_ids=source_ids,
                    ended_class_codes=ended_codes,
                    ended_class_source_ids=ended_source_ids,
                )
            )
        return staff

    def _class_refs(self, class_ids: list[str]) -> tuple[list[str], list[str]]:
        """(codes of the classes this set describes, ids of the others), each once."""
        codes = [self.classes[c].record.code for c in class_ids if c in self.classes]
        others = [c for c in class_ids if c not in self.classes]
        return list(dict.fromkeys(codes)), list(dict.fromkeys(others))

    def _teachers_by_role(self) -> dict[str, list[str]]:
        """School → users whose role there is teacher (users.csv 1.1 or roles.csv), once."""
        if not hasattr(self, "_role_teachers"):
            self._role_teachers: dict[str, list[str]] = defaultdict(list)
            for user_id, orgs in self.user_orgs.items():
                if user_id in self.users:
                    for org in dict.fromkeys(org for org, role in orgs if role == "teacher"):
                        self._role_teachers[org].append(user_id)
        return self._role_teachers


# A delta's enrollment may name a user whose row came in an earlier set.
_NO_USER = namedtuple("NoUser", "line givenName familyName email phone userIds")(
    0, "", "", "", "", ""
)


def _first_missing(**values: str) -> str:
    """The name of the first empty value, or ""."""
    return next((name for name, value in values.items() if not value), "")


def _number_pupils(pupils: list[PupilRecord]) -> None:
    """1..n per class by family name, given name and source id (OneRoster has no numbers)."""
    by_class: dict[str, list[PupilRecord]] = defaultdict(list)
    for pupil in pupils:
        by_class[pupil.class_source_id].append(pupil)
    for members in by_class.values():
        members.sort(key=lambda p: (p.family_name.casefold(), p.given_name.casefold(), p.source_id))
        for number, pupil in enumerate(members, start=1):
            pupil.class_number = number
