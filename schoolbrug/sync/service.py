"""One sync, start to end: validate, plan, check safety, apply, store the run, report."""

from __future__ import annotations

import datetime
import gc
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from schoolbrug.registry.language import institution_words
from schoolbrug.registry.models import SchoolYear
from schoolbrug.registry.outward import SOURCE as OUTWARD_SOURCE
from schoolbrug.registry.outward import refresh_outward
from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.records import Snapshot
from schoolbrug.sources.tabular import gc_paused
from schoolbrug.sources.validate import validate

from . import blackout, bulk
from .apply import (
    PlanToApply,
    apply_plans,
    keep_institution_aliases,
    keep_institution_countries,
    school_year_for,
)
from .locking import InstitutionBusy, institutions_locked
from .models import SyncRun
from .not_synced import not_synced, traceback_without_values
from .plan import Plan, plan_sync
from .report import SyncReport, class_counts, describe_actions
from .resolve import resolve_institutions, resolve_snapshot
from .safety import check_safety
from .source_details import keep_source_details
from .source_ids import keep_source_ids
from .source_sessions import keep_source_sessions
from .state import InstitutionState, load_states, refresh_statistics

log = logging.getLogger("schoolbrug.sync")


@dataclass(frozen=True, slots=True)
class SyncOptions:
    dry_run: bool = False
    force: bool = False
    started_by: str = "cli"
    school_year: int | None = None  # start year; default: the school year of today
    leaver_threshold: float | None = None  # default: settings.SCHOOLBRUG_LEAVER_THRESHOLD
    change_threshold: float | None = None  # default: settings.SCHOOLBRUG_CHANGE_THRESHOLD
    today: datetime.date | None = None  # the day for the blackout period; default: today
    with_actions: bool = True  # list each change in the report (large for a region)
    # Seconds spent per phase, added up over institutions, for the benchmark.
    timings: dict[str, float] | None = None

    def resolved_school_year(self) -> int:
        if self.school_year is not None:
            return self.school_year
        return SchoolYear.start_year_for(timezone.localdate())

    def threshold(self) -> float:
        if self.leaver_threshold is not None:
            return self.leaver_threshold
        return settings.SCHOOLBRUG_LEAVER_THRESHOLD

    def change_limit(self) -> float:
        if self.change_threshold is not None:
            return self.change_threshold
        return settings.SCHOOLBRUG_CHANGE_THRESHOLD


def sync_snapshot(
    snapshot: Snapshot, *, options: SyncOptions | None = None, **kwargs
) -> SyncReport:
    """Sync one institution's snapshot. Keyword arguments are SyncOptions fields."""
    return sync_snapshots([snapshot], options=options or SyncOptions(**kwargs))[0]


# A region night is applied in batches of institutions, each batch one transaction (that
# also reads the batch's state, under its locks) with one statement per table; small enough
# that a retry one by one (below) stays cheap.
BATCH_PUPILS = 20_000
BATCH_INSTITUTIONS = 200


def sync_snapshots(snapshots: Iterable[Snapshot], *, options: SyncOptions) -> list[SyncReport]:
    """Sync many institutions (a region night): each batch's registry state is read in bulk,
    each institution is planned on its own, and the batch's plans are written together.

    Each institution's changes are all or nothing, and its own: a batch is one transaction
    that holds its institutions' locks (locking.py) from the read to the write. Should it
    fail, or find an institution being synced elsewhere, its institutions are synced again
    one transaction each; one that fails then is reported as failed (nothing written for it)
    and one still held elsewhere as busy, and the others are applied.
    """
    snapshots = resolve_institutions(list(snapshots))
    try:
        # Before the batches' transactions, committed at once: were the year's first row made
        # in one, the other processes of --jobs would wait for that whole batch.
        school_year = school_year_for(options.resolved_school_year())
    except OperationalError as error:
        if "database is locked" not in str(error):
            raise
        # SQLite: another writer held the database longer than SCHOOLBRUG_SYNC_LOCK_WAIT.
        return [not_synced(s, options, SyncRun.Status.BUSY) for s in snapshots]
    # The snapshots are millions of long-lived objects for a region: frozen, the collector
    # stops walking them again and again while the run makes its small garbage.
    gc.freeze()
    try:
        reports = []
        for batch in _batches(snapshots):
            reports += _sync_batch(batch, school_year, options)
    finally:
        gc.unfreeze()
    if sum(r.counts.get("created", 0) for r in reports) >= REFRESH_STATISTICS_AFTER:
        refresh_statistics()
    return reports


# After a first load the database's planner statistics still describe empty tables, and
# the next read of the state would scan where it should look up: refresh them.
REFRESH_STATISTICS_AFTER = 50_000


def _load_states(snapshots: list[Snapshot], school_year: SchoolYear) -> dict:
    states: dict[str, InstitutionState | None] = {}
    for source in {s.source for s in snapshots}:
        numbers = [s.institution_number for s in snapshots if s.source == source]
        states.update(load_states(numbers, school_year.pk, source))
    return states


def _batches(snapshots: list[Snapshot]):
    batch: list[Snapshot] = []
    pupils = 0
    numbers: set[str] = set()
    for snapshot in snapshots:
        if batch and (
            pupils + len(snapshot.pupils) > BATCH_PUPILS
            or len(batch) >= BATCH_INSTITUTIONS
            or snapshot.institution_number in numbers
        ):
            yield batch
            batch, pupils, numbers = [], 0, set()
        batch.append(snapshot)
        pupils += len(snapshot.pupils)
        numbers.add(snapshot.institution_number)
    if batch:
        yield batch


@dataclass(slots=True)
class _Planned:
    snapshot: Snapshot
    state: InstitutionState
    plan: Plan
    report: SyncReport
    status: str
    started_at: datetime.datetime


def _sync_batch(
    batch: list[Snapshot], school_year: SchoolYear, options: SyncOptions
) -> list[SyncReport]:
    clock = _PhaseClock(options.timings)
    try:
        with institutions_locked([s.institution_number for s in batch], wait=False):
            planned = _read_and_plan(batch, school_year, options, clock)
            _write(planned, school_year, options)
    except InstitutionBusy as busy:
        if busy.waited:  # SQLite: the database's one writer did not finish in time
            return [not_synced(s, options, SyncRun.Status.BUSY) for s in batch]
        log.info("sync: an institution of the batch is being synced elsewhere; one by one")
    except Exception as error:  # whatever it is, it must not take the batch's others along
        log.warning(
            "sync batch of %d institutions failed (%s); syncing them one by one",
            len(batch),
            type(error).__name__,
        )
    else:
        clock.lap("apply")
        for one in planned:
            _log(one.plan, one.status)
        return [one.report for one in planned]
    return [_sync_alone(snapshot, school_year, options, clock) for snapshot in batch]


def _sync_alone(
    snapshot: Snapshot, school_year: SchoolYear, options: SyncOptions, clock: _PhaseClock
) -> SyncReport:
    """One institution in its own transaction, waiting for its lock: applied, or reported as
    failed or busy with nothing written for it."""
    try:
        with institutions_locked([snapshot.institution_number], wait=True):
            planned = _read_and_plan([snapshot], school_year, options, clock)
            _write(planned, school_year, options)
    except InstitutionBusy:
        log.warning(
            "sync %s %s: another sync of the institution held it longer than %s s; refused",
            snapshot.source,
            snapshot.institution_number,
            settings.SCHOOLBRUG_SYNC_LOCK_WAIT,
        )
        return not_synced(snapshot, options, SyncRun.Status.BUSY)
    except Exception as error:
        log.error(
            "sync %s %s: failed, nothing written for it (the others go on)\n%s",
            snapshot.source,
            snapshot.institution_number,
            traceback_without_values(error),
        )
        return not_synced(snapshot, options, SyncRun.Status.FAILED)
    clock.lap("apply")
    _log(planned[0].plan, planned[0].status)
    return planned[0].report


def _read_and_plan(
    batch: list[Snapshot], school_year: SchoolYear, options: SyncOptions, clock: _PhaseClock
) -> list[_Planned]:
    """Inside the transaction that holds the batch's locks: the state the plans are made on
    is the state they are written to."""
    with gc_paused():
        states = _load_states(batch, school_year)
    gc.freeze()  # like the snapshots (below): long-lived, the collector need not walk them
    clock.lap("read registry")
    return [
        _plan_one(snapshot, states[snapshot.institution_number], options, clock)
        for snapshot in batch
    ]


def _plan_one(
    snapshot: Snapshot, state: InstitutionState, options: SyncOptions, clock: _PhaseClock
) -> _Planned:
    # Its findings in its country's words ("groep" for a Dutch school).
    with institution_words(snapshot.country or state.country):
        return _plan_in_words(snapshot, state, options, clock)


def _plan_in_words(
    snapshot: Snapshot, state: InstitutionState, options: SyncOptions, clock: _PhaseClock
) -> _Planned:
    started_at = timezone.now()
    snapshot = resolve_snapshot(snapshot, state)  # what a delta names by reference only
    known = frozenset(p.national_number for p in state.pupils if p.national_number)
    validation = validate(snapshot, known_national_numbers=known)
    clock.lap("validate")
    plan = plan_sync(snapshot, validation, state)
    period = blackout.period_for(state.leaver_blackout)
    if period and not options.force and period.contains(options.today or blackout.sync_day()):
        blackout.hold_leavers(plan, snapshot, period)
    plan.stop_reason = check_safety(
        plan, snapshot, options.threshold(), options.change_limit(), options.force
    )
    clock.lap("plan")
    if options.dry_run:
        status = SyncRun.Status.DRY_RUN
    elif plan.stop_reason:
        status = SyncRun.Status.STOPPED
    else:
        status = SyncRun.Status.APPLIED
    return _Planned(snapshot, state, plan, _report(plan, options), status, started_at)


def _write(planned: list[_Planned], school_year: SchoolYear, options: SyncOptions) -> None:
    """Store every run of the batch, then write the plans of those that apply."""
    runs = [
        SyncRun(
            started_at=one.started_at,
            started_by=options.started_by,
            source=one.snapshot.source,
            institution_number=one.snapshot.institution_number,
            source_hash=one.snapshot.source_hash,
            options=_options_json(options, school_year),
            status=one.status,
            counts=one.plan.counts,
            findings=one.report.findings,
        )
        for one in planned
    ]
    bulk.insert(runs)
    apply_plans(
        [
            PlanToApply(
                one.plan,
                run,
                one.state,
                one.snapshot.institution_name,
                one.snapshot.institution_source_id,
            )
            for one, run in zip(planned, runs, strict=True)
            if one.status == SyncRun.Status.APPLIED and one.plan.has_changes
        ],
        school_year,
    )
    applied = [one.snapshot for one in planned if one.status == SyncRun.Status.APPLIED]
    keep_institution_aliases(applied)
    keep_source_ids(applied, school_year)
    applied_runs = [
        (one.snapshot, run.pk)
        for one, run in zip(planned, runs, strict=True)
        if one.status == SyncRun.Status.APPLIED
    ]
    keep_source_details(applied_runs, school_year)
    keep_source_sessions(applied_runs, school_year)
    if any(snapshot.source == OUTWARD_SOURCE for snapshot in applied):
        refresh_outward()  # which of the aliases just written are the records' outward ids
    keep_institution_countries(applied)
    SyncRun.objects.filter(pk__in=[run.pk for run in runs]).update(finished_at=timezone.now())
    for one, run in zip(planned, runs, strict=True):
        one.report.run_id = run.pk
        one.report.applied = one.status == SyncRun.Status.APPLIED


def record_bad_input(
    error: BadInput, *, source: str, institution_number: str, options: SyncOptions
) -> SyncReport:
    """An export that cannot be read: nothing is written but the run, so the school sees why."""
    now = timezone.now()
    run = SyncRun.objects.create(
        started_at=now,
        finished_at=now,
        started_by=options.started_by,
        source=source,
        institution_number=institution_number,
        options={"dry_run": options.dry_run, "force": options.force},
        status=SyncRun.Status.BAD_INPUT,
        findings=[error.as_dict()],
    )
    log.warning("sync %s %s: bad input: %s", source, institution_number, error.log_text())
    return SyncReport(
        institution=institution_number,
        source=source,
        dry_run=options.dry_run,
        applied=False,
        counts={},
        findings=[],
        run_id=run.pk,
        error=error.as_dict(),
    )


class _PhaseClock:
    def __init__(self, timings: dict[str, float] | None):
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, phase: str) -> None:
        if self.timings is None:
            return
        now = time.perf_counter()
        self.timings[phase] = self.timings.get(phase, 0.0) + now - self.last
        self.last = now


def _report(plan: Plan, options: SyncOptions) -> SyncReport:
    return SyncReport(
        institution=plan.institution_number,
        source=plan.source,
        dry_run=options.dry_run,
        applied=False,
        counts=plan.counts,
        findings=[f.as_dict() for f in plan.findings],
        stopped=bool(plan.stop_reason),
        stop_reason=plan.stop_reason,
        class_counts=class_counts(plan),
        actions=describe_actions(plan) if options.with_actions else [],
    )


def _options_json(options: SyncOptions, school_year: SchoolYear) -> dict:
    return {
        "dry_run": options.dry_run,
        "force": options.force,
        "school_year": school_year.title,
        "leaver_threshold": options.threshold(),
        "change_threshold": options.change_limit(),
    }


def _log(plan: Plan, status: str) -> None:
    # English, counts and codes only: no names, no national numbers.
    log.info("sync %s %s: %s %s", plan.source, plan.institution_number, status, plan.counts)
    for finding in plan.findings:
        log.info("sync %s %s: %s", plan.source, plan.institution_number, finding.log_text())
