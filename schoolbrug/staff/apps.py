from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "schoolbrug.staff"
    label = "staff"
