"""The form of the page "Koppeling met het administratiepakket"."""

from __future__ import annotations

from django import forms
from django.conf import settings

from schoolbrug.links import public_address
from schoolbrug.links.editing import AUDITED_FIELDS
from schoolbrug.links.models import SourceLink
from schoolbrug.registry.models import Institution
from schoolbrug.sync import blackout

PARENTS_LABEL = "uit de adressen van de ouders (vader, moeder, voogd)"
# Seed 000's option, in the words the school knows from its package.
HEADER_LABEL = "uit de hoofdfiche van de leerling ('E-mailgegevens hoofding i.p.v. adres')"
INFORMAT_FIELDS = ("informat_base_url", "informat_token_url", "informat_client_id")


class SourceLinkForm(forms.ModelForm):
    """Source, switch, daily time, Informat access, and the institution's contact source.

    The client secret is write-only: the field is always empty on the page, an empty field
    keeps the stored secret, and "wissen" removes it.
    """

    contact_source = forms.ChoiceField(
        label="Contactgegevens",
        choices=[
            (Institution.ContactSource.PARENTS, PARENTS_LABEL),
            (Institution.ContactSource.HEADER, HEADER_LABEL),
        ],
        widget=forms.RadioSelect,
        help_text="Welke e-mailadressen en telefoonnummers Schoolbrug bij de leerling bewaart.",
    )
    # Text inputs (styled like the others); the field still checks the address.
    informat_base_url = forms.URLField(
        label="Basis-URL (leerlingen)",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="Het adres waar Schoolbrug de leerlingen (JSON) ophaalt.",
        widget=forms.TextInput(attrs={"size": 60, "inputmode": "url"}),
    )
    informat_token_url = forms.URLField(
        label="Token-URL (OAuth2)",
        required=False,
        max_length=500,
        assume_scheme="https",
        widget=forms.TextInput(attrs={"size": 60, "inputmode": "url"}),
    )
    informat_client_secret = forms.CharField(
        label="Client-secret",
        required=False,
        strip=True,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    forget_secret = forms.BooleanField(label="Bewaard client-secret wissen", required=False)

    class Meta:
        model = SourceLink
        fields = list(AUDITED_FIELDS)  # what a school edits is what the audit records
        labels = {
            "source": "Administratiepakket",
            "sync_active": "Synchronisatie actief",
            "daily_time": "Dagelijks tijdstip",
            "leaver_blackout": "Zomerperiode zonder schoolverlaters",
            "informat_client_id": "Client-id",
            "informat_scope": "Scope (indien Informat er een gaf)",
        }
        help_texts = {
            "sync_active": "Uit: Schoolbrug weigert uploads en start geen dagelijkse "
            "synchronisatie.",
            "daily_time": "Tussen 00:00 en 09:00. Schoolbrug haalt dan de export op of verwerkt "
            "de nieuwste export die nog niet verwerkt is.",
        }
        widgets = {
            "daily_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "leaver_blackout": forms.TextInput(attrs={"size": 12, "placeholder": "1/7-31/8"}),
            "informat_client_id": forms.TextInput(attrs={"size": 40, "autocomplete": "off"}),
        }

    def __init__(self, *args, institution: Institution, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["contact_source"].initial = institution.contact_source
        self.has_secret = bool(self.instance.informat_client_secret)
        self.fields["leaver_blackout"].help_text = (
            "Tijdens deze dagen (dag/maand-dag/maand, grenzen inbegrepen) verhuist Schoolbrug "
            "geen leerlingen naar Schoolverlaters: de pakketten bouwen dan het nieuwe schooljaar "
            "op. Wie vertrekt, vertrekt bij de eerste synchronisatie erna. Leeg: "
            f"{settings.SCHOOLBRUG_LEAVER_BLACKOUT or 'geen'} (voor elke school); 'geen': "
            "nooit zo'n periode."
        )
        self.fields["informat_client_secret"].help_text = (
            "Er is een client-secret bewaard; laat leeg om het te houden."
            if self.has_secret
            else "Wordt na het bewaren nooit meer getoond."
        )

    def clean_leaver_blackout(self) -> str:
        try:
            return blackout.normalised(self.cleaned_data["leaver_blackout"])
        except ValueError as error:
            raise forms.ValidationError(str(error), code="leaver_blackout_invalid") from None

    def clean_informat_base_url(self) -> str:
        return _secure_url(self.cleaned_data["informat_base_url"])

    def clean_informat_token_url(self) -> str:
        return _secure_url(self.cleaned_data["informat_token_url"])

    def clean(self) -> dict:
        data = super().clean()
        if data.get("source") != SourceLink.Source.INFORMAT:
            return data
        for name in INFORMAT_FIELDS:
            if name in data and not data[name]:
                self.add_error(name, "Nodig om bij Informat op te halen.")
        keeps_secret = self.has_secret and not data.get("forget_secret")
        if not data.get("informat_client_secret") and not keeps_secret:
            self.add_error("informat_client_secret", "Nodig om bij Informat op te halen.")
        return data

    def save(self, commit: bool = True) -> SourceLink:
        link = super().save(commit=False)
        if self.cleaned_data.get("informat_client_secret"):
            link.informat_client_secret = self.cleaned_data["informat_client_secret"]
        elif self.cleaned_data.get("forget_secret"):
            link.informat_client_secret = ""
        if commit:
            link.save()
        return link


def _secure_url(url: str) -> str:
    """The client secret and the pupils travel over it: https to a public address of an allowed
    host (links/public_address.py). The pull checks again before every request: a name that does not
    resolve today is let through here, and refused there if it then points inward."""
    if not url:
        return url
    try:
        parts = public_address.check_url(url)
        port = parts.port or 443
        public_address.public_addresses(parts.hostname or "", port)
    except public_address.RefusedAddress as refused:
        raise forms.ValidationError(refused.reason_nl, code="refused_url") from None
    except (OSError, UnicodeError):
        pass  # socket.gaierror: unknown today; the pull reports it if it stays so
    return url
