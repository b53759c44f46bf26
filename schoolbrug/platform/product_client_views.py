"""API-toegang (the platform operator's pages): per product of the catalogue, the OAuth2
client with which it posts results through the gradebook API: create it, "Nieuw geheim" and
"Intrekken" (each confirmed first), with who did what and when. Only a site admin reaches
them; anyone else gets a 404, as for the portal's other operator pages. A secret is shown in
the answer to the action that made it and never again (the database keeps a hash)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from schoolbrug.roles import permissions

from . import product_clients
from .access import login
from .models import Product

CONFIRMED = {"nieuw-geheim", "intrekken"}  # actions asked again before they are done


def _operator_or_404(request: HttpRequest) -> None:
    if not permissions.is_site_admin(request.user):
        raise Http404(_("Deze pagina bestaat niet."))


@login
def product_list(request: HttpRequest) -> HttpResponse:
    _operator_or_404(request)
    products = Product.objects.select_related("app__application")
    return render(request, "platform/product_clients.html", {"products": products})


@login
def product_client(request: HttpRequest, product_id: uuid.UUID) -> HttpResponse:
    _operator_or_404(request)
    product = Product.objects.filter(sourced_id=product_id).first()
    if product is None:
        raise Http404(_("Geen product met dit id."))
    context = {"product": product, "secret": None, "confirm": None, "error": None}
    if request.method == "POST":
        action = request.POST.get("actie", "")
        by = permissions.actor(request.user)
        try:
            if action in CONFIRMED and request.POST.get("bevestigd") != "ja":
                context["confirm"] = action
            elif action == "aanmaken":
                context["secret"] = product_clients.give_access(product, by)[1]
            elif action == "nieuw-geheim":
                context["secret"] = product_clients.new_secret(product, by)
            elif action == "intrekken":
                product_clients.revoke(product, by)
                messages.success(request, _("De API-toegang van %s is ingetrokken.") % product.name)
                return redirect("platform:product_client", product.sourced_id)
            else:
                context["error"] = _("Onbekende actie.")
        except product_clients.AccessRefused as refused:
            context["error"] = refused.message
    # Read again after the action: the client it made, renewed or deleted.
    context["product"] = Product.objects.select_related("app__application").get(pk=product.pk)
    context["history"] = product_clients.history(product)
    response = render(
        request,
        "platform/product_client.html",
        context,
        status=400 if context["error"] else 200,
    )
    response["Cache-Control"] = "no-store"  # a secret in the answer: kept by no cache
    return response
