from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "schoolbrug.demo"
    label = "demo"
