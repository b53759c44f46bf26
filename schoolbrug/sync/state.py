"""What the registry holds now, read in a few bulk queries, shaped for the planner."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import NamedTuple
from uuid import UUID

import orjson
from django.db import connection

from schoolbrug.registry.models import (
    Enrolment,
    Institution,
    Pupil,
    SchoolClass,
    SourceAlias,
    SubclassMembership,
)

from .models import HeldLeaver
from .subclasses import SubclassState


class PupilValues(NamedTuple):
    """The pupil fields a source provides and the sync compares, as the registry stores them.

    Made from the registry here (load_states) and from a source's record (plan.record_values);
    everyone else reads them by name. A tuple underneath: the planner compares a region's
    pupils field by field, and a named tuple is as fast to make and compare as a plain one.
    """

    family_name: str
    given_name: str
    gender: str
    birth_date: datetime.date | None
    registration_number: str
    email: str
    phone: str
    contacts: dict[str, dict[str, str]]
    address: dict[str, str]
    care_record: dict[str, str]
    eckid: str


PUPIL_FIELDS = PupilValues._fields
CLASS_FIELDS = ("stage", "year", "years", "curriculum", "kindergarten_level")
YEARS_POSITION = CLASS_FIELDS.index("years")  # a list in the database, a tuple in the state


@dataclass(slots=True)
class PupilState:
    pk: int
    sourced_id: UUID
    national_number: str | None
    values: PupilValues
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
    source_id: str | None = None  # the id this run's source gave the class


@dataclass(slots=True)
class InstitutionState:
    number: str
    pk: int | None = None  # None: not in the registry yet
    sourced_id: UUID | None = None
    contact_source: str = Institution.ContactSource.PARENTS
    classes: dict[str, ClassState] = field(default_factory=dict)  # the SIS's, by code
    pupils: list[PupilState] = field(default_factory=list)
    # The school's own live subclasses (by code), and pupil pk -> the codes of theirs.
    subclasses: dict[str, SubclassState] = field(default_factory=dict)
    memberships: dict[int, list[str]] = field(default_factory=dict)
    leaver_blackout: str = ""  # the SIS link's own blackout period (blackout.py); "": default
    held_leavers: frozenset[int] = frozenset()  # pupils held from leaving in one (pks)
    country: str = ""  # Institution.country: the words of its findings

    def active_pupil_count(self) -> int:
        return sum(1 for p in self.pupils if not p.is_leaver)


def load_states(
    institution_numbers: list[str], school_year_pk: int | None, source: str
) -> dict[str, InstitutionState]:
    """The registry state of many institutions in four queries, whatever their size."""
    states = {n: InstitutionState(number=n) for n in institution_numbers}
    institutions = Institution.objects.filter(number__in=institution_numbers).values_list(
        "pk", "number", "contact_source", "sourced_id", "source_link__leaver_blackout", "country"
    )
    number_by_pk = {}
    for pk, number, contact_source, sourced_id, leaver_blackout, country in institutions:
        states[number].country = country
        states[number].pk = pk
        states[number].sourced_id = sourced_id
        states[number].contact_source = contact_source
        states[number].leaver_blackout = leaver_blackout or ""
        number_by_pk[pk] = number
    if not number_by_pk:
        return states
    for institution_pk, held in _held_leavers(list(number_by_pk)).items():
        states[number_by_pk[institution_pk]].held_leavers = frozenset(held)

    as_uuid = _uuid_reader()
    numbers = list(number_by_pk.values())
    class_source_ids = {
        as_uuid(k): v for k, v in _source_ids(numbers, source, SourceAlias.Kind.CLASS).items()
    }
    classes_by_pk: dict[int, str] = {}
    for row in SchoolClass.objects.filter(
        institution_id__in=number_by_pk, school_year_id=school_year_pk, parent__isnull=True
    ).values_list(
        "pk", "sourced_id", "institution_id", "code", "is_leavers", "is_active", *CLASS_FIELDS
    ):
        pk, sourced_id, institution_pk, code, is_leavers, is_active, *values = row
        values[YEARS_POSITION] = tuple(values[YEARS_POSITION] or ())
        states[number_by_pk[institution_pk]].classes[code] = ClassState(
            pk, sourced_id, tuple(values), is_leavers, is_active, class_source_ids.get(sourced_id)
        )
        classes_by_pk[pk] = code
    _load_subclasses(states, number_by_pk, classes_by_pk, school_year_pk)

    as_date = _date_reader()
    # A source's pupil ids are scoped by institution number: one indexed range per school.
    # Read apart from the pupils: joined, the database hashed the whole alias table.
    source_ids = _source_ids(numbers, source, SourceAlias.Kind.PUPIL)
    for row in _pupil_rows(list(number_by_pk), school_year_pk):
        (
            pk,
            sourced_id,
            institution_pk,
            national_number,
            origin,
            is_leaver,
            enrolment_pk,
            class_pk,
            class_number,
            *values,
        ) = row
        values[BIRTH_DATE_POSITION] = as_date(values[BIRTH_DATE_POSITION])
        for position in JSON_POSITIONS:
            text = values[position]
            values[position] = _EMPTY if text == "{}" else orjson.loads(text)
        source_id = source_ids.get(sourced_id)
        sourced_id = as_uuid(sourced_id)
        states[number_by_pk[institution_pk]].pupils.append(
            PupilState(
                pk,
                sourced_id,
                national_number,
                # What PupilValues._make does, without its call and length check: one per
                # pupil of a region each night, and the named constructor costs 4x a tuple.
                tuple.__new__(PupilValues, values),
                origin,
                bool(is_leaver),
                enrolment_pk,
                classes_by_pk.get(class_pk),
                class_number,
                source_id,
            )
        )
    return states


def _load_subclasses(
    states: dict[str, InstitutionState],
    number_by_pk: dict[int, str],
    classes_by_pk: dict[int, str],
    school_year_pk: int | None,
) -> None:
    """The live subclasses and their current members: two small queries."""
    subclasses = SchoolClass.objects.filter(
        institution_id__in=number_by_pk,
        school_year_id=school_year_pk,
        parent__isnull=False,
        is_active=True,
    ).values_list("pk", "sourced_id", "institution_id", "code", "parent_id")
    codes: dict[int, str] = {}
    for pk, sourced_id, institution_pk, code, parent_pk in subclasses:
        states[number_by_pk[institution_pk]].subclasses[code] = SubclassState(
            pk, sourced_id, classes_by_pk.get(parent_pk, "")
        )
        codes[pk] = code
    if not codes:
        return
    members = SubclassMembership.objects.filter(
        subclass__institution_id__in=number_by_pk,
        subclass__school_year_id=school_year_pk,
        ended_at__isnull=True,
    ).values_list("pupil_id", "subclass_id", "subclass__institution_id")
    for pupil_pk, subclass_pk, institution_pk in members:
        if subclass_pk not in codes:
            continue  # a removed subclass's (it ends them all: none expected)
        memberships = states[number_by_pk[institution_pk]].memberships
        memberships.setdefault(pupil_pk, []).append(codes[subclass_pk])


# Positions in a pupil's values as _pupil_rows reads them (PUPIL_FIELDS' order): decoded here.
BIRTH_DATE_POSITION = PUPIL_FIELDS.index("birth_date")
JSON_POSITIONS = tuple(PUPIL_FIELDS.index(name) for name in ("contacts", "address", "care_record"))
_EMPTY: dict = {}  # shared by every pupil without contacts: the planner only reads it


def _pupil_rows(institution_pks: list[int], school_year_pk: int | None):
    """Pupils with this year's enrolment, in one query.

    Raw SQL: at a region's size Django's per-value conversions were most of the read.
    JSON columns come back as text on both databases and are decoded here, with orjson
    (four times json's speed on this machine).

    The enrolments are found through the institutions' classes of the year (by the class
    index; an enrolment is of its class's school year), not among all of the year's: a
    region is read batch by batch, and each batch would otherwise scan every enrolment of
    the region again (and PostgreSQL without fresh statistics did worse: a scan of the
    year's index for each class).
    """
    quote = connection.ops.quote_name
    pupil = quote(Pupil._meta.db_table)
    enrolment = quote(Enrolment._meta.db_table)
    school_class = quote(SchoolClass._meta.db_table)
    fields = ", ".join(f"p.{quote(Pupil._meta.get_field(f).column)}" for f in PUPIL_FIELDS)
    marks = ", ".join(["%s"] * len(institution_pks))
    sql = (
        "SELECT p.id, p.sourced_id, p.institution_id, p.national_number, p.origin, "
        f"p.is_leaver, e.id, e.school_class_id, e.class_number, {fields} "
        f"FROM {pupil} p "
        f"LEFT JOIN {enrolment} e ON e.pupil_id = p.id "
        f"AND e.school_class_id IN (SELECT c.id FROM {school_class} c "
        f"WHERE c.institution_id IN ({marks}) AND c.school_year_id = %s) "
        f"WHERE p.institution_id IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*institution_pks, school_year_pk, *institution_pks])
        while rows := cursor.fetchmany(10_000):
            yield from rows


def _source_ids(institution_numbers: list[str], source: str, kind: str) -> dict:
    """Our id of a pupil or class (as the database gives it) → the source's id for it."""
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(institution_numbers))
    sql = (
        f"SELECT sourced_id, external_id FROM {quote(SourceAlias._meta.db_table)} "
        f"WHERE source = %s AND kind = %s AND scope IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [source, kind, *institution_numbers])
        return dict(cursor.fetchall())


def _held_leavers(institution_pks: list[int]) -> dict[int, list[int]]:
    """Institution pk → its pupils held from leaving in a blackout period (few, or none)."""
    held: dict[int, list[int]] = {}
    rows = HeldLeaver.objects.filter(pupil__institution_id__in=institution_pks).values_list(
        "pupil__institution_id", "pupil_id"
    )
    for institution_pk, pupil_pk in rows:
        held.setdefault(institution_pk, []).append(pupil_pk)
    return held


def _uuid_reader():
    if connection.vendor == "postgresql":
        return lambda value: value  # psycopg gives UUIDs
    return lambda value: UUID(hex=value)


def _date_reader():
    def as_date(value):
        if isinstance(value, str):
            return datetime.date.fromisoformat(value)
        return value

    return as_date


def refresh_statistics() -> None:
    """Let the database's query planner see the registry's current size."""
    tables = [m._meta.db_table for m in (Pupil, Enrolment, SourceAlias, SchoolClass)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA optimize")
