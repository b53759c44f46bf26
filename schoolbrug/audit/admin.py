"""The audit log in the admin: read-only, history is never rewritten."""

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry
from .presenters import change_rows


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "institution_number", "entity", "action", "reason")
    list_filter = ("institution_number", "entity", "action")
    search_fields = ("actor", "reason", "=entity_sourced_id")
    date_hierarchy = "at"
    list_select_related = ("sync_run",)
    # Changes are shown with national numbers masked, whatever was stored.
    exclude = ("changes",)
    readonly_fields = ("masked_changes",)

    @admin.display(description=_("wijzigingen"))
    def masked_changes(self, obj: AuditEntry) -> str:
        return format_html_join("\n", "<div>{}: {} → {}</div>", change_rows(obj.changes)) or "—"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
