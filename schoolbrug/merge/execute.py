"""Executing an approved plan: checks, read-only, backup, fold, report.

In this order, each step only after the one before succeeded:

1. refuse without a central admin, unless the starter is the receiving board's board admin,
   and unless every approver named in the plan approved this very plan (its digest: the
   receiving side in this database, the moving side in the source database);
2. raise the read-only flag and wait until every process has seen it (readonly.py) — before
   the backup, so no write lands between the backup and the fold and is lost by a rollback;
3. back up the receiving database (backup.py);
4. `fold.apply(plan, source_url=...)` (m1core): one transaction, all or nothing;
5. write the report (JSON) and record the run; lower the flag.

A fold that fails leaves the old state (its transaction rolls back): the run is "failed" and
the site opens again. A process killed in steps 2–5 leaves the flag up and the run "running":
`schoolbrug merge execute` again (the fold starts from the old state) or `schoolbrug merge
rollback`.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from schoolbrug.roles.permissions import MERGE_START_REFUSAL, may_start_merge
from schoolbrug.sync.locking import wait_for_syncs

from . import approvals, backup, files, plan_collisions, plan_unique, readonly
from . import plan as plans
from .errors import MergeRefused
from .models import MergeRun, ReadOnlyFlag
from .records import register
from .source import without_password
from .summary import receiving_board

log = logging.getLogger("schoolbrug.merge")

REPORTS = "merge-reports"


def fold_apply() -> Callable[..., dict]:
    """m1core's fold (`schoolbrug.merge.fold.apply`)."""
    return importlib.import_module("schoolbrug.merge.fold").apply


def source_connect() -> Callable[[str], str]:
    """m1core's connection to the source database (`schoolbrug.merge.source.connect`)."""
    return importlib.import_module("schoolbrug.merge.source").connect


def user_for(email: str):
    """The active account with this e-mail address (case-insensitive), if any."""
    return (
        get_user_model()
        .objects.filter(email__iexact=email.strip(), is_active=True)
        .order_by("pk")
        .first()
    )


def check_starter(plan: dict, email: str) -> None:
    user = user_for(email)
    if user is None or not may_start_merge(user, receiving_board(plan)):
        raise MergeRefused(
            f"{email} mag deze samenvoeging niet starten. {MERGE_START_REFUSAL}",
            "starter is not the receiving board's board admin",
        )


def _check_approver_list(plan: dict, source_alias: str | None) -> None:
    """The plan's approver list is the plan maker's word, sealed by a digest anyone can
    recompute: every director of today must be on it, or an edited plan skips them."""
    if source_alias is None:
        return
    listed = set(approvals.approvers(plan))
    needed = importlib.import_module("schoolbrug.merge.plan").directors_to_approve(
        plan, source_alias, receiving_board(plan)
    )
    left_out = [
        approvals.Approver(a["email"], a["institution"], a["side"])
        for a in needed
        if approvals.Approver(a["email"], a["institution"], a["side"]) not in listed
    ]
    if left_out:
        names = ", ".join(f"{a.email} (instelling {a.institution})" for a in left_out)
        raise MergeRefused(
            f"Het plan noemt niet elke directeur die het moet goedkeuren: {names} ontbreekt. "
            "Maak een nieuw plan met `schoolbrug merge plan`.",
            f"{len(left_out)} director(s) of today missing from the plan's approvers",
        )


def _unique_values_now(plan: dict, source_alias: str | None) -> tuple[str, str] | None:
    """The plan's unique-value check read again from both databases: a clash that came after
    the plan (or a list a person emptied and sealed again) is refused here, before the read-only
    flag and the backup, not at the fold's rollback. Not for this database itself (no other
    side to compare with: source.connect refuses it, the tests' doubles use it)."""
    if source_alias is None or source_alias == DEFAULT_DB_ALIAS:
        return None
    clashes = plan_unique.unique_values(plans.context(plan, source_alias))
    return plan_collisions.refusal({"collisions": {"unique_values": clashes}})


def check(plan: dict, *, starter: str, source_alias: str | None) -> None:
    """Everything execute refuses before it changes anything."""
    if not str(plan.get("central_admin") or "").strip():
        raise MergeRefused(
            "Het plan noemt geen centrale beheerder voor het samengevoegde schoolbestuur. "
            "Duid er één aan in het plan (en laat het daarna opnieuw goedkeuren).",
            "plan without a central admin",
        )
    refused = plan_collisions.refusal(plan) or _unique_values_now(plan, source_alias)
    if refused:
        raise MergeRefused(*refused)
    check_starter(plan, starter)
    _check_approver_list(plan, source_alias)
    still = approvals.missing(plan, source_alias=source_alias)
    if still:
        raise MergeRefused(
            "Nog niet iedereen keurde dit plan goed (goedkeuringen van een vroegere versie "
            f"tellen niet). {approvals.missing_sentence(still)}",
            f"{len(still)} approvals missing",
        )


def _check_source(plan: dict, source_url: str) -> None:
    if without_password(source_url) != without_password(str(plan.get("source") or "")):
        raise MergeRefused(
            "Dit plan werd gemaakt voor een andere databank dan de opgegeven bron. Geef dezelfde "
            "bron als bij `schoolbrug merge plan`.",
            "source URL differs from the plan's",
        )


def _default_report(run: MergeRun) -> Path:
    folder = Path(settings.VAR_DIR) / REPORTS
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"samenvoeging-{run.pk}-{run.digest[:12]}.json"


def write_report(run: MergeRun, report: dict, path: Path | None) -> Path:
    """The report as a new file (files.py: whole, never over another). The merge is done
    when this runs: a place that fails now (taken or full since the check) gets the report
    in the default folder instead, and the log says so."""
    text = json.dumps(report, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    if path is not None:
        try:
            return files.write_new(path, text, "het verslag")
        except MergeRefused as refused:
            log.warning(
                "merge: run %s report to the default folder: %s", run.pk, refused.log_message
            )
    return files.write_new(_default_report(run), text, "het verslag")


def execute(
    plan: dict,
    *,
    starter: str,
    source_url: str | None = None,
    report_path: Path | None = None,
    apply: Callable[..., dict] | None = None,
    connect: Callable[[str], str] | None = None,
) -> MergeRun:
    """Run the plan (see the module's docstring). `apply` and `connect` default to m1core's
    fold and source connection."""
    if report_path is not None:
        files.check_new(report_path, "het verslag")  # before anything changes
    source_url = source_url or str(plan.get("source") or "")
    _check_source(plan, source_url)
    alias = (connect or source_connect())(source_url)
    check(plan, starter=starter, source_alias=alias)
    register(plan, by=starter)
    run = MergeRun(digest=plan["digest"], started_by=starter.strip().lower())
    with readonly.merging("execute"):
        if not wait_for_syncs(settings.SCHOOLBRUG_SYNC_LOCK_WAIT):
            raise MergeRefused(
                "Er loopt nog een synchronisatie van een school in deze databank. Probeer de "
                "samenvoeging opnieuw als die klaar is; er is niets gewijzigd.",
                "a sync still holds an institution's lock",
            )
        # We hold the flag: a run still "running" was interrupted (its process is gone).
        MergeRun.objects.filter(state=MergeRun.State.RUNNING).update(
            state=MergeRun.State.FAILED, finished_at=timezone.now(), error="interrupted"
        )
        run.state, run.started_at = MergeRun.State.RUNNING, timezone.now()
        run.save()
        ReadOnlyFlag.objects.filter(pk=1).update(run=run)
        run.backup_path = str(backup.take())
        run.save()
        log.warning("merge: run %s folding plan %s", run.pk, run.digest[:12])
        try:
            # The fold's changes are logged as the board admin who started it.
            report = (apply or fold_apply())(plan, source_url=source_url, actor=run.started_by)
        except BaseException as failure:
            run.state, run.finished_at = MergeRun.State.FAILED, timezone.now()
            run.error = f"{type(failure).__name__}"[:1000]
            run.save()
            log.exception("merge: run %s failed; the fold's transaction left the old state", run.pk)
            raise
        run.report = {"counts": (report or {}).get("counts", {})}
        run.state, run.finished_at = MergeRun.State.DONE, timezone.now()
        run.save()  # done, whatever happens to its report file
        try:
            run.report_path = str(write_report(run, report or {}, report_path))
        except MergeRefused as refused:
            raise MergeRefused(
                f"Samenvoeging {run.pk} is uitgevoerd, maar het verslag is niet geschreven: "
                f"{refused.message}",
                f"run {run.pk} done, its report not written: {refused.log_message}",
            ) from None
        run.save()
    log.warning("merge: run %s done", run.pk)
    return run
