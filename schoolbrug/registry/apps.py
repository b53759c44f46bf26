from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RegistryConfig(AppConfig):
    name = "schoolbrug.registry"
    label = "registry"

    def ready(self) -> None:
        from . import data_version

        # After every migrate (and a test database's flush): a new or rebuilt registry
        # table gets the triggers that move the data version.
        post_migrate.connect(data_version.install, sender=self, dispatch_uid="data-version")
