"""A sync run as people read it: the counts in the sync's order with their Dutch labels, the
findings with only their public keys, and the run's report.

Everything here is a pure function of a run or its dicts, below the admin and the web pages
that show it. A national number leaves this module only masked, whatever the stored data holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy

from schoolbrug.sources.findings import mask_national_number, mask_national_numbers_in

from .models import SyncRun

# The sync's count keys (sync/plan.py PupilActionKind), in the order the pages show them.
ACTION_LABELS = {
    "created": gettext_lazy("nieuw"),
    "moved": gettext_lazy("van klas veranderd"),
    "updated": gettext_lazy("gewijzigd"),
    "left": gettext_lazy("naar Schoolverlaters"),
    "returned": gettext_lazy("teruggekeerd"),
    "deferred": gettext_lazy("uitgesteld"),
    "rejected": gettext_lazy("geweigerd"),
    "unchanged": gettext_lazy("ongewijzigd"),
}

SEVERITY_LABELS = {
    "error": gettext_lazy("Fouten"),
    "warning": gettext_lazy("Waarschuwingen"),
}
SEVERITY_SINGULAR = {
    "error": gettext_lazy("fout"),
    "warning": gettext_lazy("waarschuwing"),
}
SEVERITY_ORDER = {"error": 0, "warning": 1}

# The keys a finding may carry into a page or a report; anything else is dropped.
FINDING_KEYS = (
    "code",
    "severity",
    "outcome",
    "message",
    "hint",
    "file",
    "line",
    "field",
    "national_number_masked",
    "class_code",
    "pupil_name",
)


def action_label(key: str) -> str:
    return str(ACTION_LABELS.get(key, key))


def ordered_counts(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    """(key, Dutch label, count) in the sync's order; unknown keys after, as they are."""
    known = [
        (key, str(label), counts[key]) for key, label in ACTION_LABELS.items() if key in counts
    ]
    rest = [(key, key, value) for key, value in sorted(counts.items()) if key not in ACTION_LABELS]
    return known + rest


def safe_finding(finding: dict[str, Any]) -> dict[str, Any]:
    """A stored finding with only its public keys and the national number masked again."""
    # Masked again: a run stored before every text was masked may quote a full number.
    safe = {key: mask_national_numbers_in(finding.get(key, "")) for key in FINDING_KEYS}
    if safe["line"] == "":
        safe["line"] = None
    safe["severity"] = safe["severity"] or "error"
    safe["national_number_masked"] = mask_national_number(str(safe["national_number_masked"] or ""))
    return safe


def sorted_findings(findings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Errors first, then warnings; within each by file and line as the secretary reads them."""
    safe = [safe_finding(f) for f in findings]
    return sorted(
        safe,
        key=lambda f: (
            SEVERITY_ORDER.get(f["severity"], 9),
            f["file"] or "",
            f["line"] if isinstance(f["line"], int) else 0,
        ),
    )


def finding_summary(findings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per finding code: severity, message and how often, most frequent first."""
    counted: Counter[tuple[str, str]] = Counter()
    example: dict[tuple[str, str], dict] = {}
    for finding in findings:
        safe = safe_finding(finding)
        key = (safe["severity"], safe["code"])
        counted[key] += 1
        example.setdefault(key, safe)
    return [
        {
            "severity": severity,
            "severity_label": str(SEVERITY_SINGULAR.get(severity, severity)),
            "code": code,
            "message": example[(severity, code)]["message"],
            "hint": example[(severity, code)]["hint"],
            "count": count,
        }
        for (severity, code), count in sorted(
            counted.items(), key=lambda item: (SEVERITY_ORDER.get(item[0][0], 9), -item[1])
        )
    ]


def severity_counts(findings: Iterable[dict[str, Any]]) -> dict[str, int]:
    counted = Counter(safe_finding(f)["severity"] for f in findings)
    return {"error": counted.get("error", 0), "warning": counted.get("warning", 0)}


def run_report(run: SyncRun) -> dict[str, Any]:
    """The sync report of a stored run: the same keys as the sync command's JSON report."""
    dry_run = run.status == SyncRun.Status.DRY_RUN or bool(run.options.get("dry_run"))
    return {
        "run_id": run.pk,
        "institution": run.institution_number,
        "source": run.source,
        "status": run.status,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "started_by": run.started_by,
        "dry_run": dry_run,
        "applied": run.status == SyncRun.Status.APPLIED,
        "counts": dict(run.counts),
        "findings": [safe_finding(f) for f in run.findings],
    }
