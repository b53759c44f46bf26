"""Subclasses (seed 001: "per (sub)klas"): groups a school makes inside one of its classes
("1A wiskunde": chosen pupils of 1A), so that it can give an app exactly those pupils.

A subclass is Schoolbrug's own data, not the SIS's: a SchoolClass with `parent` set (same
institution and school year as its class), its pupils SubclassMemberships apart from their one
class enrolment. Only pupils of the class can be members; a pupil who leaves the class leaves
its subclasses (the sync ends those memberships: sync/subclasses.py). Removing a subclass
deactivates it and ends its memberships: nothing is deleted, and every change is in the audit
log (who, what, why).

Who may: permissions.may_manage_subclasses. These functions check what is asked, not who asks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from schoolbrug.audit.context import acting
from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import (
    LEAVERS_CLASS_CODE,
    Enrolment,
    Pupil,
    SchoolClass,
    SubclassMembership,
)

from .consent import RefusedError

CODE_MAX_LENGTH = SchoolClass._meta.get_field("code").max_length


class SubclassError(RefusedError):
    """A subclass change that cannot be made as asked; says why in Dutch and English."""


# --- pure rules -------------------------------------------------------------------------------


def checked_name(name: str, taken: Iterable[str]) -> str:
    """The subclass's code as it will be stored: the name without surrounding spaces, every
    other letter and space as typed (codes match exactly, like the SIS's). `taken`: the codes
    of the institution's classes and live subclasses of that school year."""
    code = (name or "").strip()
    if not code:
        raise SubclassError("Geef de subklas een naam.", "a subclass needs a name")
    if len(code) > CODE_MAX_LENGTH:
        raise SubclassError(
            f"De naam is te lang: hoogstens {CODE_MAX_LENGTH} tekens.",
            f"subclass name longer than {CODE_MAX_LENGTH} characters",
        )
    if code == LEAVERS_CLASS_CODE:
        raise SubclassError(
            f"'{LEAVERS_CLASS_CODE}' is de klas van de uitgeschreven leerlingen.",
            "the leavers class code is reserved",
        )
    if code in set(taken):
        raise SubclassError(
            f"Er is dit schooljaar al een klas of subklas '{code}'. Kies een andere naam.",
            "class code taken in this institution and school year",
        )
    return code


@dataclass(frozen=True, slots=True)
class MemberChanges:
    added: frozenset[int]  # pupil pks
    removed: frozenset[int]


def member_changes(current: set[int], wanted: set[int], of_class: set[int]) -> MemberChanges:
    """Who joins and who leaves when `wanted` becomes the members (pupil pks); `of_class` are
    the pupils of the class now. A pupil who is not (or no longer) in the class cannot join."""
    if strangers := wanted - of_class - current:
        raise SubclassError(
            f"{len(strangers)} gekozen leerling(en) zitten niet (meer) in de klas. Alleen "
            "leerlingen van de klas kunnen in de subklas; laad de pagina opnieuw.",
            f"{len(strangers)} chosen pupils are not in the class",
        )
    return MemberChanges(frozenset(wanted - current), frozenset(current - wanted))


# --- reading ----------------------------------------------------------------------------------


def class_enrolments(parent: SchoolClass) -> QuerySet[Enrolment]:
    """The pupils who may be members: this school year's enrolments in the class, by class
    number (without one last) and name."""
    return (
        Enrolment.objects.filter(
            school_class=parent, school_year_id=parent.school_year_id, pupil__is_leaver=False
        )
        .select_related("pupil")
        .order_by("class_number", "pupil__family_name", "pupil__given_name", "pupil_id")
    )


def current_members(subclass: SchoolClass) -> QuerySet[SubclassMembership]:
    return SubclassMembership.objects.filter(subclass=subclass, ended_at__isnull=True)


def live_subclasses(parent: SchoolClass) -> QuerySet[SchoolClass]:
    return SchoolClass.objects.filter(parent=parent, is_active=True).order_by("code")


def taken_codes(parent: SchoolClass) -> QuerySet:
    """Codes a new subclass of `parent` may not have: every SIS class of the institution and
    school year (active or not) and every live subclass."""
    return SchoolClass.objects.filter(
        Q(parent__isnull=True) | Q(is_active=True),
        institution_id=parent.institution_id,
        school_year_id=parent.school_year_id,
    ).values_list("code", flat=True)


# --- changes ----------------------------------------------------------------------------------


def create_subclass(
    parent: SchoolClass, name: str, pupils: Iterable[uuid.UUID | str], by: str
) -> SchoolClass:
    """Make a subclass of `parent` named `name` with these pupils (sourced ids) as members."""
    if parent.parent_id is not None or parent.is_leavers or not parent.is_active:
        raise SubclassError(
            "Een subklas hoort bij een actieve klas (niet bij een subklas of Schoolverlaters).",
            "a subclass belongs to an active class",
        )
    with transaction.atomic():
        parent = SchoolClass.objects.select_for_update().get(pk=parent.pk)
        code = checked_name(name, taken_codes(parent))
        reason = f"subklas {code} gemaakt"
        try:
            # The automatic log records the new class; a code taken since: the constraint.
            with acting(by, reason), transaction.atomic():
                subclass = SchoolClass.objects.create(
                    institution_id=parent.institution_id,
                    school_year_id=parent.school_year_id,
                    code=code,
                    stage=parent.stage,
                    year=parent.year,
                    years=parent.years,
                    curriculum=parent.curriculum,
                    kindergarten_level=parent.kindergarten_level,
                    site_id=parent.site_id,
                    parent=parent,
                )
        except IntegrityError:
            raise SubclassError(
                f"Er is intussen al een klas of subklas '{code}'. Kies een andere naam.",
                "class code taken meanwhile",
            ) from None
        _change_members(subclass, parent, set(_pupil_pks(subclass, pupils)), by, reason)
    return subclass


def set_members(subclass: SchoolClass, pupils: Iterable[uuid.UUID | str], by: str) -> MemberChanges:
    """Make exactly these pupils (sourced ids) the members of `subclass`."""
    with transaction.atomic():
        subclass = _live(subclass)
        parent = SchoolClass.objects.get(pk=subclass.parent_id)
        wanted = set(_pupil_pks(subclass, pupils))
        return _change_members(subclass, parent, wanted, by, f"leden van subklas {subclass.code}")


def remove_subclass(subclass: SchoolClass, by: str) -> None:
    """Deactivate the subclass and end its memberships; its history stays and its code is
    free again. Apps granted it see it `tobedeleted`, without pupils."""
    with transaction.atomic():
        subclass = _live(subclass)
        reason = f"subklas {subclass.code} verwijderd"
        _end_memberships(
            subclass, set(current_members(subclass).values_list("pupil_id", flat=True)), by, reason
        )
        with acting(by, reason):  # the automatic log: the class's is_active True → False
            subclass.is_active = False
            subclass.save(update_fields=["is_active", "updated_at"])


def _live(subclass: SchoolClass) -> SchoolClass:
    """The subclass's row, locked: edits of one subclass wait for each other."""
    row = SchoolClass.objects.select_for_update().filter(pk=subclass.pk).first()
    if row is None or row.parent_id is None:
        raise SubclassError("Dit is geen subklas.", "not a subclass")
    if not row.is_active:
        raise SubclassError(
            f"Subklas {row.code} is verwijderd en kan niet meer gewijzigd worden.",
            "subclass removed",
        )
    return row


def _pupil_pks(subclass: SchoolClass, pupils: Iterable[uuid.UUID | str]) -> list[int]:
    """Pupil pks of the institution for these sourced ids; an id that is not a pupil there
    counts as a stranger (member_changes refuses it)."""
    ids = []
    for value in pupils:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            raise SubclassError("Onbekende leerling gekozen.", "not a pupil id") from None
    found = dict(
        Pupil.objects.filter(
            institution_id=subclass.institution_id, sourced_id__in=ids
        ).values_list("sourced_id", "pk")
    )
    # -1 for an id not found: never a pupil of the class, so refused as one.
    return [found.get(i, -1) for i in ids]


def _change_members(
    subclass: SchoolClass, parent: SchoolClass, wanted: set[int], by: str, reason: str
) -> MemberChanges:
    current = set(current_members(subclass).values_list("pupil_id", flat=True))
    # The enrolments of joining pupils, locked: a sync moving one of them out of the class
    # now waits for this transaction and then ends the membership (or, having moved them
    # first, leaves them out of this query: PostgreSQL reads the row again after the wait).
    of_class = set(
        Enrolment.objects.select_for_update(of=("self",))
        .filter(
            school_class_id=parent.pk,
            school_year_id=parent.school_year_id,
            pupil_id__in=wanted - current,
            pupil__is_leaver=False,
        )
        .values_list("pupil_id", flat=True)
    )
    changes = member_changes(current, wanted, of_class | current)
    _end_memberships(subclass, set(changes.removed), by, reason)
    if changes.added:
        SubclassMembership.objects.bulk_create(
            [SubclassMembership(subclass=subclass, pupil_id=pk) for pk in changes.added]
        )
        _audit_pupils(subclass, changes.added, [None, subclass.code], by, reason)
    if changes.added or changes.removed:
        # The class changes with its members: apps' counts and a delta export see it.
        SchoolClass.objects.filter(pk=subclass.pk).update(updated_at=timezone.now())
    return changes


def _end_memberships(subclass: SchoolClass, pupil_pks: set[int], by: str, reason: str) -> None:
    if not pupil_pks:
        return
    now = timezone.now()
    current_members(subclass).filter(pupil_id__in=pupil_pks).update(ended_at=now, updated_at=now)
    _audit_pupils(subclass, pupil_pks, [subclass.code, None], by, reason)


def _audit_pupils(
    subclass: SchoolClass, pupil_pks: Iterable[int], change: list, by: str, reason: str
) -> None:
    """One entry per pupil, in the pupil's history: `subclass` old → new."""
    sourced_ids = Pupil.objects.filter(pk__in=list(pupil_pks)).values_list("sourced_id", flat=True)
    AuditEntry.objects.bulk_create(
        [
            _entry(
                subclass,
                "pupil",
                sourced_id,
                AuditEntry.Action.UPDATE,
                {"subclass": change},
                by,
                reason,
            )
            for sourced_id in sourced_ids
        ]
    )


def _entry(
    subclass: SchoolClass,
    entity: str,
    sourced_id: uuid.UUID,
    action: str,
    changes: dict,
    by: str,
    reason: str,
) -> AuditEntry:
    return AuditEntry(
        at=timezone.now(),
        actor=by,
        reason=reason,
        institution_number=subclass.institution.number,
        entity=entity,
        entity_sourced_id=sourced_id,
        action=action,
        changes=changes,
    )
