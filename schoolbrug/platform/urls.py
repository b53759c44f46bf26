"""The learning platform's pages, in the "platform" namespace (included by schoolbrug/urls.py)."""

from django.urls import path

from . import (
    licence_views,
    login_views,
    monitoring_views,
    product_client_views,
    pupil_views,
    school_views,
)

app_name = "platform"

ADMIN = "instellingen/<str:number>/leerplatform/"
CLASS = ADMIN + "groepen/<uuid:class_id>/"

urlpatterns = [
    # The pupils' login (public): class code (once per device) → name → picture or PIN →
    # products.
    path("leerplatform/", pupil_views.schools, name="pupil_schools"),
    path("leerplatform/mijn-lesmateriaal/", pupil_views.products, name="pupil_products"),
    path("leerplatform/afmelden/", pupil_views.sign_out, name="pupil_sign_out"),
    path("leerplatform/<str:number>/", pupil_views.classes, name="pupil_classes"),
    path("leerplatform/<str:number>/<uuid:class_id>/", pupil_views.names, name="pupil_names"),
    path(
        "leerplatform/<str:number>/<uuid:class_id>/<uuid:pupil_id>/",
        pupil_views.sign_in,
        name="pupil_sign_in",
    ),
    # The ICT coordinator's admin (seed 004 §3) and the class's codes (§4).
    path(ADMIN, school_views.school_data, name="school"),
    path(ADMIN + "schoolgegevens/<slug:tab>/", school_views.school_data, name="school_tab"),
    path(ADMIN + "licenties/<slug:kind>/", licence_views.licence_list, name="licences"),
    path(ADMIN + "licentie/<int:licence_id>/koppelen/", licence_views.licence_link, name="link"),
    path(
        ADMIN + "licentie/<int:licence_id>/ontkoppelen/",
        licence_views.licence_unlink,
        name="unlink",
    ),
    path(ADMIN + "resultaten/", monitoring_views.monitoring, name="monitoring"),
    path(CLASS + "inloggen/", login_views.class_logins, name="class_logins"),
    path(CLASS + "nieuwe-klascode/", login_views.renew_code, name="renew_code"),
    path(CLASS + "toestel-instellen/", login_views.set_up_device, name="set_up_device"),
    path(CLASS + "printversie.pdf", login_views.print_sheet, name="print_sheet"),
    path(CLASS + "leerling/<uuid:pupil_id>/", login_views.change_login, name="change_login"),
    path(CLASS + "leerling/<uuid:pupil_id>/ontgrendelen/", login_views.unlock, name="unlock"),
    # The platform operator's (a site admin): each product's API access for the gradebook.
    path(
        "beheer/leerplatform/producten/", product_client_views.product_list, name="product_clients"
    ),
    path(
        "beheer/leerplatform/producten/<uuid:product_id>/api-toegang/",
        product_client_views.product_client,
        name="product_client",
    ),
]
