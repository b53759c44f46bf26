"""The page "Samenvoeging": the plans registered in this database, each plan's summary in
Dutch and its approvals, and "Goedkeuren" for the directors it names.

Who sees a plan: a site admin, a board admin of its receiving board or of a board whose
school is in it, and the people it names as approvers. Who registers one (uploads the plan
file): a site admin or a board admin. The logic is in approvals.py and summary.py.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from schoolbrug.request_size import max_request_size
from schoolbrug.roles import permissions

from . import approvals, plan_file
from .errors import MergeRefused
from .models import MergeApproval, MergePlanRecord, MergeRun
from .records import register
from .summary import receiving_board, summary

MAX_PLAN_BYTES = 200 * 1024 * 1024


def _sees(user, plan: dict) -> bool:
    if permissions.is_site_admin(user):
        return True
    email = permissions.user_email(user).lower()
    if email and any(a.email == email for a in approvals.approvers(plan)):
        return True
    board = receiving_board(plan)
    return board is not None and permissions.may_start_merge(user, board)


def _may_register(user) -> bool:
    return permissions.is_site_admin(user) or permissions.is_board_admin(user)


def visible_records(user) -> list[MergePlanRecord]:
    return [record for record in MergePlanRecord.objects.all() if _sees(user, record.plan)]


def sees_merge_pages(user) -> bool:
    """The menu's link: once a plan registered here concerns the user (a board admin adds the
    first one at /samenvoeging/, as the README says)."""
    return any(_sees(user, plan) for plan in MergePlanRecord.objects.values_list("plan", flat=True))


def _record_or_404(user, digest: str) -> MergePlanRecord:
    record = MergePlanRecord.objects.filter(digest=digest).first()
    if record is None or not _sees(user, record.plan):
        raise Http404("Geen plan met deze vingerafdruk.")
    return record


def _last_runs() -> dict[str, MergeRun]:
    runs: dict[str, MergeRun] = {}
    for run in MergeRun.objects.order_by("pk"):
        runs[run.digest] = run
    return runs


# The plan file is large for the people who may add one; anyone else gets the default.
@max_request_size(MAX_PLAN_BYTES, only_for=_may_register)
@login_required
def plans(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _register(request)
    runs = _last_runs()
    rows = []
    for record in visible_records(request.user):
        plan = record.plan
        wanted = approvals.approvers(plan)
        rows.append(
            {
                "record": record,
                "summary": summary(plan),
                "approved": len(approvals.recorded_here(plan)),
                "wanted": len(wanted),
                "run": runs.get(record.digest),
            }
        )
    return render(
        request,
        "merge/plans.html",
        {"rows": rows, "may_register": _may_register(request.user)},
    )


def _register(request: HttpRequest) -> HttpResponse:
    if not _may_register(request.user):
        raise Http404("Alleen een bestuursbeheerder of sitebeheerder voegt een plan toe.")
    upload = request.FILES.get("plan")
    if upload is None or upload.size > MAX_PLAN_BYTES:
        messages.error(request, "Kies het planbestand (PLAN.json) van `schoolbrug merge plan`.")
        return redirect("merge:plans")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.json"
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        try:
            record = register(plan_file.read(path), by=permissions.actor(request.user))
        except MergeRefused as refused:
            messages.error(request, refused.message)
            return redirect("merge:plans")
    messages.success(request, "Het plan is toegevoegd. De directeurs kunnen het nu goedkeuren.")
    return redirect("merge:plan", record.digest)


@login_required
def plan_detail(request: HttpRequest, digest: str) -> HttpResponse:
    record = _record_or_404(request.user, digest)
    plan = record.plan
    there = approvals.recorded_here(plan)
    email = permissions.user_email(request.user)
    mine = approvals.approvable_by(plan, email) if email else []
    rows = [
        {"approver": a, "approval": there.get(a), "side": dict(MergeApproval.Side.choices)[a.side]}
        for a in approvals.approvers(plan)
    ]
    newer = (
        MergePlanRecord.objects.filter(registered_at__gt=record.registered_at)
        .exclude(digest=record.digest)
        .filter(plan__source=plan.get("source", ""))
        .first()
    )
    return render(
        request,
        "merge/plan_detail.html",
        {
            "record": record,
            "summary": summary(plan),
            "rows": rows,
            "may_approve": any(a not in there for a in mine),
            "newer": newer,
            "runs": MergeRun.objects.filter(digest=record.digest),
        },
    )


@login_required
@require_POST
def approve(request: HttpRequest, digest: str) -> HttpResponse:
    record = _record_or_404(request.user, digest)
    try:
        approvals.approve(
            record.plan, permissions.user_email(request.user), via=MergeApproval.Via.WEB
        )
    except MergeRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "Je goedkeuring is genoteerd.")
    return redirect("merge:plan", record.digest)
