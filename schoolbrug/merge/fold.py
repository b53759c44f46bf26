"""Executing a plan: every table of the moving side folded into this database in ONE
transaction (tables.py's rules, folder.py's generic folder), or nothing at all.

Nothing that is here changes: rows are only added (plus, for rows the plan joins, the
children of the moving side pointing at the receiving side's row). Every `sourced_id` of the
moving side is kept. One audit entry per moved institution says it came in by this merge."""

from __future__ import annotations

import logging
import uuid

import psycopg
from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.utils import timezone

from schoolbrug.audit.context import acting
from schoolbrug.audit.models import AuditEntry
from schoolbrug.encryption import UnreadableSecret
from schoolbrug.registry import payment_references
from schoolbrug.registry.models import Board, Institution, PaymentReferenceAlias, Pupil, Staff
from schoolbrug.roles.models import RoleGrant
from schoolbrug.sharing import generation

from . import plan as plans
from . import plan_collisions, source
from .errors import MergeRefused
from .folder import TableState, fold_all
from .tables import FOLD, all_models, missing_rules, rule_for

log = logging.getLogger(__name__)
REPORT_FORMAT = "schoolbrug-merge-report/1"


def _refuse(message_nl: str, message_en: str):
    raise MergeRefused(message_nl, f"merge execute: {message_en}")


def check_executable(plan: dict) -> None:
    """What makes a plan one that may run (approvals are cli_execute's)."""
    plans.check_content(plan)
    if plan.get("digest") != plans.digest_of(plan):
        _refuse("Het plan werd gewijzigd na het verzegelen.", "digest does not match")
    if not plan.get("central_admin"):
        _refuse(
            "Het plan noemt geen centrale beheerder (central_admin): de samenvoeging heeft er "
            "één nodig voor het hele bestuur.",
            "no central admin",
        )
    refused = plan_collisions.refusal(plan)
    if refused:
        _refuse(*refused)
    undecided = [c for c in plan["candidates"] if c.get("decision") is None]
    if undecided:
        _refuse(
            f"{len(undecided)} kandidaat/kandidaten (zelfde naam en geboortedatum) zijn nog niet "
            'beslist: zet \'decision\' op "same" of "different" en verzegel het plan opnieuw.',
            f"{len(undecided)} undecided candidate(s)",
        )
    if missing_rules():
        _refuse("Een tabel heeft geen samenvoegregel.", f"no rule for {missing_rules()}")


def _check_source(plan: dict, alias: str) -> None:
    """The other database still holds the institutions the plan was made of."""
    planned = {i["number"]: i["sourced_id"] for i in plan["institutions"]}
    found = dict(
        Institution.objects.using(alias)
        .filter(number__in=planned)
        .values_list("number", "sourced_id")
    )
    for number, sourced_id in planned.items():
        if str(found.get(number)) != sourced_id:
            _refuse(
                f"Instelling {number} is niet meer dezelfde in de andere databank: maak een "
                "nieuw plan.",
                "the source changed since the plan",
            )


def _links(plan: dict, alias: str) -> dict:
    """What the plan decided, in the folder's terms: renames and confirmed joins."""
    collisions = plan["collisions"]
    same_staff = {
        c["moving"]: c["receiving"]
        for c in plan["candidates"]
        if c["kind"] == "staff" and c["decision"] == "same"
    }
    forced = {}
    if same_staff:
        theirs = dict(
            Staff.objects.using(alias)
            .filter(sourced_id__in=list(same_staff))
            .values_list("sourced_id", "pk")
        )
        ours = dict(
            Staff.objects.filter(sourced_id__in=list(same_staff.values())).values_list(
                "sourced_id", "pk"
            )
        )
        forced["registry.Staff"] = {
            theirs[uuid.UUID(m)]: ours[uuid.UUID(r)]
            for m, r in same_staff.items()
            if uuid.UUID(m) in theirs and uuid.UUID(r) in ours
        }
    return {
        "renames": {
            "user_names": {c["username"]: c["new"] for c in collisions.get("user_names", [])},
            "app_names": {c["name"]: c["new"] for c in collisions.get("app_names", [])},
            "payment_references": {
                c["reference"]: c["new"] for c in collisions.get("payment_references", [])
            },
        },
        "forced": forced,
        "sourced": {},
    }


def _fresh_references(plan: dict, links: dict) -> list[dict]:
    """The plan's new payment references, each redrawn if this side issued it since the
    plan (a sync in between): the references the moved pupils get."""
    planned = plan["collisions"].get("payment_references", [])
    renames = links["renames"]["payment_references"]
    used = payment_references.references_in_use(renames.values())
    final = []
    for collision in planned:
        new = collision["new"]
        while new in used or payment_references.references_in_use([new]):
            new = payment_references.new_reference(used | set(renames.values()))
        renames[collision["reference"]] = new
        final.append({**collision, "new": new})
    return final


def _keep_old_references(references: list[dict], reason: str, actor: str) -> None:
    """Each moved pupil's former reference as its alias (a payment still carrying it is
    matched), and the change in the pupil's history."""
    if not references:
        return
    pupils = dict(
        Pupil.objects.filter(sourced_id__in=[r["pupil"] for r in references]).values_list(
            "sourced_id", "pk"
        )
    )
    PaymentReferenceAlias.objects.bulk_create(
        PaymentReferenceAlias(
            structured_reference=r["reference"],
            pupil_id=pupils[uuid.UUID(r["pupil"])],
            reason="samenvoeging",
        )
        for r in references
    )
    now = timezone.now()
    AuditEntry.objects.bulk_create(
        AuditEntry(
            at=now,
            actor=actor,
            reason=reason,
            institution_number=r["institution"],
            entity="pupil",
            entity_sourced_id=uuid.UUID(r["pupil"]),
            action=AuditEntry.Action.UPDATE,
            changes={"structured_reference": [r["reference"], r["new"]]},
        )
        for r in references
    )


def _central_admin_user(plan: dict):
    user = get_user_model()
    found = user.objects.filter(email__iexact=plan["central_admin"]).order_by("pk").first()
    if found is None:
        _refuse(
            f"De centrale beheerder {plan['central_admin']} heeft in geen van beide databanken "
            "een account.",
            "the central admin has no account",
        )
    return found


def _grant_central_admin(plan: dict, states: dict) -> int:
    admin = _central_admin_user(plan)
    boards = {Board.objects.get(sourced_id=b["sourced_id"]).pk for b in plan["boards"]}
    if plan.get("receiving_board"):
        boards.add(Board.objects.get(sourced_id=plan["receiving_board"]["sourced_id"]).pk)
    current = set(
        RoleGrant.objects.current()
        .filter(user=admin, role=RoleGrant.Role.BOARD_ADMIN)
        .values_list("board_id", flat=True)
    )
    made = 0
    for board in sorted(boards - current):
        RoleGrant.objects.create(user=admin, role=RoleGrant.Role.BOARD_ADMIN, board_id=board)
        made += 1
    return made


def _audit(plan: dict, actor: str) -> None:
    now = timezone.now()
    AuditEntry.objects.bulk_create(
        AuditEntry(
            at=now,
            actor=actor,
            reason=f"merge {plan['digest'][:12]}",
            institution_number=i["number"],
            entity="institution",
            entity_sourced_id=uuid.UUID(i["sourced_id"]),
            action=AuditEntry.Action.CREATE,
            changes={"samenvoeging": [plan["source"], "deze databank"]},
        )
        for i in plan["institutions"]
    )


def _reset_sequences(models: list) -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _report(plan: dict, states: dict[str, TableState], links: dict, started, grants) -> dict:
    return {
        "format": REPORT_FORMAT,
        "digest": plan["digest"],
        "source": plan["source"],
        "started_at": started.isoformat(),
        "finished_at": timezone.now().isoformat(),
        "institutions": [i["number"] for i in plan["institutions"]],
        "tables": {label: state.counts for label, state in sorted(states.items())},
        # What execute keeps on its run (cli_execute): rows added per table.
        "counts": {label: state.counts["added"] for label, state in sorted(states.items())},
        "skipped": {
            m._meta.label: rule_for(m).reason for m in all_models() if rule_for(m).action != FOLD
        },
        # New id = old id + offset for every added row; joined rows are listed.
        "offsets": {label: state.offset for label, state in sorted(states.items())},
        "joined": {
            label: {str(old): new for old, new in sorted(state.joined.items())}
            for label, state in sorted(states.items())
            if state.joined and label != "registry.SourceAlias"
        },
        "sourced_ids_replaced": {str(k): str(v) for k, v in links["sourced"].items()},
        "renamed_users": plan["collisions"].get("user_names", []),
        "renamed_apps": plan["collisions"].get("app_names", []),
        "confirmed_same": [c for c in plan["candidates"] if c["decision"] == "same"],
        "central_admin_grants": grants,
    }


def apply(plan: dict, *, source_url: str, actor: str = "cli") -> dict:
    """Fold the plan's institutions from `source_url` into this database; the report."""
    check_executable(plan)
    alias = source.connect(source_url)
    _check_source(plan, alias)
    ctx = plans.context(plan, alias)
    links = _links(plan, alias)
    models = {m._meta.label: m for m in all_models()}
    rules = {label: rule_for(m) for label, m in models.items()}
    started = timezone.now()
    log.info("merge fold: start %s (%d institutions)", plan["digest"][:12], len(ctx.numbers))
    try:
        reason = f"merge {plan['digest'][:12]}"
        with acting(actor, reason), transaction.atomic():
            references = _fresh_references(plan, links)
            states = fold_all(ctx, links, rules, models)
            _reset_sequences([models[label] for label in states if not states[label].keeps_pk])
            _keep_old_references(references, reason, actor)
            moved = Institution.objects.filter(number__in=ctx.numbers).values_list("pk", flat=True)
            payment_references.issue_missing(list(moved))  # rows the other side left without
            grants = _grant_central_admin(plan, states)
            _audit(plan, actor)
            generation.bump()
    except UnreadableSecret:
        raise MergeRefused(
            "Een versleuteld gegeven van de andere databank (pincode, klascode, sleutel) is hier "
            "onleesbaar: zet de sleutel van de andere databank mee in SCHOOLBRUG_ENCRYPTION_KEY "
            "(na die van deze); er is niets gewijzigd.",
            "merge fold: a secret of the source cannot be decrypted with this server's keys",
        ) from None
    # psycopg's own: the folder's COPY on PostgreSQL bypasses Django's error wrapping.
    except (IntegrityError, psycopg.IntegrityError) as error:
        log.error("merge fold: refused, a unique value collides: %s", type(error).__name__)
        raise MergeRefused(
            "De samenvoeging botste op een waarde die in beide databanken voorkomt en uniek "
            "moet zijn; er is niets gewijzigd. Maak een nieuw plan.",
            "merge fold: integrity error, rolled back",
        ) from error
    log.info("merge fold: done %s", plan["digest"][:12])
    report = _report(plan, states, links, started, grants)
    report["payment_references"] = references
    report["notes"] = ctx.notes
    return report
