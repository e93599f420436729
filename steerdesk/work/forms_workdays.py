"""The form of the working-day calendar page: add an override (a day swap announced by the government)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from steerdesk.orgs.forms import NFCForm, date_field


class WorkdayOverrideForm(NFCForm):
    date = date_field(_("Date"), required=True)
    is_working_day = forms.TypedChoiceField(
        label=_("This day is"),
        choices=[("0", _("a day off")), ("1", _("a working day"))],
        coerce=lambda value: value == "1",
        initial="0",
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        help_text=_("e.g. the announcement that swaps the day."),
    )
