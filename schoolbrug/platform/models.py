"""The learning platform's data: the product catalogue, the licences a school bought, the
classes and pupils linked to them, and how each pupil logs in.

The SIS stays the master: nothing here creates or moves a pupil or class. A group licence
covers the pupils enrolled in its classes today (derived, so a pupil the sync moves has the new
class's licences at once); a child licence covers the pupils it names, one seat each.
"""

from __future__ import annotations

from django.db import models

from schoolbrug.encryption import EncryptedTextField
from schoolbrug.registry.models import Institution, Pupil, SchoolClass
from schoolbrug.registry.models.base import SourcedModel


class Product(SourcedModel):
    """A method (methode) or other digital product a school can buy licences for."""

    code = models.CharField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    publisher = models.CharField(max_length=200, blank=True)
    # "rekenen", "taal", ...: how the licence page groups products.
    subject = models.CharField(max_length=100, blank=True)
    # Where the pupil's page sends them (the product's own start page).
    url = models.URLField(blank=True)
    # The product's OAuth2 client for the gradebook API (client credentials, sharing.App).
    app = models.OneToOneField(
        "sharing.App", null=True, blank=True, on_delete=models.SET_NULL, related_name="product"
    )

    class Meta:
        ordering = ["name", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Licence(SourcedModel):
    class Kind(models.TextChoices):
        GROUP = "group", "per groep"
        CHILD = "child", "per kind"

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="platform_licences"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="licences")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    # Pupils the licence may cover: a child licence's seats, a group licence's pupils.
    seats = models.PositiveIntegerField()
    # The school's order reference, as the publisher gave it.
    reference = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["institution", "product__name", "id"]

    def __str__(self) -> str:
        return f"{self.product.name} {self.get_kind_display()} ({self.seats})"


class LicenceClass(SourcedModel):
    """A class linked to a group licence ("Koppelen", "Toevoegen")."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="class_links")
    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, related_name="platform_licence_links"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["licence", "school_class"], name="licence_class_once")
        ]

    def __str__(self) -> str:
        return f"{self.licence} → {self.school_class}"


class LicenceSeat(SourcedModel):
    """A pupil holding one seat of a child licence."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="seat_links")
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="platform_seats")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["licence", "pupil"], name="licence_seat_once")
        ]

    def __str__(self) -> str:
        return f"{self.licence} → {self.pupil}"


class LoginMethod(models.TextChoices):
    PICTURES = "pictures", "plaatjes"
    PIN = "pin", "pincode"


class ClassLogin(models.Model):
    """How the pupils of one class log in ("Wijzig login methode voor de groep")."""

    school_class = models.OneToOneField(
        SchoolClass, on_delete=models.CASCADE, related_name="platform_login"
    )
    method = models.CharField(max_length=10, choices=LoginMethod.choices)
    # The class code (class_codes.py): typed once on a tablet to open the class's name list.
    # Printed on the class sheet, so encrypted (not hashed); found by its keyed digest.
    code = EncryptedTextField(blank=True)
    code_digest = models.CharField(max_length=64, blank=True, db_index=True)
    # Raised by "Nieuwe klascode": the devices' cookies name a version, older ones stop.
    code_version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["code_digest"], condition=~models.Q(code_digest=""), name="class_code_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.school_class}: {self.get_method_display()}"


class PupilLogin(models.Model):
    """A pupil's picture and PIN. The PIN is encrypted at rest (it must be printable on the
    class sheet, so it cannot be a one-way hash) and never logged. Failed attempts and the
    lock are counted here, per pupil; per address in `AddressLock`."""

    pupil = models.OneToOneField(Pupil, on_delete=models.CASCADE, related_name="platform_login")
    pin = EncryptedTextField(blank=True)
    picture = models.CharField(max_length=30, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"login of {self.pupil}"


class AddressLock(models.Model):
    """Failed pupil log-ins from one address (a tablet trolley shares one): past the limit
    the address is locked for a while, whoever it tries."""

    address = models.CharField(max_length=45, unique=True)
    failed_attempts = models.PositiveIntegerField(default=0)
    first_failure_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.address


class MonitoringLink(models.Model):
    """The school's exchange with its pupil-monitoring system (seed 004 §5, "Koppeling
    toevoegen"): which system, the authorization key it issued (encrypted at rest), and the
    school's explicit consent. Only exercise results are sent, as UWLR 2.2."""

    institution = models.OneToOneField(
        Institution, on_delete=models.CASCADE, related_name="monitoring_link"
    )
    # A key of settings.SCHOOLBRUG_MONITORING_SYSTEMS, which holds each system's address.
    system = models.CharField(max_length=30)
    authorization_key = EncryptedTextField()
    consent_by = models.CharField(max_length=200)
    consent_at = models.DateTimeField()
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.institution} → {self.system}"


class ProductResult(SourcedModel):
    """A result a product reported for a pupil. Its `sourced_id` is the UWLR result key, so
    a delivery sent again after a time-out is the same result to the receiver, not a new one.
    Test results are kept but never sent (seed 004: "alleen oefenresultaten")."""

    class Kind(models.TextChoices):
        EXERCISE = "exercise", "oefening"
        TEST = "test", "toets"

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="platform_results")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="results")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    code = models.CharField(max_length=256)  # UWLR toetscode
    # Posted through the gradebook API: its lineItem and the product's own sourcedId.
    line_item = models.ForeignKey(
        "GradebookLineItem", null=True, blank=True, on_delete=models.CASCADE, related_name="results"
    )
    external_id = models.CharField(max_length=256, blank=True)
    score = models.PositiveIntegerField()
    taken_on = models.DateField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    # Deleted through the gradebook API (DELETE results/{id} or its lineItem): never sent
    # after that; one already delivered stays as the record of what was sent.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # The result's own scoreScale (the file's optional `result.scoreScale`), of its lineItem's
    # class; a scale in use cannot be deleted (gradebook_scales.py).
    score_scale = models.ForeignKey(
        "ScoreScale", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["institution", "kind", "delivered_at"], name="result_pending")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "external_id"],
                condition=~models.Q(external_id=""),
                name="result_external_id_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pupil} {self.code} {self.score}"


class GradebookLineItem(models.Model):
    """A OneRoster 1.2 lineItem a product put (an exercise or a test of a class). Its
    `sourced_id` is the product's own; `kind` comes from its category ("exercise"/"oefening"
    or "test"/"toets"), so that only exercise results go to the monitoring system."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="line_items")
    sourced_id = models.CharField(max_length=256)
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=256)
    kind = models.CharField(max_length=10, choices=ProductResult.Kind.choices)
    category = models.ForeignKey(
        "GradebookCategory", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assign_date = models.DateTimeField()
    due_date = models.DateTimeField()
    # The file's optional `lineItem.scoreScale`: a scale of the lineItem's class; a scale in
    # use cannot be deleted (gradebook_scales.py).
    score_scale = models.ForeignKey(
        "ScoreScale", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=12, default="active")
    updated_at = models.DateTimeField(auto_now=True)
    # DELETE lineItems/{id}: hidden from the API, its results no longer sent (see
    # ProductResult.deleted_at); a PUT of the same id brings it back.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "sourced_id"], name="line_item_once")
        ]

    def __str__(self) -> str:
        return self.title


class GradebookCategory(models.Model):
    """A product's OneRoster category (a grouping of its lineItems). Its `kind` says whether
    the results of its lineItems are exercises (sent to the monitoring system) or tests (kept,
    never sent); the product says so in the category's metadata (`"kind"`), a test otherwise.
    The words exercise/oefening/test/toets are categories of every product, made on first use."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="categories")
    sourced_id = models.CharField(max_length=256)
    title = models.CharField(max_length=256)
    kind = models.CharField(max_length=10, choices=ProductResult.Kind.choices)
    weight = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=12, default="active")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "sourced_id"], name="category_once")
        ]

    def __str__(self) -> str:
        return self.title


class ScoreScale(models.Model):
    """A product's OneRoster score scale for one class (how its scores map to others)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="score_scales")
    sourced_id = models.CharField(max_length=256)
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=256)
    type = models.CharField(max_length=256)
    # [{"itemValueLHS": "7", "itemValueRHS": "A"}, ...], as the product gave it.
    values = models.JSONField()
    status = models.CharField(max_length=12, default="active")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "sourced_id"], name="score_scale_once")
        ]

    def __str__(self) -> str:
        return self.title
