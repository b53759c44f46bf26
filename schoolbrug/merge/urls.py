"""The merge's pages, in the "merge" namespace (included by schoolbrug/urls.py)."""

from django.urls import path

from . import views

app_name = "merge"

urlpatterns = [
    path("samenvoeging/", views.plans, name="plans"),
    path("samenvoeging/<str:digest>/", views.plan_detail, name="plan"),
    path("samenvoeging/<str:digest>/goedkeuren/", views.approve, name="approve"),
]
