from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "schoolbrug.web"
    label = "web"
