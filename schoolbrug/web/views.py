"""Pages for secretaries, ICT coordinators and directors: read-only, the SIS is the master.

Views stay thin: they read request parameters, call `queries` and `presenters`, and render.
National numbers never appear in a URL (sourced_id UUIDs do) and only masked in a page.
"""

from __future__ import annotations

import csv
import uuid

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from schoolbrug.registry import payment_references
from schoolbrug.registry.models import Institution, Pupil, SchoolClass
from schoolbrug.roles.permissions import (
    SUBCLASS_MANAGER_REFUSAL,
    care_record_shown,
    institution_or_404,
    institutions_for,
    may_administer_platform,
    may_manage_class_logins,
    may_manage_subclasses,
    may_print_badges,
    may_see_care_record,
    may_upload_staff,
    only_their_audit,
    only_their_classes,
    only_their_numbers,
    only_their_pupils,
    require_number,
    sees_whole_school,
)
from schoolbrug.sources.findings import mask_national_number
from schoolbrug.sync.models import SyncRun

from . import class_tree, history, presenters, queries, start_page

# Named URL, not settings.LOGIN_URL: the pages have their own Dutch login page.
login = login_required(login_url="login")

PAGE_SIZE = 50
FINDINGS_PAGE_SIZE = 100


def paginate(request: HttpRequest, items, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("pagina"))


def _uuid_param(request: HttpRequest, name: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.GET.get(name, ""))
    except ValueError:
        return None


@login
def home(request: HttpRequest) -> HttpResponse:
    institutions = queries.institution_overview(institutions_for(request.user))
    return render(
        request,
        "web/home.html",
        {"institutions": institutions, "teacher": start_page.teacher_start(request)},
    )


@login
def institution_detail(request: HttpRequest, number: str) -> HttpResponse:
    institution = institution_or_404(request.user, number)
    school_year = queries.school_year_shown(institution)
    whole = sees_whole_school(request.user, institution)
    classes = queries.classes_with_counts(
        institution, school_year, only_their_classes(SchoolClass.objects.all(), request.user)
    )
    return render(
        request,
        "web/institution_detail.html",
        {
            "institution": institution,
            "school_year": school_year,
            "classes": class_tree.as_tree(classes),
            "runs": queries.runs(institution.number)[:10] if whole else [],
            "sees_whole_school": whole,
            "may_upload_staff": may_upload_staff(request.user, institution),
            "platform_admin": may_administer_platform(request.user, institution),
        },
    )


@login
def pupil_search(request: HttpRequest, number: str) -> HttpResponse:
    institution = institution_or_404(request.user, number)
    school_year = queries.school_year_shown(institution)
    q = request.GET.get("q", "").strip()
    class_sourced_id = _uuid_param(request, "klas")
    pupils = only_their_pupils(
        queries.search_pupils(institution, school_year, q, class_sourced_id), request.user
    )
    classes = class_tree.as_tree(
        queries.classes_with_counts(
            institution, school_year, only_their_classes(SchoolClass.objects.all(), request.user)
        )
    )
    return render(
        request,
        "web/pupil_search.html",
        {
            "institution": institution,
            "school_year": school_year,
            "q": q,
            "class_sourced_id": class_sourced_id,
            "classes": classes,
            "page": paginate(request, pupils),
        },
    )


@login
def class_detail(request: HttpRequest, sourced_id: uuid.UUID) -> HttpResponse:
    school_class = get_object_or_404(
        only_their_classes(
            SchoolClass.objects.select_related("institution", "school_year", "site", "parent"),
            request.user,
        ),
        sourced_id=sourced_id,
    )
    q = request.GET.get("q", "").strip()
    page = paginate(request, queries.class_pupils(school_class, q), per_page=100)
    for enrolment in page:
        enrolment.national_number_masked = mask_national_number(
            enrolment.pupil.national_number or ""
        )
    may_manage = may_manage_subclasses(request.user, school_class.institution)
    is_subclass = school_class.is_subclass
    return render(
        request,
        "web/class_detail.html",
        {
            "school_class": school_class,
            "institution": school_class.institution,
            "q": q,
            "page": page,
            # Subclasses (the school's own groups inside a class: sharing/subclasses.py).
            "may_manage_subclasses": may_manage,
            "subclass_refusal": "" if may_manage else SUBCLASS_MANAGER_REFUSAL,
            "subclasses": [] if is_subclass else queries.subclasses_of(school_class),
            "renamed_by_sync": queries.renamed_by_sync(school_class) if is_subclass else None,
            "history": _decorated(queries.history(school_class.sourced_id)[:50], request)
            if is_subclass
            else [],
            # The learning platform's codes of the class (platform/login_views.py).
            "class_logins": not is_subclass and may_manage_class_logins(request.user, school_class),
            # Scan badges with each pupil's stable id (registry/badges.py).
            "may_print_badges": not school_class.is_leavers
            and may_print_badges(request.user, school_class),
        },
    )


@login
def pupil_detail(request: HttpRequest, sourced_id: uuid.UUID) -> HttpResponse:
    # Another pupil's page is a 404, not a 403: it tells nothing about who is at the school.
    pupil = get_object_or_404(
        only_their_pupils(Pupil.objects.select_related("institution"), request.user),
        sourced_id=sourced_id,
    )
    sees_care_record = may_see_care_record(request.user, pupil)
    page = paginate(request, queries.history(pupil.sourced_id))
    history.decorate(list(page), lambda entry: sees_care_record)
    return render(
        request,
        "web/pupil_detail.html",
        {
            "pupil": pupil,
            "institution": pupil.institution,
            "national_number_masked": mask_national_number(pupil.national_number or ""),
            "contacts": presenters.contact_rows(pupil.contacts),
            # Seed 000's contact-source option: which SIS data the sync brings as contacts.
            "contacts_from_header": pupil.institution.contact_source
            == Institution.ContactSource.HEADER,
            "care_record": sorted((pupil.care_record or {}).items()) if sees_care_record else [],
            "care_record_hidden": not sees_care_record and bool(pupil.care_record),
            "enrolments": queries.pupil_enrolments(pupil),
            "subclasses": queries.pupil_subclasses(pupil),
            "source_ids": queries.pupil_source_ids(pupil),
            "payment_reference": payment_references.formatted(pupil.structured_reference),
            "payment_aliases": [
                payment_references.formatted(alias.structured_reference)
                for alias in pupil.payment_aliases.order_by("created_at")
            ],
            "page": page,
        },
    )


@login
def run_list(request: HttpRequest) -> HttpResponse:
    institution_number = request.GET.get("instelling", "").strip()
    page = paginate(request, only_their_numbers(queries.runs(institution_number), request.user))
    names = queries.institution_names(run.institution_number for run in page)
    for run in page:
        run.institution_name = names.get(run.institution_number, "")
    return render(
        request,
        "web/run_list.html",
        {
            "page": page,
            "institution_number": institution_number,
            "institutions": _institution_choices(request),
        },
    )


def _institution_choices(request: HttpRequest) -> list[tuple[str, str]]:
    return list(institutions_for(request.user).order_by("number").values_list("number", "name"))


@login
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(SyncRun, pk=pk)
    require_number(request.user, run.institution_number)
    findings = presenters.sorted_findings(run.findings)
    return render(
        request,
        "web/run_detail.html",
        {
            "run": run,
            "institution": Institution.objects.filter(number=run.institution_number).first(),
            "counts": presenters.ordered_counts(run.counts),
            "severity_counts": presenters.severity_counts(findings),
            "summary": presenters.finding_summary(findings),
            "page": paginate(request, findings, per_page=FINDINGS_PAGE_SIZE),
            "severity_labels": presenters.SEVERITY_LABELS,
        },
    )


@login
def run_report(request: HttpRequest, pk: int) -> JsonResponse:
    run = get_object_or_404(SyncRun, pk=pk)
    require_number(request.user, run.institution_number)
    response = JsonResponse(
        presenters.run_report(run), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    response["Content-Disposition"] = f'attachment; filename="synchronisatie-{run.pk}.json"'
    return response


def _audit_filters(request: HttpRequest) -> dict:
    return {
        "institution_number": request.GET.get("instelling", "").strip(),
        "entity": request.GET.get("entiteit", "").strip(),
        "entity_sourced_id": _uuid_param(request, "id"),
    }


def _audit_entries(request: HttpRequest, filters: dict):
    entries = only_their_audit(queries.audit_entries(**filters), request.user)
    return history.filter_entries(
        entries,
        request.user,
        person=request.GET.get("persoon", ""),
        since=history.parse_day(request.GET.get("van", "")),
        until=history.parse_day(request.GET.get("tot", "")),
    )


@login
def audit_list(request: HttpRequest) -> HttpResponse:
    filters = _audit_filters(request)
    page = paginate(request, _audit_entries(request, filters))
    history.decorate(list(page), care_record_shown(request.user))
    return render(
        request,
        "web/audit_list.html",
        {
            **filters,
            "person": request.GET.get("persoon", "").strip(),
            "since": history.parse_day(request.GET.get("van", "")),
            "until": history.parse_day(request.GET.get("tot", "")),
            "page": page,
            "institutions": _institution_choices(request),
            "entity_kinds": [
                (kind, presenters.entity_label(kind)) for kind in queries.audit_entity_kinds()
            ],
        },
    )


def _decorated(entries, request: HttpRequest) -> list:
    entries = list(entries)
    history.decorate(entries, care_record_shown(request.user))
    return entries


class _Echo:
    """A file-like object whose write returns the line, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


def _audit_rows(request: HttpRequest):
    entries = _audit_entries(request, _audit_filters(request)).iterator(chunk_size=2000)
    return history.rows(entries, care_record_shown(request.user))


def _download_name(extension: str) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f'attachment; filename="logboek-{stamp}.{extension}"'


@login
def audit_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered log as CSV for Excel: semicolons, a UTF-8 byte order mark, and no cell
    that a spreadsheet would run as a formula."""
    writer = csv.writer(_Echo(), delimiter=";")
    lines = (writer.writerow([history.cell(v) for v in row]) for row in _audit_rows(request))
    response = StreamingHttpResponse(_with_bom(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _download_name("csv")
    return response


@login
def audit_xlsx(request: HttpRequest) -> HttpResponse:
    """The filtered log as an Excel workbook (text cells only)."""
    response = HttpResponse(
        history.xlsx_bytes(_audit_rows(request)),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = _download_name("xlsx")
    return response


def _with_bom(lines):
    yield "\ufeff"
    yield from lines
