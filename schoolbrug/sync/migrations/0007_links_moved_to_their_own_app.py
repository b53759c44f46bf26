"""SourceLink and LinkUpload moved to the links app: removed from this app's state only. Their
tables (sync_sourcelink, sync_linkupload) stay as they are; links' 0001 takes them over."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0006_held_leavers_blackout"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="LinkUpload"),
                migrations.DeleteModel(name="SourceLink"),
            ],
        ),
    ]
