"""Stored secrets are encrypted: the database holds a Fernet token, Python the secret; keys
rotate; a missing key makes a secret unreadable, never readable as ciphertext."""

from __future__ import annotations

import importlib
import io
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from schoolbrug import encryption
from schoolbrug.encryption import EncryptedTextField, UnreadableSecret
from schoolbrug.links.models import SourceLink
from tests.links.link_data import make_link

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-van-de-school"
MIGRATION = importlib.import_module(
    "schoolbrug.sync.migrations.0004_encrypt_informat_client_secret"
)


def stored(link: SourceLink) -> str:
    """The column as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT informat_client_secret FROM sync_sourcelink WHERE id = %s", [link.pk]
        )
        return cursor.fetchone()[0]


def store_raw(link: SourceLink, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE sync_sourcelink SET informat_client_secret = %s WHERE id = %s",
            [value, link.pk],
        )


def test_the_informat_client_secret_is_stored_encrypted():
    link, _ = make_link(informat_client_secret=SECRET)
    raw = stored(link)
    assert SECRET not in raw and raw.startswith("gAAAAA")  # a Fernet token
    assert SourceLink.objects.get(pk=link.pk).informat_client_secret == SECRET
    # Two saves of one secret give two tokens: equal secrets do not show as equal rows.
    link.save()
    assert stored(link) != raw
    assert SECRET not in repr(link) + str(link)


def test_an_empty_secret_stays_empty():
    link, _ = make_link()
    assert stored(link) == "" and link.informat_client_secret == ""


def test_the_migration_encrypts_the_secrets_saved_before_and_only_once():
    link, _ = make_link()
    store_raw(link, SECRET)  # as a row from before the migration
    editor = SimpleNamespace(connection=connection)

    MIGRATION.encrypt_secrets(apps, editor)
    once = stored(link)
    assert SECRET not in once and encryption.decrypt(once) == SECRET
    MIGRATION.encrypt_secrets(apps, editor)
    assert stored(link) == once
    assert SourceLink.objects.get(pk=link.pk).informat_client_secret == SECRET

    MIGRATION.decrypt_secrets(apps, editor)
    assert stored(link) == SECRET


def test_keys_rotate_new_key_first_then_the_old_one_goes(settings):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    settings.SCHOOLBRUG_ENCRYPTION_KEYS = [old]
    link, _ = make_link(informat_client_secret=SECRET)

    settings.SCHOOLBRUG_ENCRYPTION_KEYS = [new, old]
    assert SourceLink.objects.get(pk=link.pk).informat_client_secret == SECRET
    call_command("encryption", "rotate", stdout=None)
    assert Fernet(new).decrypt(stored(link).encode()).decode() == SECRET

    settings.SCHOOLBRUG_ENCRYPTION_KEYS = [new]
    assert SourceLink.objects.get(pk=link.pk).informat_client_secret == SECRET


def test_without_its_key_a_secret_is_unreadable_not_shown_as_ciphertext(settings):
    settings.SCHOOLBRUG_ENCRYPTION_KEYS = [Fernet.generate_key()]
    link, _ = make_link(informat_client_secret=SECRET)
    settings.SCHOOLBRUG_ENCRYPTION_KEYS = [Fernet.generate_key()]
    with pytest.raises(UnreadableSecret) as unreadable:
        SourceLink.objects.get(pk=link.pk)
    assert SECRET not in str(unreadable.value) and stored(link) not in str(unreadable.value)


def test_without_a_key_setting_the_key_comes_from_the_secret_key(settings):
    settings.SCHOOLBRUG_ENCRYPTION_KEYS = []
    link, _ = make_link(informat_client_secret=SECRET)
    assert Fernet(encryption.derived_key(settings.SECRET_KEY)).decrypt(stored(link).encode())
    settings.SECRET_KEY = settings.SECRET_KEY + "-nieuw"
    with pytest.raises(UnreadableSecret):
        SourceLink.objects.get(pk=link.pk)


def test_setting_a_key_later_still_reads_the_secrets_stored_before(settings):
    settings.SCHOOLBRUG_ENCRYPTION_KEYS = []
    link, _ = make_link(informat_client_secret=SECRET)
    new = Fernet.generate_key()
    settings.SCHOOLBRUG_ENCRYPTION_KEYS = [new]
    assert SourceLink.objects.get(pk=link.pk).informat_client_secret == SECRET
    out = io.StringIO()
    call_command("encryption", "rotate", stdout=out)
    assert out.getvalue().startswith("1 geheim(en) opnieuw versleuteld")
    assert Fernet(new).decrypt(stored(link).encode()).decode() == SECRET


def test_the_field_is_reusable_and_found_by_rotation():
    assert (SourceLink, "informat_client_secret") in encryption.encrypted_fields()
    field = EncryptedTextField(blank=True)
    assert field.from_db_value(field.get_prep_value("1234"), None, connection) == "1234"
