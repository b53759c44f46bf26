"""Two schools, their staff, an app with a real OAuth2 client, and a way to call the API."""

from __future__ import annotations

import datetime
import importlib
from types import SimpleNamespace

import pytest
import requests
from django.apps import apps as django_apps
from django.utils import timezone

from schoolbrug.registry.models import Assignment, Staff, Teaching
from schoolbrug.registry.sessions import ensure_sessions
from schoolbrug.sharing import access, consent
from schoolbrug.sharing.models import SCOPE_DEMOGRAPHICS, SCOPE_ROSTER, SCOPE_ROSTER_CORE
from tests.web.conftest import make_school

API = "/ims/oneroster/rostering/v1p2"


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Client secrets are hashed like passwords; the slow default hasher is not under test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _assign(staff, institution, role, start, end=None, classes=()):
    assignment = Assignment.objects.create(
        staff=staff, institution=institution, role=role, start_date=start, end_date=end
    )
    for klass in classes:
        Teaching.objects.create(assignment=assignment, schoolclass=klass)
    return assignment


@pytest.fixture(autouse=True)
def first_protocol(db):
    """Transactional tests flush the protocol the migration published; publish it again."""
    publish = importlib.import_module("schoolbrug.sharing.migrations.0002_first_protocol").publish
    publish(django_apps, None)


@pytest.fixture
def schools(db):
    today = timezone.localdate()
    a = make_school("012345", "Basisschool De Regenboog")
    b = make_school("067890", "Basisschool Het Anker")
    # A has its terms and grading periods, as a sync makes them; B none yet (a register no sync
    # wrote since sessions came): its classes run in the school year.
    ensure_sessions([a.institution.pk], a.classes["1A"].school_year)
    director = Staff.objects.create(
        email="directie@regenboog.test", given_name="D", family_name="R"
    )
    former = Staff.objects.create(email="vroeger@regenboog.test", given_name="V", family_name="R")
    teacher = Staff.objects.create(email="juf@regenboog.test", given_name="Juf", family_name="A")
    other = Staff.objects.create(email="meester@anker.test", given_name="M", family_name="B")
    _assign(director, a.institution, "director", today - datetime.timedelta(days=400))
    _assign(
        former,
        a.institution,
        "director",
        today - datetime.timedelta(days=400),
        today - datetime.timedelta(days=1),
    )
    _assign(teacher, a.institution, "teacher", today, classes=[a.classes["1A"]])
    _assign(other, b.institution, "teacher", today, classes=[b.classes["1A"]])
    _assign(Staff.objects.create(email="directie@anker.test", given_name="D", family_name="A"),
            b.institution, "director", today)  # fmt: skip
    return SimpleNamespace(a=a, b=b, director=director.email, former=former.email, teacher=teacher)


@pytest.fixture
def app(db):
    app, secret = access.create_app(
        "Leerplatform", [SCOPE_ROSTER_CORE, SCOPE_ROSTER, SCOPE_DEMOGRAPHICS]
    )
    return SimpleNamespace(app=app, client_id=app.client_id, secret=secret)


@pytest.fixture
def served(schools, app):
    """Both schools share; A granted the app all its classes (its leaver included), B only
    class 1A (not its 2B nor its leavers class)."""
    consent.activate(schools.a.institution, schools.director)
    access.grant(app.app, schools.a.institution, [], by=schools.director)
    consent.activate(schools.b.institution, "directie@anker.test")
    access.grant(app.app, schools.b.institution, ["1A"], by="directie@anker.test")
    return schools


class Api:
    """Calls the API over real HTTP with a token from the real token endpoint."""

    def __init__(self, base_url: str, client_id: str, secret: str, scope: str | None = None):
        self.base_url = base_url
        data = {"grant_type": "client_credentials"}
        if scope:
            data["scope"] = scope
        response = requests.post(
            f"{base_url}/oauth/token/", data=data, auth=(client_id, secret), timeout=10
        )
        assert response.status_code == 200, response.text
        self.token_response = response.json()
        self.token = self.token_response["access_token"]

    def get(self, path: str, **params) -> requests.Response:
        return requests.get(
            f"{self.base_url}{API}{path}",
            params=params,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )

    def ids(self, path: str, key: str, **params) -> set[str]:
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        return {item["sourcedId"] for item in response.json()[key]}


@pytest.fixture
def api(live_server, app):
    return Api(live_server.url, app.client_id, app.secret)
