"""Django's admin, kept for the people who run the installation (superusers) only.

Schools work in the portal's own pages, which are Dutch and ask the one permission module;
the admin is Django's tool for fixing data by hand, in Django's own Dutch with the models'
names as they are. It stays closed to a staff flag without superuser rights, so that no
school account reaches it by a checkbox.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.utils.translation import gettext_lazy


class SiteAdminsOnly(admin.AdminSite):
    site_header = gettext_lazy("Schoolbrug-beheer (alleen voor de beheerders van de installatie)")
    site_title = gettext_lazy("Schoolbrug-beheer")
    index_title = gettext_lazy("Beheer")

    def has_permission(self, request) -> bool:
        # Imported here: this module loads with the app registry, before any model.
        from schoolbrug.roles import permissions

        return permissions.may_use_django_admin(request.user)


class AdminConfig(DjangoAdminConfig):
    default_site = "schoolbrug.web.admin_site.SiteAdminsOnly"
