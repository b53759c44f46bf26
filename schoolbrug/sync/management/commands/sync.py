"""`schoolbrug sync wisa|informat|oneroster|edexml …`: read an export, sync the registry."""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path

from django.core.management.base import CommandError

from schoolbrug.audit.commands import AuditedCommand
from schoolbrug.sources.errors import BadInput
from schoolbrug.sources.wisa import PUPILS_FILE as WISA_PUPILS_FILE
from schoolbrug.sync.management.school_year import start_year_argument
from schoolbrug.sync.management.summary import text_summary
from schoolbrug.sync.report import EXIT_BAD_INPUT, SyncReport
from schoolbrug.sync.service import SyncOptions, record_bad_input, sync_snapshots


class Command(AuditedCommand):
    actor_option = "started_by"
    help = "Synchroniseer het register met een export van het administratiepakket."

    def add_arguments(self, parser):
        sources = parser.add_subparsers(dest="source", required=True)
        wisa = sources.add_parser("wisa", help="WISA query export (leerlingen + klassen)")
        wisa.add_argument("--institution", help="instellingsnummer, bv. 012345")
        wisa.add_argument("--pupils", type=Path, help="leerlingenbestand (CSV)")
        wisa.add_argument("--classes", type=Path, help="klassenbestand (CSV)")
        wisa.add_argument("--mapping", type=Path, help="bestand met afwijkende kolomnamen")
        wisa.add_argument(
            "--dir",
            type=Path,
            help="map met per instellingsnummer een map met leerlingen.csv en klassen.csv",
        )
        wisa.add_argument(
            "--jobs",
            type=int,
            default=1,
            help="met --dir: aantal processen (PostgreSQL; bv. het aantal processorkernen)",
        )
        informat = sources.add_parser("informat", help="Informat leerlingen (JSON)")
        informat.add_argument("path", type=Path)
        informat.add_argument("--institution", required=True)
        oneroster = sources.add_parser("oneroster", help="OneRoster CSV (map of zip)")
        oneroster.add_argument("path", type=Path)
        oneroster.add_argument(
            "--org-map", type=Path, help="CSV: OneRoster org sourcedId,instellingsnummer"
        )
        edexml = sources.add_parser("edexml", help="EDEXML 2.1 (Basispoort, Nederland/Vlaanderen)")
        edexml.add_argument("path", type=Path, metavar="FILE")
        edexml.add_argument(
            "--institution",
            help="BRIN (bv. 99ZZ00) of instellingsnummer; standaard: dat uit het bestand",
        )
        for sub in (wisa, informat, oneroster, edexml):
            sub.add_argument("--dry-run", action="store_true", help="toon het plan, wijzig niets")
            sub.add_argument("--force", action="store_true", help="negeer de veiligheidscontrole")
            sub.add_argument("--report", type=Path, help="schrijf het rapport als JSON")
            sub.add_argument("--json", action="store_true", help="toon het rapport als JSON")
            sub.add_argument("--school-year", help="schooljaar, bv. 2026-2027 (standaard: nu)")
            sub.add_argument("--started-by", default="cli", help=argparse.SUPPRESS)

    def handle(self, *args, **opts):
        options = SyncOptions(
            dry_run=opts["dry_run"],
            force=opts["force"],
            started_by=opts["started_by"],
            school_year=start_year_argument(opts["school_year"], returncode=EXIT_BAD_INPUT),
        )
        institution = opts.get("institution") or ""
        try:
            if opts["source"] == "wisa" and opts["dir"]:
                reports = _sync_wisa_dir(opts, options)
            else:
                reports = sync_snapshots(list(self._read(opts)), options=options)
        except BadInput as error:
            report = record_bad_input(
                error, source=opts["source"], institution_number=institution, options=options
            )
            self.stderr.write(f"Onleesbare export: {error.user_text()}")
            self._emit([report], opts)
            sys.exit(EXIT_BAD_INPUT)
        self._emit(reports, opts)
        code = max((r.exit_code for r in reports), default=0)
        if code:
            sys.exit(code)

    def _read(self, opts):
        source = opts["source"]
        if source == "wisa":
            yield from _read_wisa(opts)
        elif source == "edexml":
            yield _read_edexml(opts)
        elif source == "informat":
            from schoolbrug.sources.informat import parse_informat

            yield parse_informat(opts["path"], opts["institution"])
        else:
            from schoolbrug.oneroster.csv_in.reader import load_org_map, parse_oneroster

            org_map = load_org_map(opts["org_map"]) if opts["org_map"] else None
            yield from parse_oneroster(opts["path"], org_map=org_map)

    def _emit(self, reports: list[SyncReport], opts) -> None:
        data = (
            reports[0].as_dict()
            if len(reports) == 1
            else {"institutions": [r.as_dict() for r in reports]}
        )
        text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
        if opts["report"]:
            opts["report"].write_text(text, encoding="utf-8")
        if opts["json"]:
            self.stdout.write(text)
            return
        for report in reports:
            self.stdout.write(text_summary(report))


def _sync_wisa_dir(opts, options: SyncOptions) -> list[SyncReport]:
    from schoolbrug.sources.wisa import load_mapping, parse_wisa_folder
    from schoolbrug.sync.parallel import sync_folders

    mapping = load_mapping(opts["mapping"]) if opts["mapping"] else None
    folders = wisa_folders(opts["dir"])
    parse = partial(parse_wisa_folder, mapping=mapping)
    return sync_folders(folders, parse, options=options, jobs=opts["jobs"])


def wisa_folders(region: Path) -> list[Path]:
    """The institution folders of a region export (each named by its institution number)."""
    folders = sorted(p for p in region.iterdir() if (p / WISA_PUPILS_FILE).exists())
    if not folders:
        raise BadInput(
            f"geen mappen met {WISA_PUPILS_FILE} gevonden",
            f"no folders with {WISA_PUPILS_FILE} found",
            file=str(region),
        )
    return folders


def _read_wisa(opts):
    from schoolbrug.sources.wisa import load_mapping, parse_wisa

    mapping = load_mapping(opts["mapping"]) if opts["mapping"] else None
    missing = [name for name in ("institution", "pupils", "classes") if not opts[name]]
    if missing:
        raise CommandError(
            "Geef --institution, --pupils en --classes op (of --dir). Ontbreekt: "
            + ", ".join(f"--{m}" for m in missing),
            returncode=EXIT_BAD_INPUT,
        )
    yield parse_wisa(opts["pupils"], opts["classes"], opts["institution"], mapping=mapping)


def _read_edexml(opts):
    import dataclasses

    from schoolbrug.edexml.institution import registry_number
    from schoolbrug.edexml.reader import parse_edexml

    snapshot = parse_edexml(opts["path"], opts["institution"])
    if opts["institution"]:
        return snapshot
    return dataclasses.replace(snapshot, institution_number=registry_number(snapshot))
