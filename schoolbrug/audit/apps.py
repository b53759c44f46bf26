from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "schoolbrug.audit"
    label = "audit"

    def ready(self) -> None:
        from . import changes

        changes.connect()
