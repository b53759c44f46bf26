from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "schoolbrug.sharing"
    label = "sharing"
    verbose_name = "Delen van klasinformatie"

    def ready(self) -> None:
        from . import generation

        generation.connect()
