from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("ims/oneroster/rostering/v1p2/", include("schoolbrug.sharing.api.urls")),
    path("oauth/", include("schoolbrug.sharing.api.oauth_urls")),
    path("", include("schoolbrug.web.urls")),
]
