from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "schoolbrug.registry"
    label = "registry"
