"""Django admin for the enrolment site: where a site admin makes a LOP, puts schools in it and
names its LOP experts (school admins are the expert's to manage, on the LOP's own pages).
Offers are edited on the LOP's pages, which check the rights; the list of administrative
groups comes from `schoolbrug enrolment sync-admin-groups`, so both are read-only here."""

from django.contrib import admin

from schoolbrug.roles.models import RoleGrant

from .models import AdministrativeGroup, Lop, LopSchool


class LopSchoolInline(admin.TabularInline):
    model = LopSchool
    raw_id_fields = ("institution", "site")
    extra = 1


class LopExpertInline(admin.TabularInline):
    model = RoleGrant
    fk_name = "lop"
    fields = ("user", "role", "starts_at", "ends_at")
    raw_id_fields = ("user",)
    extra = 1
    verbose_name = "LOP-deskundige"
    verbose_name_plural = "LOP-deskundigen"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(role=RoleGrant.Role.LOP_EXPERT)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = [(RoleGrant.Role.LOP_EXPERT, RoleGrant.Role.LOP_EXPERT.label)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


@admin.register(Lop)
class LopAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "region", "double_quota", "current_year_start")
    prepopulated_fields = {"slug": ("name",)}
    exclude = ("version",)
    inlines = [LopSchoolInline, LopExpertInline]


@admin.register(AdministrativeGroup)
class AdministrativeGroupAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "form", "stage", "year")
    search_fields = ("=code", "name")
    list_filter = ("form",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
