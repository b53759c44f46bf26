"""The keys Schoolbrug runs with, read while settings load: the secret key Django signs
sessions and tokens with, and the Fernet keys stored secrets are encrypted with.

A fresh clone runs the demo with no environment at all, so without `SCHOOLBRUG_SECRET_KEY` a
random key is made on first start and kept in `$SCHOOLBRUG_VAR_DIR/secret_key` (mode 0600),
the same for every later start and every process sharing that folder. A key that is set must
be strong when debug is off: a known default, a short or a repetitive value refuses to start,
because anyone who knows the key can forge a log-in.

The encryption keys (`SCHOOLBRUG_ENCRYPTION_KEY`) are checked here so that a mistyped key
stops the start, not the first pull that needs the secret (see encryption.py).

This module runs while settings load: it must not import anything of Django that needs them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

KEY_FILE = "secret_key"
# Values that were documented or shipped somewhere as a default: never a real secret.
KNOWN_DEFAULTS = frozenset(
    {
        "insecure-dev-key-set-SCHOOLBRUG_SECRET_KEY",
        "changeme",
        "change-me",
        "secret",
        "schoolbrug",
    }
)


def weakness(key: str) -> str:
    """Why `key` is no fit secret key, in English; "" when it is fine."""
    if key in KNOWN_DEFAULTS or key.startswith(SECRET_KEY_INSECURE_PREFIX):
        return "it is a published default"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"it is shorter than {SECRET_KEY_MIN_LENGTH} characters"
    if len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return f"it has fewer than {SECRET_KEY_MIN_UNIQUE_CHARACTERS} different characters"
    return ""


def load_secret_key(value: str | None, var_dir: Path, *, debug: bool) -> tuple[str, bool]:
    """(the key, whether it came from the key file). Raises ImproperlyConfigured for a weak
    key set in the environment while debug is off."""
    if value:
        reason = weakness(value)
        if reason and not debug:
            raise ImproperlyConfigured(
                f"SCHOOLBRUG_SECRET_KEY is not safe to run with: {reason}. Set it to a random "
                f"value of at least {SECRET_KEY_MIN_LENGTH} characters (for example the output "
                "of: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'), or unset "
                f"it to use the key Schoolbrug keeps in {Path(var_dir) / KEY_FILE}."
            )
        return value, False
    return _key_from_file(Path(var_dir) / KEY_FILE), True


def _key_from_file(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written under a private name, then linked into place: two processes starting at once
    # both end up reading the one key that won, never an empty or half-written file.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            out.write(secrets.token_urlsafe(64) + "\n")
        with contextlib.suppress(FileExistsError):  # another process was first: use its key
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path.read_text(encoding="ascii").strip()


def keys_from_setting(value: str) -> list[bytes]:
    """The Fernet keys of `SCHOOLBRUG_ENCRYPTION_KEY` ("" → none); ImproperlyConfigured if one
    is not a Fernet key (32 bytes, url-safe base64)."""
    keys = [part.strip().encode("ascii") for part in value.split(",") if part.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                f"SCHOOLBRUG_ENCRYPTION_KEY: key {position} is not a Fernet key (32 bytes in "
                "url-safe base64). Make one with: python3 -c 'from cryptography.fernet import "
                "Fernet; print(Fernet.generate_key().decode())'"
            ) from None
    return keys
