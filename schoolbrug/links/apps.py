from django.apps import AppConfig


class LinksConfig(AppConfig):
    name = "schoolbrug.links"
    label = "links"
