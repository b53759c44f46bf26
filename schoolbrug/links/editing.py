"""Making and editing a link (a new link, a new token, an edit on the link page), each audited.

The audit log follows links and institutions by itself (`audit.changes`: entity `link`, the
token's prefix, "gewijzigd" for the token hash and the client secret, never their value);
these functions say who changes them and why.
"""

from __future__ import annotations

from django.db import transaction

from schoolbrug.audit.changes import changed_fields
from schoolbrug.audit.context import acting

from . import tokens
from .models import SourceLink

AUDIT_REASON = "koppeling"


def create_link(link: SourceLink, actor: str, contact_source: str | None = None) -> str:
    """Save a new link (unsaved instance) with a new token; returns the token, to show once."""
    token = tokens.set_token(link)
    institution = link.institution
    with transaction.atomic(), acting(actor, AUDIT_REASON):
        link.save()
        if contact_source is not None and contact_source != institution.contact_source:
            institution.contact_source = contact_source
            institution.save(update_fields=["contact_source", "updated_at"])
    return token


def regenerate_token(link: SourceLink, actor: str) -> str:
    """A new token for the link: the old one stops working at once. Returns the new token."""
    token = tokens.set_token(link)
    with transaction.atomic(), acting(actor, AUDIT_REASON):
        link.save(update_fields=["token_hash", "token_prefix", "token_created_at", "updated_at"])
    return token


# What a school edits on the link page (the form's fields); the log records these and more.
AUDITED_FIELDS = (
    "source",
    "sync_active",
    "daily_time",
    "leaver_blackout",
    "informat_base_url",
    "informat_token_url",
    "informat_client_id",
    "informat_scope",
)


def save_link_changes(
    link: SourceLink, before: SourceLink, actor: str, contact_source: str | None = None
) -> dict:
    """Save an edited link (and the institution's contact source); returns what changed,
    as the audit log records it ({} when nothing did: then nothing is saved)."""
    changes = changed_fields(before, link)
    institution = link.institution
    if contact_source is not None and contact_source != institution.contact_source:
        changes["contact_source"] = [institution.contact_source, contact_source]
        institution.contact_source = contact_source
    if not changes:
        return changes
    with transaction.atomic(), acting(actor, AUDIT_REASON):
        link.save()
        if "contact_source" in changes:
            institution.save(update_fields=["contact_source", "updated_at"])
    return changes
