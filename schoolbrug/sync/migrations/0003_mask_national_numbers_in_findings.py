"""Mask the national numbers that runs stored before every text of a finding was masked.

A shifted column put a full national number in a finding's message (a birth date or gender
cell quoted as read) or its pupil name; this rewrites those stored findings once.
"""

from django.db import migrations


def mask_stored_findings(apps, schema_editor):
    from schoolbrug.sources.findings import mask_national_number, mask_national_numbers_in

    SyncRun = apps.get_model("sync", "SyncRun")
    runs = SyncRun.objects.only("id", "findings").order_by("id")
    for run in runs.iterator(chunk_size=200):
        masked = []
        for finding in run.findings or []:
            if not isinstance(finding, dict):
                masked.append(finding)
                continue
            clean = {key: mask_national_numbers_in(value) for key, value in finding.items()}
            if clean.get("national_number_masked"):
                clean["national_number_masked"] = mask_national_number(
                    str(clean["national_number_masked"])
                )
            if "national_number" in clean:
                clean["national_number"] = mask_national_number(str(clean["national_number"]))
            masked.append(clean)
        if masked != (run.findings or []):
            SyncRun.objects.filter(pk=run.pk).update(findings=masked)


class Migration(migrations.Migration):
    dependencies = [("sync", "0002_sourcelink_linkupload")]

    operations = [migrations.RunPython(mask_stored_findings, migrations.RunPython.noop)]
