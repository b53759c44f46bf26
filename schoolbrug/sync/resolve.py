"""What a OneRoster set names only by reference, looked up in the registry before validation.

A delta carries only the rows that changed: its rows may name a school and a class that came in
an earlier set, a users row may come without enrollment (a new name or e-mail) and an
enrollment without users row (a move). A set Schoolbrug wrote keeps its leavers in the class
"Schoolverlaters". Validation and the planner see whole records, so first:

* `resolve_institutions(snapshots)`: a school the set describes without an institution number
  (a delta without orgs.csv) is the institution the registry knows by that org's id: our own
  `sourced_id` (a set Schoolbrug wrote) or the alias an earlier sync of the source kept. A
  delta about such a school that the registry does not know is bad input when it changes
  pupils there, and has nothing to sync otherwise.
* `resolve_snapshot(snapshot, state)`: a pupil's class named by id only is found by the class's
  alias or our own id (the leavers class makes the pupil a leaver); what `kept_fields` says the
  set does not carry is taken from the registry (the class and class number, the person, the
  gender and birth date); a leaver record of a pupil the registry knows is no record to apply
  (they stay, or in a delta become, a leaver: `leaving_source_ids`), only an unknown one is
  created; a teacher's classes named by id get their codes. A pupil that cannot be completed
  (a new name for someone the registry does not know) is left out.
"""

from __future__ import annotations

import dataclasses
import re
import uuid

from schoolbrug.registry.models import LEAVERS_CLASS_CODE, Institution, SourceAlias
from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.records import ClassRecord, PupilRecord, Snapshot

from .plan import StateIndex
from .state import CLASS_FIELDS, ClassState, InstitutionState

INSTITUTION_NUMBER = re.compile(r"\d{1,6}")


def resolve_institutions(snapshots: list[Snapshot]) -> list[Snapshot]:
    """Snapshots whose institution number is the org's id get the registry's number for it."""
    unresolved = [s for s in snapshots if _number_unknown(s)]
    if not unresolved:
        return snapshots
    numbers = _numbers_by_source_id(unresolved)
    resolved = []
    for snapshot in snapshots:
        if not _number_unknown(snapshot):
            resolved.append(snapshot)
        elif number := numbers.get((snapshot.source, snapshot.institution_source_id)):
            resolved.append(dataclasses.replace(snapshot, institution_number=number))
        elif (
            not snapshot.is_delta
            or snapshot.institution_name
            or INSTITUTION_NUMBER.fullmatch(snapshot.institution_number)
        ):
            # A bulk set describes its school, and so does a delta with its orgs.csv row (it
            # gives the name): an institution without number is known by its sourcedId.
            resolved.append(snapshot)
        elif snapshot.pupils or snapshot.leaving_source_ids:
            org = snapshot.institution_source_id
            raise BadInput(
                f"De delta verandert leerlingen van school '{org}', maar die school staat niet "
                "in het register en de delta beschrijft ze niet (geen rij in orgs.csv). Lees "
                "eerst een volledige (bulk) export van deze bron in, of geef met --org-map "
                f"(regels 'sourcedId,instellingsnummer', bv. '{org},012345') aan welke "
                "instelling van het register deze school is.",
                f"the delta changes pupils of org {org}, which is neither in the registry nor "
                "described by the delta (no orgs.csv row); read a bulk set of the source first, "
                f"or map it to a registry institution with --org-map ('{org},<number>')",
                file=snapshot.files.get("enrollments", "enrollments.csv"),
                field="schoolSourcedId",
            )
    return resolved


def _number_unknown(snapshot: Snapshot) -> bool:
    return bool(snapshot.institution_source_id) and (
        snapshot.institution_number == snapshot.institution_source_id
    )


def _numbers_by_source_id(snapshots: list[Snapshot]) -> dict[tuple[str, str], str]:
    """(source, org id) → institution number, by alias or by our own sourced_id."""
    wanted = {(s.source, s.institution_source_id) for s in snapshots}
    aliases = SourceAlias.objects.filter(
        kind=SourceAlias.Kind.INSTITUTION,
        source__in={source for source, _ in wanted},
        external_id__in={org for _, org in wanted},
    ).values_list("source", "external_id", "sourced_id")
    by_sourced_id: dict[uuid.UUID, list[tuple[str, str]]] = {}
    for source, org, sourced_id in aliases:
        by_sourced_id.setdefault(sourced_id, []).append((source, org))
    for source, org in wanted:
        if (own := _as_uuid(org)) is not None:
            by_sourced_id.setdefault(own, []).append((source, org))
    numbers = {}
    # An institution without number of its own is known by the org's id (a delta described it).
    orgs = {org for _, org in wanted}
    for number in Institution.objects.filter(number__in=orgs).values_list("number", flat=True):
        for source, org in wanted:
            if org == number:
                numbers[(source, org)] = number
    for sourced_id, number in Institution.objects.filter(
        sourced_id__in=list(by_sourced_id)
    ).values_list("sourced_id", "number"):
        for key in by_sourced_id[sourced_id]:
            numbers.setdefault(key, number)
    return numbers


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return None


def resolve_snapshot(snapshot: Snapshot, state: InstitutionState) -> Snapshot:
    """The snapshot with its pupils and teachers completed from the registry (see above)."""
    if not any(_incomplete(p) for p in snapshot.pupils) and not any(
        s.class_source_ids or s.ended_class_source_ids for s in snapshot.staff
    ):
        return snapshot
    classes = _ClassIndex(state)
    index = StateIndex.of(snapshot, state)
    leaving = set(snapshot.leaving_source_ids)
    pupils = []
    for record in snapshot.pupils:
        if not _incomplete(record):
            pupils.append(record)
            continue
        current = index.find(record)
        record = classes.place(record)
        if record.is_leaver:
            if current is None:
                pupils.append(dataclasses.replace(record, class_number=None))
            elif snapshot.is_delta:
                leaving.add(record.source_id)
            continue  # known: absent from a bulk set, in a delta's leavers: a leaver
        if current is None:
            if record.kept_fields & {"class", "person"}:
                continue  # a pupil the registry does not know, and the set does not place
            record = dataclasses.replace(record, kept_fields=frozenset())
        elif record.kept_fields:
            if "class" in record.kept_fields and current.is_leaver:
                continue  # new data for a leaver who is not coming back: they stay as they are
            record = _completed(record, current)
            if record is None:
                continue
        pupils.append(record)
    named = {c.code for c in snapshot.classes}
    return dataclasses.replace(
        snapshot,
        pupils=pupils,
        classes=snapshot.classes + [c for c in classes.used if c.code not in named],
        leaving_source_ids=frozenset(leaving),
        staff=[classes.teaching(s) for s in snapshot.staff],
    )


def _incomplete(record: PupilRecord) -> bool:
    return (
        record.is_leaver
        or bool(record.kept_fields)
        or (not record.class_code and bool(record.class_source_id))
    )


def _completed(record: PupilRecord, current) -> PupilRecord | None:
    """The record with what the set does not carry taken from the registry's pupil."""
    values = current.values
    changes = {}
    if "class" in record.kept_fields:
        if current.class_code is None:
            return None  # no class this school year: nothing to keep
        changes.update(class_code=current.class_code, class_number=current.class_number)
    if "person" in record.kept_fields:
        changes.update(
            family_name=values.family_name,
            given_name=values.given_name,
            email=values.email,
            phone=values.phone,
            national_number=current.national_number or "",
        )
    if "demographics" in record.kept_fields:
        changes.update(gender=values.gender, birth_date=values.birth_date)
    return dataclasses.replace(record, kept_fields=frozenset(), **changes)


class _ClassIndex:
    """The registry's classes by the source's id and by our own."""

    def __init__(self, state: InstitutionState) -> None:
        self.by_id: dict[str, tuple[str, ClassState]] = {}
        for code, klass in state.classes.items():
            self.by_id.setdefault(str(klass.sourced_id), (code, klass))
            if klass.source_id:
                self.by_id[klass.source_id] = (code, klass)
        self.used: list[ClassRecord] = []
        self._used_codes: set[str] = set()

    def place(self, record: PupilRecord) -> PupilRecord:
        if record.class_code or not record.class_source_id:
            return record
        found = self.by_id.get(record.class_source_id)
        if found is None:
            return record  # validation says the pupil has no class
        code, klass = found
        if klass.is_leavers:
            return dataclasses.replace(record, class_code=LEAVERS_CLASS_CODE, is_leaver=True)
        self._use(code, klass, record.class_source_id)
        return dataclasses.replace(record, class_code=code)

    def teaching(self, staff):
        codes = list(staff.class_codes)
        for class_id in staff.class_source_ids:
            found = self.by_id.get(class_id)
            if found is not None and not found[1].is_leavers:
                self._use(*found, class_id)
                codes.append(found[0])
        ended = list(staff.ended_class_codes)
        for class_id in staff.ended_class_source_ids:  # to end a link, not to sync the class
            found = self.by_id.get(class_id)
            if found is not None and not found[1].is_leavers:
                ended.append(found[0])
        if codes == staff.class_codes and ended == staff.ended_class_codes:
            return staff
        return dataclasses.replace(
            staff,
            class_codes=list(dict.fromkeys(codes)),
            ended_class_codes=list(dict.fromkeys(ended)),
        )

    def _use(self, code: str, klass: ClassState, source_id: str) -> None:
        """The registry's class as the snapshot's, so that validation knows it and the planner
        finds nothing to change."""
        if code in self._used_codes:
            return
        self._used_codes.add(code)
        values = dict(zip(CLASS_FIELDS, klass.values, strict=True))
        self.used.append(
            ClassRecord(
                code=code,
                stage=values["stage"],
                year=values["year"],
                curriculum=values["curriculum"],
                years=tuple(values["years"]),
                source_id=source_id,
            )
        )
