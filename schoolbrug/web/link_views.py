"""The SIS link: the page where a school sets it up, and the endpoint its SIS posts exports to.

Page (login): /instellingen/<number>/koppeling/ shows and edits the link; a new token is shown
once, in the answer to the request that made it, and never stored.

Endpoint (no login, `Authorization: Bearer <link token>`, JSON answers in Dutch and English):

* POST /koppeling/upload/ — the export as multipart/form-data; 202 with the upload's id
  (`run`), its status URL and its report URL. The sync runs in the background (Celery) or,
  without a broker, before the answer. While the link's sync is off the export is kept,
  not synced (`error: link_inactive`): the page's preview is a dry run of it. A refused
  file or export answers a Dutch `message` beside the English `message_en` and code.

Page: the main view speaks to the school (state, preview, settings, runs); the upload
address, drop folder and a curl example are folded under "Voor uw softwareleverancier". A
new token is asked for twice: the current one stops working at once.
* GET /koppeling/upload/<id>/ — the upload's status; once done the SyncRun id and its report.
* GET /koppeling/upload/<id>/rapport.json — the run's report (202 with the status until done).
"""

from __future__ import annotations

import copy
import logging
import uuid

from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from schoolbrug.links import editing, storage, tokens, uploads
from schoolbrug.links.models import LinkUpload, SourceLink
from schoolbrug.links.tasks import start_upload
from schoolbrug.request_size import max_request_size
from schoolbrug.roles.permissions import actor as audit_actor
from schoolbrug.roles.permissions import institution_or_404, may_manage_apps, sees_whole_school
from schoolbrug.sources.findings import mask_national_numbers_in

from . import link_preview, presenters, queries
from .link_forms import SourceLinkForm
from .views import login

log = logging.getLogger("schoolbrug.web.links")
LINK_MANAGER_REFUSAL = (
    "Alleen een directeur of ict-coördinator met een lopende opdracht in deze school kan de "
    "koppeling met het administratiepakket wijzigen of een nieuw token maken."
)

INACTIVE_MESSAGE = (
    "Ontvangen en bewaard, maar niet gesynchroniseerd: de synchronisatie van deze koppeling "
    "staat uit. Op de pagina 'Koppeling met het administratiepakket' ziet de school met een "
    "proefdraai wat deze export zou wijzigen, en zet ze de synchronisatie aan."
)
UPLOADS_SHOWN = 10
RUNS_SHOWN = 10
UPLOADED_BY = "upload"


# --- the page -----------------------------------------------------------------------------


@login
@never_cache
def link_page(request: HttpRequest, number: str) -> HttpResponse:
    # Only the institutions the user works at (another's answers 404, as on every page).
    institution = institution_or_404(request.user, number)
    if request.method == "POST" and not may_manage_apps(request.user, institution):
        # The link token lets anyone who holds it replace the school's pupil data.
        return HttpResponseForbidden(LINK_MANAGER_REFUSAL)
    link = SourceLink.objects.filter(institution=institution).first()
    whole_school = sees_whole_school(request.user, institution)
    actor = audit_actor(request.user)
    token = None
    replaced = False
    confirm_token = False
    shown_preview = None
    action = request.POST.get("actie") if request.method == "POST" else None
    if action == "token" and link is not None and request.POST.get("bevestigd") != "ja":
        # The current token stops working at once: the package's uploads fail until someone
        # fills in the new one. Asked first.
        confirm_token = True
        form = SourceLinkForm(instance=link, institution=institution)
    elif action == "token" and link is not None:
        token = editing.regenerate_token(link, actor)
        replaced = True
        form = SourceLinkForm(instance=link, institution=institution)
    elif action == "proefdraai" and link is not None:
        shown_preview = link_preview.preview(link, actor)
        form = SourceLinkForm(instance=link, institution=institution)
    elif request.method == "POST":
        before = copy.copy(link)
        form = SourceLinkForm(
            request.POST,
            instance=link or SourceLink(institution=institution),
            institution=institution,
        )
        if form.is_valid():
            saved = form.save(commit=False)
            contact_source = form.cleaned_data["contact_source"]
            if link is None:
                token = editing.create_link(saved, actor, contact_source)
                link = saved
                form = SourceLinkForm(instance=link, institution=institution)
            else:
                changed = editing.save_link_changes(saved, before, actor, contact_source)
                messages.success(request, "Opgeslagen." if changed else "Er was niets gewijzigd.")
                return redirect("web:link", number=institution.number)
    else:
        form = SourceLinkForm(instance=link, institution=institution)
    return render(
        request,
        "web/link_page.html",
        {
            "institution": institution,
            "link": link,
            "form": form,
            "token": token,
            "replaced": replaced,
            "confirm_token": confirm_token,
            "preview": shown_preview,
            "latest_export": link_preview.latest_export(link) if link and whole_school else None,
            "upload_url": request.build_absolute_uri(reverse("web:link_upload")),
            "drop_dir": storage.drop_dir(institution.number),
            # Runs and exports name every pupil of the school: as on every page, not for a
            # teacher (permissions.py).
            "uploads": (
                link.uploads.select_related("sync_run")[:UPLOADS_SHOWN]
                if link and whole_school
                else []
            ),
            "runs": queries.runs(institution.number)[:RUNS_SHOWN] if whole_school else [],
            "sees_whole_school": whole_school,
        },
    )


# --- the endpoint -------------------------------------------------------------------------


def _error(status: int, code: str, message_nl: str, message_en: str, **extra) -> JsonResponse:
    return JsonResponse(
        {"error": code, "message": message_nl, "message_en": message_en, **extra},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def _authenticated_link(request: HttpRequest) -> SourceLink | JsonResponse:
    token = tokens.bearer_token(request.headers.get("Authorization", ""))
    if not token:
        response = _error(
            401,
            "token_missing",
            "Geen koppelingstoken ontvangen. Stuur de header 'Authorization: Bearer <token>' "
            "met de token van de pagina 'Koppeling met het administratiepakket'.",
            "No link token: send the header 'Authorization: Bearer <token>'.",
        )
    elif (link := tokens.link_for_token(token)) is None:
        response = _error(
            401,
            "token_invalid",
            "Deze koppelingstoken is onbekend of werd vervangen door een nieuwe. Vraag de "
            "huidige token aan wie de koppeling in Schoolbrug beheert.",
            "Unknown or replaced link token.",
        )
    else:
        return link
    response["WWW-Authenticate"] = 'Bearer realm="schoolbrug"'
    return response


def _upload_json(request: HttpRequest, upload: LinkUpload, *, with_report: bool) -> dict:
    run = upload.sync_run
    data = {
        "run": str(upload.pk),
        "upload": str(upload.pk),
        "status": upload.status,
        "status_label": upload.get_status_display(),
        "format": upload.format,
        "received_at": upload.received_at.isoformat(),
        "finished_at": upload.finished_at.isoformat() if upload.finished_at else None,
        "sync_run": run.pk if run else None,
        "run_status": run.status if run else None,
        "status_url": request.build_absolute_uri(
            reverse("web:link_upload_status", args=[upload.pk])
        ),
        "report_url": request.build_absolute_uri(
            reverse("web:link_upload_report", args=[upload.pk])
        ),
    }
    if run is not None and run.status == run.Status.BAD_INPUT and run.findings:
        # The file was refused: why, in Dutch for the school, beside the English code.
        data |= {
            "error": "bad_input",
            "message": "De export werd geweigerd, er is niets gewijzigd: "
            + _finding_text(run.findings[0]),
            "message_en": "the export was refused (bad input); nothing was changed",
        }
    elif upload.error:
        data["message"] = upload.error
    elif upload.status == LinkUpload.Status.RECEIVED:
        data["message"] = (
            "Ontvangen; de synchronisatie kon nog niet starten en volgt op het dagelijkse "
            "tijdstip van de koppeling."
        )
    if run is not None:
        data["page_url"] = request.build_absolute_uri(reverse("web:run", args=[run.pk]))
        if with_report:
            data["report"] = presenters.run_report(run)
    return data


def _finding_text(finding: dict) -> str:
    where = [finding.get("file") or ""]
    if finding.get("line"):
        where.append(f"regel {finding['line']}")
    if finding.get("field"):
        where.append(f"kolom {finding['field']}")
    place = ", ".join(part for part in where if part)
    message = mask_national_numbers_in(str(finding.get("message") or ""))
    return f"{place}: {message}" if place else message


def _json(data: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


# At most two files: WISA's pupils and classes. Nothing reads the body before the link's token
# is checked (no CSRF check): the limit is anyone's.
@max_request_size(2 * storage.MAX_UPLOAD_BYTES, for_anyone=True)
@csrf_exempt
@require_POST
@never_cache
def upload(request: HttpRequest) -> JsonResponse:
    link = _authenticated_link(request)
    if isinstance(link, JsonResponse):
        return link
    try:
        files = dict(request.FILES.lists())
    except MultiPartParserError:
        return _error(
            400,
            "bad_request",
            "De aanvraag is geen leesbare multipart/form-data.",
            "the request is not readable multipart/form-data",
        )
    except (RequestDataTooBig, TooManyFilesSent):
        return _error(
            413,
            "too_large",
            "De export is te groot of bevat te veel bestanden voor één upload. Stuur één "
            "export (bv. één zip-bestand) per keer.",
            "the request is too large or holds too many files",
        )
    try:
        fmt, named = uploads.plan_upload(link.source, files)
    except uploads.UploadRefused as refused:
        return _json(refused.as_dict(), status=400)
    stored = storage.store_upload(link, fmt, named, started_by=UPLOADED_BY)
    if not link.sync_active:
        # Kept, not synced: the school previews it on the link page before switching the
        # sync on (then the scheduler takes the newest export kept, as one it could not start).
        log.info("link %s: upload %s (%s) kept; sync switched off", link.pk, stored.pk, fmt)
        data = _upload_json(request, stored, with_report=False)
        data |= {
            "error": "link_inactive",
            "message": INACTIVE_MESSAGE,
            "message_en": "This link's sync is switched off: the export is kept, not synced.",
        }
        return _json(data, status=202)
    # An upload is the day's run: the scheduler does not start another one for it today.
    SourceLink.objects.filter(pk=link.pk).update(last_run_at=stored.received_at)
    log.info("link %s: upload %s (%s) received", link.pk, stored.pk, fmt)
    stored = start_upload(stored)
    return _json(_upload_json(request, stored, with_report=False), status=202)


def _own_upload(request: HttpRequest, upload_id: uuid.UUID) -> LinkUpload | JsonResponse:
    link = _authenticated_link(request)
    if isinstance(link, JsonResponse):
        return link
    found = LinkUpload.objects.select_related("sync_run").filter(pk=upload_id, link=link).first()
    if found is None:
        return _error(
            404,
            "not_found",
            "Deze upload bestaat niet (of hoort bij een andere koppeling).",
            "no such upload for this link",
        )
    return found


@require_GET
@never_cache
def upload_status(request: HttpRequest, upload_id: uuid.UUID) -> JsonResponse:
    found = _own_upload(request, upload_id)
    if isinstance(found, JsonResponse):
        return found
    return _json(_upload_json(request, found, with_report=True))


@require_GET
@never_cache
def upload_report(request: HttpRequest, upload_id: uuid.UUID) -> JsonResponse:
    found = _own_upload(request, upload_id)
    if isinstance(found, JsonResponse):
        return found
    if found.sync_run is None:
        return _json(_upload_json(request, found, with_report=False), status=202)
    return _json(presenters.run_report(found.sync_run))
