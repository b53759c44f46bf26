"""One sync, start to end: validate, plan, check safety, apply, store the run, report."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from schoolbrug.registry.models import SchoolYear
from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.records import Snapshot
from schoolbrug.sources.validate import validate

from .apply import apply_plan, school_year_for
from .models import SyncRun
from .plan import Plan, plan_sync
from .report import SyncReport, class_counts, describe_actions
from .safety import check_safety
from .state import InstitutionState, load_states

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


def sync_snapshots(snapshots: Iterable[Snapshot], *, options: SyncOptions) -> list[SyncReport]:
    """Sync many institutions (a region night): registry state is read in bulk once,
    then each institution is planned and applied in a transaction of its own."""
    snapshots = list(snapshots)
    school_year = school_year_for(options.resolved_school_year())
    sources = {s.source for s in snapshots}
    states: dict[str, InstitutionState] = {}
    started = time.perf_counter()
    for source in sources:
        numbers = [s.institution_number for s in snapshots if s.source == source]
        states.update(load_states(numbers, school_year.pk, source))
    if options.timings is not None:
        options.timings["read registry"] = time.perf_counter() - started
    return [
        _sync_one(snapshot, states[snapshot.institution_number], school_year, options)
        for snapshot in snapshots
    ]


def _sync_one(
    snapshot: Snapshot, state: InstitutionState, school_year: SchoolYear, options: SyncOptions
) -> SyncReport:
    started_at = timezone.now()
    clock = _PhaseClock(options.timings)
    known = frozenset(p.national_number for p in state.pupils if p.national_number)
    validation = validate(snapshot, known_national_numbers=known)
    clock.lap("validate")
    plan = plan_sync(snapshot, validation, state)
    plan.stop_reason = check_safety(plan, snapshot, options.threshold(), options.force)
    clock.lap("plan")
    report = _report(plan, options)
    if options.dry_run:
        status = SyncRun.Status.DRY_RUN
    elif plan.stop_reason:
        status = SyncRun.Status.STOPPED
    else:
        status = SyncRun.Status.APPLIED
    with transaction.atomic():
        run = SyncRun.objects.create(
            started_at=started_at,
            started_by=options.started_by,
            source=snapshot.source,
            institution_number=snapshot.institution_number,
            source_hash=snapshot.source_hash,
            options=_options_json(options, school_year),
            status=status,
            counts=plan.counts,
            findings=report.findings,
        )
        if status is SyncRun.Status.APPLIED and plan.has_changes:
            apply_plan(
                plan,
                run,
                school_year,
                institution_name=snapshot.institution_name,
                institution_source_id=snapshot.institution_source_id,
            )
        run.finished_at = timezone.now()
        run.save(update_fields=["finished_at"])
    clock.lap("apply")
    report.run_id = run.pk
    report.applied = status is SyncRun.Status.APPLIED
    _log(plan, status)
    return report


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
