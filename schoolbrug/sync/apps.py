from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "schoolbrug.sync"
    label = "sync"
