from django.contrib import admin
from django.urls import include, path

# A 500 of the rostering API answers the 1.2 error payload; the web UI's, Django's page.
handler500 = "schoolbrug.oneroster.rest.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("ims/oneroster/rostering/v1p2/", include("schoolbrug.oneroster.rest.urls")),
    path("oauth/", include("schoolbrug.oneroster.rest.oauth_urls")),
    path("", include("schoolbrug.enrolment.urls")),
    path("", include("schoolbrug.roles.urls")),
    path("", include("schoolbrug.web.urls")),
]
