"""The planner decides, per pupil, what a sync does; these tests need no database."""

import datetime
import uuid

from schoolbrug.registry.models import LEAVERS_CLASS_CODE
from schoolbrug.sync.plan import (
    ClassActionKind,
    PupilActionKind,
    class_values,
    plan_sync,
    record_values,
)
from schoolbrug.sync.state import ClassState, InstitutionState, PupilState
from tests.factories import Validation, klass, pupil, snapshot


def state_of(records, *, classes=None, origin="wisa", leavers=(), contact_source="parents"):
    """The registry as a previous sync of these records would have left it."""
    state = InstitutionState(number="012345", pk=1, contact_source=contact_source)
    for i, code in enumerate(classes or sorted({r.class_code for r in records})):
        state.classes[code] = ClassState(
            i + 1, uuid.uuid4(), class_values(klass(code)), False, True
        )
    for i, r in enumerate(records):
        state.pupils.append(
            PupilState(
                pk=i + 1,
                sourced_id=uuid.uuid4(),
                national_number=r.national_number,
                values=record_values(r, contact_source),
                origin=origin,
                is_leaver=r.national_number in leavers,
                enrolment_pk=i + 1,
                class_code=LEAVERS_CLASS_CODE if r.national_number in leavers else r.class_code,
                class_number=r.class_number,
                source_id=r.source_id,
            )
        )
    return state


def plan_for(records, state, **snapshot_extra):
    snap = snapshot(records, **snapshot_extra)
    return plan_sync(snap, Validation.accepting(snap), state)


def kinds(plan):
    return {a.kind for a in plan.pupil_actions}


def test_a_new_pupil_in_the_sis_is_created_in_its_class():
    plan = plan_for([pupil(1)], state_of([]))
    assert plan.counts["created"] == 1
    assert plan.pupil_actions[0].class_code == "1A"
    assert [a.kind for a in plan.class_actions] == [ClassActionKind.CREATE]


def test_the_same_export_again_changes_nothing():
    records = [pupil(1), pupil(2, "1B")]
    plan = plan_for(records, state_of(records))
    assert plan.counts["unchanged"] == 2
    assert plan.pupil_actions == [] and plan.class_actions == []
    assert not plan.has_changes


def test_a_pupil_who_changes_class_is_moved():
    before = [pupil(1, "1A"), pupil(2, "1B")]
    after = [pupil(1, "1B"), pupil(2, "1B")]
    plan = plan_for(after, state_of(before, classes=["1A", "1B"]))
    (action,) = plan.pupil_actions
    assert action.kind is PupilActionKind.MOVE
    assert action.changes["class"] == ("1A", "1B")


def test_a_changed_class_number_is_an_update_that_affects_the_login():
    plan = plan_for([pupil(1, class_number=7)], state_of([pupil(1, class_number=3)]))
    (action,) = plan.pupil_actions
    assert action.kind is PupilActionKind.UPDATE and action.login_affecting
    assert any(f.code == "CLASS_NUMBER_CHANGED" for f in plan.findings)


def test_a_changed_name_is_an_update_that_does_not_affect_the_login():
    plan = plan_for([pupil(1, given_name="Gaëlle")], state_of([pupil(1)]))
    (action,) = plan.pupil_actions
    assert action.kind is PupilActionKind.UPDATE and not action.login_affecting
    assert action.changes == {"given_name": ("Zoë", "Gaëlle")}


def test_a_pupil_absent_from_the_export_leaves_for_the_leavers_class():
    before = [pupil(i) for i in range(1, 9)]
    plan = plan_for(before[1:], state_of(before))
    (action,) = plan.pupil_actions
    assert action.kind is PupilActionKind.LEAVE
    assert action.class_code == LEAVERS_CLASS_CODE
    assert plan.counts["left"] == 1 and plan.counts["unchanged"] == 7


def test_a_leaver_enrolled_again_returns():
    records = [pupil(1), pupil(2)]
    state = state_of(records, leavers={records[0].national_number})
    plan = plan_for(records, state)
    (action,) = plan.pupil_actions
    assert action.kind is PupilActionKind.RETURN and action.class_code == "1A"


def test_a_leaver_stays_a_leaver_without_a_new_action():
    records = [pupil(1), pupil(2)]
    state = state_of(records, leavers={records[0].national_number})
    plan = plan_for(records[1:], state)
    assert plan.counts["left"] == 0 and plan.pupil_actions == []


def test_a_pupil_entered_by_hand_is_adopted_not_duplicated():
    records = [pupil(1)]
    plan = plan_for(records, state_of(records, origin=""))
    (action,) = plan.pupil_actions
    assert action.kind is PupilActionKind.UPDATE and action.adopt
    assert plan.counts["created"] == 0


def test_deferred_and_rejected_pupils_do_not_leave():
    waiting, broken, fine = pupil(1, class_number=None), pupil(2), pupil(3)
    state = state_of([pupil(1), pupil(2), fine])
    snap = snapshot([waiting, broken, fine])
    validation = Validation(
        accepted=[fine], deferred=[waiting], rejected=[broken], classes={"1A": klass("1A")}
    )
    plan = plan_sync(snap, validation, state)
    assert plan.counts == {**plan.counts, "deferred": 1, "rejected": 1, "left": 0, "unchanged": 1}


def test_a_rejected_row_without_national_number_still_protects_its_pupil():
    stored = pupil(1)
    broken = pupil(1, national_number="")  # same WISA id, number wiped in the SIS
    snap = snapshot([broken])
    validation = Validation(rejected=[broken], classes={"1A": klass("1A")})
    plan = plan_sync(snap, validation, state_of([stored]))
    assert plan.counts["left"] == 0 and plan.counts["rejected"] == 1


def test_a_corrected_national_number_updates_the_pupil_found_by_source_id():
    stored = pupil(1)
    corrected = pupil(1, national_number=pupil(3).national_number)
    plan = plan_for([corrected], state_of([stored]))
    (action,) = plan.pupil_actions
    assert action.kind is PupilActionKind.UPDATE
    assert "national_number" in action.changes


def test_contact_source_header_takes_the_pupils_own_phone_and_drops_the_parents():
    contacts = {"mother": {"email": "mama@example.be", "phone": "09 123", "city": "Gent"}}
    record = pupil(1, email="zoe@example.be", phone="0470 11", contacts=contacts)
    header = record_values(record, "header")
    parents = record_values(record, "parents")
    assert (header.email, header.phone, header.contacts) == (
        "zoe@example.be", "0470 11", {"mother": {"city": "Gent"}}
    )  # fmt: skip
    # The pupil's own e-mail is kept whatever the contact source: apps know pupils by it.
    assert (parents.email, parents.phone, parents.contacts) == ("zoe@example.be", "", contacts)


def test_a_malformed_pupil_email_is_not_stored():
    for malformed in ("zoe@", "zoe example.be", "zoe@example", "a@b@example.be"):
        assert record_values(pupil(1, email=malformed), "parents").email == ""


def test_a_class_that_is_no_longer_exported_is_deactivated_but_the_leavers_class_is_kept():
    state = state_of([pupil(1)], classes=["1A", "OLD"])
    state.classes[LEAVERS_CLASS_CODE] = ClassState(9, uuid.uuid4(), (), True, True)
    plan = plan_for([pupil(1)], state)
    assert [(a.kind, a.code) for a in plan.class_actions] == [(ClassActionKind.DEACTIVATE, "OLD")]


def test_a_delta_set_only_makes_the_pupils_it_names_leave():
    records = [pupil(1), pupil(2)]
    plan = plan_for([], state_of(records), is_delta=True, leaving_source_ids=frozenset({"W2"}))
    assert plan.counts["left"] == 1
    assert plan.pupil_actions[0].state.source_id == "W2"


def test_birth_dates_compare_equal_whatever_the_database_returned():
    records = [pupil(1, birth=datetime.date(2015, 1, 2))]
    assert plan_for(records, state_of(records)).counts["unchanged"] == 1


def test_a_pupil_the_parser_had_to_skip_does_not_leave():
    records = [pupil(1), pupil(2)]
    plan = plan_for(records[1:], state_of(records), withheld_source_ids=frozenset({"W1"}))
    assert plan.counts["left"] == 0


def test_a_generated_class_number_does_not_overwrite_the_known_one():
    plan = plan_for(
        [pupil(1, class_number=2)],
        state_of([pupil(1, class_number=5)]),
        class_numbers_generated=True,
    )
    assert plan.counts["unchanged"] == 1


def test_a_set_schoolbrug_wrote_matches_its_pupils_by_our_own_id():
    stored = pupil(1)
    state = state_of([stored])
    state.pupils[0].source_id = None
    ours = str(state.pupils[0].sourced_id)
    plan = plan_for(
        [pupil(1, national_number="", source_id=ours)], state, key="source_id", source="oneroster"
    )
    assert plan.counts["left"] == 0 and plan.counts["created"] == 0
