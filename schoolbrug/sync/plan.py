"""The planner: a pure function from (snapshot, validation, registry state) to a plan.

It decides, per pupil, what the sync will do; apply only carries the plan out, so a dry run
shows exactly what a real run would change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from schoolbrug.registry.models import LEAVERS_CLASS_CODE, Institution
from schoolbrug.sources.findings import Finding, make_finding
from schoolbrug.sources.records import PupilRecord, Snapshot
from schoolbrug.sources.validate import is_email

from .extra_groups import ExtraGroups, plan_extra_groups
from .national_numbers import NumberChange, refused_numbers
from .state import (
    CLASS_FIELDS,
    PUPIL_FIELDS,
    ClassState,
    InstitutionState,
    PupilState,
    PupilValues,
)
from .subclasses import SubclassPlan, plan_subclasses

TELECOM_FIELDS = ("email", "phone")


class PupilActionKind(StrEnum):
    CREATE = "created"
    MOVE = "moved"
    UPDATE = "updated"
    LEAVE = "left"
    RETURN = "returned"
    DEFER = "deferred"
    REJECT = "rejected"
    UNCHANGED = "unchanged"


COUNT_KEYS = tuple(kind.value for kind in PupilActionKind)


class ClassActionKind(StrEnum):
    CREATE = "created"
    UPDATE = "updated"
    DEACTIVATE = "deactivated"


@dataclass(slots=True)
class PupilAction:
    kind: PupilActionKind
    record: PupilRecord | None  # None for a leaver
    state: PupilState | None  # None for a new pupil
    changes: dict[str, tuple] = field(default_factory=dict)  # field -> (old, new)
    class_code: str | None = None  # the class the pupil ends up in
    class_number: int | None = None  # and the number they have there
    login_affecting: bool = False  # the class number changed: the pupil logs in with it
    adopt: bool = False  # a record the source did not create becomes the source's


@dataclass(slots=True)
class ClassAction:
    kind: ClassActionKind
    code: str
    values: tuple  # CLASS_FIELDS, in order
    state: ClassState | None
    changes: dict[str, tuple] = field(default_factory=dict)
    source_id: str = ""  # the source's id of the class, for a new one


@dataclass(slots=True)
class Plan:
    institution_number: str
    source: str
    pupil_actions: list[PupilAction]
    class_actions: list[ClassAction]
    counts: dict[str, int]
    findings: list[Finding]
    active_before: int
    stop_reason: str = ""  # set by the safety check
    staff: list = field(default_factory=list)  # StaffRecords the source names (teachers)
    # A delta names only what changed: a teaching link it does not name stays (a bulk set's
    # teachers are all the school's: a link it does not name ends).
    is_delta: bool = False
    # Class code → the source's id for it, where the registry does not have that one yet (a
    # later delta may name the class by id only).
    class_aliases: dict[str, str] = field(default_factory=dict)
    # The school's own subclasses: who leaves them with their class, which are renamed.
    subclasses: SubclassPlan = field(default_factory=SubclassPlan)
    # Pupils (pks) held from leaving in the blackout period (blackout.py): by earlier runs,
    # and by this one.
    held_before: frozenset[int] = frozenset()
    held_leavers: frozenset[int] = frozenset()
    # The extra groups (EDEXML combined groups) the source puts pupils in; None when it has
    # none to say (sync/extra_groups.py).
    extra_groups: ExtraGroups | None = None

    @property
    def has_changes(self) -> bool:
        return bool(
            self.class_actions
            or self.staff
            or self.class_aliases
            or self.subclasses
            or self.held_leavers != self.held_before
            or self.extra_groups is not None
        ) or any(
            a.kind not in (PupilActionKind.DEFER, PupilActionKind.REJECT)
            for a in self.pupil_actions
        )


def record_values(record: PupilRecord, contact_source: str) -> PupilValues:
    """The record's pupil values as the registry would store them.

    The pupil's own e-mail is kept whenever it is an e-mail address (validate.py makes a
    finding of one that is not): apps know pupils by it (Google Classroom matches on it).
    Seed 000's "E-mailgegevens hoofding i.p.v. adres" decides where the contact data come
    from: with contact source `header` the pupil's own phone is synced and the e-mail and
    phone on the parents' addresses are not; otherwise the parents' are.
    """
    from_header = contact_source == Institution.ContactSource.HEADER
    contacts = {}
    for role, contact in record.contacts.items():
        kept = {k: v for k, v in contact.items() if v and not (from_header and k in TELECOM_FIELDS)}
        if kept:
            contacts[role] = kept
    email = record.email
    # In PupilValues' order; tuple.__new__ for speed, as in state.load_states.
    return tuple.__new__(
        PupilValues,
        (
            record.family_name,
            record.given_name,
            record.gender,
            record.birth_date,
            record.registration_number,
            email if not email or is_email(email) else "",
            record.phone if from_header else "",
            contacts,
            {k: v for k, v in record.address.items() if v},
            dict(record.care_record),
            record.eckid,
        ),
    )


def class_values(record) -> tuple:
    years = tuple(record.years) if record.years else ()
    return (record.stage, record.year, years, record.curriculum, record.kindergarten_level)


def _diff(names: tuple[str, ...], old: tuple, new: tuple) -> dict[str, tuple]:
    return {name: (a, b) for name, a, b in zip(names, old, new, strict=True) if a != b}


def plan_sync(snapshot: Snapshot, validation, state: InstitutionState) -> Plan:
    """Decide every change one export makes to one institution. Reads nothing, writes nothing."""
    index = StateIndex.of(snapshot, state)
    actions: list[PupilAction] = []
    findings = list(snapshot.findings) + list(validation.findings)
    counts = dict.fromkeys(COUNT_KEYS, 0)

    for outcome, records in (
        (PupilActionKind.REJECT, validation.rejected),
        (PupilActionKind.DEFER, validation.deferred),
    ):
        for record in records:
            current = index.match(record)
            counts[outcome] += 1
            actions.append(PupilAction(outcome, record, current))

    for record in validation.accepted:
        current = index.match(record)
        action = _plan_pupil(snapshot, record, current, state.contact_source)
        counts[action.kind] += 1
        if action.kind is PupilActionKind.UNCHANGED:
            continue
        actions.append(action)

    for current in _leavers(snapshot, state, index.seen):
        counts[PupilActionKind.LEAVE] += 1
        actions.append(_leave(current))

    findings += _refuse_taken_numbers(snapshot, actions, counts, index.by_national_number)
    findings += [
        _finding(snapshot, "CLASS_NUMBER_CHANGED", "class_number", action.record)
        for action in actions
        if action.login_affecting
    ]

    class_actions = _plan_classes(snapshot, validation, state)
    return Plan(
        institution_number=snapshot.institution_number,
        source=snapshot.source,
        pupil_actions=actions,
        class_actions=class_actions,
        counts=counts,
        findings=findings,
        active_before=state.active_pupil_count(),
        staff=list(snapshot.staff),
        is_delta=snapshot.is_delta,
        class_aliases={
            code: record.source_id
            for code, record in validation.classes.items()
            if record.source_id
            and (
                code not in state.classes
                or record.source_id
                not in (state.classes[code].source_id, str(state.classes[code].sourced_id))
            )
        },
        subclasses=_plan_subclasses(state, actions, class_actions),
        held_before=state.held_leavers,
        extra_groups=plan_extra_groups(
            snapshot,
            validation,
            StateIndex.of(snapshot, state).find,
            state.combined_memberships,
        ),
    )


def _refuse_taken_numbers(
    snapshot: Snapshot, actions: list[PupilAction], counts: dict, holders: dict[str, PupilState]
) -> list[Finding]:
    """Reject, in place, the actions that would give a pupil a national number another pupil
    of the institution keeps (see national_numbers.py); their findings."""
    create, reject = PupilActionKind.CREATE, PupilActionKind.REJECT
    changes: list[NumberChange] = [
        (position, action.record.national_number, None)
        if action.kind is create
        else (position, action.changes["national_number"][1], action.state.pk)
        for position, action in enumerate(actions)
        if (action.kind is create and action.record.national_number)
        or "national_number" in action.changes
    ]
    findings = []
    for position, code in sorted(refused_numbers(changes, holders).items()):
        action = actions[position]
        counts[action.kind] -= 1
        counts[reject] += 1
        actions[position] = PupilAction(reject, action.record, action.state)
        number = action.record.national_number
        holder = holders.get(number)
        holder_name = (
            f"{holder.values.given_name} {holder.values.family_name}" if holder is not None else ""
        )
        findings.append(_finding(snapshot, code, "national_number", action.record, holder_name))
    return findings


def _finding(
    snapshot: Snapshot, code: str, field_name: str, record: PupilRecord, value: str = ""
) -> Finding:
    return make_finding(
        code,
        file=snapshot.files.get("pupils", ""),
        line=record.line,
        field=snapshot.columns.get(field_name, field_name),
        national_number=record.national_number,
        class_code=record.class_code,
        pupil_name=f"{record.given_name} {record.family_name}",
        value=value,
    )


def _plan_subclasses(
    state: InstitutionState, actions: list[PupilAction], class_actions: list[ClassAction]
) -> SubclassPlan:
    if not state.subclasses:
        return SubclassPlan()
    pupils, destinations = {}, {}
    if state.memberships:
        pupils = {
            p.pk: (p.sourced_id, p.class_code) for p in state.pupils if p.pk in state.memberships
        }
        destinations = {
            a.state.pk: a.class_code
            for a in actions
            if a.state is not None and a.class_code is not None and a.state.pk in pupils
        }
    return plan_subclasses(
        state.subclasses,
        state.memberships,
        pupils,
        destinations,
        [a.code for a in class_actions if a.kind is ClassActionKind.CREATE],
        [*state.classes, *state.subclasses],
    )


@dataclass(slots=True)
class StateIndex:
    by_national_number: dict[str, PupilState]
    by_source_id: dict[str, PupilState]
    by_sourced_id: dict[str, PupilState]
    key: str
    seen: set[int] = field(default_factory=set)  # pupils already matched to a record

    @classmethod
    def of(cls, snapshot: Snapshot, state: InstitutionState) -> StateIndex:
        return cls(
            {p.national_number: p for p in state.pupils if p.national_number},
            {p.source_id: p for p in state.pupils if p.source_id},
            {str(p.sourced_id): p for p in state.pupils},
            snapshot.key,
        )

    def match(self, record: PupilRecord) -> PupilState | None:
        """The registry pupil a record speaks of: first by the source's key, then by national
        number (adopt, don't duplicate), then by the source's own id (a corrected national
        number, or a rejected row that must not make its pupil leave), and last by our own
        id (a OneRoster set Schoolbrug wrote, read back)."""
        current = self.find(record)
        if current is not None:
            self.seen.add(current.pk)
        return current

    def find(self, record: PupilRecord) -> PupilState | None:
        """What `match` would return, without taking the pupil."""
        candidates = (
            (self.by_national_number, record.national_number),
            (self.by_source_id, record.source_id),
        )
        if self.key == "source_id":
            candidates = candidates[::-1]
        candidates += ((self.by_sourced_id, record.source_id),)
        for index, key in candidates:
            current = index.get(key) if key else None
            if current is not None and current.pk not in self.seen:
                return current
        return None


def _plan_pupil(
    snapshot: Snapshot, record: PupilRecord, current: PupilState | None, contact_source: str
) -> PupilAction:
    values = record_values(record, contact_source)
    if record.is_leaver:  # the source keeps them with its leavers: never an active pupil
        if current is None:
            return PupilAction(PupilActionKind.CREATE, record, None, class_code=LEAVERS_CLASS_CODE)
        if current.is_leaver:
            return PupilAction(PupilActionKind.UNCHANGED, record, current)
        return _leave(current)
    if current is None:
        return PupilAction(
            PupilActionKind.CREATE,
            record,
            None,
            class_code=record.class_code,
            class_number=record.class_number,
        )
    class_number = record.class_number
    if snapshot.class_numbers_generated and current.class_number is not None:
        # A number the parser made up is a position, not the school's: keep the known one.
        class_number = current.class_number
    changes = _diff(PUPIL_FIELDS, current.values, values)
    if record.national_number and record.national_number != current.national_number:
        changes["national_number"] = (current.national_number, record.national_number)
    # A set that names the pupil by our own id (our export read back) tells nothing new: no
    # alias to keep and no record to adopt, so reading it again changes nothing.
    own_id = record.source_id == str(current.sourced_id)
    if record.source_id and record.source_id != current.source_id and not own_id:
        changes["source_id"] = (current.source_id, record.source_id)
    adopt = current.origin != snapshot.source and not own_id
    login_affecting = (
        current.class_number is not None
        and class_number != current.class_number
        and not current.is_leaver
    )
    if class_number != current.class_number:
        changes["class_number"] = (current.class_number, class_number)
    if current.is_leaver:
        kind = PupilActionKind.RETURN
    elif record.class_code != current.class_code:
        kind = PupilActionKind.MOVE
    elif changes or adopt:
        kind = PupilActionKind.UPDATE
    else:
        return PupilAction(PupilActionKind.UNCHANGED, record, current)
    if record.class_code != current.class_code:
        changes["class"] = (current.class_code, record.class_code)
    return PupilAction(
        kind,
        record,
        current,
        changes=changes,
        class_code=record.class_code,
        class_number=class_number,
        login_affecting=login_affecting,
        adopt=adopt,
    )


def _leave(current: PupilState) -> PupilAction:
    """To the leavers class, with the data the registry has (never deleted)."""
    return PupilAction(
        PupilActionKind.LEAVE,
        None,
        current,
        changes={"class": (current.class_code, LEAVERS_CLASS_CODE)},
        class_code=LEAVERS_CLASS_CODE,
        class_number=current.class_number,
    )


def _leavers(snapshot: Snapshot, state: InstitutionState, seen: set[int]):
    if snapshot.is_delta:
        # By the source's id, or by our own (a delta Schoolbrug wrote, read by a registry whose
        # pupils came from elsewhere); and those an earlier delta named in a blackout period
        # (it will not name them again).
        leaving, held = snapshot.leaving_source_ids, state.held_leavers
        return [
            p
            for p in state.pupils
            if not p.is_leaver
            and p.pk not in seen
            and (p.source_id in leaving or str(p.sourced_id) in leaving or p.pk in held)
        ]
    withheld = snapshot.withheld_source_ids
    return [
        p
        for p in state.pupils
        if not p.is_leaver and p.pk not in seen and p.source_id not in withheld
    ]


def _plan_classes(snapshot: Snapshot, validation, state: InstitutionState) -> list[ClassAction]:
    actions = []
    for code, record in validation.classes.items():
        values = class_values(record)
        current = state.classes.get(code)
        if current is None:
            actions.append(
                ClassAction(ClassActionKind.CREATE, code, values, None, source_id=record.source_id)
            )
            continue
        changes = _diff(CLASS_FIELDS, current.values, values)
        if not current.is_active:
            changes["is_active"] = (False, True)
        if changes:
            actions.append(ClassAction(ClassActionKind.UPDATE, code, values, current, changes))
    if snapshot.classes_known and not snapshot.is_delta:
        exported = {c.code for c in snapshot.classes}
        for code, current in state.classes.items():
            if current.is_active and not current.is_leavers and code not in exported:
                actions.append(
                    ClassAction(
                        ClassActionKind.DEACTIVATE,
                        code,
                        current.values,
                        current,
                        {"is_active": (True, False)},
                    )
                )
    return actions
