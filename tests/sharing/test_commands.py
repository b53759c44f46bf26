"""`schoolbrug apps ...` and `schoolbrug sharing ...` through call_command: what they print
(in Dutch), their exit codes (2 when refused, nothing written then) and the audit rows they
leave."""

from __future__ import annotations

import base64
import json
from io import StringIO

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from oauth2_provider.models import Application

from schoolbrug.audit.changes import audit_id
from schoolbrug.audit.models import AuditEntry
from schoolbrug.sharing.models import SCOPE_ROSTER, SCOPE_ROSTER_CORE, App, AppGrant, Sharing

NUMBER = "012345"
DIRECTOR = "directie@regenboog.test"


class Ran:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


def run(*args: str) -> Ran:
    """The command's exit code (0 unless it exits otherwise), stdout and stderr."""
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return Ran(code, out.getvalue(), err.getvalue())


def audit(entity: str, action: str):
    return AuditEntry.objects.filter(entity=entity, action=action, institution_number=NUMBER)


def token_response(client, client_id: str, secret: str):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return client.post(
        "/oauth/token/",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )


@pytest.fixture
def created(db):
    ran = run("apps", "create", "Leerplatform", "--json")
    assert ran.code == 0, ran.err
    return json.loads(ran.out)


# --- apps create ---------------------------------------------------------------------------


def test_create_prints_the_client_id_and_secret_once(created):
    assert created["name"] == "Leerplatform"
    assert created["client_id"] and created["client_secret"]
    assert created["scopes"] == [SCOPE_ROSTER_CORE, SCOPE_ROSTER]
    application = Application.objects.get(client_id=created["client_id"])
    # The database keeps a hash of the secret, never the secret.
    assert application.client_secret != created["client_secret"]
    assert check_password(created["client_secret"], application.client_secret)
    assert App.objects.get(application=application).name == "Leerplatform"
    # The list shows the app, not its secret.
    listed = run("apps", "list")
    assert created["client_id"] in listed.out
    assert created["client_secret"] not in listed.out


def test_the_printed_secret_works_at_the_token_endpoint(created, client):
    response = token_response(client, created["client_id"], created["client_secret"])
    assert response.status_code == 200, response.content
    token = response.json()
    assert token["access_token"] and token["expires_in"] > 0
    assert set(token["scope"].split()) == {SCOPE_ROSTER_CORE, SCOPE_ROSTER}
    wrong = token_response(client, created["client_id"], created["client_secret"] + "x")
    assert wrong.status_code == 401


def test_create_without_json_says_to_keep_the_secret(db):
    ran = run("apps", "create", "Rekenplatform")
    assert ran.code == 0
    assert "client secret:" in ran.out and "Bewaar het geheim nu" in ran.out


def test_create_twice_is_refused(created):
    ran = run("apps", "create", "leerplatform", "--json")
    assert ran.code == 2
    assert "Er is al een applicatie" in ran.err
    assert App.objects.count() == 1


# --- apps grant and revoke -----------------------------------------------------------------


def test_grant_all_classes_by_name(schools, created):
    ran = run("apps", "grant", "Leerplatform", "--institution", NUMBER, "--as", DIRECTOR)
    assert ran.code == 0, ran.err
    assert ran.out.strip() == f"Leerplatform heeft toegang tot {NUMBER}: alle klassen."
    grant = AppGrant.objects.get(app__name="Leerplatform", institution=schools.a.institution)
    assert grant.all_classes and not grant.classes.exists() and grant.granted_by == DIRECTOR
    (entry,) = audit("app_access", AuditEntry.Action.GRANT)
    assert entry.actor == DIRECTOR
    assert entry.reason == "toegang applicatie Leerplatform"
    assert entry.changes == {
        "app": [None, "Leerplatform"],
        "institution": [None, str(schools.a.institution)],
        "all_classes": [None, True],
    }
    assert entry.entity_sourced_id == audit_id(grant)


def test_grant_chosen_classes_by_client_id(schools, created):
    run("apps", "grant", "Leerplatform", "--institution", NUMBER)
    ran = run("apps", "grant", created["client_id"], "--institution", NUMBER,
              "--class", "1A", "--class", "2B")  # fmt: skip
    assert ran.code == 0, ran.err
    assert "1A, 2B" in ran.out
    grant = AppGrant.objects.get(institution=schools.a.institution)
    assert not grant.all_classes
    assert set(grant.classes.values_list("code", flat=True)) == {"1A", "2B"}
    latest = audit("app_access", AuditEntry.Action.GRANT).order_by("pk").last()
    # The save and the classes it grants are one entry.
    assert latest.changes == {"all_classes": [True, False], "classes": [[], ["1A", "2B"]]}
    assert latest.actor == "cli"  # no --as


def test_an_unknown_class_is_refused_and_nothing_changes(schools, created):
    run("apps", "grant", "Leerplatform", "--institution", NUMBER, "--class", "1A")
    before = audit("app_access", AuditEntry.Action.GRANT).count()
    ran = run("apps", "grant", "Leerplatform", "--institution", NUMBER,
              "--class", "1A", "--class", "1a")  # fmt: skip
    assert ran.code == 2
    assert "Onbekende klas in 012345: 1a" in ran.err
    assert "hoofdletters" in ran.err
    assert ran.out == ""
    grant = AppGrant.objects.get(institution=schools.a.institution)
    assert list(grant.classes.values_list("code", flat=True)) == ["1A"]
    assert audit("app_access", AuditEntry.Action.GRANT).count() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("apps", "grant", "Onbekend", "--institution", NUMBER), "Geen applicatie"),
        (("apps", "grant", "Leerplatform", "--institution", "999999"), "niet in het register"),
        (("apps", "revoke", "Leerplatform", "--institution", NUMBER), "heeft geen toegang"),
    ],
)
def test_grant_and_revoke_refusals(schools, created, args, message):
    ran = run(*args)
    assert ran.code == 2
    assert message in ran.err
    assert not AppGrant.objects.exists()
    assert not AuditEntry.objects.filter(entity="app_access").exists()


def test_revoke(schools, created):
    run("apps", "grant", "Leerplatform", "--institution", NUMBER, "--class", "1A")
    ran = run("apps", "revoke", created["client_id"], "--institution", NUMBER, "--as", DIRECTOR)
    assert ran.code == 0, ran.err
    assert ran.out.strip() == f"Leerplatform heeft geen toegang meer tot {NUMBER}."
    assert not AppGrant.objects.exists()
    (entry,) = audit("app_access", AuditEntry.Action.REVOKE)
    assert entry.actor == DIRECTOR
    assert entry.changes["classes"] == [["1A"], None]
    assert entry.changes["all_classes"] == [False, None]
    again = run("apps", "revoke", "Leerplatform", "--institution", NUMBER)
    assert again.code == 2 and "heeft geen toegang tot 012345" in again.err


def test_list_shows_the_grants(schools, created):
    run("apps", "grant", "Leerplatform", "--institution", NUMBER, "--class", "2B", "--class", "1A")
    run("apps", "grant", "Leerplatform", "--institution", "067890")
    listed = run("apps", "list").out.splitlines()
    assert listed[0] == f"Leerplatform\t{created['client_id']}"
    assert f"\t{NUMBER}\t1A, 2B" in listed
    assert "\t067890\talle klassen" in listed


# --- sharing -------------------------------------------------------------------------------


def test_activate_by_a_data_manager(schools):
    ran = run("sharing", "activate", "--institution", NUMBER, "--as", DIRECTOR)
    assert ran.code == 0, ran.err
    assert "012345 deelt klasinformatie onder protocol" in ran.out
    assert DIRECTOR in ran.out
    sharing = Sharing.objects.get(institution=schools.a.institution)
    assert sharing.deactivated_at is None and sharing.activated_by == DIRECTOR
    (entry,) = audit("sharing", AuditEntry.Action.ACTIVATE)
    assert entry.actor == DIRECTOR
    assert entry.changes["protocol"] == [None, str(sharing.protocol)]
    assert entry.changes["activated_by"] == [None, DIRECTOR]
    assert entry.reason == "protocol klasinformatie"


@pytest.mark.parametrize(
    "email", ["juf@regenboog.test", "vroeger@regenboog.test", "directie@anker.test", "x@y.z"]
)
def test_activate_by_someone_else_is_refused_and_writes_nothing(schools, email):
    ran = run("sharing", "activate", "--institution", NUMBER, "--as", email)
    assert ran.code == 2
    assert f"{email} is geen databeheerder van {NUMBER}" in ran.err
    assert "directeursopdracht" in ran.err
    assert ran.out == ""
    assert not Sharing.objects.exists()
    assert not AuditEntry.objects.filter(entity="sharing").exists()


def test_activate_twice_is_refused(schools):
    run("sharing", "activate", "--institution", NUMBER, "--as", DIRECTOR)
    ran = run("sharing", "activate", "--institution", NUMBER, "--as", DIRECTOR)
    assert ran.code == 2 and "deelt al klasinformatie" in ran.err
    assert Sharing.objects.count() == 1
    assert audit("sharing", AuditEntry.Action.ACTIVATE).count() == 1


def test_activate_under_an_unknown_protocol_is_refused(schools):
    ran = run("sharing", "activate", "--institution", NUMBER, "--as", DIRECTOR,
              "--protocol", "99")  # fmt: skip
    assert ran.code == 2 and "Protocolversie 99 bestaat niet" in ran.err
    assert not Sharing.objects.exists()


def test_an_unknown_institution_exits_2_naming_it(schools):
    ran = run("sharing", "status", "--institution", "999999")
    assert ran.code == 2
    assert "999999 staat niet in het register" in ran.err


def test_status_deactivate_and_status_again(schools):
    assert run("sharing", "status", "--institution", NUMBER).out.strip() == (
        "012345 deelt geen klasinformatie."
    )
    run("sharing", "activate", "--institution", NUMBER, "--as", DIRECTOR)
    status = run("sharing", "status", "--institution", NUMBER)
    assert status.code == 0
    assert "012345 deelt klasinformatie sinds" in status.out and DIRECTOR in status.out

    refused = run("sharing", "deactivate", "--institution", NUMBER, "--as", "juf@regenboog.test")
    assert refused.code == 2 and "geen databeheerder" in refused.err
    assert Sharing.objects.get().deactivated_at is None
    assert not audit("sharing", AuditEntry.Action.DEACTIVATE).exists()

    ran = run("sharing", "deactivate", "--institution", NUMBER, "--as", DIRECTOR.upper())
    assert ran.code == 0, ran.err
    assert ran.out.strip() == "012345 deelt geen klasinformatie meer."
    sharing = Sharing.objects.get()
    assert sharing.deactivated_at is not None and sharing.deactivated_by == DIRECTOR
    (entry,) = audit("sharing", AuditEntry.Action.DEACTIVATE)
    assert entry.actor == DIRECTOR and entry.changes["deactivated_by"] == ["", DIRECTOR]
    assert run("sharing", "status", "--institution", NUMBER).out.strip() == (
        "012345 deelt geen klasinformatie."
    )
    again = run("sharing", "deactivate", "--institution", NUMBER, "--as", DIRECTOR)
    assert again.code == 2 and "deelt geen klasinformatie" in again.err


def test_sharing_and_a_grant_through_the_commands_open_the_api(schools, created, client):
    """The commands are enough to let an app read: activate, grant, token, read."""
    run("sharing", "activate", "--institution", NUMBER, "--as", DIRECTOR)
    run("apps", "grant", "Leerplatform", "--institution", NUMBER, "--class", "1A")
    token = token_response(client, created["client_id"], created["client_secret"]).json()
    classes = client.get(
        "/ims/oneroster/rostering/v1p2/classes",
        HTTP_AUTHORIZATION=f"Bearer {token['access_token']}",
    )
    assert classes.status_code == 200
    assert [c["title"] for c in classes.json()["classes"]] == ["1A"]
    run("sharing", "deactivate", "--institution", NUMBER, "--as", DIRECTOR)
    classes = client.get(
        "/ims/oneroster/rostering/v1p2/classes",
        HTTP_AUTHORIZATION=f"Bearer {token['access_token']}",
    )
    assert classes.json() == {"classes": []}
