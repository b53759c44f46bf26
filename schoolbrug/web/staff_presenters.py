"""The staff upload's report as the upload page shows it: Dutch counts and one line a change."""

from __future__ import annotations

import datetime

from schoolbrug.registry.models import Assignment
from schoolbrug.staff.labels import COUNT_LABELS

from .sharing_queries import staff_names

ACTION_LABELS = {
    ("staff", "create"): "Nieuw personeelslid",
    ("staff", "update"): "Nieuwe naam",
    ("assignment", "create"): "Nieuwe opdracht",
    ("assignment", "update"): "Nieuwe einddatum",
    ("assignment", "end"): "Opdracht eindigt",
    ("teaching", "end"): "Klas eindigt met de opdracht",
    ("teaching", "update"): "Klas loopt met de opdracht langer",
}
ROLE_LABELS = dict(Assignment.Role.choices)


def count_rows(report: dict) -> list[tuple[str, int]]:
    counts = report.get("counts") or {}
    return [(label, counts.get(key, 0)) for key, label in COUNT_LABELS.items()]


def change_rows(report: dict) -> list[dict]:
    """Per planned change: what, who (name and e-mail address), and the detail in Dutch."""
    actions = report.get("actions") or []
    names = staff_names(a["email"] for a in actions)
    for action in actions:  # new staff: the name the file gives
        changes = action.get("changes") or {}
        if action["entity"] == "staff" and "given_name" in changes:
            given = changes["given_name"][1] or ""
            family = (changes.get("family_name") or [None, ""])[1] or ""
            names[action["email"]] = f"{given} {family}".strip()
    rows = []
    for action in actions:
        rows.append(
            {
                "what": ACTION_LABELS.get((action["entity"], action["action"]), action["action"]),
                "who": names.get(action["email"], ""),
                "email": action["email"],
                "line": action.get("line"),
                "detail": _detail(action),
            }
        )
    return rows


def _detail(action: dict) -> str:
    changes = action.get("changes") or {}
    if action["entity"] == "staff":
        if action["action"] == "create":
            return ""
        return ", ".join(f"{old or '—'} → {new or '—'}" for old, new in changes.values())
    role = ROLE_LABELS.get(action.get("role"), action.get("role") or "")
    since = _day(action.get("start_date"))
    text = f"{role} vanaf {since}" if since else role
    old, new = changes.get("end_date") or (None, None)
    if action["entity"] == "teaching":
        klass = (changes.get("class") or [None, ""])[1]
        return f"klas {klass}: einddatum {_day(old) or 'geen'} → {_day(new) or 'geen'}"
    if action["action"] == "create":
        return f"{text}, tot {_day(new)}" if new else text
    return f"{text}: einddatum {_day(old) or 'geen'} → {_day(new) or 'geen'}"


def _day(iso: str | None) -> str:
    if not iso:
        return ""
    return datetime.date.fromisoformat(iso).strftime("%d/%m/%Y")
