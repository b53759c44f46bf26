"""A region's night on more than one core: the institutions shared out over processes.

Each process parses, plans and writes its own share (institutions are independent; each
keeps its own transactions). Nothing is written unless every export of the region could be
read: the processes first parse, then wait for each other, and stop together on a bad file.
PostgreSQL only: SQLite lets one process write at a time, so there it runs in this process.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from django.db import connection, connections

from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.records import Snapshot

from .report import SyncReport
from .service import SyncOptions, sync_snapshots

log = logging.getLogger("schoolbrug.sync")

Parse = Callable[[Path], Snapshot]


@dataclass(slots=True)
class _Outcome:
    reports: list[SyncReport]
    timings: dict[str, float]
    error: BadInput | None = None


def sync_folders(
    folders: list[Path], parse: Parse, *, options: SyncOptions, jobs: int = 1
) -> list[SyncReport]:
    """Parse each folder's export with `parse` and sync them all; raises BadInput, having
    written nothing, when any export cannot be read."""
    jobs = max(1, min(jobs, len(folders)))
    if jobs > 1 and connection.vendor != "postgresql":
        log.info("sync: %s allows one writer at a time; running in one process", connection.vendor)
        jobs = 1
    if jobs == 1:
        return sync_snapshots(_parse_all(folders, parse, options.timings), options=options)
    shares = _shares(folders, jobs)
    connections.close_all()  # each process opens its own connection
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(jobs)
    failed = context.Event()
    with context.Pool(jobs, initializer=_remember, initargs=(barrier, failed)) as pool:
        outcomes = pool.starmap(_sync_share, [(share, parse, options) for share in shares])
    errors = [o.error for o in outcomes if o.error]
    if errors:
        raise errors[0]
    if options.timings is not None:
        for outcome in outcomes:
            for phase, seconds in outcome.timings.items():
                options.timings[phase] = options.timings.get(phase, 0.0) + seconds
    by_number = {r.institution: r for o in outcomes for r in o.reports}
    return [by_number[folder.name] for folder in folders]


def _shares(folders: list[Path], jobs: int) -> list[list[Path]]:
    """Shares of about equal size (by bytes of export), each in the folders' order."""
    sizes = {folder: sum(f.stat().st_size for f in folder.iterdir()) for folder in folders}
    shares: list[list[Path]] = [[] for _ in range(jobs)]
    totals = [0] * jobs
    for folder in sorted(folders, key=sizes.__getitem__, reverse=True):
        lightest = totals.index(min(totals))
        shares[lightest].append(folder)
        totals[lightest] += sizes[folder]
    position = {folder: i for i, folder in enumerate(folders)}
    return [sorted(share, key=position.__getitem__) for share in shares]


def _parse_all(folders: list[Path], parse: Parse, timings: dict | None) -> list[Snapshot]:
    started = time.perf_counter()
    snapshots = [parse(folder) for folder in folders]
    if timings is not None:
        timings["parse"] = timings.get("parse", 0.0) + time.perf_counter() - started
    return snapshots


_barrier = None
_failed = None


def _remember(barrier, failed) -> None:
    global _barrier, _failed
    _barrier, _failed = barrier, failed


def _sync_share(folders: list[Path], parse: Parse, options: SyncOptions) -> _Outcome:
    timings: dict[str, float] = {}
    snapshots: list[Snapshot] = []
    error = None
    try:
        snapshots = _parse_all(folders, parse, timings)
    except BadInput as exc:
        error = exc
        _failed.set()
    _barrier.wait()
    if _failed.is_set():
        return _Outcome([], timings, error)
    try:
        reports = sync_snapshots(snapshots, options=replace(options, timings=timings))
    finally:
        connections.close_all()
    return _Outcome(reports, timings)
