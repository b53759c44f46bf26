"""A OneRoster set's academic sessions kept as the institution's terms and grading periods
(AcademicSession) instead of our defaults (registry/sessions.py), after its sync applied:

* each term, semester and grading period of the set becomes one of the institution's sessions
  of the school year synced into, with the set's title, type, dates and parent (a grading
  period's term; a term's parent is the school year); the set's id is kept as its alias
  (registry/outward.py exports and serves it). Our own ids read back (our export) are the
  sessions' ids themselves, so reading our export back changes nothing.
* the set's school year becomes an alias of our school year (its title and dates stay ours:
  the register syncs into the school year it is told).
* our default sessions of the institution and year that the set does not name are removed
  (a school that speaks OneRoster has its own); a session made by hand stays.
* a class that runs in only some of the institution's terms (its `termSourcedIds`) keeps
  which (SourceDetails.terms); one that lists all of them, or none, runs in every term.

Sessions are few (a handful per institution): written row by row in bulk statements, each
change in the audit log under the run.
"""

from __future__ import annotations

import uuid

from django.utils import timezone

from schoolbrug.audit.changes import record_bulk
from schoolbrug.registry.models import (
    AcademicSession,
    Institution,
    SchoolClass,
    SchoolYear,
    SourceAlias,
    SourceDetails,
)
from schoolbrug.registry.models.sessions import TERM_KINDS
from schoolbrug.registry.sessions import SESSION_NAMESPACE

from .source_ids import records_by_external

Kind = SourceAlias.Kind
FIELDS = ("kind", "title", "start_date", "end_date", "parent")


def keep_source_sessions(applied: list[tuple], school_year: SchoolYear) -> None:
    """`applied`: (snapshot, its run's pk) of each applied run."""
    for snapshot, run_pk in applied:
        if any(s.kind != "schoolYear" for s in snapshot.sessions) or snapshot.class_terms:
            _keep(snapshot, school_year, run_pk)


def _our_ids(snapshot, institution: Institution, school_year: SchoolYear) -> dict:
    """The set's session id → ours: by its alias to a session of this institution and year;
    an id of ours read back (our export) where it names one of those or none at all; else one
    made of the institution's, the year's and the set's ids (the same in every register: a
    new school year gets sessions of its own, an alias only the first year)."""
    mine = set(
        AcademicSession.objects.filter(institution=institution, school_year=school_year)
        .values_list("sourced_id", flat=True)
    )  # fmt: skip
    known = dict(
        SourceAlias.objects.filter(
            source=snapshot.source, scope=snapshot.institution_number, kind=Kind.SESSION,
            sourced_id__in=mine,
        ).values_list("external_id", "sourced_id")
    )  # fmt: skip
    externals = {s.source_id for s in snapshot.sessions} | {
        term for terms in snapshot.class_terms.values() for term in terms
    }
    own = {}
    for external in externals - known.keys():
        try:
            own[external] = uuid.UUID(external)
        except ValueError:
            continue
    elsewhere = set(
        AcademicSession.objects.filter(sourced_id__in=set(own.values()))
        .exclude(sourced_id__in=mine)
        .values_list("sourced_id", flat=True)
    )  # fmt: skip
    ours = {}
    for external in externals:
        if external in known:
            ours[external] = known[external]
        elif external in own and own[external] not in elsewhere:
            ours[external] = own[external]
        else:
            name = f"{institution.sourced_id}/{school_year.sourced_id}/set/{external}"
            ours[external] = uuid.uuid5(SESSION_NAMESPACE, name)
    return ours


def _keep(snapshot, school_year: SchoolYear, run_pk: int) -> None:
    institution = Institution.objects.filter(number=snapshot.institution_number).first()
    if institution is None:
        return
    source, scope = snapshot.source, snapshot.institution_number
    ours = _our_ids(snapshot, institution, school_year)
    aliases = []
    for session in snapshot.sessions:
        if session.kind == "schoolYear":
            ours[session.source_id] = school_year.sourced_id
        if session.source_id != str(ours[session.source_id]):
            aliases.append(
                SourceAlias(source=source, scope=scope, kind=Kind.SESSION,
                            external_id=session.source_id, sourced_id=ours[session.source_id])
            )  # fmt: skip
    SourceAlias.objects.bulk_create(aliases, ignore_conflicts=True)
    sessions = [s for s in snapshot.sessions if s.kind != "schoolYear"]
    if sessions:
        # First: a default's title would keep the set's session of that title out.
        _remove_defaults(institution, school_year, {ours[s.source_id] for s in sessions})
        _write_sessions(institution, school_year, sessions, ours, run_pk, scope)
    _keep_class_terms(snapshot, institution, school_year, ours, run_pk)


def _write_sessions(institution, school_year, sessions, ours, run_pk, number) -> None:
    """Terms and semesters first, then grading periods (their parent must be there)."""
    existing = {
        s.sourced_id: s
        for s in AcademicSession.objects.filter(
            sourced_id__in=[ours[s.source_id] for s in sessions]
        )
    }
    pairs, now = [], timezone.now()
    for pass_kinds in (TERM_KINDS, (AcademicSession.Kind.GRADING_PERIOD,)):
        new, changed = [], []
        for session in (s for s in sessions if s.kind in pass_kinds):
            parent = existing.get(ours.get(session.parent_source_id))
            parent = parent if parent is not None and parent.kind in TERM_KINDS else None
            if session.kind in TERM_KINDS:
                parent = None  # its parent is the school year
            values = {
                "kind": session.kind,
                "title": session.title[:100],
                "start_date": session.start_date,
                "end_date": session.end_date,
                "parent": parent,
            }
            before = existing.get(ours[session.source_id])
            if before is None:
                after = AcademicSession(
                    sourced_id=ours[session.source_id], institution=institution,
                    school_year=school_year, **values,
                )  # fmt: skip
                new.append(after)
                pairs.append((None, after))
            elif (before.institution_id, before.school_year_id) == (institution.pk, school_year.pk):
                after = AcademicSession(
                    pk=before.pk, sourced_id=before.sourced_id, institution=institution,
                    school_year_id=before.school_year_id, updated_at=now, **values,
                )  # fmt: skip
                if any(getattr(after, f) != getattr(before, f) for f in FIELDS):
                    changed.append(after)
                    pairs.append((before, after))
                else:
                    after = before
            else:
                continue  # not this institution's and year's (_our_ids): never happens
            existing[after.sourced_id] = after
        AcademicSession.objects.bulk_create(new, ignore_conflicts=True)
        if changed:
            AcademicSession.objects.bulk_update(changed, [*FIELDS, "updated_at"])
        # The rows as stored (a parent needs its pk; a second writer's rows stand).
        stored = AcademicSession.objects.filter(sourced_id__in=[s.sourced_id for s in new])
        existing.update({s.sourced_id: s for s in stored})
    record_bulk(AcademicSession, pairs, sync_run_id=run_pk, institution_number=number)


def _remove_defaults(institution, school_year, named: set[uuid.UUID]) -> None:
    """Our default sessions (their ids are made of their title, registry/sessions.py) the
    set does not name: made by the sync in bulk, removed with it, not logged either."""
    defaults = []
    for session in AcademicSession.objects.filter(institution=institution, school_year=school_year):
        name = f"{institution.sourced_id}/{school_year.sourced_id}/{session.kind}/{session.title}"
        if (
            session.sourced_id == uuid.uuid5(SESSION_NAMESPACE, name)
            and session.sourced_id not in named
        ):
            defaults.append(session.pk)
    # Without signals, as they were made (the log follows the ORM's deletes): the grading
    # periods first, nothing else points to a session.
    children = AcademicSession.objects.filter(parent_id__in=defaults)
    children._raw_delete(children.db)
    made = AcademicSession.objects.filter(pk__in=defaults)
    made._raw_delete(made.db)


def _keep_class_terms(snapshot, institution, school_year, ours, run_pk) -> None:
    terms = list(
        AcademicSession.objects.filter(
            institution=institution, school_year=school_year, kind__in=TERM_KINDS
        ).values_list("sourced_id", flat=True)
    )
    classes = records_by_external(
        SchoolClass, snapshot.source, snapshot.institution_number, Kind.CLASS,
        set(snapshot.class_terms),
    )  # fmt: skip
    wanted = {}
    for class_id, listed in snapshot.class_terms.items():
        klass = classes.get(class_id)
        if klass is None or klass.institution_id != institution.pk:
            continue
        runs_in = [str(ours[t]) for t in listed if t in ours and ours[t] in terms]
        wanted[klass.sourced_id] = [] if set(runs_in) >= {str(t) for t in terms} else runs_in
    _store_class_terms(wanted, run_pk, snapshot.institution_number)


def _store_class_terms(wanted: dict, run_pk: int, number: str) -> None:
    known = {d.sourced_id: d for d in SourceDetails.objects.filter(sourced_id__in=list(wanted))}
    new, changed, pairs, now = [], [], [], timezone.now()
    for sourced_id, terms in wanted.items():
        before = known.get(sourced_id)
        if before is None:
            if terms:
                after = SourceDetails(
                    sourced_id=sourced_id, kind=SourceDetails.Kind.CLASS, terms=terms
                )
                new.append(after)
                pairs.append((None, after))
        elif before.terms != terms:
            after = SourceDetails(pk=before.pk, sourced_id=sourced_id, kind=before.kind,
                                  terms=terms, updated_at=now)  # fmt: skip
            changed.append(after)
            pairs.append((before, after))
    SourceDetails.objects.bulk_create(new, ignore_conflicts=True)
    if changed:
        SourceDetails.objects.bulk_update(changed, ["terms", "updated_at"])
    record_bulk(SourceDetails, pairs, sync_run_id=run_pk, institution_number=number)
