"""Forms of the documents pages. They parse input shapes and limit choices to the user's scope; the services
hold the rules (and check them again)."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from steerdesk.accounts.models import User
from steerdesk.core.scope import PATH_END
from steerdesk.orgs.forms import NFCForm, UnitChoiceField, VersionedForm, add_service_errors, date_field
from steerdesk.orgs.models import OrgUnit

from . import services
from .models import Document, DocumentType, Reference, Register

__all__ = ["add_service_errors"]


class TypeChoiceField(forms.ModelChoiceField):
    def __init__(self, system: str = Register.System.STATE, **kwargs):
        self.system = system
        kwargs.setdefault("queryset", DocumentType.objects.filter(is_active=True))
        kwargs.setdefault("label", _("Type"))
        super().__init__(**kwargs)

    def label_from_instance(self, obj):
        code = obj.code_for(self.system)
        return f"{obj.name} ({code})" if code else obj.name


def _textarea(rows=4):
    return forms.Textarea(attrs={"rows": rows})


def people_of(unit_path: str):
    """Users holding a grant in the subtree of `unit_path` or above it (who can be named or routed to)."""
    ancestors = [unit_path[:i] for i in range(4, len(unit_path) + 1, 4)]
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(grants__unit_path__gte=unit_path, grants__unit_path__lt=unit_path + PATH_END)
            | Q(grants__unit_path__in=ancestors)
        )
        .distinct()
        .order_by("username")
    )


# ---------------------------------------------------------------------------------------------------------
# Registers and types


class RegisterEditForm(VersionedForm):
    name = forms.CharField(label=_("Name"), max_length=255)
    system = forms.ChoiceField(label=_("Numbering system"), choices=Register.System.choices)
    period = forms.ChoiceField(label=_("Numbering period"), choices=Register.Period.choices)
    series = forms.ChoiceField(label=_("Series"), choices=Register.Series.choices)
    issuer_code = forms.CharField(
        label=_("Issuer code"),
        max_length=30,
        required=False,
        help_text=_("e.g. UBND, BCĐ, TU — used in numbers."),
    )
    term_start = date_field(_("Term start (Party registers)"))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class RegisterForm(RegisterEditForm):
    version = None
    unit = UnitChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    direction = forms.ChoiceField(label=_("Direction"), choices=Register.Direction.choices)
    field_order = ["unit", "direction", "name"]

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units if units is not None else OrgUnit.objects.none()


class DocumentTypeForm(NFCForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    state_code = forms.CharField(
        label=_("State code"), max_length=20, required=False, help_text=_("Empty for an official letter.")
    )
    party_code = forms.CharField(label=_("Party code"), max_length=20, required=False)
    is_normative = forms.BooleanField(
        label=_("Normative legal document (number carries the year)"), required=False
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class DocumentTypeEditForm(DocumentTypeForm, VersionedForm):
    pass


# ---------------------------------------------------------------------------------------------------------
# Documents


class DocumentFieldsMixin(forms.Form):
    summary = forms.CharField(label=_("Summary (trích yếu)"), max_length=1000, widget=_textarea(2))
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Document.Urgency.choices, initial="normal")
    confidentiality = forms.ChoiceField(
        label=_("Confidentiality"), choices=Document.Confidentiality.choices, initial="internal"
    )
    secret_level = forms.ChoiceField(
        label=_("Secret level"), choices=Document.SecretLevel.choices, required=False
    )
    body_text = forms.CharField(
        label=_("Text"),
        required=False,
        widget=_textarea(8),
        help_text=_("Leave empty for secret documents: they are registered by their metadata only."),
    )


class DraftForm(DocumentFieldsMixin, NFCForm):
    """An outgoing document (dự thảo)."""

    doc_type = TypeChoiceField()
    signer_name = forms.CharField(label=_("Signed by"), max_length=200, required=False)
    signer_title = forms.CharField(label=_("Signer's title"), max_length=200, required=False)
    signing_authority = forms.ChoiceField(
        label=_("Signing authority"), choices=Document.SigningAuthority.choices, required=False
    )
    place = forms.CharField(label=_("Place"), max_length=100, required=False, help_text=_("e.g. Hà Nội"))
    recipients = forms.ModelMultipleChoiceField(
        label=_("Internal recipients"),
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_("Each unit gets the document in its incoming register when it is issued."),
    )
    external_recipients = forms.CharField(
        label=_("External recipients"), required=False, widget=_textarea(3), help_text=_("One body per line.")
    )
    restricted_to = forms.ModelMultipleChoiceField(
        label=_("Restricted to"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("For restricted documents: the people who may see it."),
    )
    field_order = ["doc_type", "summary", "signer_name", "signer_title", "signing_authority", "place"]

    def __init__(self, *args, user, register: Register, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["doc_type"].system = register.system
        self.fields["recipients"].queryset = (
            services.allowed_recipient_units(user).exclude(pk=register.unit_id).order_by("path")
        )
        self.fields["restricted_to"].queryset = people_of(register.unit_path)


class DraftEditForm(DraftForm, VersionedForm):
    pass


class IncomingForm(DocumentFieldsMixin, NFCForm):
    """A received document (văn bản đến)."""

    doc_type = TypeChoiceField()
    number_text = forms.CharField(
        label=_("Their number"), max_length=100, help_text=_("As written on the document, e.g. 35-NQ/TW.")
    )
    issuer_name = forms.CharField(label=_("Issuing body"), max_length=255)
    signing_date = date_field(_("Document date"))
    incoming_date = date_field(_("Incoming date"))
    signer_name = forms.CharField(label=_("Signed by"), max_length=200, required=False)
    restricted_to = forms.ModelMultipleChoiceField(
        label=_("Restricted to"), queryset=User.objects.none(), required=False
    )
    field_order = ["doc_type", "number_text", "signing_date", "issuer_name", "summary", "incoming_date"]

    def __init__(self, *args, user, register: Register, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["incoming_date"].help_text = _("Today when left empty.")
        self.fields["restricted_to"].queryset = people_of(register.unit_path)


class IncomingEditForm(IncomingForm, VersionedForm):
    pass


class SignForm(VersionedForm):
    signer_name = forms.CharField(label=_("Signed by"), max_length=200)
    signer_title = forms.CharField(label=_("Signer's title"), max_length=200, required=False)
    signing_authority = forms.ChoiceField(
        label=_("Signing authority"), choices=Document.SigningAuthority.choices, required=False
    )
    signing_date = date_field(_("Signing date"))
    place = forms.CharField(label=_("Place"), max_length=100, required=False)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RouteForm(NFCForm):
    to_unit = UnitChoiceField(label=_("To unit"), queryset=OrgUnit.objects.none(), required=False)
    to_user = forms.ModelChoiceField(label=_("To person"), queryset=User.objects.none(), required=False)
    instruction = forms.CharField(label=_("Instruction"), required=False, widget=_textarea(3))
    deadline = date_field(_("Handling deadline"))
    deadline_working_days = forms.IntegerField(
        label=_("Or: handling time in working days"),
        min_value=1,
        max_value=365,
        required=False,
        help_text=_("Counted from today, skipping weekends and public holidays (Decree 30/2020)."),
    )

    def __init__(self, *args, user, document: Document, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].queryset = (
            OrgUnit.objects.for_user(user).filter(is_active=True).in_subtree(document.unit_path)
        )
        self.fields["to_user"].queryset = people_of(document.unit_path)

    def clean(self):
        data = super().clean()
        if not data.get("to_unit") and not data.get("to_user"):
            raise forms.ValidationError(_("Route the document to a person or a unit."))
        if data.get("deadline") and data.get("deadline_working_days"):
            self.add_error("deadline_working_days", _("Give either a deadline or a number of working days."))
        return data


class ReferenceForm(NFCForm):
    """Link to another document: by id (a suggestion's button) or by its number."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Reference.Kind.choices)
    target = forms.IntegerField(widget=forms.HiddenInput, required=False)
    number = forms.CharField(
        label=_("Number of the other document"), max_length=100, required=False, help_text=_("e.g. 35-NQ/TW")
    )

    def clean(self):
        data = super().clean()
        if not data.get("target") and not data.get("number"):
            raise forms.ValidationError(_("Give the number of the document to link."))
        return data


class DocumentFilterForm(forms.Form):
    """Filters of a register page and the document lists (all optional; bad values are ignored)."""

    doc_type = forms.ModelChoiceField(label=_("Type"), queryset=DocumentType.objects.all(), required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "—"), *Document.Status.choices], required=False
    )
    year = forms.IntegerField(label=_("Year"), min_value=1945, max_value=2100, required=False)
    date_from = date_field(_("From"))
    date_to = date_field(_("To"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for f in ("date_from", "date_to"):
            self.fields[f].help_text = ""
