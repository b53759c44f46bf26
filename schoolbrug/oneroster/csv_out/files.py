"""The files of a OneRoster 1.2 CSV set, as the binding (shared/oneroster/spec/csv-binding-1.2.md)
wants them, written into a folder or one zip file.

`write_set(target, mode, fill)` calls `fill(writer)`, which adds rows by column name; the writer
opens a file at its first row (a file without rows is `absent` in the manifest and not written),
writes the header in the binding's order and case, and stamps `status` and `dateLastModified`:
blank in a bulk set; in a delta `active` (or the row's own `tobedeleted`) and the row's time in
UTC with milliseconds (`2025-01-01T00:00:00.000Z`), and a row that has not changed since the
delta's moment is left out. Then manifest.csv: `manifest.version,1.0`, `oneroster.version,1.2`
and all 21 `file.*` lines.

Nothing half written: the set is written into a staging folder first. A folder target gets the
files moved in at the end (files of an earlier export with the same names are replaced, and
removed when now absent; other files are left alone). A target ending in `.zip` gets one zip
file, written under a temporary name next to it and renamed into place, so an error leaves
neither a partial zip nor a changed earlier one.
"""

from __future__ import annotations

import csv
import datetime
import os
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .references import References

# The 21 files of a 1.2 set, in the binding's order.
MANIFEST_FILES = (
    "academicSessions",
    "categories",
    "classes",
    "classResources",
    "courses",
    "courseResources",
    "demographics",
    "enrollments",
    "lineItemLearningObjectiveIds",
    "lineItems",
    "lineItemScoreScales",
    "orgs",
    "resources",
    "resultLearningObjectiveIds",
    "results",
    "resultScoreScales",
    "roles",
    "scoreScales",
    "userProfiles",
    "userResources",
    "users",
)
# Header of each file we write, exactly as the binding has it.
HEADERS = {
    "academicSessions": (
        "sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate",
        "parentSourcedId", "schoolYear",
    ),
    "orgs": (
        "sourcedId", "status", "dateLastModified", "name", "type", "identifier",
        "parentSourcedId",
    ),
    "courses": (
        "sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title", "courseCode",
        "grades", "orgSourcedId", "subjects", "subjectCodes",
    ),
    "classes": (
        "sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId",
        "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects",
        "subjectCodes", "periods",
    ),
    "users": (
        "sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds",
        "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
        "agentSourcedIds", "grades", "password", "userMasterIdentifier", "preferredGivenName",
        "preferredMiddleName", "preferredFamilyName", "primaryOrgSourcedId", "pronouns",
    ),
    "roles": (
        "sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role",
        "beginDate", "endDate", "orgSourcedId", "userProfileSourcedId",
    ),
    "enrollments": (
        "sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
        "userSourcedId", "role", "primary", "beginDate", "endDate",
    ),
    "demographics": (
        "sourcedId", "status", "dateLastModified", "birthDate", "sex",
        "americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
        "nativeHawaiianOrOtherPacificIslander", "white", "demographicRaceTwoOrMoreRaces",
        "hispanicOrLatinoEthnicity", "countryOfBirthCode", "stateOfBirthAbbreviation",
        "cityOfBirth", "publicSchoolResidenceStatus",
    ),
}  # fmt: skip
ACTIVE, DELETED = "active", "tobedeleted"


@dataclass(frozen=True, slots=True)
class Mode:
    """Bulk (`since` None): status and dateLastModified blank, every row written. Delta: only
    rows changed after `since` (an aware datetime), stamped."""

    since: datetime.datetime | None = None
    # A delta that also has the unchanged org, class, course and session rows its rows name
    # (references.py), so that it stands on its own.
    with_references: bool = False

    @property
    def name(self) -> str:
        return "bulk" if self.since is None else "delta"

    @property
    def is_delta(self) -> bool:
        return self.since is not None

    def changed(self, modified: datetime.datetime | None) -> bool:
        return self.since is None or (modified is not None and modified > self.since)


def timestamp(moment: datetime.datetime) -> str:
    """A binding DateTime: UTC, milliseconds, `Z` (`2025-01-01T00:00:00.000Z`)."""
    moment = moment.astimezone(datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class SetWriter:
    """Writes rows by column name in the binding's order; opens each file at its first row,
    so a file without rows is never written (it is `absent` in the manifest)."""

    def __init__(self, folder: Path, mode: Mode) -> None:
        self.folder = folder
        self.mode = mode
        self.counts: dict[str, int] = {}
        self._files: dict[str, tuple] = {}
        self.references = References() if mode.is_delta and mode.with_references else None
        # Our ids → the ones written (outward.py); set by the export, none: ours as they are.
        self.outward: Callable[[str, dict], dict] | None = None

    def row(
        self,
        file: str,
        modified: datetime.datetime | None,
        /,
        status: str = ACTIVE,
        **cells: str,
    ) -> None:
        """One row of `file` (a delta leaves it out when `modified` is not after its moment);
        columns not given are blank."""
        if self.outward is not None:
            cells = self.outward(file, cells)
        mode = self.mode
        if status == DELETED and not mode.is_delta:
            return  # a bulk set has no deleted rows
        if not mode.changed(modified):
            if self.references is not None:
                self.references.hold(file, modified, status, cells)
            return  # unchanged since the delta's moment
        self._write(file, modified, status, cells)

    def add_references(self) -> None:
        """With references: the unchanged rows the written ones name (references.py)."""
        if self.references is not None:
            for file, modified, status, cells in self.references.missing():
                self._write(file, modified, status, cells, record=False)

    def _write(self, file: str, modified, status: str, cells: dict, record: bool = True) -> None:
        mode = self.mode
        if record and self.references is not None:
            self.references.wrote(file, cells)
        if file not in self._files:
            handle = open(self.folder / f"{file}.csv", "w", encoding="utf-8", newline="")  # noqa: SIM115
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(HEADERS[file])
            self._files[file] = (handle, writer, frozenset(HEADERS[file][3:]) | {"sourcedId"})
            self.counts[file] = 0
        _, writer, columns = self._files[file]
        if not cells.keys() <= columns:
            raise ValueError(f"{file}.csv has no column {sorted(cells.keys() - columns)}")
        stamp = (status, timestamp(modified)) if mode.is_delta else ("", "")
        get = cells.get
        writer.writerow((cells["sourcedId"], *stamp, *[get(c, "") for c in HEADERS[file][3:]]))
        self.counts[file] += 1

    def close(self) -> None:
        for handle, _, _ in self._files.values():
            handle.close()

    def write_manifest(self) -> None:
        with open(self.folder / "manifest.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(("propertyName", "value"))
            writer.writerow(("manifest.version", "1.0"))
            writer.writerow(("oneroster.version", "1.2"))
            for name in MANIFEST_FILES:
                writer.writerow(
                    (f"file.{name}", self.mode.name if name in self.counts else "absent")
                )
            writer.writerow(("source.systemName", "Schoolbrug"))
            writer.writerow(("source.systemCode", "schoolbrug"))


def is_zip_target(target: Path) -> bool:
    return target.suffix.lower() == ".zip"


def write_set(target: Path, mode: Mode, fill: Callable[[SetWriter], None]) -> list[Path]:
    """Write a set into the folder `target`, or into one zip file when its name ends in .zip;
    return the files written (manifest.csv first), or [the zip file]."""
    target = Path(target)
    as_zip = is_zip_target(target)
    if as_zip and target.is_dir():
        raise FileExistsError(f"{target} is a folder; a .zip target is written as one file")
    home = target.parent if as_zip else target
    home.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".oneroster-", dir=home))
    try:
        writer = SetWriter(staging, mode)
        try:
            fill(writer)
            writer.add_references()
        finally:
            writer.close()
        writer.write_manifest()
        if as_zip:
            return [_publish_zip(staging, target)]
        return _publish_folder(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _staged(staging: Path) -> list[Path]:
    return [p for name in ("manifest", *MANIFEST_FILES) if (p := staging / f"{name}.csv").exists()]


def _publish_folder(staging: Path, out_dir: Path) -> list[Path]:
    """Move the staged set into out_dir, removing files an earlier export left there."""
    for name in ("manifest", *MANIFEST_FILES):
        (out_dir / f"{name}.csv").unlink(missing_ok=True)
    return [Path(shutil.move(staged, out_dir / staged.name)) for staged in _staged(staging)]


def _publish_zip(staging: Path, target: Path) -> Path:
    """Zip the staged set (files at the root, manifest first) under a temporary name next to
    `target`, then rename it into place: readers never see a half-written zip."""
    temporary = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    try:
        with (
            open(temporary, "xb") as handle,
            zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive,
        ):
            for path in _staged(staging):
                archive.write(path, arcname=path.name)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target
