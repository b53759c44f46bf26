from django.urls import path

from . import admin_views, compare_views, import_views, log_views, views

app_name = "enrolment"

urlpatterns = [
    path("aanmelden/", views.lop_index, name="index"),
    path("aanmelden/<slug:lop>/", views.public_page, name="public"),
    path("aanmelden/<slug:lop>/scholen/<int:school>/", views.school_edit, name="school"),
    path("aanmelden/<slug:lop>/beheer/", views.expert_home, name="expert"),
    path("aanmelden/<slug:lop>/beheer/an/", views.newcomers_everywhere, name="newcomers"),
    path("aanmelden/<slug:lop>/beheer/aanbod.xlsx", import_views.offer_export, name="offer_export"),
    path("aanmelden/<slug:lop>/beheer/logboek/", log_views.log_page, name="log"),
    path(
        "aanmelden/<slug:lop>/beheer/logboek.<str:kind>",
        log_views.log_download,
        name="log_download",
    ),
    path("aanmelden/<slug:lop>/beheer/import/", import_views.offer_import, name="offer_import"),
    path(
        "aanmelden/<slug:lop>/beheer/schoolbeheerders/",
        admin_views.school_admins_page,
        name="school_admins",
    ),
    path(
        "aanmelden/<slug:lop>/beheer/schoolbeheerders/sjabloon.xlsx",
        admin_views.admins_template,
        name="admins_template",
    ),
    path(
        "aanmelden/<slug:lop>/beheer/scholen/<int:school>/vergelijken/",
        compare_views.compare,
        name="compare",
    ),
    path(
        "aanmelden/<slug:lop>/beheer/vrije-plaatsen/<int:pk>/",
        views.snapshot_download,
        name="snapshot",
    ),
]
