from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "schoolbrug.sources"
    label = "sources"
