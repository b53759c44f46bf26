"""The teachers of an export: their users rows, one role per teacher and institution, and an
enrollment per class taught, read from the assignments and their teaching links."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone

from schoolbrug.registry.models import Teaching

from .files import ACTIVE, DELETED
from .values import LOCAL_ZONE, cell_date, cell_text, latest

if TYPE_CHECKING:
    from .export import _Export


@dataclass(slots=True)
class Person:
    email: str
    given: str
    family: str
    school: str  # primary org: the first institution by number
    updated_at: datetime.datetime | None
    status: str


class Team:
    """The teachers of the export: users, one role per teacher and institution, an enrollment
    per class taught, read from the assignments and written once each.

    A class taught is a teaching link that counts on the year's day (Teaching.active_on:
    today in the current year); in a delta, a link that no longer counts is `tobedeleted`,
    stamped with when it stopped counting."""

    def __init__(self, export: _Export) -> None:
        self.export = export
        self.day = export.year.day_within(timezone.localdate())
        self.now = timezone.now()
        self.users: dict[str, Person] = {}  # in name order
        self.roles: dict[tuple[str, str], list] = {}  # (staff, school) → [begin, end, upd, status]
        self.teaches: dict[tuple[str, str], list] = {}  # (staff, class) → [school, upd, status]

    def _links(
        self, assignments, status: str
    ) -> dict[int, list[tuple[int, datetime.datetime, str]]]:
        """Assignment pk → [(class pk, when the link last changed, its status)]: a link of a
        current assignment is active when it counts on the day, else (a delta only) deleted."""
        links = Teaching.objects.filter(assignment_id__in=assignments.values("pk"))
        active = set()
        if status == ACTIVE and self.export.since is None:  # a bulk set: only those
            links = links.active_on(self.day)
            active = None
        elif status == ACTIVE:
            active = set(links.active_on(self.day).values_list("pk", flat=True))
        rows = links.order_by("assignment_id", "schoolclass__code").values_list(
            "pk", "assignment_id", "schoolclass_id", "updated_at", "start_date", "end_date",
            "assignment__start_date", "assignment__end_date", "sourced_id",
        )  # fmt: skip
        by_assignment: dict[int, list] = {}
        for pk, assignment_pk, class_pk, updated, *bounds, link_id in rows:
            moment = latest(updated, *self._turns(*bounds))
            by_assignment.setdefault(assignment_pk, []).append(
                (class_pk, moment, ACTIVE if active is None or pk in active else DELETED, link_id)
            )
        return by_assignment

    def _turns(self, start, end, assignment_start, assignment_end):
        """The moments a link began or stopped counting by its dates alone (the first moment
        of its first day, of the day after its last), those that have passed."""
        days = [start, assignment_start]
        days += [d + datetime.timedelta(days=1) for d in (end, assignment_end) if d is not None]
        for day in days:
            if day is not None and day <= self.day:
                moment = datetime.datetime.combine(day, datetime.time(), tzinfo=LOCAL_ZONE)
                if moment <= self.now:
                    yield moment

    def read(self, assignments, status: str) -> None:
        export = self.export
        # By class code: the same set writes the same file, whatever order the rows are in.
        links = self._links(assignments, status)
        rows = assignments.order_by(
            "staff__family_name", "staff__given_name", "staff_id", "institution__number"
        ).values_list(
            "pk", "institution_id", "start_date", "end_date", "updated_at", "staff__sourced_id",
            "staff__updated_at", "staff__email", "staff__given_name", "staff__family_name",
        )  # fmt: skip
        for pk, institution_pk, begin, end, updated, staff, staff_updated, *person in rows:
            staff = str(staff)
            school = str(export.institutions[institution_pk].sourced_id)
            taught = links.get(pk, ())
            changed = latest(updated, *(moment for _, moment, _, _ in taught))
            known = self.users.get(staff)
            if known is None:
                self.users[staff] = Person(*person, school, latest(staff_updated, changed), status)
            elif known.status == status:
                known.updated_at = latest(known.updated_at, changed)
            role = self.roles.get((staff, school))
            if role is None:
                self.roles[(staff, school)] = [begin, end, updated, status]
            elif role[3] == status:
                role[0] = min(role[0], begin)
                role[1] = None if role[1] is None or end is None else max(role[1], end)
                role[2] = latest(role[2], updated)
            for class_pk, moment, link_status, link_id in taught:
                klass = export.classes.get(class_pk)
                if klass is None or klass.institution != school:
                    continue
                moment = latest(updated, moment)
                row = self.teaches.get((staff, klass.sourced_id))
                if row is None or (row[2] == DELETED and link_status == ACTIVE):
                    self.teaches[(staff, klass.sourced_id)] = [school, moment, link_status, link_id]
                elif row[2] == link_status:
                    row[1] = latest(row[1], moment)

    def write(self) -> None:
        row = self.export.row
        for staff, person in self.users.items():
            kept = uuid.UUID(staff)
            username, user_ids = self.export.details.user(kept)
            row(
                "users",
                # a delta has the row when what the set said of them changed too
                latest(person.updated_at, self.export.details.moment(kept)),
                status=person.status,
                sourcedId=staff,
                enabledUser="true" if person.status == ACTIVE else "false",
                # The set's username where it gave its own; no e-mail: the id.
                username=cell_text(username or person.email or str(staff)),
                userIds=user_ids,
                givenName=cell_text(person.given),
                familyName=cell_text(person.family),
                email=cell_text(person.email),
                primaryOrgSourcedId=person.school,
            )
        for (staff, school), (begin, end, updated, status) in self.roles.items():
            row(
                "roles",
                updated,
                status=status,
                sourcedId=f"{staff}.{school}",
                userSourcedId=staff,
                roleType="primary",
                role="teacher",
                beginDate=cell_date(begin),
                endDate=cell_date(end),
                orgSourcedId=school,
            )
        # Which teacher is primary depends on every teacher of the class: its enrollments
        # change together (a link that ended included). An ended one has its own moment.
        class_updated: dict[str, datetime.datetime | None] = {}
        for (_, class_id), (_, updated, _, _) in self.teaches.items():
            class_updated[class_id] = latest(class_updated.get(class_id), updated)
        has_primary: set[str] = set()
        for (staff, class_id), (school, updated, status, link_id) in self.teaches.items():
            primary = "false"
            if status == ACTIVE and class_id not in has_primary:
                primary = "true"
                has_primary.add(class_id)
            moment = class_updated[class_id] if status == ACTIVE else updated
            self.export.enrollment(
                staff, class_id, school, moment, status, "teacher", primary, own=link_id
            )
