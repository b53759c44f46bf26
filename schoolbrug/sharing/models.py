"""Consent to share class information (seed 001), the apps that may read it, and what each
school granted them. All of it is Schoolbrug's own data, not the SIS's."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from oauth2_provider.settings import oauth2_settings

from schoolbrug.registry.models import Institution, SchoolClass

# OneRoster 1.2 rostering scopes (spec section 6.1).
SCOPE_ROSTER_CORE = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"
SCOPE_ROSTER = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly"
SCOPE_DEMOGRAPHICS = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-demographics.readonly"
ROSTER_SCOPES = (SCOPE_ROSTER_CORE, SCOPE_ROSTER, SCOPE_DEMOGRAPHICS)


class ProtocolVersion(models.Model):
    """A published text of the sharing protocol. Never edited: a change is a new version,
    so the text a data manager accepted can always be read again."""

    version = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)
    text = models.TextField()
    # Whether apps holding the demographics scope may read the national number under it.
    allows_national_number = models.BooleanField(default=False)
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return f"protocol {self.version}"

    @classmethod
    def current(cls) -> ProtocolVersion | None:
        return cls.objects.order_by("-published_at", "-id").first()


class Sharing(models.Model):
    """One period in which an institution shared class information: switched on by a data
    manager under a protocol version, until switched off. History is kept, not overwritten."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="sharing_periods"
    )
    protocol = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT)
    activated_at = models.DateTimeField()
    activated_by = models.CharField(max_length=200)  # the data manager's e-mail
    deactivated_at = models.DateTimeField(null=True, blank=True)
    deactivated_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-activated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution"],
                condition=Q(deactivated_at__isnull=True),
                name="one_active_sharing_per_institution",
            )
        ]

    def __str__(self) -> str:
        state = "actief" if self.deactivated_at is None else "gestopt"
        return f"{self.institution.number} {self.protocol.version} {state}"

    @property
    def is_active(self) -> bool:
        return self.deactivated_at is None


class App(models.Model):
    """An application that reads class information through the OneRoster API, with the
    OAuth2 client (client credentials) it authenticates as."""

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="schoolbrug_app"
    )
    name = models.CharField(max_length=200, unique=True)
    # Space-separated; a token gets the requested scopes that are in here.
    allowed_scopes = models.TextField(default=f"{SCOPE_ROSTER_CORE} {SCOPE_ROSTER}")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def client_id(self) -> str:
        return self.application.client_id

    @property
    def scopes(self) -> list[str]:
        return self.allowed_scopes.split()


class AppGrant(models.Model):
    """A school lets an app read its class information: all classes, or the chosen ones."""

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="grants")
    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="app_grants"
    )
    all_classes = models.BooleanField(default=True)
    classes = models.ManyToManyField(SchoolClass, blank=True, related_name="app_grants")
    granted_at = models.DateTimeField()
    granted_by = models.CharField(max_length=200)

    class Meta:
        ordering = ["institution__number", "app__name"]
        constraints = [
            models.UniqueConstraint(fields=["app", "institution"], name="one_grant_per_app")
        ]

    def __str__(self) -> str:
        return f"{self.app} @ {self.institution.number}"


class VisibilityGeneration(models.Model):
    """One row whose token changes with every change to who may see what (sharing periods,
    apps, grants and their classes, protocols), in the same transaction as that change.

    The API reads the token on every request and keeps what an app may see per token, so a
    switch-off or a revoked grant is seen by the very next call, while the grants are not
    read again on every page. A random token, not a counter: a test database that is
    flushed or rolled back never meets an earlier value again."""

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"generation {self.token}"
