"""Pages of the links context, part of the "web" namespace (see urls.py)."""

urlpatterns: list = []
