"""`schoolbrug merge status [--json]`: the plans registered here, their approvals, the runs,
and whether the site is read-only now. Changes nothing."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from . import approvals
from .models import MergePlanRecord, MergeRun, ReadOnlyFlag
from .summary import summary


def add_arguments(parser) -> None:
    parser.add_argument("--json", action="store_true", help="als JSON (voor scripts)")


def _moment(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


def status() -> dict:
    flag = ReadOnlyFlag.objects.filter(pk=1).first()
    plans = []
    for record in MergePlanRecord.objects.all():
        plan = record.plan
        there = approvals.recorded_here(plan)
        plans.append(
            {
                **summary(plan),
                "registered_at": record.registered_at,
                "approvals": [
                    {
                        "email": a.email,
                        "institution": a.institution,
                        "side": a.side,
                        "approved_at": there[a].at if a in there else None,
                    }
                    for a in approvals.approvers(plan)
                ],
            }
        )
    runs = list(
        MergeRun.objects.values(
            "pk",
            "digest",
            "state",
            "started_by",
            "started_at",
            "finished_at",
            "rolled_back_at",
            "backup_path",
            "report_path",
        )
    )
    return {
        "read_only": None
        if flag is None
        else {"action": flag.action, "since": flag.since, "host": flag.host, "pid": flag.pid},
        "plans": plans,
        "runs": runs,
    }


def run(command, options) -> None:
    found = status()
    if options["json"]:
        command.stdout.write(json.dumps(found, cls=DjangoJSONEncoder, ensure_ascii=False))
        return
    write = command.stdout.write
    flag = found["read_only"]
    if flag:
        write(
            f"Alleen-lezen sinds {_moment(flag['since'])} ({flag['action']}, proces "
            f"{flag['pid']} op {flag['host']}). Is dat proces weg, dan neemt `schoolbrug merge "
            "execute` of `schoolbrug merge rollback` het over."
        )
    else:
        write("Schoolbrug is niet alleen-lezen: er loopt geen samenvoeging.")
    if not found["plans"]:
        write("Geen plannen geregistreerd in deze databank.")
    for plan in found["plans"]:
        write(
            f"\nPlan {plan['digest'][:12]} (geregistreerd {_moment(plan['registered_at'])}): "
            f"{len(plan['institutions'])} instelling(en) naar {plan['receiving_board']}; "
            f"centrale beheerder: {plan['central_admin'] or 'NOG NIET AANGEDUID'}"
        )
        for item in plan["approvals"]:
            if item["approved_at"]:
                state = f"goedgekeurd {_moment(item['approved_at'])}"
            elif item["side"] == "moving":
                state = "wordt bij het uitvoeren gelezen uit de andere databank"
            else:
                state = "nog niet goedgekeurd"
            write(f"  {item['email']} (instelling {item['institution']}): {state}")
    labels = dict(MergeRun.State.choices)
    for item in found["runs"]:
        write(
            f"\nSamenvoeging {item['pk']} (plan {item['digest'][:12]}): "
            f"{labels.get(item['state'], item['state'])}, gestart door {item['started_by']} "
            f"{_moment(item['started_at'])}"
            + (f", klaar {_moment(item['finished_at'])}" if item["finished_at"] else "")
            + (f", teruggezet {_moment(item['rolled_back_at'])}" if item["rolled_back_at"] else "")
        )
