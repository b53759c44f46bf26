"""A OneRoster set's ids of what the registry derives, kept as aliases after its sync applied
(registry/outward.py then exports and serves them):

* a class's course: our course is one per curriculum per institution and school year
  (`course_export_id`); the set's course id of a class it names becomes that course's alias,
  the first one given winning (two of the set's courses with one title are one of ours).
* an enrollment: a pupil's enrolment in their class, a teacher's teaching link; the set's
  enrollment id becomes its alias. A pupil in several of the set's classes is enrolled in one
  (Schoolbrug keeps one class per pupil): the other enrollments have nothing to be kept on.

Our own ids read back (our export) make no alias: the id is the record's already, or it is
the enrollment id our export derives, which it derives again. Kept once: an alias the record
or id already has stays (a later set's other id for the same record is not taken).
"""

from __future__ import annotations

import uuid

from schoolbrug.oneroster.csv_out.values import course_export_id, derived_id
from schoolbrug.registry.models import (
    Enrolment,
    Institution,
    Pupil,
    SchoolClass,
    SchoolYear,
    SourceAlias,
    Staff,
    Teaching,
)

Kind = SourceAlias.Kind


def keep_source_ids(snapshots: list, school_year: SchoolYear) -> None:
    for snapshot in snapshots:
        if snapshot.course_ids or snapshot.enrollment_ids:
            _keep(snapshot, school_year)


def _keep(snapshot, school_year: SchoolYear) -> None:
    institution = Institution.objects.filter(number=snapshot.institution_number).first()
    if institution is None:
        return
    source, scope = snapshot.source, snapshot.institution_number
    classes = records_by_external(SchoolClass, source, scope, Kind.CLASS, _class_ids(snapshot))
    classes = {
        external: klass
        for external, klass in classes.items()
        if klass.institution_id == institution.pk and klass.school_year_id == school_year.pk
    }
    users = {user for user, _ in snapshot.enrollment_ids}
    pupils = records_by_external(Pupil, source, scope, Kind.PUPIL, users)
    staff = records_by_external(Staff, source, "", Kind.STAFF, users)
    aliases = []
    for class_id, course_id in snapshot.course_ids.items():
        klass = classes.get(class_id)
        if klass is None or not course_id:
            continue
        ours = course_export_id(
            str(institution.sourced_id),
            str(school_year.sourced_id),
            klass.curriculum,
            str(klass.sourced_id),
        )
        aliases.append((Kind.COURSE, course_id, ours))
    enrolments = {
        pupil_pk: (class_pk, sourced_id)
        for pupil_pk, class_pk, sourced_id in Enrolment.objects.filter(
            school_year=school_year, pupil__in=[p.pk for p in pupils.values()]
        ).values_list("pupil_id", "school_class_id", "sourced_id")
    }
    links = {
        (staff_pk, class_pk): sourced_id
        for staff_pk, class_pk, sourced_id in Teaching.objects.filter(
            assignment__staff__in=[s.pk for s in staff.values()],
            assignment__institution=institution,
            schoolclass__in=[c.pk for c in classes.values()],
        ).values_list("assignment__staff_id", "schoolclass_id", "sourced_id")
    }
    for (user, class_id), enrollment_id in snapshot.enrollment_ids.items():
        klass = classes.get(class_id)
        if klass is None:
            continue
        pupil, person = pupils.get(user), staff.get(user)
        if pupil is not None and enrolments.get(pupil.pk, (None,))[0] == klass.pk:
            ours = enrolments[pupil.pk][1]
            derived = derived_id("enrollment", pupil.sourced_id, klass.sourced_id)
        elif person is not None and (person.pk, klass.pk) in links:
            ours = links[(person.pk, klass.pk)]
            derived = derived_id("enrollment", person.sourced_id, klass.sourced_id)
        else:
            continue
        if enrollment_id.lower() != derived:
            aliases.append((Kind.ENROLLMENT, enrollment_id, ours))
    _insert(source, scope, aliases)


def _class_ids(snapshot) -> set[str]:
    return set(snapshot.course_ids) | {class_id for _, class_id in snapshot.enrollment_ids}


def records_by_external(model, source: str, scope: str, kind: str, externals: set[str]) -> dict:
    """The source's id → our record, by alias or by our own id read back."""
    externals = {e for e in externals if e}
    if not externals:
        return {}
    by_alias = dict(
        SourceAlias.objects.filter(
            source=source, scope=scope, kind=kind, external_id__in=externals
        ).values_list("external_id", "sourced_id")
    )
    own = {}
    for external in externals - by_alias.keys():
        try:
            own[external] = uuid.UUID(external)
        except ValueError:
            continue
    wanted = {**own, **by_alias}
    found = {r.sourced_id: r for r in model.objects.filter(sourced_id__in=set(wanted.values()))}
    return {external: found[sid] for external, sid in wanted.items() if sid in found}


def _insert(source: str, scope: str, aliases: list[tuple[str, str, object]]) -> None:
    """New aliases, not for a record that has one of its kind from the source already, nor
    for an id that is our record's own."""
    ours = {uuid.UUID(str(sid)) for _, _, sid in aliases}
    taken = set(
        SourceAlias.objects.filter(source=source, sourced_id__in=ours).values_list(
            "sourced_id", flat=True
        )
    )
    rows, seen = [], set()
    for kind, external, sourced_id in aliases:
        sourced_id = uuid.UUID(str(sourced_id))
        if sourced_id in taken or sourced_id in seen or external == str(sourced_id):
            continue
        seen.add(sourced_id)
        rows.append(
            SourceAlias(
                source=source, scope=scope, kind=kind, external_id=external, sourced_id=sourced_id
            )
        )
    SourceAlias.objects.bulk_create(rows, ignore_conflicts=True)
