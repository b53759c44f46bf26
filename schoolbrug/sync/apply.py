"""Carry a plan out: bulk statements, one transaction per institution, an audit entry per change."""

from __future__ import annotations

import datetime
import uuid

from django.db import transaction
from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import (
    LEAVERS_CLASS_CODE,
    Enrolment,
    Institution,
    Pupil,
    SchoolClass,
    SchoolYear,
    SourceAlias,
)
from schoolbrug.sources.findings import mask_national_number

from . import bulk
from .models import SyncRun
from .oneroster_export import leavers_export_id
from .plan import ClassActionKind, Plan, PupilAction, PupilActionKind, record_values
from .staff import apply_staff
from .state import CLASS_FIELDS, PUPIL_FIELDS

Kind = PupilActionKind
AUDIT_ACTION = {
    Kind.CREATE: AuditEntry.Action.CREATE,
    Kind.MOVE: AuditEntry.Action.MOVE,
    Kind.UPDATE: AuditEntry.Action.UPDATE,
    Kind.LEAVE: AuditEntry.Action.LEAVE,
    Kind.RETURN: AuditEntry.Action.RETURN,
}
BATCH = 2000
SCHOOL_YEAR_NAMESPACE = uuid.UUID("0b5d8e0e-6f0a-4c59-9a55-6d2f3b1f8a11")


def school_year_for(start_year: int) -> SchoolYear:
    # A school year is the same everywhere: its id is derived, so two databases (and an
    # export read back) agree on it.
    school_year, _ = SchoolYear.objects.get_or_create(
        start_year=start_year,
        defaults={"sourced_id": uuid.uuid5(SCHOOL_YEAR_NAMESPACE, str(start_year))},
    )
    return school_year


def apply_plan(
    plan: Plan,
    run: SyncRun,
    school_year: SchoolYear,
    *,
    institution_name: str = "",
    institution_source_id: str = "",
) -> None:
    """Write the plan. The caller holds the transaction: all of it or nothing."""
    assert transaction.get_connection().in_atomic_block, "apply_plan needs a transaction"
    context = _Context(
        plan, run, school_year, _institution(plan, institution_name, institution_source_id)
    )
    context.apply_classes()
    context.apply_pupils()
    apply_staff(
        plan.staff,
        source=plan.source,
        institution=context.institution,
        school_year=school_year,
        class_pks=context.class_pks,
        record_audit=context.record,
    )
    bulk.insert(context.audit)


def _institution(plan: Plan, name: str, source_id: str) -> Institution:
    institution = Institution.objects.filter(number=plan.institution_number).first()
    if institution is None:
        institution = Institution(
            number=plan.institution_number, name=name or f"Instelling {plan.institution_number}"
        )
        _keep_source_uuids(Institution, [institution], [source_id])
        institution.save()
    return institution


class _Context:
    def __init__(self, plan: Plan, run: SyncRun, school_year: SchoolYear, institution):
        self.plan = plan
        self.run = run
        self.school_year = school_year
        self.institution = institution
        self.now = timezone.now()
        self.audit: list[AuditEntry] = []
        self.class_pks: dict[str, int] = {}

    def record(self, entity: str, sourced_id, action: str, changes: dict) -> None:
        self.audit.append(
            AuditEntry(
                at=self.now,
                actor=self.run.started_by,
                reason=f"synchronisatie {self.run.pk} ({self.plan.source})",
                sync_run=self.run,
                institution_number=self.plan.institution_number,
                entity=entity,
                entity_sourced_id=sourced_id,
                action=action,
                changes=_json_changes(changes),
            )
        )

    # Classes -------------------------------------------------------------------------

    def apply_classes(self) -> None:
        existing = SchoolClass.objects.filter(
            institution=self.institution, school_year=self.school_year
        )
        self.class_pks = dict(existing.values_list("code", "pk"))
        new = []
        new_source_ids = []
        changed = []
        for action in self.plan.class_actions:
            values = dict(zip(CLASS_FIELDS, action.values, strict=True))
            values["years"] = list(values["years"])
            if action.kind is ClassActionKind.CREATE:
                new.append(
                    SchoolClass(
                        institution=self.institution,
                        school_year=self.school_year,
                        code=action.code,
                        **values,
                    )
                )
                new_source_ids.append(action.source_id)
            else:
                row = SchoolClass(pk=action.state.pk, **values)
                row.is_active = action.kind is not ClassActionKind.DEACTIVATE
                changed.append(row)
                self.record(
                    "class", action.state.sourced_id, AuditEntry.Action.UPDATE, action.changes
                )
        # Every institution has a leavers class (seed 000: "de klas Schoolverlaters").
        if LEAVERS_CLASS_CODE not in self.class_pks:
            new.append(
                SchoolClass(
                    institution=self.institution,
                    school_year=self.school_year,
                    code=LEAVERS_CLASS_CODE,
                    is_leavers=True,
                    sourced_id=leavers_class_id(self.institution, self.school_year),
                )
            )
            new_source_ids.append("")
        _keep_source_uuids(SchoolClass, new, new_source_ids)
        SchoolClass.objects.bulk_create(new, batch_size=BATCH)
        for row in new:
            self.record(
                "class", row.sourced_id, AuditEntry.Action.CREATE, {"code": (None, row.code)}
            )
        SchoolClass.objects.bulk_update(changed, [*CLASS_FIELDS, "is_active"], batch_size=BATCH)
        self.class_pks.update({c.code: c.pk for c in new})

    # Pupils --------------------------------------------------------------------------

    def apply_pupils(self) -> None:
        actions = [a for a in self.plan.pupil_actions if a.kind in AUDIT_ACTION]
        self._create_pupils([a for a in actions if a.kind is Kind.CREATE])
        self._change_pupils([a for a in actions if a.kind is not Kind.CREATE])

    def _create_pupils(self, actions: list[PupilAction]) -> None:
        contact_source = self.institution.contact_source
        pupils = []
        for action in actions:
            record = action.record
            values = dict(zip(PUPIL_FIELDS, record_values(record, contact_source), strict=True))
            pupils.append(
                Pupil(
                    institution=self.institution,
                    national_number=record.national_number or None,
                    origin=self.plan.source,
                    **values,
                )
            )
        _keep_source_uuids(Pupil, pupils, [a.record.source_id for a in actions])
        bulk.insert(pupils)
        enrolments = []
        aliases = []
        for action, pupil in zip(actions, pupils, strict=True):
            record = action.record
            enrolments.append(self._enrolment(pupil.pk, action.class_code, action.class_number))
            if record.source_id:
                aliases.append(self._alias(pupil.sourced_id, record.source_id))
            self.record(
                "pupil",
                pupil.sourced_id,
                AuditEntry.Action.CREATE,
                {"class": (None, record.class_code), "class_number": (None, record.class_number)},
            )
        bulk.insert(enrolments)
        bulk.insert(aliases)

    def _change_pupils(self, actions: list[PupilAction]) -> None:
        contact_source = self.institution.contact_source
        pupils = []
        new_enrolments = []
        moved_enrolments = []
        new_aliases = []
        for action in actions:
            state = action.state
            pupil = Pupil(
                pk=state.pk,
                sourced_id=state.sourced_id,
                origin=state.origin,
                national_number=state.national_number,
                is_leaver=state.is_leaver,
            )
            values = record_values(action.record, contact_source) if action.record else state.values
            for name, value in zip(PUPIL_FIELDS, values, strict=True):
                setattr(pupil, name, value)
            pupil.is_leaver = action.kind is Kind.LEAVE
            if action.adopt:
                pupil.origin = self.plan.source
            if "national_number" in action.changes:
                pupil.national_number = action.record.national_number
            pupils.append(pupil)
            enrolment = self._enrolment(pupil.pk, action.class_code, action.class_number)
            if state.enrolment_pk is None:
                new_enrolments.append(enrolment)
            else:
                enrolment.pk = state.enrolment_pk
                moved_enrolments.append(enrolment)
            if "source_id" in action.changes and action.record.source_id:
                new_aliases.append(self._alias(state.sourced_id, action.record.source_id))
            changes = dict(action.changes)
            if action.adopt:
                changes["origin"] = (state.origin, self.plan.source)
            self.record("pupil", state.sourced_id, AUDIT_ACTION[action.kind], changes)
        Pupil.objects.bulk_update(
            pupils, [*PUPIL_FIELDS, "is_leaver", "origin", "national_number"], batch_size=BATCH
        )
        Enrolment.objects.bulk_update(
            moved_enrolments, ["school_class", "class_number"], batch_size=BATCH
        )
        Enrolment.objects.bulk_create(new_enrolments, batch_size=BATCH)
        if new_aliases:
            SourceAlias.objects.filter(
                source=self.plan.source,
                kind=SourceAlias.Kind.PUPIL,
                sourced_id__in=[a.sourced_id for a in new_aliases],
            ).delete()
            SourceAlias.objects.bulk_create(new_aliases, batch_size=BATCH)

    def _enrolment(self, pupil_pk: int, class_code: str, class_number: int | None) -> Enrolment:
        return Enrolment(
            pupil_id=pupil_pk,
            school_class_id=self.class_pks[class_code],
            school_year=self.school_year,
            class_number=class_number,
        )

    def _alias(self, sourced_id: uuid.UUID, external_id: str) -> SourceAlias:
        return SourceAlias(
            source=self.plan.source,
            scope=self.plan.institution_number,
            kind=SourceAlias.Kind.PUPIL,
            external_id=external_id,
            sourced_id=sourced_id,
        )


def leavers_class_id(institution: Institution, school_year: SchoolYear) -> uuid.UUID:
    """Derived, like the id an export gives a leavers class not yet in the registry, so
    that a OneRoster set read back names the same class."""
    return uuid.UUID(leavers_export_id(str(institution.sourced_id), str(school_year.sourced_id)))


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
