"""The files of a OneRoster set, in order (orgs, courses, classes, users, roles, demographics,
enrollments): each table's rows checked and kept, a defective row skipped with a finding; which
org a reference names (school, other, deleted, or in a delta one from an earlier set) and who
leaves in a delta."""

from __future__ import annotations

from collections import Counter

from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.records import ClassRecord, SessionRecord

from .state import ClassEntry, ParseState, SchoolEntry
from .tables import Table
from .values import (
    LEAVERS_CLASS_CODE,
    first_missing,
    is_deleted,
    levels_from_grades,
    parse_date,
    split_ids,
)

# academicSessions.csv types, as the registry keeps them (AcademicSession.Kind; the school
# year is the registry's own SchoolYear).
SESSION_TYPES = {
    "schoolyear": "schoolYear",
    "term": "term",
    "semester": "semester",
    "gradingperiod": "gradingPeriod",
}


class RowReader(ParseState):
    def _orgs(self, table: Table) -> None:
        table.require("sourcedId", "name", "type")
        rows = list(table.rows("sourcedId", "status", "name", "type", "identifier"))
        counts = Counter(row.sourcedId for row in rows)
        for row in rows:
            where = {"file": table.file, "line": row.line}
            if missing := first_missing(sourcedId=row.sourcedId, type=row.type):
                self._report("ONEROSTER_VALUE_MISSING", None, field=missing, value=missing, **where)
            elif counts[row.sourcedId] > 1:
                self._report(
                    "ONEROSTER_ID_DUPLICATE", None, field="sourcedId", value=row.sourcedId, **where
                )
            elif is_deleted(row.status):
                self.deleted_orgs.add(row.sourcedId)
            elif row.type.lower() == "school":
                self.schools[row.sourcedId] = SchoolEntry(row.sourcedId, row.name, row.identifier)
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

    def _sessions(self, table: Table) -> None:
        """The set's academic sessions, kept as the institution's terms instead of our default
        ones (sync/source_sessions.py); a row without id, title, known type or readable dates
        is skipped with a finding."""
        table.require("sourcedId", "title", "type", "startDate", "endDate")
        columns = ("sourcedId", "status", "title", "type", "startDate", "endDate")
        for row in table.rows(*columns, "parentSourcedId"):
            if is_deleted(row.status):
                continue
            kind = SESSION_TYPES.get(row.type.lower())
            start, end = parse_date(row.startDate), parse_date(row.endDate)
            missing = first_missing(sourcedId=row.sourcedId, title=row.title, type=kind or "")
            if not missing:
                missing = first_missing(startDate=start or "", endDate=end or "")
            if missing:
                field = "type" if missing == "type" and row.type else missing
                self._report(
                    "ONEROSTER_VALUE_MISSING", None, file=table.file, line=row.line,
                    field=field, value=field,
                )  # fmt: skip
                continue
            self.sessions.append(
                SessionRecord(
                    row.sourcedId, row.title, kind, start, end, row.parentSourcedId, row.line
                )
            )

    def _courses(self, table: Table) -> None:
        table.require("sourcedId", "title")
        rows = list(table.rows("sourcedId", "status", "title", "courseCode", "grades"))
        counts = Counter(row.sourcedId for row in rows)
        for row in rows:
            if not row.sourcedId or is_deleted(row.status):
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

    def _classes(self, table: Table) -> None:
        table.require("sourcedId", "title", "courseSourcedId", "schoolSourcedId")
        rows = list(
            table.rows(
                "sourcedId", "status", "title", "grades", "courseSourcedId", "classCode",
                "classType", "schoolSourcedId", "termSourcedIds",
            )
        )  # fmt: skip
        counts = Counter(row.sourcedId for row in rows)
        for row in rows:
            if is_deleted(row.status):
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
            self.course_ids[school][row.sourcedId] = course
            if row.termSourcedIds:
                self.class_terms[row.sourcedId] = tuple(split_ids(row.termSourcedIds))
            self.classes[row.sourcedId] = ClassEntry(
                school, record, row.classType.lower() == "homeroom"
            )

    def _class_problem(self, row, code: str, state: str, count: int) -> tuple | None:
        """(rule, field, value, scope) of the first defect of a class row, or None."""
        school, course = row.schoolSourcedId, row.courseSourcedId
        missing = first_missing(
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

    def _users(self, table: Table) -> None:
        table.require("sourcedId", "givenName", "familyName")
        legacy = table.has("role")  # 1.0 / 1.1: orgSourcedIds and role in users.csv
        if legacy:
            table.require("orgSourcedIds")
        rows = list(
            table.rows(
                "sourcedId", "status", "givenName", "familyName", "email", "phone", "userIds",
                "primaryOrgSourcedId", "orgSourcedIds", "role", "username",
            )
        )  # fmt: skip
        counts = Counter(row.sourcedId for row in rows)
        for row in rows:
            orgs = split_ids(row.orgSourcedIds if legacy else row.primaryOrgSourcedId)
            where = {"file": table.file, "line": row.line}
            if not row.sourcedId:
                self._report(
                    "ONEROSTER_VALUE_MISSING", orgs, field="sourcedId", value="sourcedId", **where
                )
                continue
            role = row.role.lower() if legacy else ""
            self.user_orgs[row.sourcedId].extend((org, role) for org in orgs)
            if is_deleted(row.status):
                self.deleted_users.add(row.sourcedId)
                self.deleted_user_rows[row.sourcedId] = row
            elif counts[row.sourcedId] > 1:
                self.bad_users.add(row.sourcedId)
                self._report(
                    "ONEROSTER_ID_DUPLICATE", orgs, field="sourcedId", value=row.sourcedId, **where
                )
            else:
                self.users[row.sourcedId] = row

    def _roles(self, table: Table) -> None:
        table.require("userSourcedId", "role", "orgSourcedId")
        columns = ("status", "userSourcedId", "role", "orgSourcedId", "beginDate")
        for row in table.rows(*columns):
            role, org, user = row.role.lower(), row.orgSourcedId, row.userSourcedId
            if not user or not org:
                continue  # nothing to attach it to; only a teacher's role is read from here
            if is_deleted(row.status):
                self.ended_roles[user].append((org, role))  # in a delta: left that org
            else:
                self.user_orgs[user].append((org, role))
                if role == "teacher" and (begin := parse_date(row.beginDate)):
                    self.role_begins[(user, org)] = begin

    def _demographics(self, table: Table) -> None:
        table.require("sourcedId")
        for row in table.rows("sourcedId", "status", "birthDate", "sex"):
            if row.sourcedId:
                deleted = is_deleted(row.status)
                kept = self.deleted_demographics if deleted else self.demographics
                kept[row.sourcedId] = (row.sex, row.birthDate)

    def _enrollments(self, table: Table) -> None:
        table.require("classSourcedId", "schoolSourcedId", "userSourcedId", "role")
        columns = ("status", "classSourcedId", "schoolSourcedId", "userSourcedId", "role")
        extra = ("primary", "sourcedId", "beginDate", "endDate")
        for order, row in enumerate(table.rows(*columns, *extra)):
            klass, user, role = row.classSourcedId, row.userSourcedId, row.role.lower()
            known = self.classes.get(klass)
            school = known.school if known else self.bad_classes.get(klass) or row.schoolSourcedId
            if role == "student" and user:
                self.enrolled_students[school].add(user)
            if is_deleted(row.status):
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
            elif role in ("student", "teacher"):
                if row.sourcedId:  # kept as the enrollment's id (Snapshot.enrollment_ids)
                    self.enrollment_ids[school].setdefault((user, klass), row.sourcedId)
                if role == "student":
                    dates = (parse_date(row.beginDate), parse_date(row.endDate))
                    if dates != (None, None):  # kept as the enrolment's (Snapshot)
                        self.enrollment_dates[school].setdefault((user, klass), dates)
                    homeroom = known.homeroom if known else False
                    rank = (not homeroom, row.primary.lower() != "true", order)
                    self.students[school].setdefault(user, []).append((rank, klass))
                else:
                    self.teachers[school].setdefault(user, []).append(klass)

    def _enrollment_problem(self, klass: str, user: str, role: str, known, school: str):
        """None (read it), "skip", "left" (in the leavers class), "withhold" (another row's
        finding says why) or the (field, value) of a finding: value == field for a missing
        value, else the id."""
        if missing := first_missing(classSourcedId=klass, userSourcedId=user, role=role):
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
