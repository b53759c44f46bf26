"""Sync benchmark (not a test): first sync and next-night sync of a region, and one school.

    uv run python bench/sync_bench.py --pupils 1200000 --database sqlite --database postgres

Generates the region with `schoolbrug generate` (or reuses --data), then for each database
starts from an empty registry and prints, per run, pupils per second per phase
(parse, read registry, validate, plan, apply) and the wall time end to end.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

print = functools.partial(print, flush=True)  # noqa: A001 - figures appear as they come
ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/schoolbrug_bench"
# Processes per region run: PostgreSQL takes a writer per core (this machine has 2);
# SQLite one writer at a time.
JOBS = {"postgres": os.cpu_count() or 1, "sqlite": 1}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pupils", type=int, default=1_200_000)
    parser.add_argument("--data", type=Path, help="folder from `schoolbrug generate` to reuse")
    parser.add_argument("--database", action="append", choices=["sqlite", "postgres"])
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: one database's runs
    # internal, for bench/api_bench.py: the first sync of a region into DATABASE_URL
    parser.add_argument("--worker-fill", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.data)
    if args.worker_fill:
        return fill(args.worker_fill)

    data = args.data or Path(tempfile.gettempdir()) / f"schoolbrug-bench-{args.pupils}"
    if not (data / "night2").exists():
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "schoolbrug.cli",
                "generate",
                "--pupils",
                str(args.pupils),
                "--out",
                str(data),
            ],
            check=True,
            cwd=ROOT,
        )
        print(f"generated {args.pupils:,} pupils in {time.perf_counter() - started:.1f} s")
    for database in args.database or ["sqlite", "postgres"]:
        url = fresh_database(database)
        env = {**os.environ, "DATABASE_URL": url, "SCHOOLBRUG_LOG_LEVEL": "WARNING"}
        subprocess.run(
            [sys.executable, __file__, "--worker", database, "--data", str(data)],
            check=True,
            env=env,
            cwd=ROOT,
        )


def fresh_database(kind: str) -> str:
    if kind == "sqlite":
        path = Path(tempfile.gettempdir()) / "schoolbrug-bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    for sql in ("DROP DATABASE IF EXISTS schoolbrug_bench", "CREATE DATABASE schoolbrug_bench"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)
    return POSTGRES_URL


def worker(database: str, data: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolbrug.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from schoolbrug.registry.institutions_file import load_institutions

    call_command("migrate", verbosity=0)
    load_institutions(data / "night1" / "instellingen.csv")
    region_run(database, "first sync, region", data / "night1")
    region_run(database, "next night, region", data / "night2")
    region_run(database, "same night again (idempotent)", data / "night2")
    one_school(database, data)


def fill(data: Path) -> None:
    """Migrate the database in DATABASE_URL and sync night 1 of the region into it."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolbrug.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from schoolbrug.registry.institutions_file import load_institutions

    call_command("migrate", verbosity=0)
    load_institutions(data / "night1" / "instellingen.csv")
    region_run("postgres", "first sync, region", data / "night1")


def region_run(database: str, title: str, folder: Path, only: list[str] | None = None) -> dict:
    from schoolbrug.sources.wisa import parse_wisa_folder
    from schoolbrug.sync.parallel import sync_folders
    from schoolbrug.sync.service import SyncOptions

    folders = sorted(p for p in folder.iterdir() if p.is_dir())
    if only:
        folders = [p for p in folders if p.name in only]
    jobs = JOBS[database] if len(folders) > 1 else 1
    timings: dict[str, float] = {}
    options = SyncOptions(force=True, started_by="bench", timings=timings, with_actions=False)
    started = time.perf_counter()
    reports = sync_folders(folders, parse_wisa_folder, options=options, jobs=jobs)
    wall = time.perf_counter() - started
    # Every row of the exports has a count; leavers are pupils no longer in them.
    pupils = sum(sum(r.counts.values()) - r.counts.get("left", 0) for r in reports)
    counts: dict[str, int] = {}
    for report in reports:
        for key, value in report.counts.items():
            counts[key] = counts.get(key, 0) + value
    print(
        f"\n[{database}] {title}: {len(folders):,} institutions, {pupils:,} pupils, "
        f"{wall:.2f} s end to end ({pupils / wall:,.0f} pupils/s), {jobs} process(es)"
    )
    if jobs > 1:
        print("  phases: seconds summed over the processes")
    for phase, seconds in timings.items():
        rate = f"{pupils / seconds:,.0f} pupils/s" if seconds else "-"
        print(f"  {phase:<14} {seconds:7.2f} s  {rate}")
    print("  counts " + json.dumps({k: v for k, v in counts.items() if v}))
    return counts


def one_school(database: str, data: Path) -> None:
    folders = sorted(p for p in (data / "night2").iterdir() if p.is_dir())
    sizes = {p.name: (p / "leerlingen.csv").stat().st_size for p in folders}
    # The school whose export is closest to 400 pupils' worth of bytes.
    target = 400 * sum(sizes.values()) / max(1, _count_pupils(data))
    number = min(sizes, key=lambda n: abs(sizes[n] - target))
    # The region is at night 2; night 1's export is a next night with the same ~3% changes.
    region_run(database, f"one school ({number}), next night", data / "night1", [number])


def _count_pupils(data: Path) -> int:
    return sum(
        sum(1 for _ in open(p / "leerlingen.csv", "rb")) - 1
        for p in (data / "night2").iterdir()
        if p.is_dir()
    )


if __name__ == "__main__":
    main()
