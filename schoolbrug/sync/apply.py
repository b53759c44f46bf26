"""Carry a plan out: bulk statements, one transaction per institution, an audit entry per change."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.oneroster.csv_out.values import leavers_export_id
from schoolbrug.registry import payment_references
from schoolbrug.registry.models import (
    LEAVERS_CLASS_CODE,
    Enrolment,
    Institution,
    Pupil,
    SchoolClass,
    SchoolYear,
    SourceAlias,
)
from schoolbrug.registry.sessions import ensure_sessions
from schoolbrug.sources.findings import mask_national_number
from schoolbrug.staff.source_teachers import apply_staff

from . import bulk
from .extra_groups import apply_extra_groups
from .models import HeldLeaver, SyncRun
from .plan import ClassActionKind, Plan, PupilAction, PupilActionKind, record_values
from .signals import plans_applied
from .state import CLASS_FIELDS, PUPIL_FIELDS, InstitutionState
from .subclasses import end_memberships, rename_subclasses

Kind = PupilActionKind
AUDIT_ACTION = {
    Kind.CREATE: AuditEntry.Action.CREATE,
    Kind.MOVE: AuditEntry.Action.MOVE,
    Kind.UPDATE: AuditEntry.Action.UPDATE,
    Kind.LEAVE: AuditEntry.Action.LEAVE,
    Kind.RETURN: AuditEntry.Action.RETURN,
}
SCHOOL_YEAR_NAMESPACE = uuid.UUID("0b5d8e0e-6f0a-4c59-9a55-6d2f3b1f8a11")


def school_year_for(start_year: int) -> SchoolYear:
    # A school year is the same everywhere: its id is derived, so two databases (and an
    # export read back) agree on it.
    school_year, _ = SchoolYear.objects.get_or_create(
        start_year=start_year,
        defaults={"sourced_id": uuid.uuid5(SCHOOL_YEAR_NAMESPACE, str(start_year))},
    )
    return school_year


@dataclass(slots=True)
class PlanToApply:
    plan: Plan
    run: SyncRun  # saved: its id is the audit entries' reason
    state: InstitutionState  # what the plan was made from (ids of institution and classes)
    institution_name: str = ""
    institution_source_id: str = ""


def apply_plans(items: list[PlanToApply], school_year: SchoolYear) -> None:
    """Write many institutions' plans with one bulk statement per table, not per institution.

    A region night is thousands of small plans: per-institution statements would cost more
    than the changes themselves. The caller holds the transaction: all of it or nothing.
    """
    assert transaction.get_connection().in_atomic_block, "apply_plans needs a transaction"
    if not items:
        return
    contexts = [_Context(item, school_year) for item in items]
    _create_institutions(contexts)
    for context in contexts:
        context.free_subclass_codes()
    bulk.insert([row for c in contexts for row in c.new_classes()])
    bulk.update([row for c in contexts for row in c.changed_classes()], _CLASS_UPDATE)
    # Terms and grading periods: the defaults for a school that has set none this year.
    ensure_sessions([c.institution_pk for c in contexts], school_year)
    _release_changing_numbers(contexts)
    new_pupils = [(c, c.new_pupils()) for c in contexts]
    new_rows = [pupil for _, pupils in new_pupils for pupil, _ in pupils]
    # Every new pupil's payment reference, drawn and checked for all of them at once.
    references = payment_references.issue(len(new_rows))
    for row, reference in zip(new_rows, references, strict=True):
        row.structured_reference = reference
    bulk.insert(new_rows)
    enrolments, aliases = [], []
    for context, pupils in new_pupils:
        context.link_new_pupils(pupils, enrolments, aliases)
    changed = [c.changed_pupils() for c in contexts]
    bulk.update([p for rows in changed for p in rows.pupils], _PUPIL_UPDATE)
    bulk.update([e for rows in changed for e in rows.moved_enrolments], _ENROLMENT_UPDATE)
    enrolments += [e for rows in changed for e in rows.new_enrolments]
    bulk.insert(enrolments)
    _end_subclass_memberships(contexts, school_year)
    replaced = [a for rows in changed for a in rows.new_aliases]
    replaced += [a for c in contexts for a in c.class_aliases()]
    _drop_replaced_aliases(replaced)
    bulk.insert(aliases + replaced)
    for context in contexts:
        context.apply_staff()
        context.apply_extra_groups()
    _keep_held_leavers(contexts)
    bulk.insert([entry for c in contexts for entry in c.audit])
    # The contexts above the sync (the learning platform's seats) follow in this transaction.
    plans_applied.send(apply_plans, applied=[(c.institution_pk, c.run) for c in contexts])


_CLASS_UPDATE = (*CLASS_FIELDS, "is_active")
_PUPIL_UPDATE = (*PUPIL_FIELDS, "is_leaver", "origin", "national_number")
_ENROLMENT_UPDATE = ("school_class", "class_number")


def _release_changing_numbers(contexts: list[_Context]) -> None:
    """National numbers that change hands within a plan (two pupils swap them, or a new pupil
    takes one a known pupil gives up) are cleared first: the registry holds a number once per
    institution, and no statement of the writes below may find it twice. The planner made sure
    the numbers are unique once written."""
    pks = [
        action.state.pk
        for context in contexts
        for action in context.plan.pupil_actions
        if "national_number" in action.changes
        and action.kind in AUDIT_ACTION
        and action.state.national_number
    ]
    for start in range(0, len(pks), 500):
        Pupil.objects.filter(pk__in=pks[start : start + 500]).update(national_number=None)


def _keep_held_leavers(contexts: list[_Context]) -> None:
    """Remember the pupils held from leaving in a blackout period (blackout.py); forget the
    ones that left since, or are back in the export."""
    forget = [pk for c in contexts for pk in c.plan.held_before - c.plan.held_leavers]
    if forget:
        HeldLeaver.objects.filter(pupil_id__in=forget).delete()
    HeldLeaver.objects.bulk_create(
        HeldLeaver(pupil_id=pk, held_since=c.now, sync_run_id=c.run.pk)
        for c in contexts
        for pk in c.plan.held_leavers - c.plan.held_before
    )


def _end_subclass_memberships(contexts: list[_Context], school_year: SchoolYear) -> None:
    """A pupil who left a class leaves its subclasses the same night (sync/subclasses.py)."""
    by_pk = {c.institution_pk: c for c in contexts if c.state.pk is not None}
    if not by_pk:
        return
    for institution_pk, pupil, code in end_memberships(list(by_pk), school_year.pk):
        by_pk[institution_pk].record(
            "pupil", pupil, AuditEntry.Action.UPDATE, {"subclass": (code, None)}
        )


def _drop_replaced_aliases(aliases: list) -> None:
    """Before new aliases go in: the entity's earlier alias for the source, and an alias that
    gave the same id (in its scope) to another entity."""
    for source, kind in {(a.source, a.kind) for a in aliases}:
        mine = [a for a in aliases if (a.source, a.kind) == (source, kind)]
        same_id = Q(sourced_id__in=[a.sourced_id for a in mine])
        if kind != SourceAlias.Kind.PUPIL:  # a pupil's new id is new: no one else has it
            for scope in {a.scope for a in mine}:
                ids = [a.external_id for a in mine if a.scope == scope]
                same_id |= Q(scope=scope, external_id__in=ids)
        SourceAlias.objects.filter(same_id, source=source, kind=kind).delete()


def keep_institution_aliases(snapshots: list) -> None:
    """The source's org id of each institution synced, so that a later delta that names the
    school by id only (no orgs.csv) finds it. Kept once; an id already taken stays."""
    # Also an org id that is the institution's number (a school outside Flanders): the alias
    # is what the export names the school by (registry/outward.py).
    wanted = {
        (s.source, s.institution_number): s.institution_source_id
        for s in snapshots
        if s.institution_source_id
    }
    if not wanted:
        return
    numbers = {number for _, number in wanted}
    sourced_ids = dict(
        Institution.objects.filter(number__in=numbers).values_list("number", "sourced_id")
    )
    SourceAlias.objects.bulk_create(
        [
            SourceAlias(
                source=source,
                kind=SourceAlias.Kind.INSTITUTION,
                external_id=org,
                sourced_id=sourced_ids[number],
            )
            for (source, number), org in wanted.items()
            if number in sourced_ids and org != str(sourced_ids[number])
        ],
        ignore_conflicts=True,
    )


def keep_institution_countries(snapshots: list) -> None:
    """The country a source says an institution is in (an EDEXML file with a BRIN code is
    Dutch): its pages and reports use that country's words."""
    for country in {s.country for s in snapshots if s.country}:
        numbers = [s.institution_number for s in snapshots if s.country == country]
        Institution.objects.filter(number__in=numbers).exclude(country=country).update(
            country=country
        )


def _create_institutions(contexts: list[_Context]) -> None:
    new = [c for c in contexts if c.institution_pk is None]
    if not new:
        return
    rows = [
        Institution(
            number=c.plan.institution_number,
            name=c.item.institution_name or f"Instelling {c.plan.institution_number}",
        )
        for c in new
    ]
    _keep_source_uuids(Institution, rows, [_org_uuid(c) for c in new])
    bulk.insert(rows)
    for context, row in zip(new, rows, strict=True):
        context.institution_pk = row.pk
        context.institution_sourced_id = row.sourced_id


@dataclass(slots=True)
class _ChangedPupils:
    pupils: list[Pupil]
    moved_enrolments: list[Enrolment]
    new_enrolments: list[Enrolment]
    new_aliases: list[SourceAlias]


class _Context:
    """One institution's plan turned into rows; apply_plans writes them for all at once."""

    def __init__(self, item: PlanToApply, school_year: SchoolYear):
        self.item = item
        self.plan = item.plan
        self.state = item.state
        self.run = item.run
        self.school_year = school_year
        # Not written back to the state: should the transaction roll back, it stays true.
        self.institution_pk = item.state.pk
        self.institution_sourced_id = item.state.sourced_id
        self.now = timezone.now()
        self.audit: list = []  # bulk.new_row(AuditEntry)s
        self.class_pks = {code: c.pk for code, c in item.state.classes.items()}
        self.reason = f"synchronisatie {self.run.pk} ({self.plan.source})"
        self._new_classes: list[SchoolClass] = []
        # id(record) → (pk, sourced id) of each pupil this plan creates, once inserted.
        self.new_pupil_ids: dict[int, tuple[int, uuid.UUID]] = {}

    def record(self, entity: str, sourced_id, action: str, changes: dict) -> None:
        self.audit.append(
            bulk.new_row(
                AuditEntry,
                at=self.now,
                actor=self.run.started_by,
                reason=self.reason,
                sync_run_id=self.run.pk,
                institution_number=self.plan.institution_number,
                entity=entity,
                entity_sourced_id=sourced_id,
                action=action,
                changes=_json_changes(changes),
            )
        )

    # Classes -------------------------------------------------------------------------

    def free_subclass_codes(self) -> None:
        """A class the SIS now sends with a live subclass's code takes it; the subclass is
        renamed (sync/subclasses.py)."""
        if self.institution_pk is None or self.state.pk is None:
            return  # a new institution has no subclasses
        new_codes = {a.code for a in self.plan.class_actions if a.kind is ClassActionKind.CREATE}
        rename_subclasses(self.institution_pk, self.school_year.pk, new_codes, self.record)

    def new_classes(self) -> list[SchoolClass]:
        new, source_ids = [], []
        for action in self.plan.class_actions:
            if action.kind is ClassActionKind.CREATE:
                new.append(self._class(code=action.code, **_class_values(action.values)))
                source_ids.append(action.source_id)
        # Every institution has a leavers class (seed 000: "de klas Schoolverlaters").
        if LEAVERS_CLASS_CODE not in self.class_pks:
            new.append(
                self._class(
                    code=LEAVERS_CLASS_CODE,
                    is_leavers=True,
                    sourced_id=leavers_class_id(self.institution_sourced_id, self.school_year),
                )
            )
            source_ids.append("")
        _keep_source_uuids(SchoolClass, new, source_ids)
        for row in new:
            self.record(
                "class", row.sourced_id, AuditEntry.Action.CREATE, {"code": (None, row.code)}
            )
        self._new_classes = new
        return new

    def _class(self, **values) -> SchoolClass:
        return SchoolClass(
            institution_id=self.institution_pk, school_year_id=self.school_year.pk, **values
        )

    def changed_classes(self) -> list[SchoolClass]:
        self.class_pks.update({c.code: c.pk for c in self._new_classes})
        changed = []
        for action in self.plan.class_actions:
            if action.kind is ClassActionKind.CREATE:
                continue
            row = SchoolClass(pk=action.state.pk, **_class_values(action.values))
            row.is_active = action.kind is not ClassActionKind.DEACTIVATE
            changed.append(row)
            self.record("class", action.state.sourced_id, AuditEntry.Action.UPDATE, action.changes)
        return changed

    # Pupils --------------------------------------------------------------------------

    def new_pupils(self) -> list[tuple[Pupil, PupilAction]]:
        actions = [a for a in self.plan.pupil_actions if a.kind is Kind.CREATE]
        contact_source = self.state.contact_source
        pupils = [
            bulk.new_row(
                Pupil,
                institution_id=self.institution_pk,
                national_number=action.record.national_number or None,
                origin=self.plan.source,
                is_leaver=action.record.is_leaver,  # the source keeps them with its leavers
                **record_values(action.record, contact_source)._asdict(),
            )
            for action in actions
        ]
        _keep_source_uuids(Pupil, pupils, [a.record.source_id for a in actions])
        return list(zip(pupils, actions, strict=True))

    def link_new_pupils(self, pupils, enrolments: list, aliases: list) -> None:
        """Enrolments, aliases and audit of the pupils just inserted (their ids are known)."""
        for pupil, action in pupils:
            record = action.record
            self.new_pupil_ids[id(record)] = (pupil.pk, pupil.sourced_id)
            enrolments.append(self._enrolment(pupil.pk, action.class_code, action.class_number))
            if record.source_id:
                aliases.append(self._alias(pupil.sourced_id, record.source_id))
            self.record(
                "pupil",
                pupil.sourced_id,
                AuditEntry.Action.CREATE,
                {
                    "class": (None, record.class_code),
                    "class_number": (None, record.class_number),
                    "structured_reference": (None, pupil.structured_reference),
                },
            )

    def changed_pupils(self) -> _ChangedPupils:
        contact_source = self.state.contact_source
        result = _ChangedPupils([], [], [], [])
        for action in self.plan.pupil_actions:
            if action.kind not in AUDIT_ACTION or action.kind is Kind.CREATE:
                continue
            state = action.state
            pupil = Pupil(
                pk=state.pk,
                sourced_id=state.sourced_id,
                origin=state.origin,
                national_number=state.national_number,
            )
            values = record_values(action.record, contact_source) if action.record else state.values
            for name, value in values._asdict().items():
                setattr(pupil, name, value)
            pupil.is_leaver = action.kind is Kind.LEAVE
            if action.adopt:
                pupil.origin = self.plan.source
            if "national_number" in action.changes:
                pupil.national_number = action.record.national_number
            result.pupils.append(pupil)
            enrolment = self._enrolment(pupil.pk, action.class_code, action.class_number)
            if state.enrolment_pk is None:
                result.new_enrolments.append(enrolment)
            else:
                enrolment.pk = state.enrolment_pk
                result.moved_enrolments.append(enrolment)
            if "source_id" in action.changes and action.record.source_id:
                result.new_aliases.append(self._alias(state.sourced_id, action.record.source_id))
            changes = dict(action.changes)
            if action.adopt:
                changes["origin"] = (state.origin, self.plan.source)
            self.record("pupil", state.sourced_id, AUDIT_ACTION[action.kind], changes)
        return result

    def apply_staff(self) -> None:
        if not self.plan.staff:
            return
        apply_staff(
            self.plan.staff,
            source=self.plan.source,
            institution=Institution.objects.get(pk=self.institution_pk),
            school_year=self.school_year,
            class_pks=self.class_pks,
            record_audit=self.record,
            complete=not self.plan.is_delta,
        )

    def apply_extra_groups(self) -> None:
        if self.plan.extra_groups is None:
            return
        apply_extra_groups(
            self.plan.extra_groups,
            institution_pk=self.institution_pk,
            school_year_pk=self.school_year.pk,
            new_pupils=self.new_pupil_ids,
            record_audit=self.record,
        )

    def class_aliases(self) -> list:
        """The source's ids of classes it names that the registry does not have yet (after
        new_classes: new classes have their ids)."""
        sourced_ids = {code: c.sourced_id for code, c in self.state.classes.items()}
        sourced_ids.update({c.code: c.sourced_id for c in self._new_classes})
        return [
            bulk.new_row(
                SourceAlias,
                source=self.plan.source,
                scope=self.plan.institution_number,
                kind=SourceAlias.Kind.CLASS,
                external_id=external_id,
                sourced_id=sourced_ids[code],
            )
            for code, external_id in self.plan.class_aliases.items()
            if code in sourced_ids
        ]

    def _enrolment(self, pupil_pk: int, class_code: str, class_number: int | None) -> Enrolment:
        return bulk.new_row(
            Enrolment,
            pupil_id=pupil_pk,
            school_class_id=self.class_pks[class_code],
            school_year_id=self.school_year.pk,
            class_number=class_number,
        )

    def _alias(self, sourced_id: uuid.UUID, external_id: str) -> SourceAlias:
        return bulk.new_row(
            SourceAlias,
            source=self.plan.source,
            scope=self.plan.institution_number,
            kind=SourceAlias.Kind.PUPIL,
            external_id=external_id,
            sourced_id=sourced_id,
        )


def _class_values(values: tuple) -> dict:
    result = dict(zip(CLASS_FIELDS, values, strict=True))
    result["years"] = list(result["years"])
    return result


def leavers_class_id(institution_sourced_id: uuid.UUID, school_year: SchoolYear) -> uuid.UUID:
    """Derived, like the id an export gives a leavers class not yet in the registry, so
    that a OneRoster set read back names the same class."""
    return uuid.UUID(leavers_export_id(str(institution_sourced_id), str(school_year.sourced_id)))


# The namespace of an institution's id made from a OneRoster org's sourcedId. Never change it.
ORG_NAMESPACE = uuid.UUID("0c1f4e7a-5d2b-4b8e-9a63-7e2d1f8c4b90")


def _org_uuid(context: _Context) -> str:
    """The id a new institution gets from its org: the org's own when it is a UUID (our export
    read back), else one made of the source's org id, the same in every registry, so what we
    derive from the institution's id (its terms, its leavers class, its courses) comes out the
    same when our export of a source's set is read into an empty registry (issue 18, point 9)."""
    org = context.item.institution_source_id or ""
    try:
        return str(uuid.UUID(org))
    except ValueError:
        pass
    if org and context.plan.source == "oneroster":
        return str(uuid.uuid5(ORG_NAMESPACE, f"{context.plan.source}:{org}"))
    return org


def _keep_source_uuids(model, rows: list, source_ids: list[str]) -> None:
    """Where a source already names an entity with a UUID that is free here (a OneRoster set
    written by Schoolbrug), keep it as our `sourced_id`, so ids survive an export and re-import.
    The audit entries were made with the old ids, so this runs before them."""
    wanted = {}
    for row, source_id in zip(rows, source_ids, strict=True):
        try:
            wanted[uuid.UUID(source_id)] = row
        except (ValueError, AttributeError, TypeError):
            continue
    if not wanted:
        return
    taken = set(
        model.objects.filter(sourced_id__in=list(wanted)).values_list("sourced_id", flat=True)
    )
    for sourced_id, row in wanted.items():
        if sourced_id not in taken:
            row.sourced_id = sourced_id


def _json_changes(changes: dict) -> dict:
    """Audit values as JSON; a national number only masked, even in history."""
    result = {}
    for name, (old, new) in changes.items():
        if name == "national_number":
            old, new = mask_national_number(old or ""), mask_national_number(new or "")
        result[name] = [_json_value(old), _json_value(new)]
    return result


def _json_value(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value
