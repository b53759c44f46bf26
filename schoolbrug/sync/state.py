"""What the registry holds now, read in a few bulk queries, shaped for the planner."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from uuid import UUID

from schoolbrug.registry.models import Enrolment, Institution, Pupil, SchoolClass, SourceAlias

# The pupil fields a source provides and the sync compares, in one fixed order.
PUPIL_FIELDS = (
    "family_name",
    "given_name",
    "gender",
    "birth_date",
    "registration_number",
    "email",
    "phone",
    "contacts",
    "address",
    "care_record",
)
CLASS_FIELDS = ("stage", "year", "years", "curriculum", "kindergarten_level")


@dataclass(slots=True)
class PupilState:
    pk: int
    sourced_id: UUID
    national_number: str | None
    values: tuple  # PUPIL_FIELDS, in order
    origin: str
    is_leaver: bool
    enrolment_pk: int | None = None  # this school year's enrolment
    class_code: str | None = None
    class_number: int | None = None
    source_id: str | None = None  # the id this run's source gave the pupil


@dataclass(slots=True)
class ClassState:
    pk: int
    sourced_id: UUID
    values: tuple  # CLASS_FIELDS, in order
    is_leavers: bool
    is_active: bool


@dataclass(slots=True)
class InstitutionState:
    number: str
    pk: int | None = None
    contact_source: str = Institution.ContactSource.PARENTS
    classes: dict[str, ClassState] = field(default_factory=dict)
    pupils: list[PupilState] = field(default_factory=list)

    def active_pupil_count(self) -> int:
        return sum(1 for p in self.pupils if not p.is_leaver)


def load_states(
    institution_numbers: list[str], school_year_pk: int | None, source: str
) -> dict[str, InstitutionState]:
    """The registry state of many institutions in four queries, whatever their size."""
    states = {n: InstitutionState(number=n) for n in institution_numbers}
    institutions = Institution.objects.filter(number__in=institution_numbers).values_list(
        "pk", "number", "contact_source"
    )
    number_by_pk = {}
    for pk, number, contact_source in institutions:
        states[number].pk = pk
        states[number].contact_source = contact_source
        number_by_pk[pk] = number
    if not number_by_pk:
        return states

    classes_by_pk: dict[int, str] = {}
    for row in SchoolClass.objects.filter(
        institution_id__in=number_by_pk, school_year_id=school_year_pk
    ).values_list(
        "pk", "sourced_id", "institution_id", "code", "is_leavers", "is_active", *CLASS_FIELDS
    ):
        pk, sourced_id, institution_pk, code, is_leavers, is_active, *values = row
        values[2] = tuple(values[2] or ())
        states[number_by_pk[institution_pk]].classes[code] = ClassState(
            pk, sourced_id, tuple(values), is_leavers, is_active
        )
        classes_by_pk[pk] = code

    enrolments = {
        pupil_pk: (pk, class_pk, class_number)
        for pk, pupil_pk, class_pk, class_number in Enrolment.objects.filter(
            pupil__institution_id__in=number_by_pk, school_year_id=school_year_pk
        ).values_list("pk", "pupil_id", "school_class_id", "class_number")
    }
    aliases = dict(
        SourceAlias.objects.filter(source=source, kind=SourceAlias.Kind.PUPIL)
        .filter(
            sourced_id__in=Pupil.objects.filter(institution_id__in=number_by_pk).values(
                "sourced_id"
            )
        )
        .values_list("sourced_id", "external_id")
    )
    for row in Pupil.objects.filter(institution_id__in=number_by_pk).values_list(
        "pk",
        "sourced_id",
        "institution_id",
        "national_number",
        "origin",
        "is_leaver",
        *PUPIL_FIELDS,
    ):
        pk, sourced_id, institution_pk, national_number, origin, is_leaver, *values = row
        pupil = PupilState(
            pk,
            sourced_id,
            national_number,
            _normalised(values),
            origin,
            is_leaver,
            source_id=aliases.get(sourced_id),
        )
        enrolment = enrolments.get(pk)
        if enrolment:
            pupil.enrolment_pk, class_pk, pupil.class_number = enrolment
            pupil.class_code = classes_by_pk.get(class_pk)
        states[number_by_pk[institution_pk]].pupils.append(pupil)
    return states


def _normalised(values: list) -> tuple:
    """Database values in the form the planner compares against (dates as dates)."""
    birth_date = values[3]
    if isinstance(birth_date, str):
        values[3] = datetime.date.fromisoformat(birth_date)
    return tuple(values)
