"""`schoolbrug staff import FILE`: the weekly upload of staff assignments (seed 001)."""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path

from django.core.management.base import CommandError

from schoolbrug.audit.commands import AuditedCommand
from schoolbrug.registry.models import Assignment
from schoolbrug.staff.labels import COUNT_LABELS
from schoolbrug.staff.upload import run_upload
from schoolbrug.sync.report import EXIT_BAD_INPUT, EXIT_BUSY

ACTION_LABELS = {
    ("staff", "create"): "nieuw personeelslid",
    ("staff", "update"): "nieuwe naam",
    ("assignment", "create"): "nieuwe opdracht",
    ("assignment", "update"): "nieuwe einddatum",
    ("assignment", "end"): "beëindigd",
    ("teaching", "end"): "klas eindigt met de opdracht",
    ("teaching", "update"): "klas loopt met de opdracht langer",
}


FIELD_NAMES = {
    "email": "e-mailadres",
    "given_name": "voornaam",
    "family_name": "familienaam",
    "start_date": "startdatum",
    "end_date": "einddatum",
    "class": "klas",
}
ROLE_NAMES = dict(Assignment.Role.choices)


class Command(AuditedCommand):
    help = "Personeel beheren: de wekelijkse upload van opdrachten."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        upload = actions.add_parser(
            "import",
            help="lees opdrachten (e-mail, naam, instelling, rol, start- en einddatum) uit een "
            "CSV- of XLSX-bestand; opdrachten van een vorige upload die ontbreken, worden "
            "beëindigd op de dag voor de upload",
        )
        upload.add_argument("file", type=Path, metavar="FILE", help="CSV- of XLSX-bestand")
        upload.add_argument("--dry-run", action="store_true", help="toon het plan, wijzig niets")
        upload.add_argument("--json", action="store_true", help="toon het rapport als JSON")
        upload.add_argument(
            "--as", dest="actor", default="cli", metavar="WIE", help="wie oplaadt (geschiedenis)"
        )
        # The import day (default today), for tests and replaying a missed week.
        upload.add_argument("--import-date", help=argparse.SUPPRESS)

    def handle(self, *args, **opts):
        today = None
        if opts["import_date"]:
            try:
                today = datetime.date.fromisoformat(opts["import_date"])
            except ValueError:
                raise CommandError(
                    f"Datum '{opts['import_date']}' is onleesbaar; schrijf JJJJ-MM-DD.",
                    returncode=EXIT_BAD_INPUT,
                ) from None
        report = run_upload(opts["file"], dry_run=opts["dry_run"], actor=opts["actor"], today=today)
        if opts["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        else:
            self.stdout.write(summary(report))
        if report.get("busy"):
            self.stderr.write(report["message"])
            sys.exit(EXIT_BUSY)
        if report.get("errors"):
            for error in report["errors"]:
                self.stderr.write(f"Fout: {_where(error)}: {error['message']}")
            if report["more_errors"]:
                self.stderr.write(f"… en nog {report['more_errors']} fouten.")
            sys.exit(EXIT_BAD_INPUT)


def summary(report: dict) -> str:
    """A few Dutch lines: what the upload did (or would do), and with a dry run each change."""
    if report.get("busy"):
        return f"{report['file']}: niet opgeladen, er is niets gewijzigd (run {report['run_id']})."
    if report.get("errors"):
        total = len(report["errors"]) + report["more_errors"]
        return (
            f"{report['file']}: niet opgeladen, {total} fout(en); er is niets gewijzigd "
            f"(run {report['run_id']})."
        )
    mode = "proefdraai (niets gewijzigd)" if report["dry_run"] else "toegepast"
    lines = [f"{report['file']}: {mode}, run {report['run_id']}"]
    lines += [f"  {label}: {report['counts'][key]}" for key, label in COUNT_LABELS.items()]
    if report["dry_run"]:
        lines += [f"  - {_describe(action)}" for action in report["actions"]]
    return "\n".join(lines)


def _describe(action: dict) -> str:
    """One change in Dutch: field names, role names and dates (dd/mm/jjjj) as a school writes
    them."""
    label = ACTION_LABELS[action["entity"], action["action"]]
    changes = ", ".join(
        f"{FIELD_NAMES.get(name, name)} {_value(old)} → {_value(new)}"
        if old
        else f"{FIELD_NAMES.get(name, name)} {_value(new)}"
        for name, (old, new) in action["changes"].items()
    )
    if action["entity"] == "staff":
        return f"{label} {action['email']}: {changes}"
    role = ROLE_NAMES.get(action["role"], action["role"])
    return (
        f"{label} {action['email']} {role} @ {action['institution']} "
        f"(vanaf {_value(action['start_date'])}): {changes}"
    )


def _value(value) -> str:
    """A date as dd/mm/jjjj, nothing as –."""
    if not value:
        return "–"
    try:
        return datetime.date.fromisoformat(str(value)).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


def _where(error: dict) -> str:
    parts = [error["file"]]
    if error.get("line") is not None:
        parts.append(f"regel {error['line']}")
    if error.get("field"):
        parts.append(f"kolom {error['field']}")
    return ", ".join(p for p in parts if p)
