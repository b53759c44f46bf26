"""The OneRoster 1.2 rostering endpoints. Each view names its resource and the segments the
app may see; the shared machinery reads parameters, pages, shapes and answers."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

import orjson
from django.http import HttpResponse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from schoolbrug.registry.models import Institution, SchoolClass
from schoolbrug.sharing.models import ROSTER_SCOPES, SCOPE_DEMOGRAPHICS
from schoolbrug.sharing.visibility import Visibility, from_state

from . import people, resources, sql
from .auth import BearerTokenAuthentication, RosterScope
from .collection import Resource, read_one, read_page, select_fields
from .counts import Counter
from .errors import ApiError, not_found
from .ids import our_id, show_outward
from .params import INT32_MAX, MAX_OFFSET, parse_list_params

LIST_PARAMETERS = [
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": INT32_MAX},
        description="page size (100); more than 5000 is served as 5000",
    ),
    OpenApiParameter(
        "offset",
        {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
        description="rows to skip (0)",
    ),
    OpenApiParameter("sort", OpenApiTypes.STR, description="field to sort on"),
    OpenApiParameter("orderBy", OpenApiTypes.STR, enum=["asc", "desc"]),
    OpenApiParameter("filter", OpenApiTypes.STR, description="e.g. status='active'"),
    OpenApiParameter("fields", OpenApiTypes.STR, description="comma-separated field names"),
]

# The imsx_StatusInfo of every failure (errors.status_info).
STATUS_INFO = {
    "type": "object",
    "properties": {
        "imsx_codeMajor": {
            "type": "string",
            "enum": ["success", "processing", "failure", "unsupported"],
        },
        "imsx_severity": {"type": "string", "enum": ["status", "warning", "error"]},
        "imsx_description": {"type": "string"},
        "imsx_CodeMinor": {"type": "object"},
    },
    "required": ["imsx_codeMajor", "imsx_severity"],
    "additionalProperties": False,
}


class RosterSchema(AutoSchema):
    """What each rostering operation documents: its query parameters; 200 with only the
    wrapper key (a list or one object), 400, 401 and 404 with an imsx_StatusInfo."""

    def get_override_parameters(self):
        return LIST_PARAMETERS if isinstance(self.view, CollectionView) else LIST_PARAMETERS[-1:]

    def get_response_serializers(self):
        resource = self.view.resource
        if isinstance(self.view, CollectionView):
            key, body = resource.collection, {"type": "array", "items": {"type": "object"}}
        else:
            key, body = resource.singular, {"type": "object"}
        ok = {
            "type": "object",
            "properties": {key: body},
            "required": [key],
            "additionalProperties": False,
        }
        return {200: ok, 400: STATUS_INFO, 401: STATUS_INFO, 404: STATUS_INFO}

    def get_operation_id(self) -> str:
        action = "list" if isinstance(self.view, CollectionView) else "retrieve"
        return f"{super().get_operation_id().rsplit('_', 1)[0]}_{action}"


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "OAuth2CC"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/oauth/token/",
                    "scopes": {scope: scope.rsplit("/", 1)[-1] for scope in ROSTER_SCOPES},
                }
            },
        }


class FirstRenderer(BaseContentNegotiation):
    """Every answer is JSON: no negotiation (a browser's Accept header included)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        return None


class RosterView(APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FirstRenderer
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [RosterScope]
    http_method_names = ["get"]
    schema = RosterSchema()

    def visibility(self) -> Visibility:
        client = self.request.user
        return from_state(client.app_id, SCOPE_DEMOGRAPHICS in client.scopes, client.state)

    def context(self) -> resources.Context:
        return resources.Context(self.request.build_absolute_uri(BASE_PATH).rstrip("/"))


BASE_PATH = "/ims/oneroster/rostering/v1p2/"


def _json(payload: dict, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(orjson.dumps(payload), content_type="application/json")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _sourced_id(value: str, kind: str, vis: Visibility | None = None) -> uuid.UUID:
    """Our id of the record an app names by its outward id (ids.py)."""
    found = our_id(value, kind, vis.data_version if vis is not None else None)
    if found is None:
        raise not_found(kind, value)
    return found


class CollectionView(RosterView):
    """GET a collection: subclasses say which resource and which segments."""

    resource: Resource

    def segments(self, vis: Visibility, **kwargs) -> list:
        raise NotImplementedError

    def get(self, request, **kwargs):
        params = parse_list_params(request.query_params)
        select_fields([], self.resource, params.fields)  # a bad field is a 400 before any query
        vis = self.visibility()
        page = read_page(self.resource, self.segments(vis, **kwargs), params, Counter(vis))
        ctx = self.context()
        objects = [self.resource.to_json(row, ctx) for row in page.rows]
        objects = show_outward(objects, vis.data_version)
        body = {self.resource.collection: select_fields(objects, self.resource, params.fields)}
        headers = {"X-Total-Count": str(page.total), "Link": _links(request, params, page.total)}
        return _json(body, headers)


class ObjectView(RosterView):
    resource: Resource

    def segments(self, vis: Visibility) -> list:
        raise NotImplementedError

    def get(self, request, sourced_id: str):
        params = parse_list_params(request.query_params)
        vis = self.visibility()
        wanted = _sourced_id(sourced_id, self.resource.reference_type, vis)
        row = read_one(self.resource, self.segments(vis), wanted)
        if row is None:
            raise not_found(self.resource.reference_type, sourced_id)
        obj = show_outward([self.resource.to_json(row, self.context())], vis.data_version)[0]
        return _json(
            {self.resource.singular: select_fields([obj], self.resource, params.fields)[0]}
        )


def _links(request, params, total: int) -> str:
    kept = [
        (k, v) for k, values in request.GET.lists() if k not in ("limit", "offset") for v in values
    ]
    base = f"{request.build_absolute_uri(request.path)}?" + (f"{urlencode(kept)}&" if kept else "")

    def url(offset: int) -> str:
        return f"<{base}limit={params.limit}&offset={offset}>"

    last = max(0, (total - 1) // params.limit * params.limit)
    links = [f'{url(0)}; rel="first"', f'{url(last)}; rel="last"']
    if params.offset + params.limit < total:
        links.append(f'{url(params.offset + params.limit)}; rel="next"')
    if params.offset > 0:
        links.append(f'{url(max(0, params.offset - params.limit))}; rel="prev"')
    return ", ".join(links)


# --- parents of nested routes: 404 unless the app may see them -----------------------------


def visible_school(vis: Visibility, sourced_id: str) -> Institution:
    """The school (its pk: what the nested routes filter by). In SQL: composed by the ORM,
    this lookup cost more than the page of 100 students that follows it."""
    wanted = _sourced_id(sourced_id, "org", vis)
    granted, params = vis.grant_join("i.id")
    row = sql.fetch_one(
        f"SELECT i.id FROM registry_institution i{granted} WHERE i.sourced_id = %s",
        [*params, sql.db_value(wanted)],
    )
    if row is None:
        raise not_found("school", sourced_id)
    return Institution(pk=row[0], sourced_id=wanted)


def visible_class(vis: Visibility, sourced_id: str, school: Institution | None = None):
    classes = SchoolClass.objects.filter(
        vis.classes_q(), sourced_id=_sourced_id(sourced_id, "class", vis)
    )
    if school is not None:
        classes = classes.filter(institution=school)
    klass = classes.first()
    if klass is None:
        raise not_found("class", sourced_id)
    return klass


def visible_user_pk(vis: Visibility, sourced_id: str, role: str | None) -> tuple[str, int]:
    """("student", pupil pk) or ("teacher", staff pk) of a user the app may see."""
    wanted = _sourced_id(sourced_id, "user", vis)
    found = []
    if role in (None, "student"):
        found += [("student", people.pupil_users(vis))]
    if role in (None, "teacher"):
        found += [("teacher", people.teacher_users(vis))]
    for kind, segment in found:
        body, params = segment.where_value("o_id", wanted).body()
        if (pk := sql.scalar(f"SELECT MIN({segment.key}) {body}", params)) is not None:
            return kind, pk
    raise not_found(role or "user", sourced_id)


class UnknownRoute(RosterView):
    """Any other path under the API: the 1.2 error payload, not an HTML page. Authenticated
    first, so the answer tells nothing to a caller without a token."""

    schema = None

    def get(self, request, path: str = ""):
        raise ApiError(404, "unknownobject", f"no rostering endpoint {request.path}")
