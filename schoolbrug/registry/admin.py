"""Admin for the registry. Pupils, classes and enrolments are read-only: the SIS is the master.

National numbers are never shown in full and never searched on (a search term ends up in
the URL); the admin shows the masked form only.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from schoolbrug.sources.findings import mask_national_number

from .models import (
    AcademicSession,
    Assignment,
    Board,
    Community,
    Enrolment,
    Institution,
    Pupil,
    SchoolClass,
    SchoolYear,
    Site,
    SourceAlias,
    Staff,
    Teaching,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable and searchable, never edited here: changes come from the SIS via the sync."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Board, Community)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "number")
    search_fields = ("name", "number")
    readonly_fields = ("sourced_id",)


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0
    fields = ("number", "name", "street", "postal_code", "city")


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "level", "board", "contact_source")
    list_filter = ("level", "contact_source", "board")
    search_fields = ("number", "name")
    readonly_fields = ("sourced_id",)
    list_select_related = ("board",)
    inlines = [SiteInline]

    def view_on_site(self, obj):
        return reverse("web:institution", args=[obj.number])


@admin.register(SchoolYear)
class SchoolYearAdmin(admin.ModelAdmin):
    list_display = ("title", "start_year")
    readonly_fields = ("sourced_id",)


@admin.register(AcademicSession)
class AcademicSessionAdmin(admin.ModelAdmin):
    """A school sets its own terms and grading periods here; without any, a sync makes its
    country's defaults (registry/sessions.py)."""

    list_display = ("title", "kind", "institution", "school_year", "start_date", "end_date")
    list_filter = ("kind", "school_year")
    search_fields = ("title", "institution__number", "institution__name")
    raw_id_fields = ("institution", "parent")


@admin.register(SchoolClass)
class SchoolClassAdmin(ReadOnlyAdmin):
    list_display = (
        "code",
        "institution",
        "school_year",
        "stage",
        "year",
        "curriculum",
        "is_leavers",
        "is_active",
    )
    list_filter = ("institution", "school_year", "is_leavers", "is_active", "stage")
    search_fields = ("code", "curriculum", "institution__number", "institution__name")
    list_select_related = ("institution", "school_year")

    def view_on_site(self, obj):
        return reverse("web:class", args=[obj.sourced_id])


@admin.register(Pupil)
class PupilAdmin(ReadOnlyAdmin):
    list_display = (
        "family_name",
        "given_name",
        "institution",
        "masked_national_number",
        "gender",
        "birth_date",
        "is_leaver",
    )
    list_filter = ("institution", "is_leaver", "gender", "origin")
    search_fields = ("family_name", "given_name", "registration_number", "=sourced_id")
    list_select_related = ("institution",)
    exclude = ("national_number",)
    readonly_fields = ("masked_national_number",)

    @admin.display(description=_("rijksregisternummer"))
    def masked_national_number(self, obj: Pupil) -> str:
        return mask_national_number(obj.national_number or "")

    def view_on_site(self, obj):
        return reverse("web:pupil", args=[obj.sourced_id])


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdmin):
    list_display = ("pupil", "school_class", "class_number", "school_year")
    list_filter = (("school_class__institution", admin.RelatedOnlyFieldListFilter), "school_year")
    search_fields = ("pupil__family_name", "pupil__given_name", "school_class__code")
    list_select_related = ("pupil", "school_class", "school_year")


@admin.register(SourceAlias)
class SourceAliasAdmin(ReadOnlyAdmin):
    list_display = ("source", "kind", "external_id", "sourced_id")
    list_filter = ("source", "kind")
    search_fields = ("external_id", "=sourced_id")


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    fields = ("institution", "role", "start_date", "end_date")
    autocomplete_fields = ("institution",)


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ("family_name", "given_name", "email")
    search_fields = ("family_name", "given_name", "email")
    readonly_fields = ("sourced_id",)
    inlines = [AssignmentInline]


class TeachingInline(admin.TabularInline):
    model = Teaching
    extra = 0
    autocomplete_fields = ("schoolclass",)
    readonly_fields = ("sourced_id",)


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("staff", "institution", "role", "start_date", "end_date")
    list_filter = ("institution", "role")
    search_fields = ("staff__family_name", "staff__given_name", "staff__email")
    list_select_related = ("staff", "institution")
    autocomplete_fields = ("staff", "institution")
    inlines = [TeachingInline]
