from django.apps import AppConfig


class MergeConfig(AppConfig):
    """Database merge: plan, approvals, read-only run, execute, rollback (issue 23)."""

    name = "schoolbrug.merge"
    label = "merge"
    verbose_name = "Samenvoeging"
