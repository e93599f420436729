"""Forms of the orgs pages. They only parse and check input shapes; the services hold the rules."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from steerdesk.core.text import nfc

from .models import Committee, Membership, OrgUnit, Person

DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"]


def date_field(label, *, required=False) -> forms.DateField:
    """A date typed as dd/mm/yyyy (Vietnamese usage); ISO is accepted too."""
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(
            format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}
        ),
        help_text=_("Format dd/mm/yyyy."),
    )


class NFCForm(forms.Form):
    """Every text value is NFC-normalised at the boundary (VIETNAMESE.md §1)."""

    def clean(self):
        data = super().clean()
        for name, value in list(data.items()):
            if isinstance(value, str) and not isinstance(self.fields[name].widget, forms.Textarea):
                data[name] = nfc(value)
        return data


class VersionedForm(NFCForm):
    """Carries the object's `version` (optimistic locking, DESIGN §5)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: next to the field when the form has it, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            if field == NON_FIELD_ERRORS:
                target = None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)


class UnitForm(NFCForm):
    name = forms.CharField(label=_("Name"), max_length=255)
    short_name = forms.CharField(label=_("Short name"), max_length=100, required=False)
    code = forms.CharField(
        label=_("Code"),
        max_length=30,
        required=False,
        help_text=_("Abbreviation used in document numbers, e.g. UBND, BCĐ."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=OrgUnit.Kind.choices)


class UnitEditForm(UnitForm, VersionedForm):
    pass


class UnitChoiceField(forms.ModelChoiceField):
    """Units shown indented by depth so the select reads as a tree."""

    def label_from_instance(self, obj):
        return "\u2003" * obj.depth + obj.name


class UnitMoveForm(VersionedForm):
    new_parent = UnitChoiceField(label=_("New parent unit"), queryset=OrgUnit.objects.none())

    def __init__(self, *args, targets=None, **kwargs):
        super().__init__(*args, **kwargs)
        if targets is not None:
            self.fields["new_parent"].queryset = targets


class ConfirmForm(VersionedForm):
    """A confirmation step (deactivate) that still checks the version."""


class CommitteeForm(NFCForm):
    name = forms.CharField(label=_("Name"), max_length=255)
    short_name = forms.CharField(label=_("Short name"), max_length=100, required=False)
    code = forms.CharField(
        label=_("Code"), max_length=30, required=False, help_text=_("e.g. BCĐ, used in document numbers.")
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea)
    established_by_ref = forms.CharField(
        label=_("Established by (decision)"),
        max_length=255,
        required=False,
        help_text=_("e.g. Quyết định số 12/QĐ-UBND"),
    )
    established_on = date_field(_("Established on"))

    @staticmethod
    def initial_for(committee: Committee) -> dict:
        return {
            f: getattr(committee, f)
            for f in ("name", "short_name", "code", "description", "established_by_ref", "established_on")
        } | {"is_active": committee.is_active, "version": committee.version}


class CommitteeEditForm(CommitteeForm, VersionedForm):
    is_active = forms.BooleanField(label=_("Active"), required=False)


class PersonForm(NFCForm):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    title = forms.CharField(
        label=_("Job title"), max_length=255, required=False, help_text=_("e.g. Phó Chủ tịch UBND tỉnh")
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)


class PersonEditForm(PersonForm, VersionedForm):
    family_name = forms.CharField(label=_("Family name"), max_length=100, required=False)
    middle_name = forms.CharField(label=_("Middle name"), max_length=100, required=False)
    given_name = forms.CharField(
        label=_("Given name"),
        max_length=100,
        required=False,
        help_text=_(
            "People are sorted by given name. Leave the three parts blank to derive them from the full name."
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False)

    field_order = [
        "full_name",
        "family_name",
        "middle_name",
        "given_name",
        "title",
        "email",
        "phone",
        "is_active",
    ]

    def __init__(self, *args, person: Person, **kwargs):
        self.person = person
        super().__init__(*args, **kwargs)

    def service_fields(self) -> dict:
        """The changes to send to `person_update`: a new full name re-derives the parts unless the user
        changed the parts too."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        parts = ("family_name", "middle_name", "given_name")
        parts_unchanged = all(data[p] == getattr(self.person, p) for p in parts)
        if (data["full_name"] != self.person.full_name and parts_unchanged) or not any(
            data[p] for p in parts
        ):
            for p in parts:
                data.pop(p)
        return data

    @staticmethod
    def initial_for(person: Person) -> dict:
        return {f: getattr(person, f) for f in ["version", *PersonEditForm.field_order]}


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name} — {obj.title}" if obj.title else obj.full_name


class AppointForm(NFCForm):
    person = PersonChoiceField(label=_("Person"), queryset=Person.objects.none())
    role = forms.ChoiceField(label=_("Position or group"), choices=Membership.Role.choices)
    start_date = date_field(_("Start date"))
    decision_ref = forms.CharField(
        label=_("Appointing decision"),
        max_length=255,
        required=False,
        help_text=_("e.g. Quyết định số 45/QĐ-BCĐ"),
    )
    duty = forms.CharField(label=_("Duty"), max_length=255, required=False)

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        if people is not None:
            self.fields["person"].queryset = people


class MembershipEndForm(VersionedForm):
    end_date = date_field(_("End date"))
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)


class MembershipReplaceForm(VersionedForm):
    new_person = PersonChoiceField(label=_("New holder"), queryset=Person.objects.none())
    date = date_field(_("Date of the change"))
    decision_ref = forms.CharField(
        label=_("Decision"),
        max_length=255,
        required=False,
        help_text=_("Leave blank to keep the current decision reference."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        if people is not None:
            self.fields["new_person"].queryset = people


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File (XLSX or CSV)"),
        help_text=_("A header row, then one person per row. At most 5 MB and 5,000 rows."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    unit = UnitChoiceField(label=_("Home unit of the people"), queryset=OrgUnit.objects.none())
    committee = forms.ModelChoiceField(
        label=_("Committee (optional)"),
        queryset=Committee.objects.none(),
        required=False,
        help_text=_("When chosen, each person is also appointed to it (column “Vị trí trong Ban”)."),
    )

    def __init__(self, *args, units=None, committees=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units
        if committees is not None:
            self.fields["committee"].queryset = committees
