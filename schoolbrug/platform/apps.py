from django.apps import AppConfig


class PlatformConfig(AppConfig):
    """The learning platform's admin (issue 21). The label stays "platform": no other
    installed app uses it, and the package is `schoolbrug.platform`, so Python's own
    `platform` module is never shadowed (absolute imports everywhere)."""

    name = "schoolbrug.platform"
    label = "platform"
    verbose_name = "Leerplatform"

    def ready(self) -> None:
        from . import sync_effects

        sync_effects.connect()
