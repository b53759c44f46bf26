from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "schoolbrug.audit"
    label = "audit"
