"""`schoolbrug merge approve PLAN.json --as EMAIL`: a director's approval, for scripts (the web
page "Samenvoeging" records the same)."""

from __future__ import annotations

from . import approvals, plan_file
from .cli_common import add_actor, refusals_as_errors
from .models import MergeApproval


def add_arguments(parser) -> None:
    parser.add_argument("plan", metavar="PLAN.json", help="het plan van `schoolbrug merge plan`")
    add_actor(parser, "het e-mailadres van de directeur die goedkeurt")


@refusals_as_errors
def run(command, options) -> None:
    plan = plan_file.read(options["plan"])
    recorded = approvals.approve(plan, options["actor"], via=MergeApproval.Via.CLI)
    numbers = ", ".join(a.institution_number for a in recorded)
    command.stdout.write(f"Goedgekeurd door {options['actor']} voor instelling {numbers}.")
    still = approvals.missing(plan)
    receiving = [a for a in still if a.side == MergeApproval.Side.RECEIVING]
    if receiving:
        command.stdout.write(approvals.missing_sentence(receiving))
