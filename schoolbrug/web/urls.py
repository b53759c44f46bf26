from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import badge_views, staff_views, subclass_views, urls_links, urls_sharing, views

pages = [
    path("", views.home, name="home"),
    path("instellingen/<str:number>/", views.institution_detail, name="institution"),
    path("instellingen/<str:number>/leerlingen/", views.pupil_search, name="pupil_search"),
    path("klassen/<uuid:sourced_id>/", views.class_detail, name="class"),
    # Scan badges carrying each pupil's stable id (issue 23: no reprint after a merge).
    path("klassen/<uuid:sourced_id>/badges.pdf", badge_views.class_badges, name="class_badges"),
    # Subclasses: the school's own groups inside a class (seed 001).
    path(
        "klassen/<uuid:sourced_id>/subklas/",
        subclass_views.subclass_new,
        name="subclass_new",
    ),
    path(
        "klassen/<uuid:sourced_id>/leden/",
        subclass_views.subclass_members,
        name="subclass_members",
    ),
    path(
        "klassen/<uuid:sourced_id>/verwijderen/",
        subclass_views.subclass_remove,
        name="subclass_remove",
    ),
    path("leerlingen/<uuid:sourced_id>/", views.pupil_detail, name="pupil"),
    # The staff list in the browser: preview, then apply (staff/upload.py).
    path("instellingen/<str:number>/personeel/", staff_views.staff_upload, name="staff_upload"),
    path("synchronisaties/", views.run_list, name="runs"),
    path("synchronisaties/<int:pk>/", views.run_detail, name="run"),
    path("synchronisaties/<int:pk>/rapport.json", views.run_report, name="run_report"),
    path("audit/", views.audit_list, name="audit"),
    path("audit/audit.csv", views.audit_csv, name="audit_csv"),
    path("audit/logboek.xlsx", views.audit_xlsx, name="audit_xlsx"),
    # Consent, app access and account lists (seed 001).
    *urls_sharing.urlpatterns,
    # The SIS link of an institution and the upload endpoint.
    *urls_links.urlpatterns,
]

# Django's auth views stay outside the "web" namespace: they reverse their own names
# ("login", "password_change_done") without one. Not its password reset by mail: Schoolbrug
# sends no mail (an administrator unlocks and sets passwords), and those pages answered
# anyone, in English and without any limit, and mailed every address that has an account
# once per request wherever a mail server (Django's default: this machine's) takes mail.
urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="login"), name="logout"),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("", include((pages, "web"))),
]
