"""What a sync does to the subclasses a school made in Schoolbrug (sharing/subclasses.py).

The SIS knows nothing of them, so the sync never deactivates or fills one; it keeps them true
to their class:

* a pupil who leaves the class (to Schoolverlaters, or to another class) leaves its
  subclasses the same night, in the sync's history with the run as reason. A pupil who comes
  back is not put back: the school adds them again if it wants.
* a class the SIS now sends with the code of a live subclass gets that code (the SIS is the
  master of classes); the subclass is renamed "<code> (subklas)" and keeps its pupils, its id
  and the apps granted it. Its page and history say so.

The planner's part is pure (`plan_subclasses`, what a dry run shows). Apply does not trust the
state it was planned from for these: a subclass or member a school added in between is
checked against the database in the same transaction (`rename_subclasses`,
`end_memberships`), so an edit during the sync cannot leave a pupil in a class they left.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef
from django.utils import timezone

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Enrolment, SchoolClass, SubclassMembership

CODE_MAX_LENGTH = SchoolClass._meta.get_field("code").max_length
RENAMED_SUFFIX = " (subklas)"


@dataclass(slots=True)
class SubclassState:
    pk: int
    sourced_id: uuid.UUID
    parent_code: str


@dataclass(slots=True)
class SubclassLeave:
    """A pupil who leaves a subclass because they leave its class."""

    pupil_pk: int
    pupil_sourced_id: uuid.UUID
    subclass_code: str


@dataclass(slots=True)
class SubclassRename:
    """A live subclass whose code a class of the SIS takes."""

    subclass_code: str
    new_code: str
    sourced_id: uuid.UUID


@dataclass(slots=True)
class SubclassPlan:
    leaves: list[SubclassLeave] = field(default_factory=list)
    renames: list[SubclassRename] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.leaves or self.renames)


def renamed_code(code: str, taken: Iterable[str]) -> str:
    """A free code for a subclass whose code the SIS takes: "1A wiskunde (subklas)", then
    "(subklas 2)", ..., cut to the length a code may have."""
    taken = set(taken)
    number = 1
    while True:
        suffix = RENAMED_SUFFIX if number == 1 else f" (subklas {number})"
        candidate = code[: CODE_MAX_LENGTH - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        number += 1


def plan_subclasses(
    subclasses: dict[str, SubclassState],
    memberships: dict[int, list[str]],
    pupils: dict[int, tuple[uuid.UUID, str | None]],
    destinations: dict[int, str],
    new_class_codes: Iterable[str],
    taken_codes: Iterable[str],
) -> SubclassPlan:
    """What the sync will do to subclasses. `memberships`: pupil pk → codes of the live
    subclasses they are in; `pupils`: pupil pk → (sourced id, class code now);
    `destinations`: pupil pk → the class a planned action puts them in; `new_class_codes`:
    the classes the SIS creates; `taken_codes`: every code of the institution's year."""
    plan = SubclassPlan()
    for pupil_pk, codes in memberships.items():
        sourced_id, class_now = pupils.get(pupil_pk, (None, None))
        if sourced_id is None:
            continue
        destination = destinations.get(pupil_pk, class_now)
        for code in codes:
            subclass = subclasses.get(code)
            if subclass is not None and subclass.parent_code != destination:
                plan.leaves.append(SubclassLeave(pupil_pk, sourced_id, code))
    taken = set(taken_codes) | set(new_class_codes)
    for code in sorted(set(new_class_codes) & set(subclasses)):
        new_code = renamed_code(code, taken)
        taken.add(new_code)
        plan.renames.append(SubclassRename(code, new_code, subclasses[code].sourced_id))
    return plan


# --- apply: in the sync's transaction, against what the database holds now ------------------

Record = Callable[[str, uuid.UUID, str, dict], None]  # apply._Context.record


def rename_subclasses(
    institution_pk: int, school_year_pk: int, new_codes: set[str], record: Record
) -> None:
    """Free the codes of the SIS's new classes from live subclasses (before they are
    inserted: the class code is unique)."""
    if not new_codes:
        return
    colliding = list(
        SchoolClass.objects.select_for_update()
        .filter(
            institution_id=institution_pk,
            school_year_id=school_year_pk,
            parent__isnull=False,
            is_active=True,
            code__in=new_codes,
        )
        .order_by("code")
    )
    if not colliding:
        return
    taken = set(
        SchoolClass.objects.filter(
            institution_id=institution_pk, school_year_id=school_year_pk
        ).values_list("code", flat=True)
    )
    taken |= new_codes
    now = timezone.now()
    for subclass in colliding:
        new_code = renamed_code(subclass.code, taken)
        taken.add(new_code)
        SchoolClass.objects.filter(pk=subclass.pk).update(code=new_code, updated_at=now)
        record(
            "subclass",
            subclass.sourced_id,
            AuditEntry.Action.UPDATE,
            {"code": (subclass.code, new_code)},
        )


def end_memberships(institution_pks: list[int], school_year_pk: int) -> list[tuple]:
    """End every live membership of these institutions' subclasses whose pupil is not (or no
    longer) enrolled in the subclass's class; after the enrolments are written. Returns
    (institution pk, pupil sourced id, subclass code) of each, for the history."""
    in_class = Enrolment.objects.filter(
        pupil_id=OuterRef("pupil_id"),
        school_year_id=school_year_pk,
        school_class_id=OuterRef("subclass__parent_id"),
    )
    broken = (
        SubclassMembership.objects.select_for_update(of=("self",))
        .filter(
            ended_at__isnull=True,
            subclass__school_year_id=school_year_pk,
            subclass__institution_id__in=institution_pks,
            # A source's combined group (sync/extra_groups.py) has no class to leave.
            subclass__parent__isnull=False,
        )
        .exclude(Exists(in_class))
        .values_list(
            "pk", "subclass_id", "subclass__institution_id", "pupil__sourced_id", "subclass__code"
        )
        .order_by("pk")
    )
    rows = list(broken)
    if rows:
        now = timezone.now()
        SubclassMembership.objects.filter(pk__in=[r[0] for r in rows]).update(
            ended_at=now, updated_at=now
        )
        # The class changes with its members (apps' counts, a delta export).
        SchoolClass.objects.filter(pk__in={r[1] for r in rows}).update(updated_at=now)
    return [row[2:] for row in rows]
