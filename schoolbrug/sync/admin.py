"""Sync runs in the admin: read-only; the web page shows the findings in full."""

import json

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import SyncRun
from .run_report import safe_finding


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ("id", "started_at", "institution_number", "source", "started_by", "status")
    list_filter = ("status", "source", "institution_number")
    search_fields = ("institution_number", "started_by", "source_hash")
    date_hierarchy = "started_at"
    # Findings are shown re-masked: never a full national number, whatever was stored.
    exclude = ("findings",)
    readonly_fields = ("masked_findings",)

    @admin.display(description=_("meldingen"))
    def masked_findings(self, obj: SyncRun) -> str:
        findings = [safe_finding(f) for f in obj.findings]
        return format_html("<pre>{}</pre>", json.dumps(findings, ensure_ascii=False, indent=2))

    def view_on_site(self, obj):
        return reverse("web:run", args=[obj.pk])

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
