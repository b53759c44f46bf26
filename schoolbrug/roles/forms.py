"""The forms of the people pages: grant a role, invite a person."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schoolbrug.registry.models import Board

from .models import RoleGrant


class GrantForm(forms.Form):
    email = forms.EmailField(label=_("E-mailadres van de persoon"))
    # The LOP roles are granted on the enrolment site's own pages (enrolment/), per LOP.
    role = forms.ChoiceField(
        label=_("Rol"),
        choices=[
            (r.value, r.label) for r in (RoleGrant.Role.SITE_ADMIN, RoleGrant.Role.BOARD_ADMIN)
        ],
    )
    board = forms.ModelChoiceField(
        label=_("Schoolbestuur (voor een bestuursbeheerder)"),
        queryset=Board.objects.order_by("name"),
        required=False,
    )
    until = forms.DateField(
        label=_("Tot en met"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Elke rol eindigt: standaard na een jaar."),
        required=False,
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(
                _("Er is geen actief account met dit e-mailadres. Nodig de persoon eerst uit.")
            )
        self.user = user
        return email

    def clean(self):
        data = super().clean()
        role, board = data.get("role"), data.get("board")
        if role == RoleGrant.Role.BOARD_ADMIN and board is None:
            self.add_error("board", _("Kies het schoolbestuur van de bestuursbeheerder."))
        if role == RoleGrant.Role.SITE_ADMIN and board is not None:
            self.add_error("board", _("Een sitebeheerder hoort bij geen schoolbestuur."))
        until = data.get("until")
        if until is not None and until < timezone.localdate():
            self.add_error("until", _("De einddatum ligt in het verleden."))
        return data

    def ends_at(self) -> datetime.datetime:
        """The end of the day `until` (default: a year from today), in Brussels time."""
        until = self.cleaned_data.get("until") or timezone.localdate() + datetime.timedelta(
            days=365
        )
        return timezone.make_aware(datetime.datetime.combine(until, datetime.time.max))


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mailadres"))
    given_name = forms.CharField(label=_("Voornaam"), max_length=150)
    family_name = forms.CharField(label=_("Familienaam"), max_length=150)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        users = get_user_model().objects
        if users.filter(email__iexact=email).exists() or users.filter(username=email).exists():
            raise forms.ValidationError(
                _(
                    "Er bestaat al een account met dit e-mailadres. De persoon kan een nieuw "
                    "wachtwoord kiezen met 'Wachtwoord vergeten'."
                )
            )
        return email
