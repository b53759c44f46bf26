"""What the reader has learnt from a set so far: the schools, courses, classes, users, roles
and enrollments each file added, and the findings; shared by the row readers (rows.py) and the
snapshot builder (snapshots.py), which the parser (reader.py) joins."""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from schoolbrug.sources.findings import Finding, make_finding
from schoolbrug.sources.records import ClassRecord

from .package import Package


@dataclass(slots=True)
class ClassEntry:
    school: str
    record: ClassRecord
    homeroom: bool


@dataclass(slots=True)
class SchoolEntry:
    source_id: str
    name: str = ""
    identifier: str = ""


class ParseState:
    def __init__(self, package: Package, org_map: dict[str, str]) -> None:
        self.package = package
        self.org_map = org_map
        self.hash = hashlib.sha256()
        self.files: dict[str, str] = {}  # canonical name → name in the package
        self.reported: list[tuple[frozenset[str] | None, Finding]] = []
        self.schools: dict[str, SchoolEntry] = {}
        self.other_orgs: set[str] = set()
        self.deleted_orgs: set[str] = set()
        self.courses: dict[str, tuple[str, str]] = {}  # id → (curriculum, grades)
        self.bad_courses: set[str] = set()
        self.classes: dict[str, ClassEntry] = {}
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
        self.role_begins: dict[tuple[str, str], datetime.date] = {}  # (teacher, school)
        self.ended_roles: dict[str, list[tuple[str, str]]] = defaultdict(list)  # deleted roles
        self.leavers_classes: dict[str, str] = {}  # class id → school
        # school → {class id: course id} and {(user, class): enrollment id}: the set's ids of
        # what the registry derives (Snapshot.course_ids, enrollment_ids).
        self.course_ids: dict[str, dict[str, str]] = defaultdict(dict)
        self.enrollment_ids: dict[str, dict[tuple[str, str], str]] = defaultdict(dict)
        # school → {(student, class): (beginDate, endDate)} as the set gives them.
        self.enrollment_dates: dict[str, dict[tuple[str, str], tuple]] = defaultdict(dict)
        self.sessions: list = []  # SessionRecord, in file order
        self.class_terms: dict[str, tuple[str, ...]] = {}  # class id → termSourcedIds
        # school → {user in its leavers class: that class's id}
        self.left: dict[str, dict[str, str]] = defaultdict(dict)
        self.enrolled_students: dict[str, set[str]] = defaultdict(
            set
        )  # any student row, any status

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
            self.schools[org] = SchoolEntry(org)
            return "school"
        return "unknown"
