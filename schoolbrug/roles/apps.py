from django.apps import AppConfig


class RolesConfig(AppConfig):
    name = "schoolbrug.roles"
    label = "roles"
    verbose_name = "Rollen"
