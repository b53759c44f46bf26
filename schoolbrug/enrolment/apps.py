from django.apps import AppConfig


class EnrolmentConfig(AppConfig):
    name = "schoolbrug.enrolment"
    label = "enrolment"
    verbose_name = "Aanmeldingen (LOP)"
