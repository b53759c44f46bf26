"""Commands that grant or change rights are in the audit log as the person `--as` names (or
"cli"), with the command as reason: `apps create`, `apps scopes`, `institutions load`. The
client secret never appears, not even hashed."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import Application

from schoolbrug.audit.changes import audit_id
from schoolbrug.audit.context import acting
from schoolbrug.audit.models import AuditEntry
from schoolbrug.registry.models import Institution
from schoolbrug.sharing.models import SCOPE_DEMOGRAPHICS, SCOPE_ROSTER_CORE, App

pytestmark = pytest.mark.django_db

OPERATOR = "beheer@schoolbrug.test"


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_apps_create_is_logged_as_the_operator_without_its_secret():
    created = json.loads(run("apps", "create", "Leerplatform", "--json", "--as", OPERATOR))

    app = App.objects.get()
    application = Application.objects.get()
    client, registered = AuditEntry.objects.order_by("id")
    assert (client.entity, client.action, client.actor) == ("oauth_client", "create", OPERATOR)
    assert client.reason == "applicatie Leerplatform geregistreerd"
    assert client.entity_sourced_id == audit_id(application)
    assert client.changes["client_id"] == [None, created["client_id"]]
    assert client.changes["client_secret"] == [None, "gewijzigd"]
    assert (registered.entity, registered.actor) == ("app", OPERATOR)
    assert registered.changes["name"] == [None, "Leerplatform"]
    assert registered.changes["allowed_scopes"][1] == app.allowed_scopes
    everything = json.dumps([e.changes for e in AuditEntry.objects.all()])
    assert created["client_secret"] not in everything
    assert application.client_secret not in everything  # the hash neither


def test_without_as_the_actor_is_cli():
    run("apps", "create", "Rekenplatform")
    assert set(AuditEntry.objects.values_list("actor", flat=True)) == {"cli"}


def test_a_scope_change_is_logged():
    run("apps", "create", "Leerplatform")
    before = App.objects.get().allowed_scopes

    out = run("apps", "scopes", "Leerplatform", "--scope", SCOPE_ROSTER_CORE,
              "--scope", SCOPE_DEMOGRAPHICS, "--as", OPERATOR)  # fmt: skip

    assert "Leerplatform mag nu" in out
    app = App.objects.get()
    assert app.scopes == [SCOPE_ROSTER_CORE, SCOPE_DEMOGRAPHICS]
    entry = AuditEntry.objects.filter(entity="app").latest("id")
    assert (entry.action, entry.actor, entry.reason) == (
        "update",
        OPERATOR,
        "scopes applicatie Leerplatform",
    )
    assert entry.changes == {"allowed_scopes": [before, app.allowed_scopes]}


def write_list(tmp_path, rows: list[str]):
    path = tmp_path / "instellingen.csv"
    lines = ["instellingsnummer;naam;niveau;vestigingsnummer;gemeente", *rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_institutions_load_logs_what_it_creates_and_changes(tmp_path):
    first = write_list(tmp_path, ["012345;De Regenboog;basis;1;Gent", "067890;Het Anker;SO;1;Gent"])
    run("institutions", "load", str(first), "--as", OPERATOR)

    created = AuditEntry.objects.order_by("id")
    assert [(e.entity, e.action, e.institution_number) for e in created] == [
        ("institution", "create", "012345"),
        ("institution", "create", "067890"),
    ]
    regenboog = Institution.objects.get(number="012345")
    assert created[0].entity_sourced_id == regenboog.sourced_id
    assert created[0].changes["name"] == [None, "De Regenboog"]
    assert {(e.actor, e.reason) for e in created} == {(OPERATOR, "cli institutions load")}

    renamed = write_list(tmp_path, ["012345;Basisschool De Regenboog;basis;1;Gent",
                                    "067890;Het Anker;SO;1;Gent"])  # fmt: skip
    run("institutions", "load", str(renamed))

    (entry,) = AuditEntry.objects.filter(action="update")
    assert entry.entity_sourced_id == regenboog.sourced_id and entry.actor == "cli"
    assert entry.changes == {"name": ["De Regenboog", "Basisschool De Regenboog"]}
    # The same list again changes nothing, and logs nothing.
    count = AuditEntry.objects.count()
    run("institutions", "load", str(renamed))
    assert AuditEntry.objects.count() == count


def test_a_new_client_secret_is_logged_as_changed_only():
    run("apps", "create", "Leerplatform")
    application = Application.objects.get()
    secret = generate_client_secret()

    with acting(OPERATOR, "geheim vernieuwd"):
        application.client_secret = secret
        application.save()

    entry = AuditEntry.objects.filter(entity="oauth_client").latest("id")
    assert entry.changes == {"client_secret": [None, "gewijzigd"]}
    application.refresh_from_db()
    everything = json.dumps([e.changes for e in AuditEntry.objects.all()])
    assert secret not in everything and application.client_secret not in everything
