"""The notification preferences form (the user's own reminders and in-app notifications)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_DUE_SOON_DAYS = 30


class PreferenceForm(forms.Form):
    email_digest = forms.BooleanField(
        label=_("Send me a daily e-mail digest of overdue and due-soon work"), required=False
    )
    in_app = forms.BooleanField(label=_("Show notifications in SteerDesk"), required=False)
    due_soon_days = forms.IntegerField(
        label=_("Remind me this many days before the due date"),
        min_value=0,
        max_value=MAX_DUE_SOON_DAYS,
        help_text=_("0 to 30 days; 0 reminds only on the due date and after."),
    )
