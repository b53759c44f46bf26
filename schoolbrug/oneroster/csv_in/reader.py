"""OneRoster CSV (1.2, and the 1.1 / 1.0 sets most rostering hubs still write) → Snapshots.

`parse_oneroster(path)` reads a folder or a zip and returns one Snapshot per org of type
`school`. The steps follow the order of the files (orgs, courses, classes, users, roles,
demographics, enrollments) and live beside this module: package.py, tables.py, values.py,
rows.py and snapshots.py; this docstring says what they decide together.

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
* The institution number is `org_map[sourcedId]`, else the org's `identifier` (as text, never
  padded: a Flemish institution number, or the number our own export wrote), else the org's
  `sourcedId` (an institution outside Flanders need not have a number).
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
import io
from pathlib import Path

from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.records import Snapshot

from .package import Package
from .rows import RowReader
from .snapshots import SnapshotBuilder
from .tables import Table, decode

# The files this importer reads; the rest of a set (gradebook, resources, userProfiles) is not
# needed for a snapshot and is not looked at.
READ_FILES = (
    "orgs.csv",
    "academicSessions.csv",
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


def parse_oneroster(path: Path | str, org_map: dict[str, str] | None = None) -> list[Snapshot]:
    """Read a OneRoster CSV set (folder or zip) into one Snapshot per school.

    `org_map` maps an org's sourcedId to the institution number to use for it.
    """
    with Package.open(Path(path)) as package:
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
    text = decode(path.name, data)
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


class _Parser(RowReader, SnapshotBuilder):
    """The steps in the order of the files: rows (rows.py), then snapshots (snapshots.py)."""

    def snapshots(self) -> list[Snapshot]:
        modes = self._modes()
        self.delta = "delta" in modes.values()
        tables = {name: self._table(name) for name in READ_FILES if modes[name] != "absent"}
        if "orgs.csv" in tables:
            self._orgs(tables["orgs.csv"])
        if "academicSessions.csv" in tables:
            self._sessions(tables["academicSessions.csv"])
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
            table = Table(manifest_name, self._text(manifest_name), {})
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
        return decode(name, data)

    def _table(self, canonical: str) -> Table:
        name = self.package.find(canonical)
        self.files[canonical] = name
        table = Table(name, self._text(name), ALIASES.get(canonical, {}))
        if self.delta:
            table.require("status")
        return table
