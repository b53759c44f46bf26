"""`schoolbrug merge execute PLAN.json --as EMAIL [--from SOURCE_URL] [--report PATH]`."""

from __future__ import annotations

from pathlib import Path

from . import execute, plan_file
from .cli_common import add_actor, refusals_as_errors


def add_arguments(parser) -> None:
    parser.add_argument("plan", metavar="PLAN.json", help="het goedgekeurde plan")
    add_actor(parser, "het e-mailadres van de bestuursbeheerder van het ontvangende bestuur")
    parser.add_argument(
        "--from",
        dest="source_url",
        metavar="SOURCE_DATABASE_URL",
        help="de andere databank, met wachtwoord (standaard: de bron in het plan)",
    )
    parser.add_argument("--report", type=Path, help="waar het verslag (JSON) komt")


@refusals_as_errors
def run(command, options) -> None:
    plan = plan_file.read(options["plan"])
    command.stdout.write(
        "Eerst de controles (centrale beheerder, wie start, goedkeuringen); dan is Schoolbrug "
        "alleen-lezen, komt er een back-up en volgt de samenvoeging."
    )
    done = execute.execute(
        plan,
        starter=options["actor"],
        source_url=options.get("source_url"),
        report_path=options.get("report"),
    )
    command.stdout.write(
        f"Samenvoeging {done.pk} is uitgevoerd. Verslag: {done.report_path}. "
        f"Terugzetten kan met `schoolbrug merge rollback --as {options['actor']}`."
    )
