"""The Informat client secret is stored encrypted (schoolbrug.encryption): the column becomes
text and the secrets saved before are encrypted in place. Backwards, they are decrypted again.

Rows are read and written with plain SQL: the field itself would try to decrypt a secret that
is still plain text.
"""

from django.db import migrations

import schoolbrug.encryption

TABLE, COLUMN = "sync_sourcelink", "informat_client_secret"


def _rewrite(schema_editor, change) -> None:
    connection = schema_editor.connection
    table, column = connection.ops.quote_name(TABLE), connection.ops.quote_name(COLUMN)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {column} FROM {table} WHERE {column} <> ''")
        rows = cursor.fetchall()
        for pk, value in rows:
            new = change(value)
            if new != value:
                cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [new, pk])


def encrypt_secrets(apps, schema_editor):
    from schoolbrug.encryption import encrypt, is_encrypted

    _rewrite(schema_editor, lambda value: value if is_encrypted(value) else encrypt(value))


def decrypt_secrets(apps, schema_editor):
    from schoolbrug.encryption import decrypt, is_encrypted

    _rewrite(schema_editor, lambda value: decrypt(value) if is_encrypted(value) else value)


class Migration(migrations.Migration):

    dependencies = [
        ('sync', '0003_mask_national_numbers_in_findings'),
    ]

    operations = [
        migrations.AlterField(
            model_name='sourcelink',
            name='informat_client_secret',
            field=schoolbrug.encryption.EncryptedTextField(blank=True),
        ),
        migrations.RunPython(encrypt_secrets, decrypt_secrets),
    ]
