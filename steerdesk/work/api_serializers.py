"""Serializers of the work API (`work/api.py`): read-only output serializers, and input serializers that
declare only what a client may set (no mass assignment: ids, paths, statuses, percents and versions that are
not declared here are ignored)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from steerdesk.api.fields import NFCCharField, ScopedPrimaryKeyRelatedField, version_field
from steerdesk.documents.models import Document
from steerdesk.orgs.models import Committee, OrgUnit

from .models import Assignment, Notification, Plan, Priority, ProgressReport, Status, Task

MAX_IDS = 5000  # units of one cascade, assignments of one bulk change

# ---------------------------------------------------------------------------------------------------------
# Output serializers (read-only)


class PlanSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    task_count = serializers.SerializerMethodField()

    class Meta:
        model = Plan
        fields = [
            "id",
            "unit",
            "unit_name",
            "committee",
            "title",
            "description",
            "period_kind",
            "year",
            "period_number",
            "start_date",
            "end_date",
            "status",
            "adopted_by",
            "parent_plan",
            "task_count",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_task_count(self, plan) -> int | None:
        return getattr(plan, "task_count", None)


class TaskSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    is_overdue = serializers.SerializerMethodField()
    assignment_count = serializers.SerializerMethodField()
    done_count = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id",
            "unit",
            "unit_name",
            "plan",
            "item_number",
            "parent_assignment",
            "root_task",
            "title",
            "description",
            "priority",
            "start_date",
            "due_date",
            "due_working_days",
            "status",
            "percent",
            "is_overdue",
            "result_required",
            "source_kind",
            "source_document",
            "source_routing_id",
            "responsible",
            "assignment_count",
            "done_count",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_is_overdue(self, task) -> bool:
        return task.is_overdue(self.context.get("today"))

    @extend_schema_field(OpenApiTypes.INT)
    def get_assignment_count(self, task) -> int | None:
        return getattr(task, "assignment_count", None)

    @extend_schema_field(OpenApiTypes.INT)
    def get_done_count(self, task) -> int | None:
        return getattr(task, "done_count", None)


class AssignmentSerializer(serializers.ModelSerializer):
    task_title = serializers.CharField(source="task.title", read_only=True)
    task_unit = serializers.IntegerField(
        source="task.unit_id", read_only=True, help_text="The assigning unit."
    )
    task_unit_name = serializers.CharField(source="task.unit.name", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "task",
            "task_title",
            "task_unit",
            "task_unit_name",
            "root_task",
            "unit",
            "unit_name",
            "role",
            "status",
            "percent",
            "is_overdue",
            "result",
            "due_date",
            "completed_at",
            "responsible",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_is_overdue(self, assignment) -> bool:
        return assignment.is_overdue(self.context.get("today"))


class EvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    original_name = serializers.CharField(read_only=True)
    content_type = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True)
    download_url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_download_url(self, evidence) -> str:
        return reverse("api:assignment-evidence-file", args=[evidence.assignment_id, evidence.pk])


class ProgressReportSerializer(serializers.ModelSerializer):
    created_by_name = serializers.SerializerMethodField()
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "assignment",
            "percent",
            "status",
            "comment",
            "result",
            "evidence",
            "created_by",
            "created_by_name",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_created_by_name(self, report) -> str:
        user = report.created_by
        if user is None:
            return ""
        return user.get_full_name() or user.get_username()


class ReportResultSerializer(serializers.Serializer):
    report = ProgressReportSerializer(read_only=True)
    assignment = AssignmentSerializer(
        read_only=True, help_text="The assignment after the report (new version)."
    )


class CascadeResultSerializer(serializers.Serializer):
    count = serializers.IntegerField(read_only=True, help_text="Assignments created.")
    assignment_ids = serializers.ListField(child=serializers.IntegerField(), read_only=True)


class BulkStatusResultSerializer(serializers.Serializer):
    changed = serializers.IntegerField(read_only=True, help_text="Assignments whose status changed.")


class RollupRowSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="unit.pk", allow_null=True, read_only=True)
    unit_name = serializers.SerializerMethodField()
    is_self = serializers.BooleanField(read_only=True, help_text="Work assigned to the unit itself.")
    total = serializers.IntegerField(read_only=True)
    done = serializers.IntegerField(read_only=True)
    late = serializers.IntegerField(read_only=True, help_text="Open and past the due date (local time).")
    not_started = serializers.IntegerField(read_only=True)
    in_progress = serializers.IntegerField(read_only=True)
    cancelled = serializers.IntegerField(read_only=True)
    percent_done = serializers.IntegerField(read_only=True, help_text="Done out of the work not cancelled.")

    @extend_schema_field(OpenApiTypes.STR)
    def get_unit_name(self, row) -> str:
        return str(row.label) if row.label else row.unit.name

    def to_representation(self, row):
        data = super().to_representation(row)
        if row.unit is None:
            data["unit"] = None
        return data


class RollupSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="unit.pk", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    rows = RollupRowSerializer(many=True, read_only=True, help_text="One row per child unit (and the unit).")
    total = RollupRowSerializer(read_only=True)
    as_of = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the figures come from the summary table (large subtrees, refreshed every minute): when "
        "it was computed. Null when counted live.",
    )


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "url", "created_at", "read_at", "is_read"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_is_read(self, notification) -> bool:
        return notification.read_at is not None


# ---------------------------------------------------------------------------------------------------------
# Input serializers: only these fields are ever read from a request body


# Ids are 64-bit (BigAutoField): a larger number is a 400, not an overflow in the database driver.
MAX_ID = 2**63 - 1


def _id_list(help_text: str, *, required: bool = False):
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=required,
        allow_empty=not required,
        max_length=MAX_IDS,
        help_text=help_text,
    )


class PlanUpdateSerializer(serializers.Serializer):
    title = NFCCharField(max_length=500)
    description = NFCCharField(multiline=True, required=False, allow_blank=True)
    period_kind = serializers.ChoiceField(choices=Plan.PeriodKind.choices)
    year = serializers.IntegerField(min_value=1900, max_value=2200)
    period_number = serializers.IntegerField(
        min_value=1,
        max_value=4,
        required=False,
        allow_null=True,
        help_text="1–2 (half-year) or 1–4 (quarter).",
    )
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    committee = ScopedPrimaryKeyRelatedField(
        queryset=Committee.objects.all(), required=False, allow_null=True
    )
    parent_plan = ScopedPrimaryKeyRelatedField(
        queryset=Plan.objects.all(),
        required=False,
        allow_null=True,
        help_text="The plan this one implements.",
    )
    version = version_field()


class PlanCreateSerializer(PlanUpdateSerializer):
    unit = ScopedPrimaryKeyRelatedField(queryset=OrgUnit.objects.all())
    version = None


class PlanAdoptSerializer(serializers.Serializer):
    document = ScopedPrimaryKeyRelatedField(
        queryset=Document.objects.all(), required=False, allow_null=True, help_text="The adopting document."
    )
    version = version_field()


class _TaskFields(serializers.Serializer):
    title = NFCCharField(max_length=500)
    description = NFCCharField(multiline=True, required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    start_date = serializers.DateField(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    due_working_days = serializers.IntegerField(
        min_value=1,
        max_value=1000,
        required=False,
        allow_null=True,
        help_text="Deadline in working days after the start date (or today); sets due_date.",
    )
    result_required = NFCCharField(max_length=500, required=False, allow_blank=True)
    item_number = NFCCharField(max_length=20, required=False, allow_blank=True)


class TaskCreateSerializer(_TaskFields):
    unit = ScopedPrimaryKeyRelatedField(
        queryset=OrgUnit.objects.all(), help_text="The assigning (owner) unit."
    )
    plan = ScopedPrimaryKeyRelatedField(queryset=Plan.objects.all(), required=False, allow_null=True)
    lead_units = _id_list("Lead units (chủ trì); the unit itself when left out.")
    cooperating_units = _id_list("Cooperating units (phối hợp).")
    responsible = _id_list("Responsible people (ids).")


class TaskUpdateSerializer(_TaskFields):
    responsible = _id_list("Responsible people (ids); left out: unchanged.")
    version = version_field()


class TaskFromRoutingSerializer(_TaskFields):
    routing = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The routing of an incoming document."
    )
    title = NFCCharField(max_length=500, required=False, help_text="The document's summary when left out.")
    lead_units = _id_list("Lead units; the routed unit when left out.")
    cooperating_units = _id_list("Cooperating units.")
    responsible = _id_list("Responsible people (ids).")


class _UnitsOrKind(serializers.Serializer):
    units = _id_list("The units to assign.")
    kind = serializers.ChoiceField(
        choices=OrgUnit.Kind.choices, required=False, help_text="Or: every active unit of this kind below."
    )

    def validate(self, attrs):
        if bool(attrs.get("units")) == bool(attrs.get("kind")):
            raise ValidationError({"units": [_("Choose either units or a kind of unit.")]})
        return attrs


class CascadeSerializer(_UnitsOrKind):
    role = serializers.ChoiceField(choices=Assignment.Role.choices, required=False)
    due_date = serializers.DateField(
        required=False, allow_null=True, help_text="The task's due date when left out."
    )


class SplitSerializer(_TaskFields, _UnitsOrKind):
    pass


class CancelSerializer(serializers.Serializer):
    reason = NFCCharField(max_length=500, required=False, allow_blank=True)
    version = version_field()


class ReportSerializer(serializers.Serializer):
    percent = serializers.IntegerField(min_value=0, max_value=100)
    status = serializers.ChoiceField(
        choices=Status.choices, required=False, help_text="Follows the percent when left out (100 = done)."
    )
    comment = NFCCharField(multiline=True, required=False, allow_blank=True)
    result = NFCCharField(multiline=True, required=False, allow_blank=True, help_text="Required to finish.")
    version = version_field()


class BulkStatusSerializer(serializers.Serializer):
    ids = _id_list("Assignment ids.", required=True)
    status = serializers.ChoiceField(choices=Status.choices)
    result = NFCCharField(
        multiline=True, required=False, allow_blank=True, help_text="Used where a finished row has none."
    )


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="PDF, DOCX, XLSX, ODT, PNG, JPEG or TIFF (type checked by content)."
    )
    report = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text="A progress report of this assignment.",
    )


class NotificationReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=MAX_IDS,
        help_text="Your notifications to mark read; all unread ones when left out.",
    )


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(read_only=True)
