"""The plans registered in this database, found by digest."""

from __future__ import annotations

from .errors import MergeRefused
from .models import MergePlanRecord

PLAN_FORMAT = "schoolbrug-merge-plan/1"


def register(plan: dict, *, by: str) -> MergePlanRecord:
    """Keep the plan (once per digest); `by` names who brought it in."""
    digest = str(plan.get("digest") or "")
    if len(digest) != 64:
        raise MergeRefused(
            "Dit plan heeft geen geldige vingerafdruk (digest). Maak het opnieuw met "
            "`schoolbrug merge plan`.",
            "plan without a valid digest",
        )
    record, _ = MergePlanRecord.objects.get_or_create(
        digest=digest, defaults={"plan": plan, "registered_by": by}
    )
    return record


def find(digest: str) -> MergePlanRecord | None:
    return MergePlanRecord.objects.filter(digest=digest).first()
