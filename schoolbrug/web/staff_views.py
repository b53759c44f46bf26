"""The staff list in the browser: a school's director, ICT coordinator or secretariat (or its
board admin, or a site admin) uploads the export of its administration package, sees what
would change, and applies it.

One service for the page and the CLI (`staff.upload.run_upload`): the preview is its dry run
of the file, applying runs the same file again for real, in one transaction under the
school's sync lock, audited in the name of the person. The file waits between the two under
VAR_DIR/staff_uploads/<id>/ (its id only in this person's session); applying claims it by
renaming the folder, so a double click applies once; it is removed once applied, and files
older than a day go with the next preview.
"""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import get_valid_filename

from schoolbrug.audit.middleware import request_actor
from schoolbrug.request_size import max_request_size
from schoolbrug.roles.permissions import institution_or_404, may_upload_staff
from schoolbrug.sources.findings import mask_national_numbers_in
from schoolbrug.staff.upload import run_upload

from . import staff_presenters
from .views import login

SESSION_KEY = "schoolbrug_staff_upload"
MAX_BYTES = 10 * 1024 * 1024  # a staff list of a few hundred rows is far below this
KEEP_SECONDS = 24 * 3600


def upload_root() -> Path:
    return Path(settings.VAR_DIR) / "staff_uploads"


@max_request_size(MAX_BYTES)
@login
def staff_upload(request: HttpRequest, number: str) -> HttpResponse:
    institution = institution_or_404(request.user, number)
    if not may_upload_staff(request.user, institution):
        # As for another school: the page does not exist for whoever may not use it.
        raise Http404("Geen personeelsupload voor deze instelling.")
    context = {"institution": institution}
    action = request.POST.get("actie") if request.method == "POST" else None
    if action == "proef":
        context |= _preview(request, institution.number)
    elif action == "toepassen":
        return _apply(request, institution.number)
    elif action == "annuleren":
        _forget(request)
        return redirect("web:staff_upload", number=institution.number)
    return render(request, "web/staff_upload.html", context, status=context.pop("status", 200))


def _preview(request: HttpRequest, number: str) -> dict:
    upload = request.FILES.get("bestand")
    if upload is None:
        return {"problem": "Kies eerst het bestand met het personeel.", "status": 400}
    if upload.size > MAX_BYTES:
        return {
            "problem": "Dit bestand is groter dan 10 MB: is het wel de personeelslijst?",
            "status": 400,
        }
    _prune()
    _forget(request)
    # The name as the person gave it, for the report, the run and the log's reason: masked
    # (an export saved under a pupil's national number); on disk a name of ours.
    name = get_valid_filename(Path(upload.name or "personeel.csv").name) or "personeel.csv"
    name = mask_national_numbers_in(name)
    upload_id = uuid.uuid4().hex
    folder = upload_root() / upload_id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"personeel{Path(name).suffix.lower()[:5]}"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    report = run_upload(
        path, dry_run=True, actor=request_actor(request), institution=number, file_name=name
    )
    if report.get("errors") or report.get("busy"):
        shutil.rmtree(folder, ignore_errors=True)
    else:
        request.session[SESSION_KEY] = {
            "id": upload_id,
            "number": number,
            "name": name,
            "stored": path.name,
        }
    return {
        "report": report,
        "upload_id": upload_id,
        "changes": staff_presenters.change_rows(report),
        "counts": staff_presenters.count_rows(report),
        "status": 400 if report.get("errors") else 200,
    }


def _apply(request: HttpRequest, number: str) -> HttpResponse:
    pending = request.session.get(SESSION_KEY) or {}
    claimed = None
    if pending.get("number") == number and pending.get("id") == request.POST.get("upload"):
        claimed = _claim(pending["id"])
    if claimed is None:
        messages.warning(
            request, "Dit voorstel is niet meer beschikbaar. Laad het bestand opnieuw op."
        )
        return redirect("web:staff_upload", number=number)
    applied = False
    try:
        report = run_upload(
            claimed / (pending.get("stored") or pending["name"]),
            actor=request_actor(request),
            institution=number,
            file_name=pending["name"],
        )
        applied = not (report.get("busy") or report.get("errors"))
    finally:
        if applied:
            shutil.rmtree(claimed, ignore_errors=True)
        else:  # busy or refused: the preview stays, to try again
            claimed.rename(upload_root() / pending["id"])
    if not applied:
        messages.warning(request, report.get("message") or "Het bestand werd geweigerd.")
        return redirect("web:staff_upload", number=number)
    _forget(request)
    counts = ", ".join(f"{n} {label}" for label, n in staff_presenters.count_rows(report) if n)
    messages.success(
        request,
        f"Toegepast: {counts or 'er was niets te wijzigen'}. Elke wijziging staat in het logboek.",
    )
    return redirect("web:staff_upload", number=number)


def _claim(upload_id: str) -> Path | None:
    """The pending file for this request alone: its folder is renamed, which only one of two
    requests at once can do (a double click on "toepassen" applies the list once)."""
    folder = upload_root() / Path(upload_id).name
    claimed = folder.with_name(f"{folder.name}.bezig")
    try:
        folder.rename(claimed)
    except OSError:  # gone: applied or cancelled by another request, or pruned
        return None
    return claimed


def _forget(request: HttpRequest) -> None:
    pending = request.session.pop(SESSION_KEY, None)
    if pending and pending.get("id"):
        shutil.rmtree(upload_root() / Path(pending["id"]).name, ignore_errors=True)


def _prune() -> None:
    """Previews nobody applied, after a day."""
    root = upload_root()
    if not root.exists():
        return
    limit = time.time() - KEEP_SECONDS
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)
