"""Plain data shaped for pages and downloads: the run report, findings, audit changes.

The run's and the audit log's presentation live below the web UI, where the admin uses them too
(`schoolbrug.sync.run_report`, `schoolbrug.audit.presenters`); they are imported here so that
views and templates have one place to look. A pupil's contacts are shown on pages only.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from schoolbrug.audit.presenters import (
    ENTITY_LABELS,
    FIELD_LABELS,
    HIDDEN,
    audit_csv_rows,
    change_rows,
    entity_label,
)
from schoolbrug.sync.run_report import (
    ACTION_LABELS,
    FINDING_KEYS,
    SEVERITY_LABELS,
    SEVERITY_ORDER,
    SEVERITY_SINGULAR,
    action_label,
    finding_summary,
    ordered_counts,
    run_report,
    safe_finding,
    severity_counts,
    sorted_findings,
)

__all__ = [
    "ACTION_LABELS",
    "CONTACT_FIELD_LABELS",
    "CONTACT_ROLE_LABELS",
    "ENTITY_LABELS",
    "FIELD_LABELS",
    "FINDING_KEYS",
    "HIDDEN",
    "SEVERITY_LABELS",
    "SEVERITY_ORDER",
    "SEVERITY_SINGULAR",
    "action_label",
    "audit_csv_rows",
    "change_rows",
    "contact_rows",
    "entity_label",
    "finding_summary",
    "ordered_counts",
    "run_report",
    "safe_finding",
    "severity_counts",
    "sorted_findings",
]

CONTACT_ROLE_LABELS = {
    "father": gettext_lazy("Vader"),
    "mother": gettext_lazy("Moeder"),
    "guardian": gettext_lazy("Voogd"),
}
CONTACT_FIELD_LABELS = {
    "street": gettext_lazy("straat"),
    "number": gettext_lazy("nummer"),
    "box": gettext_lazy("bus"),
    "postal_code": gettext_lazy("postcode"),
    "city": gettext_lazy("gemeente"),
    "email": gettext_lazy("e-mail"),
    "phone": gettext_lazy("telefoon"),
}


def contact_rows(contacts: dict[str, dict[str, str]]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(Dutch role, [(Dutch field, value)]) per contact, in a fixed order."""
    rows = []
    for role in (*CONTACT_ROLE_LABELS, *sorted(set(contacts or {}) - set(CONTACT_ROLE_LABELS))):
        contact = (contacts or {}).get(role)
        if not contact:
            continue
        fields = [
            (str(CONTACT_FIELD_LABELS.get(name, name)), str(value))
            for name, value in contact.items()
            if value
        ]
        rows.append((str(CONTACT_ROLE_LABELS.get(role, role)), fields))
    return rows
