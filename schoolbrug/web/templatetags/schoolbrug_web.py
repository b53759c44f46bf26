"""Template filters for the Schoolbrug pages: Dutch labels and masked personal data."""

from django import template

from schoolbrug.sources import findings
from schoolbrug.sources.findings import mask_national_number
from schoolbrug.web import presenters

register = template.Library()


@register.filter
def finding_title(code: str) -> str:
    """A finding code ("PUPIL_NO_CLASS_NUMBER") as its short Dutch title."""
    return findings.finding_title(code) if code else ""


@register.filter
def action_label(key: str) -> str:
    """A sync count key ("created", "moved", ...) in Dutch."""
    return presenters.action_label(key)


@register.filter
def entity_label(key: str) -> str:
    return presenters.entity_label(key)


@register.filter
def severity_label(key: str) -> str:
    return str(presenters.SEVERITY_LABELS.get(key, key))


@register.filter
def change_rows(changes: dict) -> list[tuple[str, str, str]]:
    return presenters.change_rows(changes)


@register.filter
def nonzero_counts(counts: dict) -> list[tuple[str, str, int]]:
    """The run's changes per action in the sync's order, leaving out zeros and `unchanged`."""
    return [
        row for row in presenters.ordered_counts(counts or {}) if row[2] and row[0] != "unchanged"
    ]


@register.filter
def field_label(name: str) -> str:
    """A field as the secretary calls it: code names in Dutch, file columns as they are."""
    return str(presenters.FIELD_LABELS.get(name, name))


@register.filter
def masked(national_number: str | None) -> str:
    """Only ever the masked form: `85.07.30-***.**`."""
    return mask_national_number(national_number or "")
