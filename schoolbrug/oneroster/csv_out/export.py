"""Write the registry as a OneRoster 1.2 CSV set that others can read: bulk, or a delta of what
changed since a moment; into a folder or one zip file (files.py writes the files, teachers.py
the teachers' rows, values.py the cells and derived ids).

`export_oneroster(target)` writes orgs, academicSessions, courses, classes, users, roles,
enrollments and demographics, each only when it has rows (the others are `absent`).

What it decides:

* Every sourcedId is the record's outward id (registry/outward.py, written by outward.py): the
  sourcedId a OneRoster source gave it, else our own `sourced_id`; the rows that have no
  entity of their own get an id made of what they stand for, the same in every export: a
  role is `<user>.<org>` (one per user and org, as the binding wants), a course, an enrollment
  (user in class: a move is a new enrollment) and a leavers class not yet in the registry a
  uuid5 of our ids (a source's course or enrollment id where it gave one).
* orgs: each institution is a `school` with `identifier` = its institution number; its board,
  when it has one, is the `district` parent (identifier its number, else its sourcedId).
* academicSessions: the school year, type `schoolYear`, `schoolYear` = the year it ends, and
  each institution's terms (parent: the school year) and grading periods (parent: their term);
  a class runs in its institution's terms (sessions.py; the school year when it has none).
* courses: one per curriculum per institution (title and courseCode = the curriculum); a class
  without curriculum (the leavers class) gets a course of its own, title and courseCode its
  code.
* classes: the active classes and the leavers class "Schoolverlaters" (written even when the
  registry has none yet), classType `homeroom` (a subclass: `scheduled`); `grades` as CEDS
  codes (primary year n → 0n, secondary stage s year y → 6 + 2(s-1) + y, kindergarten K0–K3 →
  IT/PS/PK/KG), the inverse of what oneroster/csv_in/ reads.
* users: pupils with an enrolment in an exported class (username = their sourcedId: no personal
  data in a login name) and teachers with a teacher assignment during the school year
  (username = e-mail). `userIds` holds `{RRN:…}` only with `with_national_number`; otherwise
  the national number is not even read from the database.
* roles: one `primary` row per user and institution. enrollments: the pupil's class (a leaver
  in the leavers class), each subclass the pupil is a member of (a school's own group inside
  the class, sharing/subclasses.py), and the teacher's classes; the first teacher of a class
  by name is `primary`. demographics: birthDate and sex (M/F/X → male/female/other) when known.

A delta (`delta_since`) has the rows whose data changed after that moment, each with its
`dateLastModified` (the latest `updated_at` of what the row is made of) and `status`:

* a pupil's users, roles and demographics rows change with the pupil, their enrolment and their
  class (users.grades); the enrollment with the enrolment. A leaver (in the leavers class) is
  `tobedeleted` in all four, enabledUser `false`: never deleted here, gone for the reader.
* a pupil who changed class since (the history, audit `class` changes) has the enrollment in
  each class they left `tobedeleted`, so a reader does not keep them in two classes.
* classes change with their row (an inactive class is `tobedeleted`); a course with the classes
  that use it; orgs and the school year with their row.
* a subclass membership's enrollment changes with the membership: one that ended (the pupil
  left the class, the school took them out, or removed the subclass) is `tobedeleted`.
* a teacher's users row changes with the staff record and their assignments, a role with its
  assignments, a teaching enrollment with the assignments of every teacher of that class (one
  of them is `primary`). An assignment that no longer overlaps the school year and changed since
  has its role and enrollments `tobedeleted`, and the teacher too when nothing else is left.
* a teaching enrollment is a teaching link that counts on the year's day (today in the current
  year: `Teaching.active_on`); a bulk set has only those. In a delta a link that no longer
  counts (a source ended it, its assignment ended, its end date passed) is `tobedeleted`,
  its dateLastModified when it stopped counting; a teacher's users row changes with their
  links too.

Speed: a handful of queries whatever the size (values() with joins, streamed with iterator),
each pupil row written to its four files in one pass; a delta reads only the changed pupils.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from django.db.models import Q
from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import (
    LEAVERS_CLASS_CODE,
    Assignment,
    Enrolment,
    Institution,
    SchoolClass,
    SchoolYear,
    SubclassMembership,
)
from schoolbrug.registry.outward import OutwardIds
from schoolbrug.sources.records import COMBINED_CURRICULUM

from .details import Details, joined_user_ids, source_details
from .files import ACTIVE, DELETED, Mode, SetWriter, write_set
from .outward import OutwardCells
from .sessions import class_terms, write_sessions
from .teachers import Team
from .values import (
    LOCAL_ZONE,
    SEX,
    cell_date,
    cell_text,
    course_export_id,
    derived_id,
    grades_for,
    latest,
    leavers_export_id,
)


def export_oneroster(
    out_dir: Path,
    institution_numbers: list[str] | None = None,
    with_national_number: bool = False,
    school_year: SchoolYear | int | None = None,
    delta_since: datetime.datetime | None = None,
    with_references: bool = False,
) -> list[Path]:
    """Write a OneRoster 1.2 set of the registry into the folder `out_dir` and return the files
    written (manifest.csv first); a path ending in `.zip` becomes one zip file ([that file]).

    `institution_numbers`: only these institutions (default: all). `school_year`: a SchoolYear
    or its start year (default: the school year of today). `delta_since`: a delta of what
    changed after that moment (a naive datetime is Belgian time) instead of a bulk set;
    `with_references`: a delta with the unchanged org, class, course and session rows its rows
    name (files.py, references.py).
    Raises NotInRegistry (a LookupError) for an unknown institution number or school year.
    """
    year = _school_year(school_year)
    institutions = _institutions(institution_numbers)
    if delta_since is not None and timezone.is_naive(delta_since):
        delta_since = delta_since.replace(tzinfo=LOCAL_ZONE)
    mode = Mode(since=delta_since, with_references=with_references)

    def fill(out: SetWriter) -> None:
        out.outward = OutwardCells(OutwardIds.load([i.number for i in institutions]))
        _Export(out, year, institutions, with_national_number).write()

    return write_set(Path(out_dir), mode, fill)


def parse_moment(text: str) -> datetime.datetime:
    """`2026-09-01`, `2026-09-01T08:30`, `2026-09-01 08:30:00+02:00`, `…Z` → an aware datetime
    (a date is its first moment; without offset Belgian time). ValueError when unreadable."""
    text = text.strip()
    moment = datetime.datetime.fromisoformat(text)
    if len(text) == 10 and "T" not in text:  # a date alone: fromisoformat made it midnight
        moment = datetime.datetime.combine(moment.date(), datetime.time())
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=LOCAL_ZONE)
    return moment


class NotInRegistry(LookupError):
    """An institution or school year asked for that the registry does not hold."""

    def __init__(self, message_en: str, message_nl: str) -> None:
        super().__init__(message_en)
        self.message_nl = message_nl


def _school_year(school_year: SchoolYear | int | None) -> SchoolYear:
    if isinstance(school_year, SchoolYear):
        return school_year
    start = school_year
    if start is None:
        start = SchoolYear.start_year_for(timezone.localdate())
    try:
        return SchoolYear.objects.get(start_year=start)
    except SchoolYear.DoesNotExist:
        raise NotInRegistry(
            f"school year {start}-{start + 1} is not in the registry",
            f"schooljaar {start}-{start + 1} staat niet in het register",
        ) from None


def _institutions(numbers: list[str] | None) -> list[Institution]:
    institutions = Institution.objects.select_related("board").order_by("number")
    if numbers is None:
        return list(institutions)
    found = list(institutions.filter(number__in=numbers))
    if missing := sorted(set(numbers) - {i.number for i in found}):
        raise NotInRegistry(
            f"institution not in the registry: {', '.join(missing)}",
            f"instelling niet in het register: {', '.join(missing)}",
        )
    return found


@dataclass(slots=True)
class _Class:
    sourced_id: str
    institution: str  # the institution's sourced_id
    grades: str
    is_leavers: bool
    updated_at: datetime.datetime | None = None


@dataclass(slots=True)
class _Course:
    title: str
    course_code: str
    institution: str
    updated_at: datetime.datetime | None


class _Export:
    def __init__(
        self,
        out: SetWriter,
        year: SchoolYear,
        institutions: list[Institution],
        with_national_number: bool,
    ) -> None:
        self.row = out.row
        # Our ids a source gave ids of its own (registry/outward.py): an enrollment the source
        # named keeps its id, the others get the derived one.
        self.kept_ids = out.outward.ids if out.outward is not None else {}
        self.since = out.mode.since
        self.year = year
        self.year_id = str(year.sourced_id)
        self.institutions = {i.pk: i for i in institutions}
        self.with_national_number = with_national_number
        self.classes: dict[int, _Class] = {}  # the exported classes, by pk
        # Every subclass (removed ones too) → (its id, its school's id).
        self.subclass_ids: dict[int, tuple[str, str]] = {}
        self.leavers: dict[str, _Class] = {}  # institution sourced_id → its leavers class
        self.class_ids: dict[tuple[str, str], str] = {}  # (institution number, code) → class id
        self.courses: dict[str, _Course] = {}  # in order of first use
        self.details = Details((), None)  # what the sets said (read with the pupils)

    def write(self) -> None:
        self._orgs()
        self._session()
        self._classes()
        self._courses()
        self._pupils()
        self._members()
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
                name=cell_text(board.name),
                type="district",
                identifier=cell_text(board.number) or str(board.sourced_id),
            )
        for institution in self.institutions.values():
            self.row(
                "orgs",
                institution.updated_at,
                sourcedId=str(institution.sourced_id),
                name=cell_text(institution.name),
                type="school",
                identifier=institution.number,
                parentSourcedId=str(institution.board.sourced_id) if institution.board_id else "",
            )

    def _session(self) -> None:
        self.terms = write_sessions(self.row, self.year, self.institutions)
        self.class_terms = class_terms(
            SchoolClass.objects.filter(
                institution_id__in=self.institutions, school_year_id=self.year.pk
            ).values("sourced_id")
        )

    def _classes(self) -> None:
        rows = (
            SchoolClass.objects.filter(
                institution_id__in=self.institutions, school_year_id=self.year.pk
            )
            .order_by("institution__number", "code")
            .values(
                "pk", "sourced_id", "updated_at", "institution_id", "code", "stage", "year",
                "years", "curriculum", "parent_id", "is_leavers", "is_active",
            )
        )  # fmt: skip
        for row in rows:
            code = row["code"]
            institution = self.institutions[row["institution_id"]]
            # A source's combined group (EDEXML) has members as a subclass has, not a parent.
            is_group = row["parent_id"] is not None or row["curriculum"] == COMBINED_CURRICULUM
            if row["parent_id"] is None:  # what the sync's history names by code
                self.class_ids[(institution.number, code)] = str(row["sourced_id"])
            if is_group:
                self.subclass_ids[row["pk"]] = (str(row["sourced_id"]), str(institution.sourced_id))
            is_leavers = row["is_leavers"] or code == LEAVERS_CLASS_CODE
            school = str(institution.sourced_id)
            grades = grades_for(row["stage"], row["year"], row["years"] or ())
            klass = _Class(str(row["sourced_id"]), school, grades, is_leavers, row["updated_at"])
            status = ACTIVE
            if is_leavers:
                self.leavers.setdefault(school, klass)
            elif not row["is_active"]:
                status = DELETED  # in a delta; a bulk set leaves it out
            if status == ACTIVE:
                self.classes[row["pk"]] = klass
            kind = "scheduled" if is_group else "homeroom"  # a group is not a homeroom
            self._class_row(klass, code, row["curriculum"], kind, status)
        for institution in self.institutions.values():
            school = str(institution.sourced_id)
            if school not in self.leavers:  # not in the registry yet; the platform needs it
                klass = _Class(
                    leavers_export_id(school, self.year_id),
                    school,
                    "",
                    True,
                    institution.updated_at,
                )
                self.leavers[school] = klass
                self.class_ids[(institution.number, LEAVERS_CLASS_CODE)] = klass.sourced_id
                self._class_row(klass, LEAVERS_CLASS_CODE, "", "homeroom", ACTIVE)

    def _class_row(self, klass: _Class, code: str, curriculum: str, kind: str, status) -> None:
        self.row(
            "classes",
            klass.updated_at,
            status=status,
            sourcedId=klass.sourced_id,
            title=cell_text(code),
            grades=klass.grades,
            courseSourcedId=self._course(klass, curriculum, code, status == ACTIVE),
            classCode=cell_text(code),
            classType=kind,
            schoolSourcedId=klass.institution,
            termSourcedIds=self.class_terms.get(klass.sourced_id)
            or self.terms.get(klass.institution, self.year_id),
        )

    def _course(self, klass: _Class, curriculum: str, code: str, in_use: bool) -> str:
        """The course of a class, per curriculum, else per class; it changes with the classes
        that use it (a deleted class uses none)."""
        course_id = course_export_id(klass.institution, self.year_id, curriculum, klass.sourced_id)
        if in_use:
            # Title and courseCode (required by the official schema) never empty.
            title = course_code = curriculum or code
            course = self.courses.setdefault(
                course_id, _Course(title, course_code, klass.institution, klass.updated_at)
            )
            course.updated_at = latest(course.updated_at, klass.updated_at)
        return course_id

    def _courses(self) -> None:
        for course_id, course in self.courses.items():
            self.row(
                "courses",
                course.updated_at,
                sourcedId=course_id,
                schoolYearSourcedId=self.year_id,
                title=cell_text(course.title),
                courseCode=cell_text(course.course_code),
                orgSourcedId=course.institution,
            )

    def _pupils(self) -> None:
        columns = [
            "sourced_id", "school_class_id", "pupil__sourced_id", "pupil__given_name",
            "pupil__family_name", "pupil__email", "pupil__phone", "pupil__birth_date",
            "pupil__gender", "pupil__is_leaver",
        ]  # fmt: skip
        if self.with_national_number:
            columns.append("pupil__national_number")  # read only when it is exported
        enrolments = Enrolment.objects.filter(
            school_year_id=self.year.pk, school_class__institution_id__in=self.institutions
        )
        since = self.since
        details = self.details = source_details(enrolments, self.institutions, since)
        if since is not None:  # bulk rows carry no dates
            columns += ["updated_at", "pupil__updated_at"]
            enrolments = enrolments.filter(
                Q(updated_at__gt=since)
                | Q(pupil__updated_at__gt=since)
                | Q(school_class__updated_at__gt=since)
                # what the set said of them (username, enrollment dates) changed
                | Q(sourced_id__in=details.changed)
                | Q(pupil__sourced_id__in=details.changed)
            )
        left_classes = self._classes_left() if since is not None else {}
        row = self.row
        updated = changed = national = None
        status, enabled = ACTIVE, "true"
        for values in enrolments.order_by("pk").values_list(*columns).iterator(chunk_size=10_000):
            enrolment, class_pk, pupil, given, family, email, phone, birth_date, gender = values[:9]
            klass = self.classes.get(class_pk)
            if klass is None:
                continue  # an inactive class
            is_leaver = values[9]
            if is_leaver and not klass.is_leavers:  # a leaver is in the leavers class
                klass = self.leavers[klass.institution]
            if self.with_national_number:
                national = values[10]
            if since is not None:
                updated, pupil_updated = values[-2:]
                changed = latest(updated, pupil_updated, klass.updated_at)
                if is_leaver:
                    status, enabled = DELETED, "false"
                else:
                    status, enabled = ACTIVE, "true"
            username, user_ids = details.user(pupil)
            if since is not None:
                changed = latest(changed, details.moment(pupil), details.moment(enrolment))
            pupil, school = str(pupil), klass.institution
            row(
                "users",
                changed,
                status=status,
                sourcedId=pupil,
                enabledUser=enabled,
                username=cell_text(username) or pupil,
                userIds=joined_user_ids(user_ids, national),
                givenName=cell_text(given),
                familyName=cell_text(family),
                email=cell_text(email),
                phone=cell_text(phone),
                grades=klass.grades,
                primaryOrgSourcedId=school,
            )
            row(
                "roles",
                changed,
                status=status,
                sourcedId=f"{pupil}.{school}",
                userSourcedId=pupil,
                roleType="primary",
                role="student",
                orgSourcedId=school,
            )
            self.enrollment(pupil, klass.sourced_id, school, updated, status, own=enrolment)
            for class_id, moment in left_classes.get(pupil, {}).items():
                if class_id != klass.sourced_id:  # the classes the pupil left since
                    self.enrollment(pupil, class_id, school, moment, DELETED)
            if birth_date or gender:
                row(
                    "demographics",
                    changed,
                    status=status,
                    sourcedId=pupil,
                    birthDate=cell_date(birth_date),
                    sex=SEX.get(gender, ""),
                )

    def _members(self) -> None:
        """The pupils' subclasses: a current membership of a live subclass (in a delta also
        one ended since: `tobedeleted`, unless the pupil is a member again)."""
        memberships = SubclassMembership.objects.filter(
            subclass__school_year_id=self.year.pk,
            subclass__institution_id__in=self.institutions,
        )
        if self.since is None:
            memberships = memberships.filter(ended_at__isnull=True)
        else:
            memberships = memberships.filter(updated_at__gt=self.since)
        latest: dict[tuple[str, int], tuple] = {}  # (pupil, subclass) → (status, moment)
        rows = memberships.order_by("pk").values_list(
            "pupil__sourced_id", "subclass_id", "ended_at", "updated_at"
        )
        for pupil, subclass_pk, ended_at, updated_at in rows.iterator(chunk_size=10_000):
            status = ACTIVE if ended_at is None and subclass_pk in self.classes else DELETED
            key = (str(pupil), subclass_pk)
            if key not in latest or latest[key][0] == DELETED:
                latest[key] = (status, updated_at)
        for (pupil, subclass_pk), (status, updated_at) in latest.items():
            class_id, school = self.subclass_ids[subclass_pk]
            self.enrollment(pupil, class_id, school, updated_at, status)

    def enrollment(
        self,
        user: str,
        class_id: str,
        school: str,
        modified,
        status,
        role="student",
        primary="",
        own=None,
    ) -> None:
        """`own`: the id of the enrolment or teaching link the row stands for, under which a
        source's enrollment id is kept (the API's enrollment id)."""
        begin = end = None
        if own is not None and role == "student":
            begin, end = self.details.dates(own)
        own = str(own) if own is not None else None
        self.row(
            "enrollments",
            modified,
            status=status,
            # User in class: a move is a new enrollment, and the id survives a re-import;
            # the source's enrollment id where it gave one.
            sourcedId=own if own in self.kept_ids else derived_id("enrollment", user, class_id),
            classSourcedId=class_id,
            schoolSourcedId=school,
            userSourcedId=user,
            role=role,
            primary=primary,
            beginDate=cell_date(begin),
            endDate=cell_date(end),
        )

    def _classes_left(self) -> dict[str, dict[str, datetime.datetime]]:
        """Pupil id → {id of a class they left after the delta's moment: when}, from the
        history: every pupil entry whose `class` change starts in a class."""
        numbers = {i.number for i in self.institutions.values()}
        entries = AuditEntry.objects.filter(
            entity="pupil", at__gt=self.since, institution_number__in=numbers
        ).values_list("entity_sourced_id", "institution_number", "changes", "at")
        left: dict[str, dict[str, datetime.datetime]] = {}
        for pupil, number, changes, at in entries.iterator(chunk_size=10_000):
            before = (changes or {}).get("class") or [None]
            class_id = self.class_ids.get((number, before[0])) if before[0] else None
            if class_id is not None:
                moments = left.setdefault(str(pupil), {})
                moments[class_id] = max(at, moments.get(class_id, at))
        return left

    def _teachers(self) -> None:
        year = self.year
        teachers = Assignment.objects.filter(
            institution_id__in=self.institutions, role=Assignment.Role.TEACHER
        )
        current = teachers.filter(start_date__lte=year.end_date).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=year.start_date)
        )
        team = Team(self)
        team.read(current, ACTIVE)
        if self.since is not None:  # what no longer overlaps the year, and changed since
            team.read(
                teachers.exclude(pk__in=current.values("pk")).filter(updated_at__gt=self.since),
                DELETED,
            )
        team.write()
