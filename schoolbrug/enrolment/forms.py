"""The LOP expert's settings form: per school type the date free enrolment starts, and per
type and period the rights of a school admin (seed 002)."""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .models import FreeEnrolmentStart, Period, SchoolAdminRights, SchoolType
from .rights import RIGHTS

RIGHT_LABELS = {
    "capacity": _("capaciteit"),
    "free_places": _("vrije plaatsen"),
    "seated_pupils": _("zittende leerlingen"),
    "extra_info": _("extra info"),
    "dates": _("datums"),
    "programmes": _("opleidingen toevoegen/verwijderen"),
}


class RightsForm(forms.Form):
    def __init__(self, lop, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lop = lop
        starts = {s.school_type: s.starts_on for s in lop.free_enrolment_starts.all()}
        stored = {(r.school_type, r.period): r for r in lop.rights.all()}
        for school_type, type_label in SchoolType.choices:
            self.fields[f"{school_type}-start"] = forms.DateField(
                label=_("%(type)s: start vrije inschrijvingen") % {"type": type_label},
                required=False,
                initial=starts.get(school_type),
                widget=forms.DateInput(attrs={"type": "date"}),
            )
            for period in Period.values:
                row = stored.get((school_type, period))
                for right in RIGHTS:
                    self.fields[f"{school_type}-{period}-{right}"] = forms.BooleanField(
                        label=RIGHT_LABELS[right],
                        required=False,
                        initial=bool(row and getattr(row, right)),
                    )

    def table(self):
        """Rows for the template: per type, the start field and per period its checkboxes."""
        return [
            {
                "label": type_label,
                "start": self[f"{school_type}-start"],
                "periods": [
                    {
                        "label": period_label,
                        "boxes": [self[f"{school_type}-{period}-{right}"] for right in RIGHTS],
                    }
                    for period, period_label in Period.choices
                ],
            }
            for school_type, type_label in SchoolType.choices
        ]

    @transaction.atomic
    def save(self) -> None:
        data = self.cleaned_data
        for school_type in SchoolType.values:
            start = data.get(f"{school_type}-start")
            existing = FreeEnrolmentStart.objects.filter(lop=self.lop, school_type=school_type)
            if start is None:
                for row in existing:
                    row.delete()
            else:
                row = existing.first() or FreeEnrolmentStart(lop=self.lop, school_type=school_type)
                if row.pk is None or row.starts_on != start:
                    row.starts_on = start
                    row.save()
            for period in Period.values:
                values = {r: data[f"{school_type}-{period}-{r}"] for r in RIGHTS}
                row = SchoolAdminRights.objects.filter(
                    lop=self.lop, school_type=school_type, period=period
                ).first() or SchoolAdminRights(lop=self.lop, school_type=school_type, period=period)
                if row.pk is None or any(getattr(row, r) != v for r, v in values.items()):
                    for name, value in values.items():
                        setattr(row, name, value)
                    row.save()
