"""Subclasses (sharing/subclasses.py): the pure rules, then making, filling and removing one
through the functions the pages call, without HTTP."""

from __future__ import annotations

import pytest

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Enrolment, Pupil, SchoolClass, SubclassMembership
from schoolbrug.sharing import subclasses
from schoolbrug.sharing.subclasses import SubclassError, checked_name, member_changes
from tests.web.conftest import make_school

BY = "directie@regenboog.be"


# --- the pure rules ----------------------------------------------------------------------------


def test_a_name_is_kept_as_typed_but_must_be_free_and_not_the_leavers_class():
    assert checked_name("  1A wiskunde ", ["1A", "2B"]) == "1A wiskunde"
    assert checked_name("1a Wiskunde", ["1A wiskunde"]) == "1a Wiskunde"  # every letter counts
    for name, taken, why in (
        ("", [], "Geef de subklas een naam"),
        ("   ", [], "Geef de subklas een naam"),
        ("x" * 51, [], "te lang"),
        ("Schoolverlaters", [], "uitgeschreven leerlingen"),
        ("2B", ["1A", "2B"], "al een klas of subklas '2B'"),
    ):
        with pytest.raises(SubclassError) as refused:
            checked_name(name, taken)
        assert why in refused.value.reason_nl


def test_member_changes_add_and_remove_but_only_pupils_of_the_class():
    changes = member_changes(current={1, 2}, wanted={2, 3}, of_class={1, 2, 3, 4})
    assert (changes.added, changes.removed) == ({3}, {1})
    # A member who left the class in between may still be taken out.
    assert member_changes({7}, set(), of_class=set()).removed == {7}
    with pytest.raises(SubclassError) as refused:
        member_changes(current={1}, wanted={1, 9}, of_class={1, 2})
    assert "1 gekozen leerling(en) zitten niet (meer) in de klas" in refused.value.reason_nl


# --- making, filling, removing ---------------------------------------------------------------


@pytest.fixture
def school(db):
    return make_school()


def ids(*pupils: Pupil) -> list:
    return [p.sourced_id for p in pupils]


def members(subclass: SchoolClass) -> list[str]:
    return sorted(subclasses.current_members(subclass).values_list("pupil__given_name", flat=True))


def test_a_subclass_is_a_group_of_pupils_of_its_class_who_stay_in_the_class(school):
    jan, mila, noah, _ = school.pupils
    one_a = school.classes["1A"]
    subclass = subclasses.create_subclass(one_a, "1A wiskunde", ids(jan, mila), by=BY)

    assert (subclass.parent, subclass.institution, subclass.school_year) == (
        one_a,
        school.institution,
        school.school_year,
    )
    assert (subclass.curriculum, subclass.year, subclass.is_active) == ("BaO", 1, True)
    assert members(subclass) == ["Jan", "Mila"]
    # Their one enrolment of the year is still in 1A.
    assert set(
        Enrolment.objects.filter(pupil__in=[jan, mila]).values_list("school_class", flat=True)
    ) == {one_a.pk}

    entries = AuditEntry.objects.order_by("id")
    assert [
        (e.entity, e.action, e.actor) for e in entries.filter(reason="subklas 1A wiskunde gemaakt")
    ] == [
        ("class", "create", BY),
        ("pupil", "update", BY),
        ("pupil", "update", BY),
    ]
    created = entries.get(entity="class", entity_sourced_id=subclass.sourced_id)
    assert created.changes["code"] == [None, "1A wiskunde"]
    assert created.changes["parent"][0] is None and "1A" in str(created.changes["parent"][1])
    assert created.institution_number == "012345"
    assert entries.get(entity_sourced_id=jan.sourced_id, reason__startswith="subklas").changes == {
        "subclass": [None, "1A wiskunde"]
    }

    # Noah is in 2B: refused, and nothing changes.
    with pytest.raises(SubclassError):
        subclasses.set_members(subclass, ids(jan, noah), by=BY)
    assert members(subclass) == ["Jan", "Mila"]

    changes = subclasses.set_members(subclass, ids(jan), by=BY)
    assert (changes.added, changes.removed) == (frozenset(), {mila.pk})
    assert members(subclass) == ["Jan"]
    ended = SubclassMembership.objects.get(pupil=mila)
    assert ended.ended_at is not None  # kept, not deleted
    left = AuditEntry.objects.get(
        entity_sourced_id=mila.sourced_id, reason="leden van subklas 1A wiskunde"
    )
    assert left.changes == {"subclass": ["1A wiskunde", None]}

    # Mila back in: a new membership, the old one stays history.
    subclasses.set_members(subclass, ids(jan, mila), by=BY)
    assert SubclassMembership.objects.filter(pupil=mila).count() == 2
    assert members(subclass) == ["Jan", "Mila"]


def test_subclasses_are_refused_where_they_cannot_be(school, other_school_pupil):
    one_a, leavers = school.classes["1A"], school.classes["Schoolverlaters"]
    jan, _, _, lotte = school.pupils
    SchoolClass.objects.filter(pk=school.classes["2B"].pk).update(is_active=False)
    for parent in (leavers, SchoolClass.objects.get(code="2B", institution=school.institution)):
        with pytest.raises(SubclassError):  # the leavers, a class the SIS no longer sends
            subclasses.create_subclass(parent, "x", [], by=BY)
    subclass = subclasses.create_subclass(one_a, "1A wiskunde", [], by=BY)
    with pytest.raises(SubclassError):  # no subclass of a subclass
        subclasses.create_subclass(subclass, "1A wiskunde+", [], by=BY)
    with pytest.raises(SubclassError):  # the code is taken (by an inactive class too)
        subclasses.create_subclass(one_a, "2B", [], by=BY)
    with pytest.raises(SubclassError):
        subclasses.create_subclass(one_a, "1A wiskunde", [], by=BY)
    # A leaver, a pupil of another school, and something that is no id at all.
    for pupil in (lotte.sourced_id, other_school_pupil.sourced_id, "12345"):
        with pytest.raises(SubclassError):
            subclasses.set_members(subclass, [jan.sourced_id, pupil], by=BY)
    assert members(subclass) == []
    assert SchoolClass.objects.filter(parent__isnull=False).count() == 1


@pytest.fixture
def other_school_pupil(db):
    return make_school("054321", "Vrije Basisschool Sint-Jozef").pupils[0]


def test_removing_keeps_the_history_and_frees_the_name(school):
    jan, mila, _, _ = school.pupils
    one_a = school.classes["1A"]
    subclass = subclasses.create_subclass(one_a, "1A wiskunde", ids(jan, mila), by=BY)
    subclasses.remove_subclass(subclass, by="ict@regenboog.be")

    subclass.refresh_from_db()
    assert not subclass.is_active and members(subclass) == []
    assert SubclassMembership.objects.filter(subclass=subclass).count() == 2  # ended, kept
    removed = AuditEntry.objects.get(entity="class", action="update")
    assert (removed.actor, removed.reason, removed.changes) == (
        "ict@regenboog.be",
        "subklas 1A wiskunde verwijderd",
        {"is_active": [True, False]},
    )
    assert (
        AuditEntry.objects.filter(
            entity="pupil",
            reason="subklas 1A wiskunde verwijderd",
            changes__subclass=["1A wiskunde", None],
        ).count()
        == 2
    )
    with pytest.raises(SubclassError):
        subclasses.set_members(subclass, ids(jan), by=BY)
    with pytest.raises(SubclassError):
        subclasses.remove_subclass(subclass, by=BY)

    again = subclasses.create_subclass(one_a, "1A wiskunde", ids(mila), by=BY)
    assert again.pk != subclass.pk and members(again) == ["Mila"]


def test_the_database_keeps_codes_unique_among_live_classes(school):
    """The constraint the functions rely on when two people make the same name at once."""
    from django.db import IntegrityError, transaction

    one_a = school.classes["1A"]
    subclasses.create_subclass(one_a, "1A wiskunde", [], by=BY)
    with pytest.raises(IntegrityError), transaction.atomic():
        SchoolClass.objects.create(
            institution=school.institution,
            school_year=school.school_year,
            code="1A wiskunde",
            parent=one_a,
        )
