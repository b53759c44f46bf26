"""One sync, start to end: validate, plan, check safety, apply, store the run, report."""

from __future__ import annotations

import datetime
import gc
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from schoolbrug.registry.models import SchoolYear
from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.records import Snapshot
from schoolbrug.sources.tabular import gc_paused
from schoolbrug.sources.validate import validate

from . import bulk
from .apply import PlanToApply, apply_plans, keep_institution_aliases, school_year_for
from .models import SyncRun
from .plan import Plan, plan_sync
from .report import SyncReport, class_counts, describe_actions
from .resolve import resolve_institutions, resolve_snapshot
from .safety import check_safety
from .state import InstitutionState, load_states, refresh_statistics

log = logging.getLogger("schoolbrug.sync")


@dataclass(frozen=True, slots=True)
class SyncOptions:
    dry_run: bool = False
    force: bool = False
    started_by: str = "cli"
    school_year: int | None = None  # start year; default: the school year of today
    leaver_threshold: float | None = None  # default: settings.SCHOOLBRUG_LEAVER_THRESHOLD
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


def sync_snapshot(
    snapshot: Snapshot, *, options: SyncOptions | None = None, **kwargs
) -> SyncReport:
    """Sync one institution's snapshot. Keyword arguments are SyncOptions fields."""
    return sync_snapshots([snapshot], options=options or SyncOptions(**kwargs))[0]


# A region night is applied in batches of institutions, each batch one transaction with
# one statement per table; small enough that a retry one by one (below) stays cheap.
BATCH_PUPILS = 20_000
BATCH_INSTITUTIONS = 200


def sync_snapshots(snapshots: Iterable[Snapshot], *, options: SyncOptions) -> list[SyncReport]:
    """Sync many institutions (a region night): registry state is read in bulk once,
    each institution is planned on its own, and the plans are written in batches.

    Each institution's changes are all or nothing: a batch is one transaction, and should
    it fail, its institutions are written again one transaction each, so one institution's
    error cannot take another's changes with it.
    """
    snapshots = resolve_institutions(list(snapshots))
    school_year = school_year_for(options.resolved_school_year())
    started = time.perf_counter()
    with gc_paused():
        states = _load_states(snapshots, school_year)
    if options.timings is not None:
        options.timings["read registry"] = time.perf_counter() - started
    # The snapshots and states are millions of long-lived objects for a region: frozen, the
    # collector stops walking them again and again while the run makes its small garbage.
    gc.freeze()
    try:
        reports = []
        for batch in _batches(snapshots):
            if any(states[s.institution_number] is None for s in batch):
                # Named twice in one call: read again what the first one wrote.
                states.update(_load_states(batch, school_year))
            reports += _sync_batch(batch, states, school_year, options)
            for snapshot in batch:
                states[snapshot.institution_number] = None
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
    batch: list[Snapshot], states: dict, school_year: SchoolYear, options: SyncOptions
) -> list[SyncReport]:
    clock = _PhaseClock(options.timings)
    planned = [
        _plan_one(snapshot, states[snapshot.institution_number], options, clock)
        for snapshot in batch
    ]
    try:
        with transaction.atomic():
            _write(planned, school_year, options)
    except DatabaseError:
        if len(planned) == 1:
            raise
        log.warning("sync batch of %d institutions failed; writing them one by one", len(batch))
        for one in planned:
            with transaction.atomic():
                _write([one], school_year, options)
    clock.lap("apply")
    for one in planned:
        _log(one.plan, one.status)
    return [one.report for one in planned]


def _plan_one(
    snapshot: Snapshot, state: InstitutionState, options: SyncOptions, clock: _PhaseClock
) -> _Planned:
    started_at = timezone.now()
    snapshot = resolve_snapshot(snapshot, state)  # what a delta names by reference only
    known = frozenset(p.national_number for p in state.pupils if p.national_number)
    validation = validate(snapshot, known_national_numbers=known)
    clock.lap("validate")
    plan = plan_sync(snapshot, validation, state)
    plan.stop_reason = check_safety(plan, snapshot, options.threshold(), options.force)
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
    keep_institution_aliases(
        [one.snapshot for one in planned if one.status == SyncRun.Status.APPLIED]
    )
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
    }


def _log(plan: Plan, status: str) -> None:
    # English, counts and codes only: no names, no national numbers.
    log.info("sync %s %s: %s %s", plan.source, plan.institution_number, status, plan.counts)
    for finding in plan.findings:
        log.info("sync %s %s: %s", plan.source, plan.institution_number, finding.log_text())
