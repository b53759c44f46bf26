"""SourceLink and LinkUpload, taken over from the sync app (its 0007 dropped them from its state):
created in this app's state only, on the tables the sync app made, so no data moves. Their
content types follow them, so that permissions and admin history keep pointing at them."""

import datetime
import django.db.models.deletion
import schoolbrug.encryption
import schoolbrug.links.models
import uuid
from django.db import migrations, models


MODELS = ("sourcelink", "linkupload")


def _move_content_types(apps, schema_editor, old: str, new: str) -> None:
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(
        schema_editor.connection.alias
    )
    for model in MODELS:
        if not content_types.filter(app_label=new, model=model).exists():
            content_types.filter(app_label=old, model=model).update(app_label=new)


def content_types_to_links(apps, schema_editor) -> None:
    _move_content_types(apps, schema_editor, "sync", "links")


def content_types_to_sync(apps, schema_editor) -> None:
    _move_content_types(apps, schema_editor, "links", "sync")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('registry', '0009_data_version'),
        ('sync', '0007_links_moved_to_their_own_app'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SourceLink',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('sourced_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('source', models.CharField(choices=[('wisa', 'WISA (leerlingen + klassen)'), ('informat', 'Informat (API, opgehaald door Schoolbrug)'), ('oneroster', 'OneRoster (zip)'), ('file_drop', 'bestanden in de dropmap')], default='wisa', max_length=10)),
                        ('token_hash', models.CharField(editable=False, max_length=64, unique=True)),
                        ('token_prefix', models.CharField(editable=False, max_length=16)),
                        ('token_created_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('sync_active', models.BooleanField(default=False)),
                        ('daily_time', models.TimeField(default=datetime.time(0, 0), validators=[schoolbrug.links.models.validate_daily_time])),
                        ('informat_base_url', models.URLField(blank=True, max_length=500)),
                        ('informat_token_url', models.URLField(blank=True, max_length=500)),
                        ('informat_client_id', models.CharField(blank=True, max_length=200)),
                        ('informat_client_secret', schoolbrug.encryption.EncryptedTextField(blank=True)),
                        ('informat_scope', models.CharField(blank=True, max_length=200)),
                        ('leaver_blackout', models.CharField(blank=True, max_length=20, validators=[schoolbrug.links.models.validate_leaver_blackout])),
                        ('last_run_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('institution', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='source_link', to='registry.institution')),
                    ],
                    options={
                        'db_table': 'sync_sourcelink',
                        'ordering': ['institution__number'],
                    },
                ),
                migrations.CreateModel(
                    name='LinkUpload',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('origin', models.CharField(choices=[('upload', 'upload'), ('drop', 'dropmap'), ('pull', 'opgehaald')], max_length=10)),
                        ('format', models.CharField(max_length=10)),
                        ('status', models.CharField(choices=[('received', 'ontvangen'), ('queued', 'in de wachtrij'), ('running', 'bezig'), ('done', 'klaar'), ('failed', 'mislukt'), ('superseded', 'vervangen door een nieuwere export')], default='received', max_length=10)),
                        ('received_at', models.DateTimeField(db_index=True)),
                        ('claimed_at', models.DateTimeField(blank=True, null=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('started_by', models.CharField(max_length=200)),
                        ('error', models.CharField(blank=True, max_length=500)),
                        ('files_removed', models.BooleanField(default=False)),
                        ('sync_run', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='uploads', to='sync.syncrun')),
                        ('link', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='uploads', to='links.sourcelink')),
                    ],
                    options={
                        'db_table': 'sync_linkupload',
                        'ordering': ['-received_at'],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_types_to_links, content_types_to_sync),
    ]
