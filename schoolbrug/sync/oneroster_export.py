"""Write the registry as a OneRoster 1.2 CSV bulk set that others can read.

`export_oneroster(out_dir)` writes, per the binding (shared/oneroster/spec/csv-binding-1.2.md):
manifest.csv with all 21 `file.*` lines, and only the files that have rows (the others are
`absent` and not written): orgs, academicSessions, courses, classes, users, roles,
enrollments, demographics. Exact header order, `true`/`false` in lower case, dates
YYYY-MM-DD, blank status and dateLastModified, no line break inside a cell.

What it decides:

* Every sourcedId is our own `sourced_id` (never the ids a source gave us); the rows that have
  no entity of their own get an id made of what they stand for, the same in every export: a
  role is `<user>.<org>` (one per user and org, as the binding wants), a course, a teacher's
  enrollment and a leavers class not yet in the registry a uuid5.
* orgs: each institution is a `school` with `identifier` = its institution number; its board,
  when it has one, is the `district` parent.
* academicSessions: the school year, type `schoolYear`, `schoolYear` = the year it ends; every
  class's term is that school year.
* courses: one per curriculum per institution (title and courseCode = the curriculum); a class
  without curriculum (the leavers class) gets a course of its own titled with its code.
* classes: the active classes and the leavers class "Schoolverlaters" (written even when the
  registry has none yet), classType `homeroom` (a subclass: `scheduled`); `grades` as CEDS
  codes (primary year n → 0n, secondary stage s year y → 6 + 2(s-1) + y, kindergarten K0–K3 →
  IT/PS/PK/KG), the inverse of what sources/oneroster.py reads.
* users: pupils with an enrolment in an exported class (username = their sourcedId: no personal
  data in a login name) and teachers with a teacher assignment during the school year
  (username = e-mail). `userIds` holds `{RRN:…}` only with `with_national_number`; otherwise
  the national number is not even read from the database.
* roles: one `primary` row per user and institution. enrollments: the pupil's class (a leaver
  in the leavers class) and the teacher's classes; the first teacher of a class by name is
  `primary`. demographics: birthDate and sex (M/F/X → male/female/other) when known.

Speed: a handful of queries whatever the size (values() with joins, streamed with iterator),
each pupil row written to its four files in one pass. The set is written into a staging folder
inside `out_dir` and moved into place at the end, so a failed export leaves no half set; files
of an earlier export with the same names are replaced, and removed when now absent.

Delta (issue 9): `_Mode` already stamps every row; a `delta_since` option needs each query
filtered on `updated_at > since`, `_Mode(delta_since=...)`, and tobedeleted rows for what left.
"""

from __future__ import annotations

import csv
import datetime
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.db.models import Q
from django.utils import timezone

from schoolbrug.registry.models import (
    LEAVERS_CLASS_CODE,
    Assignment,
    Enrolment,
    Institution,
    SchoolClass,
    SchoolYear,
)

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
SEX = {"M": "male", "F": "female", "X": "other"}
KINDERGARTEN_GRADES = ("IT", "PS", "PK", "KG")  # K0..K3
# The namespace of the ids we derive (uuid5): never change it, or every derived id changes.
NAMESPACE = uuid.UUID("bbdb1210-eaa4-4eb0-b5c5-4898eb2db447")


def export_oneroster(
    out_dir: Path,
    institution_numbers: list[str] | None = None,
    with_national_number: bool = False,
    school_year: SchoolYear | int | None = None,
) -> list[Path]:
    """Write a OneRoster 1.2 bulk set of the registry into `out_dir`; return the files written
    (manifest.csv first).

    `institution_numbers`: only these institutions (default: all). `school_year`: a SchoolYear
    or its start year (default: the school year of today). Raises LookupError for an unknown
    institution number or school year.
    """
    year = _school_year(school_year)
    institutions = _institutions(institution_numbers)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".oneroster-", dir=out_dir))
    try:
        with _SetWriter(staging, _Mode()) as out:
            _Export(out, year, institutions, with_national_number).write()
        return _publish(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _school_year(school_year: SchoolYear | int | None) -> SchoolYear:
    if isinstance(school_year, SchoolYear):
        return school_year
    start = school_year
    if start is None:
        start = SchoolYear.start_year_for(timezone.localdate())
    try:
        return SchoolYear.objects.get(start_year=start)
    except SchoolYear.DoesNotExist:
        raise LookupError(f"school year {start}-{start + 1} is not in the registry") from None


def _institutions(numbers: list[str] | None) -> list[Institution]:
    institutions = Institution.objects.select_related("board").order_by("number")
    if numbers is None:
        return list(institutions)
    found = list(institutions.filter(number__in=numbers))
    if missing := sorted(set(numbers) - {i.number for i in found}):
        raise LookupError(f"institution not in the registry: {', '.join(missing)}")
    return found


def _publish(staging: Path, out_dir: Path) -> list[Path]:
    """Move the staged set into out_dir, removing files an earlier export left there."""
    for name in ("manifest", *MANIFEST_FILES):
        (out_dir / f"{name}.csv").unlink(missing_ok=True)
    paths = []
    for name in ("manifest", *MANIFEST_FILES):
        staged = staging / f"{name}.csv"
        if staged.exists():
            paths.append(Path(shutil.move(staged, out_dir / staged.name)))
    return paths


# --- writing -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Mode:
    """Bulk: status and dateLastModified blank. Delta (issue 9): stamped per row."""

    delta_since: datetime.datetime | None = None

    @property
    def name(self) -> str:
        return "bulk" if self.delta_since is None else "delta"

    def stamp(self, updated_at: datetime.datetime | None) -> tuple[str, str]:
        if self.delta_since is None:
            return ("", "")
        moment = (updated_at or timezone.now()).astimezone(datetime.UTC)
        return ("active", moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment:%f}"[:3] + "Z")


class _SetWriter:
    """Writes rows by column name in the binding's order; opens each file at its first row,
    so a file without rows is never written (it is `absent` in the manifest)."""

    def __init__(self, folder: Path, mode: _Mode) -> None:
        self.folder = folder
        self.mode = mode
        self.counts: dict[str, int] = {}
        self._files: dict[str, tuple] = {}

    def __enter__(self) -> _SetWriter:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        for handle, _, _ in self._files.values():
            handle.close()
        if exc_type is None:
            self._manifest()

    def row(self, file: str, updated_at: datetime.datetime | None, /, **cells: str) -> None:
        """One row of `file`; columns not given are blank, status/dateLastModified stamped."""
        if file not in self._files:
            handle = open(self.folder / f"{file}.csv", "w", encoding="utf-8", newline="")  # noqa: SIM115
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(HEADERS[file])
            self._files[file] = (handle, writer, frozenset(HEADERS[file]) - {"status"})
            self.counts[file] = 0
        _, writer, columns = self._files[file]
        if not cells.keys() <= columns:
            raise ValueError(f"{file}.csv has no column {sorted(cells.keys() - columns)}")
        status, modified = self.mode.stamp(updated_at)
        get = cells.get
        writer.writerow(
            (cells["sourcedId"], status, modified, *[get(c, "") for c in HEADERS[file][3:]])
        )
        self.counts[file] += 1

    def _manifest(self) -> None:
        with open(self.folder / "manifest.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(("propertyName", "value"))
            writer.writerow(("manifest.version", "1.0"))
            writer.writerow(("oneroster.version", "1.2"))
            for name in MANIFEST_FILES:
                mode = self.mode.name if name in self.counts else "absent"
                writer.writerow((f"file.{name}", mode))
            writer.writerow(("source.systemName", "Schoolbrug"))
            writer.writerow(("source.systemCode", "schoolbrug"))


def _text(value: str | None) -> str:
    """A cell of free text: no line break may be inside a cell."""
    if not value:
        return ""
    if "\n" in value or "\r" in value:
        return " ".join(value.split())
    return value


def _date(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


def _derived_id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def leavers_export_id(institution_id: str, school_year_id: str) -> str:
    return _derived_id("leavers", institution_id, school_year_id)


def course_export_id(
    institution_id: str, school_year_id: str, curriculum: str, class_id: str
) -> str:
    """The course of a class: one per curriculum per institution and year; a class without
    curriculum (the leavers class) has a course of its own."""
    if curriculum:
        return _derived_id("course", institution_id, school_year_id, curriculum)
    return _derived_id("class-course", class_id)


def grades_for(stage: str, year: int | None, years: Sequence[int] = ()) -> str:
    """The CEDS grades of a class: the inverse of sources.oneroster.levels_from_grades."""
    stage = (stage or "").strip().upper()
    grades = []
    for level in sorted(set(years) | ({year} if year is not None else set())):
        if stage == "NVT":
            if 0 <= level <= 3:
                grades.append(KINDERGARTEN_GRADES[level])
        elif stage.isdigit():
            grades.append(f"{6 + 2 * (int(stage) - 1) + level:02d}")
        elif level >= 1:
            grades.append(f"{level:02d}")
    return ",".join(grades)


@dataclass(slots=True)
class _Class:
    sourced_id: str
    institution: str  # the institution's sourced_id
    grades: str
    is_leavers: bool


class _Export:
    def __init__(
        self,
        out: _SetWriter,
        year: SchoolYear,
        institutions: list[Institution],
        with_national_number: bool,
    ) -> None:
        self.row = out.row
        self.stamped = out.mode.delta_since is not None
        self.year = year
        self.year_id = str(year.sourced_id)
        self.institutions = {i.pk: i for i in institutions}
        self.with_national_number = with_national_number
        self.classes: dict[int, _Class] = {}
        self.leavers: dict[str, _Class] = {}  # institution sourced_id → its leavers class
        self.courses: set[str] = set()

    def write(self) -> None:
        self._orgs()
        self._session()
        self._classes()
        self._pupils()
        self._teachers()

    def _orgs(self) -> None:
        boards = {}
        for institution in self.institutions.values():
            if institution.board_id is not None:
                boards.setdefault(institution.board_id, institution.board)
        for board in boards.values():
            self.row(
                "orgs",
                board.updated_at,
                sourcedId=str(board.sourced_id),
                name=_text(board.name),
                type="district",
                identifier=_text(board.number),
            )
        for institution in self.institutions.values():
            self.row(
                "orgs",
                institution.updated_at,
                sourcedId=str(institution.sourced_id),
                name=_text(institution.name),
                type="school",
                identifier=institution.number,
                parentSourcedId=str(institution.board.sourced_id) if institution.board_id else "",
            )

    def _session(self) -> None:
        year = self.year
        self.row(
            "academicSessions",
            year.updated_at,
            sourcedId=self.year_id,
            title=year.title,
            type="schoolYear",
            startDate=_date(year.start_date),
            endDate=_date(year.end_date),
            schoolYear=str(year.start_year + 1),
        )

    def _classes(self) -> None:
        rows = (
            SchoolClass.objects.filter(
                institution_id__in=self.institutions, school_year_id=self.year.pk
            )
            .filter(Q(is_active=True) | Q(is_leavers=True) | Q(code=LEAVERS_CLASS_CODE))
            .order_by("institution__number", "code")
            .values(
                "pk", "sourced_id", "updated_at", "institution_id", "code", "stage", "year",
                "years", "curriculum", "parent_id", "is_leavers",
            )
        )  # fmt: skip
        for row in rows:
            code = row["code"]
            is_leavers = row["is_leavers"] or code == LEAVERS_CLASS_CODE
            school = str(self.institutions[row["institution_id"]].sourced_id)
            grades = grades_for(row["stage"], row["year"], row["years"] or ())
            klass = _Class(str(row["sourced_id"]), school, grades, is_leavers)
            self.classes[row["pk"]] = klass
            if is_leavers:
                self.leavers.setdefault(school, klass)
            kind = "scheduled" if row["parent_id"] else "homeroom"  # a subclass is not a homeroom
            self._class_row(klass, code, row["curriculum"], row["updated_at"], kind)
        for institution in self.institutions.values():
            school = str(institution.sourced_id)
            if school not in self.leavers:  # not in the registry yet; the platform needs it
                klass = _Class(leavers_export_id(school, self.year_id), school, "", True)
                self.leavers[school] = klass
                self._class_row(klass, LEAVERS_CLASS_CODE, "", None, "homeroom")

    def _class_row(self, klass: _Class, code: str, curriculum: str, updated, kind: str) -> None:
        self.row(
            "classes",
            updated,
            sourcedId=klass.sourced_id,
            title=_text(code),
            grades=klass.grades,
            courseSourcedId=self._course(klass, curriculum, code),
            classCode=_text(code),
            classType=kind,
            schoolSourcedId=klass.institution,
            termSourcedIds=self.year_id,
        )

    def _course(self, klass: _Class, curriculum: str, code: str) -> str:
        """The course of a class (written at first use): per curriculum, else per class."""
        course_id = course_export_id(klass.institution, self.year_id, curriculum, klass.sourced_id)
        title, course_code = (curriculum, curriculum) if curriculum else (code, "")
        if course_id not in self.courses:
            self.courses.add(course_id)
            self.row(
                "courses",
                None,
                sourcedId=course_id,
                schoolYearSourcedId=self.year_id,
                title=_text(title),
                courseCode=_text(course_code),
                orgSourcedId=klass.institution,
            )
        return course_id

    def _pupils(self) -> None:
        columns = [
            "sourced_id", "school_class_id", "pupil__sourced_id", "pupil__given_name",
            "pupil__family_name", "pupil__email", "pupil__phone", "pupil__birth_date",
            "pupil__gender", "pupil__is_leaver",
        ]  # fmt: skip
        if self.with_national_number:
            columns.append("pupil__national_number")  # read only when it is exported
        if self.stamped:
            columns += ["updated_at", "pupil__updated_at"]  # bulk rows carry no dates
        enrolments = (
            Enrolment.objects.filter(
                school_year_id=self.year.pk, school_class__institution_id__in=self.institutions
            )
            .order_by("pk")
            .values_list(*columns)
        )
        row = self.row
        updated = pupil_updated = national = None
        for values in enrolments.iterator(chunk_size=10_000):
            enrolment, class_pk, pupil, given, family, email, phone, birth_date, gender = values[:9]
            klass = self.classes.get(class_pk)
            if klass is None:
                continue  # an inactive class
            if values[9] and not klass.is_leavers:  # a leaver is in the leavers class
                klass = self.leavers[klass.institution]
            if self.with_national_number:
                national = values[10]
            if self.stamped:
                updated, pupil_updated = values[-2:]
            pupil, school = str(pupil), klass.institution
            row(
                "users",
                pupil_updated,
                sourcedId=pupil,
                enabledUser="true",
                username=pupil,
                userIds=f"{{RRN:{national}}}" if national else "",
                givenName=_text(given),
                familyName=_text(family),
                email=_text(email),
                phone=_text(phone),
                grades=klass.grades,
                primaryOrgSourcedId=school,
            )
            row(
                "roles",
                pupil_updated,
                sourcedId=f"{pupil}.{school}",
                userSourcedId=pupil,
                roleType="primary",
                role="student",
                orgSourcedId=school,
            )
            row(
                "enrollments",
                updated,
                # User in class: a move is a new enrollment, and the id survives a re-import.
                sourcedId=_derived_id("enrollment", pupil, klass.sourced_id),
                classSourcedId=klass.sourced_id,
                schoolSourcedId=school,
                userSourcedId=pupil,
                role="student",
            )
            if birth_date or gender:
                row(
                    "demographics",
                    pupil_updated,
                    sourcedId=pupil,
                    birthDate=_date(birth_date),
                    sex=SEX.get(gender, ""),
                )

    def _teachers(self) -> None:
        year = self.year
        assignments = Assignment.objects.filter(
            institution_id__in=self.institutions,
            role=Assignment.Role.TEACHER,
            start_date__lte=year.end_date,
        ).filter(Q(end_date__isnull=True) | Q(end_date__gte=year.start_date))
        classes_of: dict[int, list[int]] = {}
        # By class code: the same set writes the same file, whatever order the rows are in.
        links = (
            Assignment.classes.through.objects.filter(assignment_id__in=assignments.values("pk"))
            .order_by("assignment_id", "schoolclass__code")
            .values_list("assignment_id", "schoolclass_id")
        )
        for assignment_pk, class_pk in links:
            classes_of.setdefault(assignment_pk, []).append(class_pk)
        rows = assignments.order_by(
            "staff__family_name", "staff__given_name", "staff_id", "institution__number"
        ).values_list(
            "pk", "institution_id", "start_date", "end_date", "staff__sourced_id",
            "staff__updated_at", "staff__email", "staff__given_name", "staff__family_name",
        )  # fmt: skip
        users: set[str] = set()
        roles: dict[tuple[str, str], list] = {}  # (staff, school) → [begin, end, updated]
        teaches: dict[tuple[str, str], str] = {}  # (staff, class) → school, in name order
        for pk, institution_pk, begin, end, staff, updated, email, given, family in rows:
            staff = str(staff)
            school = str(self.institutions[institution_pk].sourced_id)
            if staff not in users:  # the first institution by number is the primary org
                users.add(staff)
                self.row(
                    "users",
                    updated,
                    sourcedId=staff,
                    enabledUser="true",
                    username=_text(email),
                    givenName=_text(given),
                    familyName=_text(family),
                    email=_text(email),
                    primaryOrgSourcedId=school,
                )
            if (staff, school) in roles:
                known = roles[(staff, school)]
                known[0] = min(known[0], begin)
                known[1] = None if known[1] is None or end is None else max(known[1], end)
            else:
                roles[(staff, school)] = [begin, end, updated]
            for class_pk in classes_of.get(pk, ()):
                klass = self.classes.get(class_pk)
                if klass is not None and klass.institution == school:
                    teaches.setdefault((staff, klass.sourced_id), school)
        for (staff, school), (begin, end, updated) in roles.items():
            self.row(
                "roles",
                updated,
                sourcedId=f"{staff}.{school}",
                userSourcedId=staff,
                roleType="primary",
                role="teacher",
                beginDate=_date(begin),
                endDate=_date(end),
                orgSourcedId=school,
            )
        has_primary: set[str] = set()
        for (staff, class_id), school in teaches.items():
            self.row(
                "enrollments",
                None,
                sourcedId=_derived_id("enrollment", staff, class_id),
                classSourcedId=class_id,
                schoolSourcedId=school,
                userSourcedId=staff,
                role="teacher",
                primary="false" if class_id in has_primary else "true",
            )
            has_primary.add(class_id)
