from django.contrib import admin
from django.urls import include, path

# A 404 or 500 of the rostering API answers the 1.2 error payload; the web UI's, the portal's
# Dutch page in its own layout (web/templates/404.html, 500.html).
handler404 = "schoolbrug.oneroster.rest.errors.page_not_found"
handler500 = "schoolbrug.oneroster.rest.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("ims/oneroster/rostering/v1p2/", include("schoolbrug.oneroster.rest.urls")),
    path("ims/oneroster/gradebook/v1p2/", include("schoolbrug.platform.gradebook_urls")),
    path("oauth/", include("schoolbrug.oneroster.rest.oauth_urls")),
    path("", include("schoolbrug.enrolment.urls")),
    path("", include("schoolbrug.roles.urls")),
    path("", include("schoolbrug.platform.urls")),
    path("", include("schoolbrug.merge.urls")),
    path("", include("schoolbrug.web.urls")),
]
