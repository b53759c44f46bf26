"""What a OneRoster set says that the registry does not model itself, kept as the set gave it
(registry SourceDetails) after its sync applied, so that our export and API give it back:

* a user's `username` and `userIds` (a pupil or a teacher whose users row the set has);
  `userIds` without a national number (that one stays on the pupil, shown only where the
  protocol allows, sources/ keep reading it from the cell);
* a pupil's enrollment `beginDate` and `endDate`, on their enrolment when it is in the class
  the enrollment names (one class per pupil: the other enrollments have nothing to keep on).

Only what differs from what we write ourselves is kept (a pupil's username is their id, a
teacher's their e-mail; no userIds, no enrollment dates), so reading our own export back
keeps nothing and changes nothing. A users row without them empties what was kept; a delta
that has no row for a user leaves theirs alone. Each change is in the audit log.
"""

from __future__ import annotations

import uuid

from django.utils import timezone

from schoolbrug.audit.changes import record_bulk
from schoolbrug.oneroster.csv_in.values import NATIONAL_NUMBER_TYPES, USER_ID
from schoolbrug.registry.models import (
    Enrolment,
    Pupil,
    SchoolClass,
    SchoolYear,
    SourceAlias,
    SourceDetails,
    Staff,
)

from .source_ids import records_by_external

Kind = SourceAlias.Kind
FIELDS = ("username", "user_ids", "begin_date", "end_date")


def user_ids_kept(cell: str) -> str:
    """`{Local:863},{RRN:…}` → `{Local:863}`: the ids of a userIds cell but national numbers."""
    return ",".join(
        f"{{{kind}:{value}}}"
        for kind, value in USER_ID.findall(cell)
        if kind.lower() not in NATIONAL_NUMBER_TYPES
    )


def keep_source_details(applied: list[tuple], school_year: SchoolYear) -> None:
    """`applied`: (snapshot, its run's pk) of each applied run; the entries are the run's."""
    for snapshot, run_pk in applied:
        if snapshot.user_details or snapshot.enrollment_dates:
            _keep(snapshot, school_year, run_pk)


def _keep(snapshot, school_year: SchoolYear, run_pk: int) -> None:
    source, scope = snapshot.source, snapshot.institution_number
    users = set(snapshot.user_details) | {user for user, _ in snapshot.enrollment_dates}
    pupils = records_by_external(Pupil, source, scope, Kind.PUPIL, users)
    staff = records_by_external(Staff, source, "", Kind.STAFF, users)
    wanted: dict[uuid.UUID, dict] = {}
    for user, (username, user_ids) in snapshot.user_details.items():
        pupil, person = pupils.get(user), staff.get(user)
        record = pupil or person
        if record is None:
            continue
        ours = {user, str(record.sourced_id)}  # what we write as a pupil's username
        if person is not None and pupil is None and person.email:
            ours = {user, str(record.sourced_id), person.email}
        wanted[record.sourced_id] = {
            "kind": SourceDetails.Kind.USER,
            "username": "" if username in ours else username,
            "user_ids": user_ids_kept(user_ids),
        }
    if snapshot.enrollment_dates:
        wanted.update(_enrolment_dates(snapshot, school_year, pupils))
    _store(wanted, run_pk, snapshot.institution_number)


def _enrolment_dates(snapshot, school_year: SchoolYear, pupils: dict) -> dict:
    source, scope = snapshot.source, snapshot.institution_number
    class_ids = {class_id for _, class_id in snapshot.enrollment_dates}
    classes = records_by_external(SchoolClass, source, scope, Kind.CLASS, class_ids)
    enrolments = {
        pupil_pk: (class_pk, sourced_id)
        for pupil_pk, class_pk, sourced_id in Enrolment.objects.filter(
            school_year=school_year, pupil__in=[p.pk for p in pupils.values()]
        ).values_list("pupil_id", "school_class_id", "sourced_id")
    }
    wanted = {}
    for (user, class_id), (begin, end) in snapshot.enrollment_dates.items():
        pupil, klass = pupils.get(user), classes.get(class_id)
        if pupil is None or klass is None:
            continue
        class_pk, enrolment = enrolments.get(pupil.pk, (None, None))
        if class_pk == klass.pk:
            wanted[enrolment] = {
                "kind": SourceDetails.Kind.ENROLLMENT,
                "begin_date": begin,
                "end_date": end,
            }
    return wanted


def _store(wanted: dict[uuid.UUID, dict], run_pk: int, number: str) -> None:
    """Create what is new (not when empty), update what changed; one audit entry each."""
    if not wanted:
        return
    known = {d.sourced_id: d for d in SourceDetails.objects.filter(sourced_id__in=list(wanted))}
    new, changed, pairs = [], [], []
    now = timezone.now()
    for sourced_id, values in wanted.items():
        before = known.get(sourced_id)
        if before is None:
            if any(values.get(name) for name in FIELDS):
                details = SourceDetails(sourced_id=sourced_id, **values)
                new.append(details)
                pairs.append((None, details))
            continue
        after = SourceDetails(pk=before.pk, sourced_id=sourced_id, kind=before.kind)
        for name in FIELDS:
            setattr(after, name, values.get(name, getattr(before, name)))
        if any(getattr(after, n) != getattr(before, n) for n in FIELDS):
            after.updated_at = now  # bulk_update does not set it
            changed.append(after)
            pairs.append((before, after))
    # Two writers at once: the second one's new rows are skipped (the first one's stand).
    SourceDetails.objects.bulk_create(new, ignore_conflicts=True)
    if changed:
        SourceDetails.objects.bulk_update(changed, [*FIELDS, "updated_at"])
    record_bulk(SourceDetails, pairs, sync_run_id=run_pk, institution_number=number)
