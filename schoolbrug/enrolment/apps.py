from django.apps import AppConfig


class EnrolmentConfig(AppConfig):
    name = "schoolbrug.enrolment"
    label = "enrolment"
    verbose_name = "Aanmeldingen (LOP)"

    def ready(self) -> None:
        from . import public_cache

        public_cache.connect()
