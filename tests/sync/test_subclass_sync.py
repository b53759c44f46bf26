"""The sync and the subclasses a school made in Schoolbrug (sync/subclasses.py), night after
night with real WISA files: the subclass stays, a pupil who leaves its class leaves it the
same night, one who comes back is not put back, and a class the SIS starts sending with the
subclass's code takes that code."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Pupil, SchoolClass, SubclassMembership
from schoolbrug.sharing import subclasses
from schoolbrug.sharing.subclasses import SubclassError
from schoolbrug.sync import subclasses as sync_subclasses
from schoolbrug.sync.models import SyncRun
from schoolbrug.sync.subclasses import SubclassState, plan_subclasses, renamed_code
from schoolbrug.web import queries
from tests.factories import klass, pupil
from tests.sync.test_service import CLASSES, SCHOOL, run_sync

BY = "directie@regenboog.be"


def pupil_of(sequence: int) -> Pupil:
    return Pupil.objects.get(national_number=SCHOOL[sequence - 1].national_number)


def members(subclass: SchoolClass) -> list[int]:
    """The members as the sequence numbers of SCHOOL (their class number there)."""
    numbers = {p.national_number: i for i, p in enumerate(SCHOOL, start=1)}
    return sorted(
        numbers[nn]
        for nn in subclasses.current_members(subclass).values_list(
            "pupil__national_number", flat=True
        )
    )


def moved(records, **changes):
    """The export with pupil n's class changed (n=class code), or left out (n=None)."""
    out = []
    for i, record in enumerate(records, start=1):
        code = changes.get(f"p{i}", record.class_code)
        if code is not None:
            out.append(pupil(i, code, class_number=i))
    return out


@pytest.mark.django_db
def test_the_sync_keeps_a_subclass_and_takes_leavers_and_movers_out_of_it(tmp_path):
    assert run_sync(tmp_path, SCHOOL)[0] == 0
    one_a = SchoolClass.objects.get(code="1A")
    subclass = subclasses.create_subclass(
        one_a, "1A wiskunde", [pupil_of(i).sourced_id for i in (1, 2, 3)], by=BY
    )

    # Two nights with the same export: the subclass is no class of the SIS, yet it stays.
    for _ in range(2):
        code, report = run_sync(tmp_path, SCHOOL)
        assert code == 0 and "deactivated" not in report["class_counts"]
        subclass.refresh_from_db()
        assert subclass.is_active and subclass.parent == one_a and members(subclass) == [1, 2, 3]

    # Pupil 1 leaves the school, pupil 2 moves to 1B: a dry run shows what will happen ...
    night = moved(SCHOOL, p1=None, p2="1B")
    code, report = run_sync(tmp_path, night, "--dry-run")
    assert report["class_counts"] == {"subclass_members_left": 2}
    left = {a["action"]: a.get("subclasses_left") for a in report["actions"]}
    assert left == {"left": ["1A wiskunde"], "moved": ["1A wiskunde"]}
    assert members(subclass) == [1, 2, 3]

    # ... and the night does it, in the history with the run as reason.
    code, report = run_sync(tmp_path, night)
    assert code == 0 and report["counts"]["left"] == 1 and report["counts"]["moved"] == 1
    assert members(subclass) == [3]
    run = SyncRun.objects.get(pk=report["run_id"])
    entries = AuditEntry.objects.filter(sync_run=run, changes__has_key="subclass")
    assert sorted((str(e.entity_sourced_id), e.changes["subclass"]) for e in entries) == sorted(
        (str(pupil_of(i).sourced_id), ["1A wiskunde", None]) for i in (1, 2)
    )
    assert {(e.entity, e.actor, e.reason) for e in entries} == {
        ("pupil", "cli", f"synchronisatie {run.pk} (wisa)")
    }

    # Both come back to 1A: not into the subclass (the school adds them again if it wants).
    code, report = run_sync(tmp_path, SCHOOL)
    assert report["counts"]["returned"] == 1 and report["counts"]["moved"] == 1
    assert members(subclass) == [3]
    assert SubclassMembership.objects.filter(subclass=subclass).count() == 3  # history kept


@pytest.mark.django_db
def test_a_class_the_sis_starts_sending_with_a_subclass_code_takes_it(tmp_path):
    assert run_sync(tmp_path, SCHOOL)[0] == 0
    one_a = SchoolClass.objects.get(code="1A")
    subclass = subclasses.create_subclass(one_a, "1A wiskunde", [pupil_of(3).sourced_id], by=BY)

    records = [*SCHOOL[:-1], pupil(10, "1A wiskunde", class_number=10)]
    code, report = run_sync(tmp_path, records, classes=[*CLASSES, klass("1A wiskunde")])
    assert code == 0
    assert report["class_counts"] == {"created": 1, "subclasses_renamed": 1}

    sis_class = SchoolClass.objects.get(code="1A wiskunde")
    assert sis_class.parent is None and sis_class.pk != subclass.pk
    subclass.refresh_from_db()
    assert (subclass.code, subclass.is_active, members(subclass)) == (
        "1A wiskunde (subklas)",
        True,
        [3],
    )
    renamed = queries.renamed_by_sync(subclass)
    assert renamed.changes == {"code": ["1A wiskunde", "1A wiskunde (subklas)"]}
    assert renamed.sync_run_id == report["run_id"]

    # And the school cannot take the SIS's code back.
    with pytest.raises(SubclassError):
        subclasses.create_subclass(one_a, "1A wiskunde", [], by=BY)


def test_the_rules_the_planner_follows():
    state = {
        "1A wiskunde": SubclassState(1, "s1", "1A"),
        "1A Frans": SubclassState(2, "s2", "1A"),
    }
    memberships = {10: ["1A wiskunde", "1A Frans"], 11: ["1A wiskunde"], 12: ["1A Frans"]}
    pupils = {10: ("p10", "1A"), 11: ("p11", "1A"), 12: ("p12", "1A")}
    # 10 leaves, 11 is rejected this night (no destination: stays), 12 is unchanged.
    plan = plan_subclasses(state, memberships, pupils, {10: "Schoolverlaters"}, [], ["1A"])
    assert [(x.pupil_pk, x.subclass_code) for x in plan.leaves] == [
        (10, "1A wiskunde"),
        (10, "1A Frans"),
    ]
    plan = plan_subclasses(state, {}, {}, {}, ["1A Frans", "3C"], ["1A", "1A Frans (subklas)"])
    assert [(r.subclass_code, r.new_code) for r in plan.renames] == [
        ("1A Frans", "1A Frans (subklas 2)")
    ]
    long_code = "x" * 50
    assert renamed_code(long_code, []) == "x" * 40 + " (subklas)"
    assert len(renamed_code(long_code, ["x" * 40 + " (subklas)"])) == 50


# --- a school adds a pupil while the sync moves that pupil out of the class ---------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first", ["sync", "school"])
def test_a_member_added_during_the_sync_that_moves_them_does_not_stay(tmp_path, first):
    """Two writers at once. On PostgreSQL in two threads: the one that comes second waits
    for the first one's transaction (row locks on the pupil's enrolment); on SQLite, which
    has one writer, one after the other. Either way the pupil who left 1A is no member of
    its subclass afterwards."""
    assert run_sync(tmp_path, SCHOOL)[0] == 0
    one_a = SchoolClass.objects.get(code="1A")
    subclass = subclasses.create_subclass(one_a, "1A wiskunde", [pupil_of(1).sourced_id], by=BY)
    mover = pupil_of(2).sourced_id
    night = moved(SCHOOL, p2="1B")
    outcome = {}

    def school_adds():
        try:
            subclasses.set_members(subclass, [pupil_of(1).sourced_id, mover], by=BY)
            outcome["school"] = "added"
        except SubclassError:
            outcome["school"] = "refused"
        finally:
            connections.close_all()  # this thread's own connection

    def sync_moves():
        try:
            outcome["sync"] = run_sync(tmp_path, night)[0]
        finally:
            connections.close_all()  # this thread's own connection

    steps = {"sync": sync_moves, "school": school_adds}
    second = "school" if first == "sync" else "sync"
    if connection.vendor != "postgresql":
        steps[first]()
        steps[second]()
    else:
        _interleaved(steps[first], steps[second], first)

    assert outcome["sync"] == 0
    assert members(subclass) == [1]
    # Second, the school finds the pupil gone from 1A; first, the sync ends what it added.
    assert outcome["school"] == ("refused" if first == "sync" else "added")
    ended_by_sync = AuditEntry.objects.filter(
        sync_run__isnull=False, entity_sourced_id=mover, changes__subclass=["1A wiskunde", None]
    )
    assert ended_by_sync.exists() == (first == "school")


def _interleaved(first, second, who_first: str) -> None:
    """Run `first` until it holds its locks, start `second` (which must wait on them), then
    let `first` commit."""
    holding, release = threading.Event(), threading.Event()
    if who_first == "sync":
        # The sync has written the enrolments (row locks held) and is about to end memberships.
        original = sync_subclasses.end_memberships

        def paused(*args, **kwargs):
            holding.set()
            release.wait(30)
            return original(*args, **kwargs)

        patch = ("schoolbrug.sync.apply.end_memberships", paused)
    else:
        # The school has locked the pupils' enrolments and is about to add the memberships.
        original = subclasses.member_changes

        def paused(*args, **kwargs):
            holding.set()
            release.wait(30)
            return original(*args, **kwargs)

        patch = ("schoolbrug.sharing.subclasses.member_changes", paused)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(*patch)
        one = threading.Thread(target=first)
        one.start()
        assert holding.wait(30)
        monkeypatch.undo()  # the second writer runs the real code
        two = threading.Thread(target=second)
        two.start()
        two.join(1.0)
        assert two.is_alive(), "the second writer must wait for the first one's locks"
        release.set()
        one.join(60)
        two.join(60)
        assert not one.is_alive() and not two.is_alive()


@pytest.mark.django_db
def test_the_next_sync_keeps_a_subclass_made_any_other_way(tmp_path):
    """Today's main deactivated it: the export does not name it."""
    assert run_sync(tmp_path, SCHOOL)[0] == 0
    one_a = SchoolClass.objects.get(code="1A")
    made = SchoolClass.objects.create(
        institution=one_a.institution, school_year=one_a.school_year, code="1A Frans", parent=one_a
    )
    run_sync(tmp_path, SCHOOL)
    made.refresh_from_db()
    assert made.is_active
