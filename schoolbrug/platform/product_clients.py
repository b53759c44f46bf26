"""A product's API access ("API-toegang"): the OAuth2 client (client credentials, the
gradebook scopes) with which a product posts results through the gradebook API. The
platform's operator (a site admin) creates it, gives it a new secret, or revokes it; from the
page (`product_client_views.py`) or `schoolbrug platform products api-toegang`.

The client is a `sharing.App`, as the rostering apps' are (`sharing/access.py`), linked to
the product (`Product.app`). The secret is returned once and stored only as
django-oauth-toolkit's hash; a new secret or a revocation also ends the tokens already issued,
so a leaked secret stops working at once. The audit log follows the client by itself (the
secret only as "gewijzigd"); these functions name who and why.
"""

from __future__ import annotations

from django.db import transaction
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application

from schoolbrug.audit.context import acting
from schoolbrug.audit.models import AuditEntry
from schoolbrug.sharing import access
from schoolbrug.sharing.models import App

from .gradebook import GRADEBOOK_SCOPES
from .models import Product


class AccessRefused(Exception):
    """Not possible in this state; `message` is the Dutch text for the operator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def client_name(product: Product) -> str:
    return f"Leerplatform: {product.name} ({product.code})"


def give_access(product: Product, by: str) -> tuple[App, str]:
    """The product's client; returns it and its secret (shown this once only)."""
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product.pk)
        if product.app_id is not None:
            raise AccessRefused(
                f"{product.name} heeft al API-toegang: maak een nieuw geheim of trek ze in."
            )
        with acting(by, f"API-toegang voor product {product.code}"):
            # The App's name is unique: an earlier app of that name (not this product's) is
            # someone else's, so say so rather than take it over.
            if App.objects.filter(name__iexact=client_name(product)).exists():
                raise AccessRefused(
                    f"Er is al een applicatie '{client_name(product)}' die niet aan dit "
                    "product gekoppeld is."
                )
            app, secret = access.create_app(client_name(product), list(GRADEBOOK_SCOPES))
            product.app = app
            product.save(update_fields=["app"])
    return app, secret


def new_secret(product: Product, by: str) -> str:
    """A new secret for the product's client; the old one and its tokens stop working."""
    secret = generate_client_secret()
    with transaction.atomic(), acting(by, f"nieuw geheim voor product {product.code}"):
        application = _application(product)
        application.client_secret = secret  # hashed by the toolkit on save
        application.hash_client_secret = True
        application.save()
        AccessToken.objects.filter(application=application).delete()
    return secret


def revoke(product: Product, by: str) -> None:
    """The product's client is deleted with its tokens: the API answers 401 from now on."""
    with transaction.atomic(), acting(by, f"API-toegang van product {product.code} ingetrokken"):
        application = _application(product)
        AccessToken.objects.filter(application=application).delete()
        application.delete()  # its App goes with it; Product.app becomes empty


def reasons(product: Product) -> dict[str, str]:
    """The audit reasons of the three actions, as the history names them."""
    return {
        f"API-toegang voor product {product.code}": "API-toegang gegeven",
        f"nieuw geheim voor product {product.code}": "Nieuw geheim",
        f"API-toegang van product {product.code} ingetrokken": "Ingetrokken",
    }


def history(product: Product, limit: int = 20) -> list[tuple]:
    """Who did what to the product's API access, and when: (at, actor, what), newest first.
    One action writes several entries (client, app, product): shown once."""
    named = reasons(product)
    rows: list[tuple] = []
    entries = AuditEntry.objects.filter(reason__in=named).order_by("-at", "-pk")
    for entry in entries[: limit * 4]:
        what = named[entry.reason]
        if rows and rows[-1][1:] == (entry.actor, what):
            continue
        rows.append((entry.at, entry.actor, what))
    return rows[:limit]


def _application(product: Product) -> Application:
    product.refresh_from_db(fields=["app"])
    if product.app_id is None:
        raise AccessRefused(f"{product.name} heeft geen API-toegang.")
    return Application.objects.select_for_update().get(schoolbrug_app__pk=product.app_id)
