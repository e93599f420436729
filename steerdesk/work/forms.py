"""Forms of the plans and tasks pages. They parse input shapes and limit choices to the user's scope; the
services hold the rules (and check them again)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from steerdesk.core.scope import PATH_END
from steerdesk.orgs.forms import NFCForm, VersionedForm, add_service_errors, date_field
from steerdesk.orgs.models import Committee, OrgUnit, Person

from .models import Assignment, Plan, Priority, Status

__all__ = ["add_service_errors"]

# Unit pickers list the owner's subtree down to this many levels (a ministry's departments and corporations and
# their companies); wider cascades use "every unit of kind X below".
PICKER_DEPTH = 2
PICKER_LIMIT = 2000


def _textarea(rows=3):
    return forms.Textarea(attrs={"rows": rows})


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Units shown indented by depth so the list reads as a tree."""

    def label_from_instance(self, obj):
        return "\u2003" * obj.depth + obj.name


def units_below(user, unit: OrgUnit, *, include_self: bool = False):
    """Active units the user sees in `unit`'s subtree, a few levels down, tree order (the unit pickers)."""
    qs = OrgUnit.objects.for_user(user).filter(
        is_active=True,
        path__gte=unit.path,
        path__lt=unit.path + PATH_END,
        depth__lte=unit.depth + PICKER_DEPTH,
    )
    if not include_self:
        qs = qs.exclude(pk=unit.pk)
    ids = qs.order_by("path").values_list("pk", flat=True)[:PICKER_LIMIT]
    return OrgUnit.objects.filter(pk__in=list(ids)).order_by("path")


def people_below(user, unit: OrgUnit):
    """Active people the user sees whose home unit is in `unit`'s subtree (responsible people)."""
    return (
        Person.objects.for_user(user)
        .filter(is_active=True, unit_path__gte=unit.path, unit_path__lt=unit.path + PATH_END)
        .order_by("name_sort_key", "id")
    )


# ---------------------------------------------------------------------------------------------------------
# Plans


class PlanForm(NFCForm):
    title = forms.CharField(label=_("Title"), max_length=500, widget=_textarea(2))
    description = forms.CharField(label=_("Description"), required=False, widget=_textarea(4))
    period_kind = forms.ChoiceField(label=_("Period"), choices=Plan.PeriodKind.choices, initial="year")
    year = forms.IntegerField(label=_("Year"), min_value=1945, max_value=2100)
    period_number = forms.IntegerField(
        label=_("Half-year or quarter"),
        min_value=1,
        max_value=4,
        required=False,
        help_text=_("1–2 for a half-year, 1–4 for a quarter."),
    )
    start_date = date_field(_("Start date"))
    end_date = date_field(_("End date"))
    committee = forms.ModelChoiceField(
        label=_("Committee"), queryset=Committee.objects.none(), required=False
    )
    parent_plan = forms.ModelChoiceField(
        label=_("Implements the plan"),
        queryset=Plan.objects.none(),
        required=False,
        help_text=_("The higher-level plan this one carries out, if any."),
    )

    def __init__(self, *args, user, unit: OrgUnit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = Committee.objects.filter(unit=unit, is_active=True).order_by(
            "name"
        )
        ids = Plan.objects.for_user(user).exclude(unit=unit).order_by("-year", "title")
        ids = list(ids.values_list("pk", flat=True)[:200])
        self.fields["parent_plan"].queryset = Plan.objects.filter(pk__in=ids).order_by("-year", "title")

    def clean(self):
        data = super().clean()
        kind, number = data.get("period_kind"), data.get("period_number")
        if kind == Plan.PeriodKind.HALF_YEAR and number not in (1, 2):
            self.add_error("period_number", _("Enter 1 or 2 for a half-year."))
        elif kind == Plan.PeriodKind.QUARTER and number not in (1, 2, 3, 4):
            self.add_error("period_number", _("Enter 1 to 4 for a quarter."))
        elif kind in (Plan.PeriodKind.YEAR, Plan.PeriodKind.THEMATIC):
            data["period_number"] = None
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date cannot be before the start date."))
        return data

    @staticmethod
    def initial_for(plan: Plan) -> dict:
        fields = ("title", "description", "period_kind", "year", "period_number", "start_date", "end_date")
        return {f: getattr(plan, f) for f in fields} | {
            "committee": plan.committee_id,
            "parent_plan": plan.parent_plan_id,
            "version": plan.version,
        }


class PlanEditForm(PlanForm, VersionedForm):
    pass


class PlanFilterForm(forms.Form):
    """Filters of the plan list (all optional; bad values are ignored)."""

    year = forms.IntegerField(label=_("Year"), min_value=1945, max_value=2100, required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "—"), *Plan.PlanStatus.choices], required=False
    )


class PlanAdoptForm(VersionedForm):
    number = forms.CharField(
        label=_("Number of the adopting document"),
        max_length=100,
        required=False,
        help_text=_("e.g. 12/KH-UBND — a document you can see. Leave empty to adopt without a link."),
    )


# ---------------------------------------------------------------------------------------------------------
# Tasks


class TaskFieldsForm(NFCForm):
    """The definition of a task (what the services call TASK_FIELDS) and its people."""

    item_number = forms.CharField(
        label=_("Item"), max_length=20, required=False, help_text=_("Number in the plan, e.g. 1, 2.3")
    )
    title = forms.CharField(label=_("Title"), max_length=500, widget=_textarea(2))
    description = forms.CharField(label=_("Description"), required=False, widget=_textarea(4))
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    start_date = date_field(_("Start date"))
    due_date = date_field(_("Due date"))
    due_working_days = forms.IntegerField(
        label=_("Or: due in working days"),
        min_value=1,
        max_value=365,
        required=False,
        help_text=_("Counted from the start date (or today), skipping weekends and public holidays."),
    )
    result_required = forms.CharField(
        label=_("Expected result"),
        max_length=500,
        required=False,
        help_text=_("What must be delivered to close it."),
    )
    responsible = forms.ModelMultipleChoiceField(
        label=_("Responsible people"), queryset=Person.objects.none(), required=False
    )

    DATA_FIELDS = (
        "item_number",
        "title",
        "description",
        "priority",
        "start_date",
        "due_date",
        "due_working_days",
        "result_required",
    )

    def __init__(self, *args, user, unit: OrgUnit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = people_below(user, unit)

    def clean(self):
        data = super().clean()
        if data.get("due_date") and data.get("due_working_days"):
            self.add_error("due_working_days", _("Give either a due date or a number of working days."))
        start, due = data.get("start_date"), data.get("due_date")
        if start and due and due < start:
            self.add_error("due_date", _("The due date cannot be before the start date."))
        return data

    def task_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.DATA_FIELDS} | {
            "item_number": self.cleaned_data.get("item_number") or "",
            "description": self.cleaned_data.get("description") or "",
            "result_required": self.cleaned_data.get("result_required") or "",
        }


class TaskCreateForm(TaskFieldsForm):
    lead_units = UnitMultipleChoiceField(
        label=_("Lead units (chủ trì)"),
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_("Leave empty when your unit does the work itself."),
    )
    cooperating_units = UnitMultipleChoiceField(
        label=_("Cooperating units (phối hợp)"), queryset=OrgUnit.objects.none(), required=False
    )
    field_order = [
        "item_number",
        "title",
        "description",
        "priority",
        "start_date",
        "due_date",
        "due_working_days",
        "result_required",
        "lead_units",
        "cooperating_units",
        "responsible",
    ]

    def __init__(self, *args, user, unit: OrgUnit, **kwargs):
        super().__init__(*args, user=user, unit=unit, **kwargs)
        self.fields["lead_units"].queryset = units_below(user, unit)
        self.fields["cooperating_units"].queryset = units_below(user, unit)

    def clean(self):
        data = super().clean()
        lead = {u.pk for u in data.get("lead_units") or ()}
        if lead & {u.pk for u in data.get("cooperating_units") or ()}:
            self.add_error("cooperating_units", _("A unit cannot both lead and cooperate."))
        return data


class TaskEditForm(TaskFieldsForm, VersionedForm):
    @staticmethod
    def initial_for(task) -> dict:
        return {f: getattr(task, f) for f in TaskFieldsForm.DATA_FIELDS} | {
            "responsible": [p.pk for p in task.responsible.all()],
            "version": task.version,
        }


class CascadeForm(forms.Form):
    """Assign a task to many units at once: the chosen units, or every unit of one kind below."""

    units = UnitMultipleChoiceField(label=_("Units"), queryset=OrgUnit.objects.none(), required=False)
    kind = forms.ChoiceField(
        label=_("Or: every unit of this kind below"),
        choices=[("", "—"), *OrgUnit.Kind.choices],
        required=False,
    )
    role = forms.ChoiceField(label=_("Role"), choices=Assignment.Role.choices, initial=Assignment.Role.LEAD)
    due_date = date_field(_("Due date"))

    def __init__(self, *args, user, unit: OrgUnit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = units_below(user, unit)
        self.fields["due_date"].help_text = _("Empty: the task's due date.")

    def clean(self):
        data = super().clean()
        if bool(data.get("units")) == bool(data.get("kind")):
            raise forms.ValidationError(_("Choose units, or a kind of unit — one of the two."))
        return data


class CancelForm(VersionedForm):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False, widget=_textarea(2))


class RoutingTaskForm(TaskCreateForm):
    """A task from a routed incoming document: prefilled from the routing."""


# ---------------------------------------------------------------------------------------------------------
# Assignments


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django docs, "Uploading multiple files")."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


REPORT_STATUSES = [
    ("", _("Follow the percent")),
    (Status.NOT_STARTED, Status.NOT_STARTED.label),
    (Status.IN_PROGRESS, Status.IN_PROGRESS.label),
    (Status.DONE, Status.DONE.label),
]


class ReportForm(VersionedForm):
    percent = forms.IntegerField(label=_("Percent done"), min_value=0, max_value=100)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=REPORT_STATUSES,
        required=False,
        help_text=_("100 % means done; done needs a result."),
    )
    comment = forms.CharField(label=_("Comment"), required=False, widget=_textarea(3))
    result = forms.CharField(
        label=_("Result"), required=False, widget=_textarea(3), help_text=_("Required to mark the work done.")
    )
    files = MultipleFileField(
        label=_("Evidence files"),
        required=False,
        help_text=_("PDF, DOCX, XLSX, ODT, PNG, JPEG or TIFF; several files at once."),
    )


class SplitForm(NFCForm):
    """Split one's own assignment further down: a child task cascaded to units below."""

    title = forms.CharField(label=_("Title"), max_length=500, widget=_textarea(2))
    description = forms.CharField(label=_("Description"), required=False, widget=_textarea(3))
    due_date = date_field(_("Due date"))
    units = UnitMultipleChoiceField(label=_("Units"), queryset=OrgUnit.objects.none(), required=False)
    kind = forms.ChoiceField(
        label=_("Or: every unit of this kind below"),
        choices=[("", "—"), *OrgUnit.Kind.choices],
        required=False,
    )

    def __init__(self, *args, user, unit: OrgUnit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = units_below(user, unit)
        self.fields["due_date"].help_text = _("Empty: the due date of your assignment.")

    def clean(self):
        data = super().clean()
        if bool(data.get("units")) == bool(data.get("kind")):
            raise forms.ValidationError(_("Choose units, or a kind of unit — one of the two."))
        return data

    def task_data(self) -> dict:
        data = {
            "title": self.cleaned_data["title"],
            "description": self.cleaned_data.get("description") or "",
        }
        if self.cleaned_data.get("due_date"):
            data["due_date"] = self.cleaned_data["due_date"]
        return data


STATUS_FILTERS = [
    ("", "—"),
    ("overdue", _("Overdue")),
    ("due_soon", _("Due soon")),
    *Status.choices,
]
ORDERS = [
    ("due_date", _("Due date, earliest first")),
    ("-due_date", _("Due date, latest first")),
    ("title", _("Title")),
    ("status", _("Status")),
    ("unit", _("Unit")),
    ("-percent", _("Percent done, highest first")),
    ("percent", _("Percent done, lowest first")),
]


class AssignmentFilterForm(forms.Form):
    """Filters of the unit task list (all optional; bad values are ignored)."""

    direction = forms.ChoiceField(
        label=_("Work"),
        choices=[("to", _("Assigned to the unit")), ("by", _("Assigned by the unit"))],
        required=False,
    )
    subtree = forms.BooleanField(label=_("Include the units below"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_FILTERS, required=False)
    plan = forms.ModelChoiceField(
        label=_("Plan"), queryset=Plan.objects.none(), required=False, empty_label="—"
    )
    q = forms.CharField(label=_("Title contains"), max_length=200, required=False)
    order = forms.ChoiceField(label=_("Sort"), choices=ORDERS, required=False)

    def __init__(self, *args, plans=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans if plans is not None else Plan.objects.none()


class MyTasksFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_FILTERS, required=False)


class RollupFilterForm(forms.Form):
    year = forms.IntegerField(label=_("Due in year"), min_value=1945, max_value=2100, required=False)
    plan = forms.ModelChoiceField(
        label=_("Plan"), queryset=Plan.objects.none(), required=False, empty_label="—"
    )

    def __init__(self, *args, plans=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans if plans is not None else Plan.objects.none()


class BulkStatusForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, required=True, label=_("Work"))
    status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    result = forms.CharField(
        label=_("Result"), required=False, widget=_textarea(2), help_text=_("Needed to mark work done.")
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        values = self.data.getlist("ids") if hasattr(self.data, "getlist") else self.data.get("ids", [])
        self.fields["ids"].choices = [(v, v) for v in values if str(v).isdigit()][:1000]
