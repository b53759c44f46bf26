"""The small forms of the sharing, app and account pages; their messages are Dutch."""

from __future__ import annotations

import datetime

from django import forms

DATE_HELP = "Geef de datum als JJJJ-MM-DD, bijvoorbeeld {example}."


class AcceptProtocolForm(forms.Form):
    """Accepting the protocol text that was shown: its version comes back with the POST, so
    a version published in between is never accepted unread."""

    protocol = forms.CharField(max_length=20)


class GrantForm(forms.Form):
    ALL = "alle"
    CHOSEN = "gekozen"

    toegang = forms.ChoiceField(
        choices=[(ALL, "alle klassen"), (CHOSEN, "de gekozen klassen")],
        error_messages={"required": "Kies tussen alle klassen en de gekozen klassen."},
    )
    klassen = forms.MultipleChoiceField(
        required=False,
        error_messages={
            "invalid_choice": "De klas %(value)s bestaat niet (meer) in dit schooljaar.",
        },
    )

    def __init__(self, *args, class_codes: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["klassen"].choices = [(code, code) for code in class_codes]

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("toegang") == self.CHOSEN and not cleaned.get("klassen"):
            raise forms.ValidationError("Kies minstens één klas, of geef toegang tot alle klassen.")
        return cleaned

    def class_codes(self) -> list[str] | None:
        """None for all classes, else the chosen codes (access.grant's convention)."""
        if self.cleaned_data["toegang"] == self.ALL:
            return None
        return list(self.cleaned_data["klassen"])


class SinceForm(forms.Form):
    """?sinds=YYYY-MM-DD for the list of new and changed accounts."""

    sinds = forms.DateField(input_formats=["%Y-%m-%d"], required=False)

    def __init__(self, *args, default: datetime.date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.default = default
        example = default.isoformat()
        self.fields["sinds"].error_messages["invalid"] = (
            "Dat is geen geldige datum. " + DATE_HELP.format(example=example)
        )

    def since(self) -> datetime.date:
        return self.cleaned_data.get("sinds") or self.default
