"""Pages of the sharing context, part of the "web" namespace (see urls.py)."""

urlpatterns: list = []
