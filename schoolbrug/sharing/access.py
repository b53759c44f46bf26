"""Apps and what schools grant them: registering an app (OAuth2 client credentials) and
granting or revoking its access to all or chosen classes of an institution.

The audit log follows apps, their OAuth2 clients and grants by itself (`audit.changes`);
these functions say who decides and why."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import Application

from schoolbrug.audit.context import acting
from schoolbrug.registry.models import Institution, SchoolClass, SchoolYear

from .consent import RefusedError
from .models import ROSTER_SCOPES, SCOPE_ROSTER, SCOPE_ROSTER_CORE, App, AppGrant


def create_app(name: str, scopes: list[str] | None = None) -> tuple[App, str]:
    """Register an app; returns it and its client secret, which is shown this once only
    (the database keeps a hash)."""
    name = name.strip()
    if not name:
        raise RefusedError("Geef de applicatie een naam.", "an app needs a name")
    if App.objects.filter(name__iexact=name).exists():
        raise RefusedError(f"Er is al een applicatie '{name}'.", f"app {name!r} exists")
    secret = generate_client_secret()
    with transaction.atomic(), acting(reason=f"applicatie {name} geregistreerd"):
        application = Application.objects.create(
            name=name,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            client_secret=secret,
            hash_client_secret=True,
        )
        app = App.objects.create(
            application=application,
            name=name,
            allowed_scopes=" ".join(scopes or [SCOPE_ROSTER_CORE, SCOPE_ROSTER]),
        )
    return app, secret


def set_scopes(app: App, scopes: list[str]) -> App:
    """The scopes the app's tokens may carry from now on (a token asks for a subset)."""
    unknown = sorted(set(scopes) - set(ROSTER_SCOPES))
    if not scopes or unknown:
        raise RefusedError(
            f"Kies een of meer scopes uit: {', '.join(ROSTER_SCOPES)}.",
            f"unknown or no scopes: {', '.join(unknown)}",
        )
    app.allowed_scopes = " ".join(dict.fromkeys(scopes))
    with acting(reason=f"scopes applicatie {app.name}"):
        app.save(update_fields=["allowed_scopes"])
    return app


def find_app(name_or_client_id: str) -> App:
    value = name_or_client_id.strip()
    app = (
        App.objects.select_related("application")
        .filter(Q(name__iexact=value) | Q(application__client_id=value))
        .first()
    )
    if app is None:
        raise RefusedError(f"Geen applicatie met naam of client id '{value}'.", f"no app {value!r}")
    return app


def grant(app: App, institution: Institution, class_codes: list[str] | None, by: str) -> AppGrant:
    """Give `app` access to all classes (no codes) or to exactly the classes named, in the
    current school year. Replaces an earlier grant of the same app and institution."""
    classes = _classes(institution, class_codes or [])
    with transaction.atomic(), acting(by, _reason(app)):
        grant_row, _ = AppGrant.objects.update_or_create(
            app=app,
            institution=institution,
            defaults={"all_classes": not classes, "granted_at": timezone.now(), "granted_by": by},
        )
        grant_row.classes.set(classes)
    return grant_row


def revoke(app: App, institution: Institution, by: str) -> None:
    with transaction.atomic(), acting(by, _reason(app)):
        existing = AppGrant.objects.filter(app=app, institution=institution).first()
        if existing is None:
            raise RefusedError(
                f"{app.name} heeft geen toegang tot {institution.number}.",
                f"{app.name} has no access to {institution.number}",
            )
        existing.delete()


def institution_by_number(number: str) -> Institution:
    institution = Institution.objects.filter(number=number).first()
    if institution is None:
        raise RefusedError(
            f"Instelling {number} staat niet in het register.", f"unknown institution {number}"
        )
    return institution


def _classes(institution: Institution, codes: list[str]) -> list[SchoolClass]:
    if not codes:
        return []
    year = SchoolYear.start_year_for(timezone.localdate())
    found = {
        c.code: c
        for c in SchoolClass.objects.filter(
            Q(parent__isnull=True) | Q(is_active=True),  # not a removed subclass
            institution=institution,
            school_year__start_year=year,
            code__in=codes,
        )
    }
    if missing := [code for code in codes if code not in found]:
        raise RefusedError(
            f"Onbekende klas in {institution.number}: {', '.join(missing)}. "
            "De klascode moet exact overeenkomen, ook hoofdletters en spaties.",
            f"unknown class in {institution.number}: {', '.join(missing)}",
        )
    return [found[code] for code in dict.fromkeys(codes)]


def _reason(app: App) -> str:
    return f"toegang applicatie {app.name}"
