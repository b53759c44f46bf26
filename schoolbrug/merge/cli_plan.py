"""`schoolbrug merge plan --from URL [--institutions N,N] --out PLAN.json`: make a plan (reads
both databases, writes nothing in either) and print its summary in Dutch; or
`schoolbrug merge plan --seal PLAN.json` after a person edited it (candidates decided, the
central admin named): checks it and gives it the digest of what it now says."""

from __future__ import annotations

import logging

from django.core.management.base import CommandError

from . import files, plan_collisions, plan_unique
from . import plan as plans
from .errors import MergeRefused

log = logging.getLogger(__name__)


def add_arguments(parser) -> None:
    parser.add_argument("--from", dest="source_url", help="DATABASE_URL van de andere databank")
    parser.add_argument(
        "--institutions", default="", help="instellingsnummers die verhuizen (N,N…; leeg: alle)"
    )
    parser.add_argument("--out", help="waar het plan (JSON) komt")
    parser.add_argument("--central-admin", help="e-mailadres van de centrale beheerder")
    parser.add_argument("--receiving-board", help="nummer of id van het ontvangende bestuur")
    parser.add_argument(
        "--split-community",
        action="append",
        default=[],
        help="nummer van een scholengemeenschap die mag worden gesplitst (al haar scholen "
        "gingen akkoord; hun directies keuren het plan goed)",
    )
    parser.add_argument("--seal", metavar="PLAN.json", help="verzegel een bewerkt plan opnieuw")


def summary(plan: dict) -> str:
    collisions = plan["collisions"]
    lines = [
        f"Samenvoegingsplan {plan['digest'][:12]} (uit {plan['source']})",
        f"  instellingen die verhuizen: {len(plan['institutions'])}",
    ]
    lines += [f"    {i['number']} {i['name']}" for i in plan["institutions"]]
    lines += [
        f"  scholengemeenschappen: {len(plan['communities'])}, besturen: {len(plan['boards'])}",
        f"  dezelfde personen: {len(plan['same_people'])}",
        f"  kandidaten om te beslissen: "
        f"{sum(1 for c in plan['candidates'] if c['decision'] is None)}"
        f" (van {len(plan['candidates'])})",
        f"  botsende instellingsnummers: {len(collisions['institution_numbers'])}",
        f"  botsende gebruikersnamen (nieuwe naam): {len(collisions['user_names'])}",
        f"  botsende appnamen (nieuwe naam): {len(collisions['app_names'])}",
        f"  botsende klasnamen: {len(collisions['class_codes'])}",
        f"  botsende bron-id's: {len(collisions['source_ids'])}",
        f"  botsende betalingsreferenties: {len(collisions['payment_references'])}",
    ]
    renewed = collisions.get("class_logins") or []
    lines.append(
        f"  botsende klascodes (nieuwe klascode, door de leerkracht uit te delen): {len(renewed)}"
    )
    lines += [
        f"    {c['institution']} klas {c['name']} ({c['school_year']}): nieuwe klascode"
        for c in renewed
    ]
    clashes = collisions.get("unique_values") or []
    lines.append(f"  botsende unieke waarden (de samenvoeging weigert dan): {len(clashes)}")
    lines += [f"    {plan_unique.sentence(c)}" for c in clashes]
    lines += [
        f"  centrale beheerder: {plan['central_admin'] or 'NOG TE KIEZEN'}",
        f"  goed te keuren door: {len(plan['approvers'])} directie(s)",
    ]
    refused = plan_collisions.refusal(plan)
    if refused:
        lines.append(f"  GEWEIGERD: {refused[0]}")
    return "\n".join(lines)


def run(command, options) -> None:
    try:
        if options.get("seal"):
            plan = plans.seal(plans.load(options["seal"]))
            path = plans.write_plan(plan, options["seal"], replace=True)
        else:
            if not options.get("source_url") or not options.get("out"):
                raise CommandError("Geef --from URL en --out PLAN.json (of --seal PLAN.json).")
            # Before reading both databases: a place the plan cannot go is said at once.
            files.check_new(options["out"], "het plan")
            numbers = [n.strip() for n in options["institutions"].split(",") if n.strip()]
            plan = plans.make_plan(
                options["source_url"],
                numbers or None,
                options.get("central_admin"),
                receiving_board=options.get("receiving_board"),
                split_communities=options["split_community"],
            )
            path = plans.write_plan(plan, options["out"])
    except MergeRefused as refused:
        log.warning("merge plan refused: %s", refused.log_message)
        raise CommandError(refused.message) from None
    log.info("merge plan %s written", plan["digest"][:12])
    command.stdout.write(summary(plan))
    command.stdout.write(f"Plan geschreven naar {path}.")
