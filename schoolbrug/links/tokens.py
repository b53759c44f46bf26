"""The token a school's administration package sends with its exports.

`sbk_<8 hex>_<43 url-safe characters>`. The first part (`sbk_1a2b3c4d`) is a random label with
no secret in it: it is stored and shown to recognise the token. The rest holds 256 random bits.
Only the SHA-256 of the whole token is stored; a token that is lost is replaced, never shown
again.
"""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from .models import SourceLink

TOKEN_PREFIX = "sbk_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """A new link token and its displayable prefix."""
    prefix = TOKEN_PREFIX + secrets.token_hex(4)
    return f"{prefix}_{secrets.token_urlsafe(32)}", prefix


def link_for_token(token: str) -> SourceLink | None:
    """The link a token belongs to, or None. Looked up by hash: the token is never compared."""
    token = token.strip()
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    return (
        SourceLink.objects.select_related("institution")
        .filter(token_hash=hash_token(token))
        .first()
    )


def bearer_token(authorization: str) -> str:
    """The token of an `Authorization: Bearer <token>` header; "" for anything else."""
    scheme, _, value = authorization.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def set_token(link: SourceLink) -> str:
    token, prefix = new_token()
    link.token_hash = hash_token(token)
    link.token_prefix = prefix
    link.token_created_at = timezone.now()
    return token
