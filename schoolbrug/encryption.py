"""Secrets Schoolbrug must be able to read back (the Informat client secret; later pupils'
PINs) are stored encrypted, so a copy of the database or a backup does not hand them out.

`EncryptedTextField` is a text column that holds a Fernet token (AES-128-CBC with an
HMAC-SHA256, from `cryptography`) and gives Python the plain text. The keys come from
`SCHOOLBRUG_ENCRYPTION_KEY`: one or more Fernet keys separated by commas, the first one
encrypting, every one decrypting (`MultiFernet`), so a key is rotated by putting a new one in
front and running `schoolbrug encryption rotate`. Without that variable the key is derived
from the secret key (HKDF-SHA256): nothing to set up for the demo, but then changing the secret
key makes the stored secrets unreadable. The derived key always decrypts too, after the set
ones, so an installation that starts setting a key still reads what it stored before (and
`rotate` moves it under the new key).

What this must never do: return the ciphertext as if it were the secret, or the secret in an
error message.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.conf import settings
from django.db import models, transaction

# What the key derived from the secret key is for: another purpose gets another key.
_DERIVATION_INFO = b"schoolbrug encrypted fields v1"


class UnreadableSecret(Exception):
    """A stored value that none of the keys opens: the key was changed or lost."""


def derived_key(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DERIVATION_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode("utf-8")))


@functools.cache
def _cipher(keys: tuple[bytes, ...], secret_key: str) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in (*keys, derived_key(secret_key))])


def cipher() -> MultiFernet:
    return _cipher(tuple(settings.SCHOOLBRUG_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(plain: str) -> str:
    return cipher().encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return cipher().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        raise UnreadableSecret(
            "a stored secret cannot be decrypted with SCHOOLBRUG_ENCRYPTION_KEY (or the key "
            "derived from the secret key): was a key removed or the secret key changed?"
        ) from None


def is_encrypted(value: str) -> bool:
    """Does one of the keys open `value`? (Plain text from before encryption does not.)"""
    try:
        decrypt(value)
    except UnreadableSecret:
        return False
    return True


class EncryptedTextField(models.TextField):
    """A text column stored as a Fernet token; "" stays "" (no secret, nothing to hide)."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(value)


def encrypted_fields() -> list[tuple[type[models.Model], str]]:
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def rotate() -> int:
    """Encrypt every stored secret again with the first key; returns how many were rewritten.

    Run it after putting a new key in front of SCHOOLBRUG_ENCRYPTION_KEY; then the old keys
    can be dropped from it.
    """
    rewritten = 0
    for model, name in encrypted_fields():
        with transaction.atomic():
            rows = model._base_manager.exclude(**{name: ""}).values_list("pk", name)
            for pk, plain in rows.select_for_update().iterator():
                # get_prep_value encrypts with the first key: the row is now under it.
                model._base_manager.filter(pk=pk).update(**{name: plain})
                rewritten += 1
    return rewritten
