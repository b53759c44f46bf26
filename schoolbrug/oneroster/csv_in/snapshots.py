"""The canonical records a OneRoster set describes: per school a Snapshot with its classes,
pupils (numbered 1..n per class: OneRoster has no class numbers), leavers and staff; in a delta
what the set does not carry for a pupil is named in `kept_fields`."""

from __future__ import annotations

from collections import defaultdict, namedtuple

from schoolbrug.sources.records import PupilRecord, Snapshot, StaffRecord

from .state import ParseState, SchoolEntry
from .values import (
    GENDERS,
    LEAVERS_CLASS_CODE,
    first_missing,
    national_number_from_user_ids,
    parse_date,
)

SOURCE = "oneroster"

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


class SnapshotBuilder(ParseState):
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

    def _snapshot(self, school: SchoolEntry, classes_known: bool) -> Snapshot:
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
        # Not only Flemish 6-digit numbers: our own export writes whatever number the
        # institution has (an earlier source's id too), and reading it back must give it again.
        number = school.identifier.strip() or sid
        users_file = self.files.get("users.csv", "users.csv")
        staff = self._staff(sid)
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
            staff=staff,
            withheld_source_ids=frozenset(withheld),
            class_numbers_generated=True,
            course_ids=dict(self.course_ids[sid]),
            enrollment_ids=dict(self.enrollment_ids[sid]),
            user_details=self._user_details(pupils, staff),
            enrollment_dates=dict(self.enrollment_dates[sid]),
            sessions=list(self.sessions),
            class_terms={c: t for c, t in self.class_terms.items() if self._class_of(c, sid)},
        )

    def _class_of(self, class_id: str, school: str) -> bool:
        entry = self.classes.get(class_id)
        return entry is not None and entry.school == school

    def _user_details(self, pupils: list[PupilRecord], staff: list[StaffRecord]) -> dict:
        """User id → (username, userIds) of each pupil and teacher whose row the set has."""
        details = {}
        for user_id in [p.source_id for p in pupils] + [s.source_id for s in staff]:
            user = self.users.get(user_id) or self.deleted_user_rows.get(user_id)
            if user is not None:
                details[user_id] = (user.username.strip(), user.userIds.strip())
        return details

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
        elif missing := first_missing(givenName=user.givenName, familyName=user.familyName):
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
            birth_date=parse_date(raw_birth),
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
                    begin_date=self.role_begins.get((user_id, school)),
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
_NO_USER = namedtuple("NoUser", "line givenName familyName email phone userIds username")(
    0, "", "", "", "", "", ""
)


def _number_pupils(pupils: list[PupilRecord]) -> None:
    """1..n per class by family name, given name and source id (OneRoster has no numbers)."""
    by_class: dict[str, list[PupilRecord]] = defaultdict(list)
    for pupil in pupils:
        by_class[pupil.class_source_id].append(pupil)
    for members in by_class.values():
        members.sort(key=lambda p: (p.family_name.casefold(), p.given_name.casefold(), p.source_id))
        for number, pupil in enumerate(members, start=1):
            pupil.class_number = number
