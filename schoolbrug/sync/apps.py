from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "schoolbrug.sync"
    label = "sync"

    def ready(self) -> None:
        from django.core import checks

        from .blackout import check_setting

        # A mistyped SCHOOLBRUG_LEAVER_BLACKOUT stops every command at its start, not each
        # institution's sync in the middle of a night.
        checks.register(check_setting)
