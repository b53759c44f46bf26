"""EDEXML import benchmark (not a test): one generated school of 100,000 pupils, imported from
an EDEXML file and from WISA exports of the same pupils, into an empty registry.

    uv run python bench/edexml_bench.py --pupils 100000 --database sqlite --database postgres

Generates a Dutch school with `schoolbrug.demo.edexml` (groep 1–8, combined groups,
teachers) and writes the same pupils, classes and class numbers as WISA's leerlingen.csv and
klassen.csv (with national numbers, WISA's key). Each run starts from an empty database in a
fresh process and times reading the file(s) plus the whole sync (validate, plan, apply) end to
end; it prints pupils per second per run and the minimum and median of the runs.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import functools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

print = functools.partial(print, flush=True)  # noqa: A001 - figures appear as they come
ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/schoolbrug_edexml_bench"
NUMBER = "12AB00"
WISA_NUMBER = "123456"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pupils", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", action="append", choices=["sqlite", "postgres"])
    parser.add_argument("--worker", choices=["edexml", "wisa"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.data)
    data = Path(tempfile.gettempdir()) / f"schoolbrug-edexml-bench-{args.pupils}"
    make_data(data, args.pupils)
    for database in args.database or ["sqlite"]:
        rates: dict[str, list[float]] = {"wisa": [], "edexml": []}
        for run in range(1, args.runs + 1):
            for kind in ("wisa", "edexml"):
                env = {**os.environ, "DATABASE_URL": fresh_database(database)}
                env["SCHOOLBRUG_LOG_LEVEL"] = "WARNING"
                done = subprocess.run(
                    [sys.executable, __file__, "--worker", kind, "--data", str(data)],
                    check=True,
                    env=env,
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                )
                seconds, pupils = map(float, done.stdout.split()[-2:])
                rates[kind].append(pupils / seconds)
                print(f"[{database}] run {run} {kind:<6} {pupils:,.0f} pupils in {seconds:.2f} s"
                      f" = {pupils / seconds:,.0f} pupils/s")  # fmt: skip
        for kind, values in rates.items():
            print(f"[{database}] {kind:<6} min {min(values):,.0f} pupils/s, "
                  f"median {statistics.median(values):,.0f} pupils/s, "
                  f"best {max(values):,.0f} pupils/s")  # fmt: skip


def make_data(data: Path, pupils: int) -> None:
    if (data / "school.xml").exists():
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolbrug.settings")
    from schoolbrug.demo.edexml import write_dutch_school
    from schoolbrug.edexml.reader import parse_edexml

    data.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    write_dutch_school(data / "school.xml", NUMBER, pupils, random.Random(2026))
    write_wisa(parse_edexml(data / "school.xml"), data)
    print(f"generated {pupils:,} pupils in {time.perf_counter() - started:.1f} s → {data}")


def write_wisa(snapshot, data: Path) -> None:
    """The snapshot's pupils as WISA exports, each with a national number of their own."""
    from schoolbrug.demo.names import national_number

    sequences: dict[datetime.date, int] = {}
    with (data / "leerlingen.csv").open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, delimiter=";")
        out.writerow(["KLAS", "KLASNUMMER", "NAAM", "VOORNAAM", "GEBOORTEDATUM", "WISAID",
                      "STAMBOEKNUMMER", "GESLACHT", "RIJKSREGISTERNR"])  # fmt: skip
        for p in snapshot.pupils:
            sequence = sequences.get(p.birth_date, 0) + 1
            sequences[p.birth_date] = sequence
            odd = sequence * 2 - (1 if p.gender == "M" else 0)
            birth = p.birth_date
            gender = "M" if p.gender == "M" else "V"
            out.writerow([p.class_code, p.class_number, p.family_name, p.given_name,
                          f"{birth.day}/{birth.month}/{birth.year}", p.source_id, "",
                          gender, national_number(birth, odd)])  # fmt: skip
    with (data / "klassen.csv").open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, delimiter=";")
        out.writerow(["KLAS", "GRAAD", "LEERJAAR", "VAKKENPAKKET"])
        for c in snapshot.classes:
            if c.is_combined:
                continue
            years = ",".join(map(str, c.years)) if c.years else str(c.year)
            out.writerow([c.code, c.stage, years, c.curriculum])


def fresh_database(kind: str) -> str:
    if kind == "sqlite":
        path = Path(tempfile.gettempdir()) / "schoolbrug-edexml-bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    name = POSTGRES_URL.rsplit("/", 1)[1]
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)
    return POSTGRES_URL


def worker(kind: str, data: Path) -> None:
    """In a fresh process on an empty database: read and sync, print seconds and pupils."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolbrug.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from schoolbrug.sync.service import sync_snapshot

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if kind == "edexml":
        from schoolbrug.edexml.reader import parse_edexml

        snapshot = parse_edexml(data / "school.xml")
    else:
        from schoolbrug.sources.wisa import parse_wisa

        snapshot = parse_wisa(data / "leerlingen.csv", data / "klassen.csv", WISA_NUMBER)
    report = sync_snapshot(snapshot, force=True, started_by="bench", with_actions=False)
    seconds = time.perf_counter() - started
    assert report.applied, report
    print(seconds, report.counts["created"])


if __name__ == "__main__":
    main()
