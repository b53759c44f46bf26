"""An offer field as its Dutch label, and as an input that is disabled (so never sent) when
the person may not change it; the server checks again whatever is sent (`editing.py`)."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from schoolbrug.audit.presenters import FIELD_LABELS

register = template.Library()

NUMBER_FIELDS = ("capacity", "free_places", "free_places_indicator", "seated_pupils")
DATE_FIELDS = ("starts_on", "ends_on")


@register.filter
def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


@register.simple_tag
def offer_input(offer, name: str, editable) -> str:
    value = getattr(offer, name)
    value = "" if value is None else value
    kind = "number" if name in NUMBER_FIELDS else "date" if name in DATE_FIELDS else "text"
    extra = ' min="0"' if kind == "number" else ""
    if name not in editable:
        return format_html(
            '<input type="{}" name="o{}-{}" value="{}" aria-label="{}" disabled>',
            kind,
            offer.pk,
            name,
            value,
            field_label(name),
        )
    # The value as shown goes along: only what the person changed is saved, so two people
    # editing the same school at once do not undo each other's changes (views._wanted).
    return format_html(
        '<input type="{}" name="o{}-{}" value="{}" aria-label="{}"{}>'
        '<input type="hidden" name="s{}-{}" value="{}">',
        kind,
        offer.pk,
        name,
        value,
        field_label(name),
        mark_safe(extra),  # a constant above
        offer.pk,
        name,
        value,
    )
