"""OneRoster 1.2 gradebook routes for products, under /ims/oneroster/gradebook/v1p2/."""

from django.urls import path

from . import gradebook

urlpatterns = [
    path("lineItems/<str:sourced_id>", gradebook.LineItemView.as_view()),
    path("lineItems/<str:line_item_id>/results", gradebook.LineItemResultsView.as_view()),
    path("results/<str:sourced_id>", gradebook.ResultView.as_view()),
]
