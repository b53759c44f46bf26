"""Pages of the links context, part of the "web" namespace (see urls.py)."""

from django.urls import path

from . import link_views

urlpatterns: list = [
    path("instellingen/<str:number>/koppeling/", link_views.link_page, name="link"),
    path("koppeling/upload/", link_views.upload, name="link_upload"),
    path(
        "koppeling/upload/<uuid:upload_id>/",
        link_views.upload_status,
        name="link_upload_status",
    ),
    path(
        "koppeling/upload/<uuid:upload_id>/rapport.json",
        link_views.upload_report,
        name="link_upload_report",
    ),
]
