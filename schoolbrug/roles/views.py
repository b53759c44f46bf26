"""The people pages: who may do what beyond their school roles, invitations, switch view.

A site admin grants and ends the roles no administration package knows (site admin, board
admin); every grant and end is in the change log (`audit.audited`). A site admin, and a board
admin within their board, invites people and sees the portal as one of them (`view_as.py`).
Anyone else gets 404 here, as for any page that is not theirs.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from schoolbrug.registry.models import Assignment

from . import permissions, view_as
from .accounts import send_invitation
from .forms import GrantForm, InviteForm
from .models import RoleGrant

login = login_required(login_url="login")
PAGE_SIZE = 50


def _administrator_or_404(user) -> None:
    if not permissions.administers_people(user):
        raise Http404(_("Deze pagina bestaat niet."))


def _site_admin_or_404(user) -> None:
    if not permissions.is_site_admin(user):
        raise Http404(_("Deze pagina bestaat niet."))


@login
def people(request: HttpRequest) -> HttpResponse:
    _administrator_or_404(request.user)
    q = request.GET.get("q", "").strip()
    users = view_as.people_in_reach(request.user).order_by("last_name", "first_name", "email")
    if q:
        users = users.filter(
            Q(email__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q)
        )
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("pagina"))
    rows = [(user, _school_roles(user)) for user in page]
    return render(
        request,
        "roles/people.html",
        {
            "page": page,
            "rows": rows,
            "q": q,
            "is_site_admin": permissions.is_site_admin(request.user),
        },
    )


def _school_roles(user) -> list[str]:
    """Each of the person's assignments today, as "Directeur, Basisschool De Regenboog"."""
    if not user.email:
        return []
    today = timezone.localdate()
    assignments = (
        Assignment.objects.filter(staff__email__iexact=user.email, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("institution")
        .order_by("institution__name", "role")
    )
    return [f"{a.get_role_display()}, {a.institution.name}" for a in assignments]


@login
@require_POST
def view_as_start(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(get_user_model(), pk=pk)
    if not view_as.may_view_as(request.user, person):
        raise Http404(_("Deze pagina bestaat niet."))
    view_as.start(request, person)
    return redirect("web:home")


@require_POST
def view_as_stop(request: HttpRequest) -> HttpResponse:
    view_as.stop(request)
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect("roles:people")


@login
def grants(request: HttpRequest) -> HttpResponse:
    _site_admin_or_404(request.user)
    form = GrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        RoleGrant.objects.create(
            user=form.user,
            role=form.cleaned_data["role"],
            board=form.cleaned_data["board"],
            granted_by=request.user,
            ends_at=form.ends_at(),
        )
        messages.success(request, _("De rol is toegekend."))
        return redirect("roles:grants")
    now = timezone.now()
    all_grants = RoleGrant.objects.select_related("user", "board", "granted_by")
    current = all_grants.current(now)
    ended = all_grants.exclude(pk__in=current.values("pk"))[:50]
    return render(
        request,
        "roles/grants.html",
        {"form": form, "current": current, "ended": ended},
        status=400 if form.errors else 200,
    )


@login
@require_POST
def grant_end(request: HttpRequest, pk: int) -> HttpResponse:
    _site_admin_or_404(request.user)
    grant = get_object_or_404(RoleGrant.objects.current(), pk=pk)
    grant.ends_at = timezone.now()
    grant.save(update_fields=["ends_at"])
    messages.success(request, _("De rol is beëindigd."))
    return redirect("roles:grants")


@login
def invite(request: HttpRequest) -> HttpResponse:
    _administrator_or_404(request.user)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if not _may_invite(request.user, email):
            form.add_error(
                "email",
                _(
                    "Je kan alleen iemand uitnodigen die vandaag een opdracht heeft in een "
                    "school van jouw schoolbestuur (volgens de personeelsupload)."
                ),
            )
        else:
            with transaction.atomic():
                user = get_user_model().objects.create_user(
                    username=email,
                    email=email,
                    first_name=form.cleaned_data["given_name"],
                    last_name=form.cleaned_data["family_name"],
                )  # no password: the invitation's link sets it
            send_invitation(request, user, request.user)
            messages.success(request, _("De uitnodiging is verstuurd naar %s.") % email)
            return redirect("roles:people")
    return render(request, "roles/invite.html", {"form": form}, status=400 if form.errors else 200)


def _may_invite(admin, email: str) -> bool:
    """A site admin invites anyone; a board admin someone working in their board today."""
    if permissions.is_site_admin(admin):
        return True
    today = timezone.localdate()
    return (
        Assignment.objects.filter(
            staff__email__iexact=email,
            institution__board_id__in=permissions.board_admin_boards(admin),
            start_date__lte=today,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .exists()
    )
