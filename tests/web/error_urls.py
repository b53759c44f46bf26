"""The project's URLs and handlers, plus one view that fails: for the 500 page's test."""

from django.urls import path

from schoolbrug.urls import handler404, handler500, urlpatterns  # noqa: F401 (handlers)


def broken(request):
    raise RuntimeError("a fault of ours, for the test")


urlpatterns = [path("kapot/", broken), *urlpatterns]
