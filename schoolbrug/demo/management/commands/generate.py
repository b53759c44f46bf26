"""`schoolbrug generate --pupils N --out DIR [--seed S] [--country be|nl]`: a synthetic region.

Flanders (the default): WISA exports, DIR/night1 (the first night) and DIR/night2 (the next
night: about 3% of the pupils changed) in the layout of `schoolbrug.demo.generate`.
The Netherlands (`--country nl`): one EDEXML 2.1 file per Dutch school, DIR/<BRIN6>.xml, and
DIR/instellingen.csv (`schoolbrug.demo.edexml`). Prints what it made.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from schoolbrug.demo.generate import generate_region, next_night, write_region


class Command(BaseCommand):
    help = (
        "Maak een fictieve regio (scholen, klassen, leerlingen) als WISA-exports: "
        "DIR/night1 en DIR/night2 (de volgende nacht, ongeveer 3% wijzigingen)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--pupils", type=int, required=True, help="aantal leerlingen")
        parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="doelmap")
        parser.add_argument("--seed", type=int, default=2026, help="zelfde seed, zelfde bestanden")
        parser.add_argument(
            "--change-share",
            type=float,
            default=0.03,
            help="aandeel gewijzigde leerlingen in night2 (standaard 0.03)",
        )
        parser.add_argument(
            "--country",
            choices=["be", "nl"],
            default="be",
            help="be: Vlaamse scholen als WISA-exports; nl: Nederlandse scholen als EDEXML",
        )

    def handle(self, *args, **opts):
        if opts["pupils"] < 1:
            raise CommandError("--pupils moet minstens 1 zijn.")
        if not 0 <= opts["change_share"] <= 1:
            raise CommandError("--change-share ligt tussen 0 en 1.")
        out: Path = opts["out"]
        started = time.perf_counter()
        if opts["country"] == "nl":
            from schoolbrug.demo.edexml import write_dutch_region

            numbers = write_dutch_region(opts["pupils"], out, seed=opts["seed"])
            self.stdout.write(
                f"{len(numbers):,} Dutch schools (EDEXML 2.1), {opts['pupils']:,} pupils → {out} "
                f"({time.perf_counter() - started:.1f} s)"
            )
            return
        night1 = generate_region(opts["pupils"], seed=opts["seed"])
        made = time.perf_counter()
        write_region(night1, out / "night1")
        written = time.perf_counter()
        night2 = next_night(night1, change_share=opts["change_share"])
        write_region(night2, out / "night2")
        done = time.perf_counter()

        self.stdout.write(
            f"night1: {len(night1.institutions):,} institutions, {night1.class_count:,} "
            f"classes, {night1.pupil_count:,} pupils → {out / 'night1'}"
        )
        self.stdout.write("  defects: " + _counts(night1.defects()))
        self.stdout.write(f"night2: {night2.pupil_count:,} pupils → {out / 'night2'}")
        changed = sum(night2.changes.values())
        share = changed / max(1, night1.pupil_count)
        self.stdout.write(f"  changes: {changed:,} ({share:.1%}): " + _counts(night2.changes))
        self.stdout.write(
            f"time: {done - started:.1f} s (night1 generated {made - started:.1f} s, "
            f"written {written - made:.1f} s; night2 {done - written:.1f} s)"
        )


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} {count:,}" for kind, count in counts.items())
