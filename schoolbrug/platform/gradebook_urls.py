"""OneRoster 1.2 gradebook routes for products, under /ims/oneroster/gradebook/v1p2/."""

from django.urls import path

from . import gradebook, gradebook_lists, gradebook_results, gradebook_scales

C = "classes/<str:class_id>"
urlpatterns = [
    path("lineItems", gradebook_lists.LineItemsView.as_view()),
    path("lineItems/<str:sourced_id>", gradebook.LineItemView.as_view()),
    path("lineItems/<str:line_item_id>/results", gradebook_results.LineItemResultsView.as_view()),
    path("results", gradebook_lists.ResultsView.as_view()),
    path("results/<str:sourced_id>", gradebook_results.ResultView.as_view()),
    path("categories", gradebook_scales.CategoriesView.as_view()),
    path("categories/<str:sourced_id>", gradebook_scales.CategoryView.as_view()),
    path("scoreScales", gradebook_scales.ScoreScalesView.as_view()),
    path("scoreScales/<str:sourced_id>", gradebook_scales.ScoreScaleView.as_view()),
    path(f"{C}/lineItems", gradebook_lists.ClassLineItemsView.as_view()),
    path(f"{C}/results", gradebook_lists.ClassResultsView.as_view()),
    path(
        f"{C}/lineItems/<str:line_item_id>/results",
        gradebook_lists.ClassLineItemResultsView.as_view(),
    ),
    path(
        f"{C}/students/<str:student_id>/results",
        gradebook_lists.ClassStudentResultsView.as_view(),
    ),
    path(
        f"{C}/academicSessions/<str:session_id>/results",
        gradebook_lists.ClassSessionResultsView.as_view(),
    ),
    path(f"{C}/categories", gradebook_scales.ClassCategoriesView.as_view()),
    path(f"{C}/scoreScales", gradebook_scales.ClassScoreScalesView.as_view()),
    path("schools/<str:school_id>/lineItems", gradebook_lists.SchoolLineItemsView.as_view()),
    path("schools/<str:school_id>/scoreScales", gradebook_scales.SchoolScoreScalesView.as_view()),
]
