"""Forms of the accounts app. Text is NFC-normalised here, at the boundary; rules live in services."""

from __future__ import annotations

import unicodedata

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.utils.translation import gettext_lazy as _

from steerdesk.core.scope import Role
from steerdesk.core.text import nfc

from .models import User


class UnitChoiceField(forms.ModelChoiceField):
    """Units indented by depth so the tree shows in a plain <select>."""

    def label_from_instance(self, obj):
        return f"{'— ' * obj.depth}{obj.name}"


class VersionedForm(forms.Form):
    """Carries the object's `version` for optimistic locking (DESIGN §5)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class LoginForm(AuthenticationForm):
    """Django's form (it passes `request` to authenticate, which django-axes needs), username NFC-normalised."""

    def clean_username(self):
        return nfc(self.cleaned_data.get("username", "")).strip()


class PasswordResetForm(DjangoPasswordResetForm):
    """Also reaches active accounts that have no password yet (created without one by an admin), so a new
    user whose first link expired can ask for another. Django's form skips them."""

    def get_users(self, email):
        def folded(value: str) -> str:
            return unicodedata.normalize("NFKC", value).casefold()

        users = User._default_manager.filter(email__iexact=email, is_active=True)
        return (u for u in users if u.email and folded(u.email) == folded(email))


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text=_("The six digits shown in the app right now."),
    )

    def clean_token(self):
        token = "".join(ch for ch in self.cleaned_data["token"] if ch.isdigit())
        if len(token) != 6:
            raise forms.ValidationError(_("Enter the six-digit code."))
        return token


class ProfileForm(VersionedForm):
    full_name = forms.CharField(label=_("Full name"), max_length=300)
    email = forms.EmailField(label=_("E-mail"), required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("Default (Vietnamese)"))] + list(settings.LANGUAGES),
        help_text=User._meta.get_field("language").help_text,
    )

    def clean_full_name(self):
        return nfc(self.cleaned_data["full_name"]).strip()


class UserForm(VersionedForm):
    """Edit an account (an admin's form)."""

    full_name = forms.CharField(label=_("Full name"), max_length=300)
    email = forms.EmailField(label=_("E-mail"), required=False)
    home_unit = UnitChoiceField(label=_("Home unit"), queryset=None)
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("An inactive account cannot log in; its roles are kept."),
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["home_unit"].queryset = units

    def clean_full_name(self):
        return nfc(self.cleaned_data["full_name"]).strip()


class UserCreateForm(forms.Form):
    home_unit = UnitChoiceField(label=_("Home unit"), queryset=None)
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters, digits and @/./+/-/_ only; used to log in."),
    )
    full_name = forms.CharField(label=_("Full name"), max_length=300)
    email = forms.EmailField(label=_("E-mail"), required=False)
    password1 = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to e-mail the user a link to choose their own password."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["home_unit"].queryset = units

    def clean_full_name(self):
        return nfc(self.cleaned_data["full_name"]).strip()

    def clean(self):
        data = super().clean()
        if data.get("password1", "") != data.get("password2", ""):
            self.add_error("password2", _("The two passwords differ."))
        return data


class GrantForm(forms.Form):
    unit = UnitChoiceField(
        label=_("Unit"), queryset=None, help_text=_("The role covers the units below it too.")
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, widget=forms.TextInput(attrs={"type": "search"}))
    unit = UnitChoiceField(label=_("Unit"), queryset=None, required=False, empty_label=_("All my units"))

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
