"""REST API of plans, tasks, assignments, progress reports, roll-ups and notifications (/api/v1/…).

Thin, like `documents/api.py`: scope and locking come from `steerdesk.api.base`; every write is a call to
`work.services` and every read starts from `work.selectors` (or `Model.objects.for_user` through
ScopedViewSet). Input serializers (`work/api_serializers.py`) declare only what a client may set; a stale
`version` answers 409 with the current one.

Lists of ids in a body (units to cascade to, people, assignments of a bulk change) are checked against the
user's scope in one query: an id outside scope gets the same 400 as an id that does not exist.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from steerdesk.api.authentication import API_AUTHENTICATION
from steerdesk.api.base import ScopedCreateMixin, ScopedUpdateMixin, ScopedViewSet
from steerdesk.api.fields import VersionSerializer, int_query_param
from steerdesk.core.scope import ROLE_RANK, Role, user_grants
from steerdesk.documents.attachments import FileTooLarge, too_large_error
from steerdesk.documents.uploads import install_size_limit
from steerdesk.documents.views_attachments import content_disposition
from steerdesk.orgs.models import OrgUnit, Person

from . import selectors, services
from .api_serializers import (
    AssignmentSerializer,
    BulkStatusResultSerializer,
    BulkStatusSerializer,
    CancelSerializer,
    CascadeResultSerializer,
    CascadeSerializer,
    EvidenceSerializer,
    EvidenceUploadSerializer,
    MarkedSerializer,
    NotificationReadSerializer,
    NotificationSerializer,
    PlanAdoptSerializer,
    PlanCreateSerializer,
    PlanSerializer,
    PlanUpdateSerializer,
    ProgressReportSerializer,
    ReportResultSerializer,
    ReportSerializer,
    RollupSerializer,
    SplitSerializer,
    TaskCreateSerializer,
    TaskFromRoutingSerializer,
    TaskSerializer,
    TaskUpdateSerializer,
)
from .models import Assignment, Notification, Plan, Status, Task, local_today

# ---------------------------------------------------------------------------------------------------------
# Query parameters and id lists


def _visible_param(request, name: str, model):
    """The row of `model` named by query parameter `name`, among those the user sees; 400 when unknown."""
    pk = int_query_param(request, name)
    if pk is None:
        return None
    obj = model.objects.for_user(request.user).filter(pk=pk).first()
    if obj is None:
        raise ValidationError({name: [_("Unknown or not visible to you.")]})
    return obj


def _visible_rows(user, model, ids, field: str) -> list:
    """The rows of `model` with these ids, all visible to `user` (one query); else 400 on `field`."""
    wanted = set(ids or ())
    if not wanted:
        return []
    rows = list(model.objects.for_user(user).filter(pk__in=wanted))
    if len(rows) != len(wanted):
        raise ValidationError({field: [_("Some of these ids do not exist or are not visible to you.")]})
    order = {pk: i for i, pk in enumerate(dict.fromkeys(ids))}
    return sorted(rows, key=lambda row: order[row.pk])


def _status_param(request) -> str | None:
    value = request.query_params.get("status") or None
    allowed = {*Status.values, selectors.PSEUDO_OVERDUE, selectors.PSEUDO_DUE_SOON}
    if value is not None and value not in allowed:
        raise ValidationError({"status": [_("Unknown status.")]})
    return value


def _task_data(data: dict) -> dict:
    """The task definition fields of a validated body (what `services.TASK_FIELDS` accepts)."""
    return {key: data[key] for key in services.TASK_FIELDS if key in data}


def _require_any_role(user, minimum: str) -> None:
    """403 for a user who holds `minimum` nowhere (a viewer trying to write)."""
    if user.is_superuser:
        return
    if not any(ROLE_RANK[role] >= ROLE_RANK[minimum] for _path, role in user_grants(user)):
        raise PermissionDenied(_("You do not have permission to change this."))


STATUS_PARAM = OpenApiParameter(
    "status",
    OpenApiTypes.STR,
    enum=[*Status.values, selectors.PSEUDO_OVERDUE, selectors.PSEUDO_DUE_SOON],
    description="A stored status, or overdue / due_soon (within 7 days), measured in Asia/Ho_Chi_Minh.",
)

# ---------------------------------------------------------------------------------------------------------
# Plans


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("unit", OpenApiTypes.INT, description="Plans in this unit's subtree."),
            OpenApiParameter("year", OpenApiTypes.INT),
            OpenApiParameter("status", OpenApiTypes.STR, enum=Plan.PlanStatus.values),
        ]
    )
)
class PlanViewSet(ScopedCreateMixin, ScopedUpdateMixin, ScopedViewSet):
    """Plans (kế hoạch) of a unit or committee for a period. Writes need the secretary role over the unit."""

    model = Plan
    serializer_class = PlanSerializer
    create_serializer_class = PlanCreateSerializer
    update_serializer_class = PlanUpdateSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Plan.objects.none()
        filters = {}
        if self.action == "list":
            status_value = self.request.query_params.get("status") or None
            if status_value and status_value not in Plan.PlanStatus.values:
                raise ValidationError({"status": [_("Unknown status.")]})
            filters = {
                "unit": _visible_param(self.request, "unit", OrgUnit),
                "year": int_query_param(self.request, "year"),
                "status": status_value,
            }
        return selectors.plan_list(user=self.request.user, **filters)

    def output(self, instance, *, status_code=status.HTTP_200_OK):
        return super().output(
            selectors.plan_list(user=self.request.user).get(pk=instance.pk), status_code=status_code
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        unit = data.pop("unit")
        return services.plan_create(actor=self.request.user, unit=unit, data=data)

    def perform_update(self, serializer, *, expected_version):
        return services.plan_update(
            actor=self.request.user,
            plan=serializer.instance,
            expected_version=expected_version,
            data=dict(serializer.validated_data),
        )

    @extend_schema(request=PlanAdoptSerializer, responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def adopt(self, request, pk=None):
        """Draft → adopted, linked to the document that adopts the plan."""
        plan = self.get_object()
        expected_version = self.expected_version(request)
        data = self.validated_input(PlanAdoptSerializer)
        plan = services.plan_adopt(
            actor=request.user, plan=plan, expected_version=expected_version, document=data.get("document")
        )
        return self.output(plan)

    @extend_schema(request=VersionSerializer, responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the plan: it stays readable; no new tasks can be added to it."""
        plan = self.get_object()
        expected_version = self.expected_version(request)
        self.validated_input(VersionSerializer)
        plan = services.plan_close(actor=request.user, plan=plan, expected_version=expected_version)
        return self.output(plan)


# ---------------------------------------------------------------------------------------------------------
# Tasks


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("unit", OpenApiTypes.INT, description="Tasks owned by (assigned by) this unit."),
            OpenApiParameter("plan", OpenApiTypes.INT),
            STATUS_PARAM,
            OpenApiParameter(
                "q", OpenApiTypes.STR, description="Words of the title, with or without diacritics."
            ),
            OpenApiParameter(
                "order",
                OpenApiTypes.STR,
                enum=["due_date", "-due_date", "title", "status", "item", "unit", "percent", "-percent"],
            ),
        ]
    )
)
class TaskViewSet(ScopedCreateMixin, ScopedUpdateMixin, ScopedViewSet):
    """Tasks (nhiệm vụ). A task belongs to its owner (assigning) unit and is worked on through assignments:
    POST creates it with its lead and cooperating units; `cascade` assigns it to many units at once."""

    model = Task
    serializer_class = TaskSerializer
    create_serializer_class = TaskCreateSerializer
    update_serializer_class = TaskUpdateSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Task.objects.none()
        filters = {}
        if self.action == "list":
            filters = {
                "unit": _visible_param(self.request, "unit", OrgUnit),
                "plan": _visible_param(self.request, "plan", Plan),
                "status": _status_param(self.request),
                "q": (self.request.query_params.get("q") or "")[:200],
                "order": self.request.query_params.get("order") or "due_date",
            }
        return selectors.task_list(user=self.request.user, **filters).prefetch_related("responsible")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": local_today()}

    def output(self, instance, *, status_code=status.HTTP_200_OK):
        task = selectors.task_list(user=self.request.user).prefetch_related("responsible").get(pk=instance.pk)
        return super().output(task, status_code=status_code)

    def _units_and_people(self, data: dict) -> dict:
        user = self.request.user
        out = {}
        if "lead_units" in data:
            out["lead_units"] = _visible_rows(user, OrgUnit, data.pop("lead_units"), "lead_units") or None
        if "cooperating_units" in data:
            out["cooperating_units"] = _visible_rows(
                user, OrgUnit, data.pop("cooperating_units"), "cooperating_units"
            )
        if "responsible" in data:
            out["responsible"] = _visible_rows(user, Person, data.pop("responsible"), "responsible")
        return out

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        extra = self._units_and_people(data)
        return services.task_create(
            actor=self.request.user,
            unit=data["unit"],
            plan=data.get("plan"),
            data=_task_data(data),
            **extra,
        )

    def perform_update(self, serializer, *, expected_version):
        data = dict(serializer.validated_data)
        extra = self._units_and_people(data)
        return services.task_update(
            actor=self.request.user,
            task=serializer.instance,
            expected_version=expected_version,
            data=_task_data(data),
            responsible=extra.get("responsible"),
        )

    @extend_schema(request=CascadeSerializer, responses={201: CascadeResultSerializer})
    @action(detail=True, methods=["post"])
    def cascade(self, request, pk=None):
        """Assign the task to many units at once (chosen units, or every unit of a kind below the owner), in one
        transaction: one assignment per unit not yet assigned."""
        task = self.get_object()
        data = self.validated_input(CascadeSerializer)
        units = _visible_rows(request.user, OrgUnit, data.get("units"), "units")
        created = services.task_cascade(
            actor=request.user,
            task=task,
            units=units,
            kind=data.get("kind") or None,
            role=data.get("role") or Assignment.Role.LEAD,
            due_date=data.get("due_date"),
        )
        body = {"count": len(created), "assignment_ids": [a.pk for a in created]}
        return Response(CascadeResultSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CancelSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel the task and every open assignment of it."""
        task = self.get_object()
        expected_version = self.expected_version(request)
        data = self.validated_input(CancelSerializer)
        task = services.task_cancel(
            actor=request.user, task=task, expected_version=expected_version, reason=data.get("reason", "")
        )
        return self.output(task)

    @extend_schema(responses=RollupSerializer)
    @action(detail=True, methods=["get"])
    def rollup(self, request, pk=None):
        """Done / total, late, not started per child unit of the owner, over the task's whole cascade."""
        task = self.get_object()
        result = selectors.task_rollup(user=request.user, task=task)
        return Response(RollupSerializer(result).data)

    @extend_schema(request=TaskFromRoutingSerializer, responses={201: TaskSerializer})
    @action(detail=False, methods=["post"], url_path="from-routing")
    def from_routing(self, request):
        """Turn a routed incoming document into a task of the document's unit (the routed unit leads)."""
        self.check_create_permission()
        data = self.validated_input(TaskFromRoutingSerializer)
        routing_pk = data.pop("routing")
        extra = self._units_and_people(data)
        task = services.task_create_from_routing(
            actor=request.user, routing_pk=routing_pk, data=_task_data(data), **extra
        )
        return self.output(task, status_code=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------------------------------------
# Assignments


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("unit", OpenApiTypes.INT, description="Work of this unit (see direction)."),
            OpenApiParameter(
                "direction",
                OpenApiTypes.STR,
                enum=["to", "by"],
                description="to: work assigned to the unit (default); by: work the unit assigned to others.",
            ),
            OpenApiParameter(
                "subtree", OpenApiTypes.BOOL, description="With direction=to: the whole subtree."
            ),
            STATUS_PARAM,
            OpenApiParameter("plan", OpenApiTypes.INT),
            OpenApiParameter("root_task", OpenApiTypes.INT, description="One cascade, all levels."),
            OpenApiParameter(
                "mine", OpenApiTypes.BOOL, description="My work (other filters but status ignored)."
            ),
            OpenApiParameter("q", OpenApiTypes.STR),
            OpenApiParameter(
                "order",
                OpenApiTypes.STR,
                enum=["due_date", "-due_date", "title", "status", "unit", "percent", "-percent"],
            ),
        ]
    )
)
class AssignmentViewSet(ScopedViewSet):
    """Assignments: one unit's share of a task (lead or cooperating). The assignee reports progress on it
    (`report`) and may split it further down (`split`); `bulk-status` changes several at once."""

    model = Assignment
    serializer_class = AssignmentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Assignment.objects.none()
        user = self.request.user
        if self.action != "list":
            qs = selectors.assignment_list(user=user)
        elif _flag(self.request, "mine"):
            qs = selectors.my_assignments(user=user, status=_status_param(self.request))
        else:
            direction = self.request.query_params.get("direction") or "to"
            if direction not in ("to", "by"):
                raise ValidationError({"direction": [_("Use to or by.")]})
            qs = selectors.assignment_list(
                user=user,
                unit=_visible_param(self.request, "unit", OrgUnit),
                direction=direction,
                subtree=bool(_flag(self.request, "subtree")),
                status=_status_param(self.request),
                plan=_visible_param(self.request, "plan", Plan),
                root_task=_visible_param(self.request, "root_task", Task),
                q=(self.request.query_params.get("q") or "")[:200],
                order=self.request.query_params.get("order") or "due_date",
            )
        return qs.prefetch_related("responsible")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": local_today()}

    def output(self, instance, *, status_code=status.HTTP_200_OK):
        instance = self.get_queryset().get(pk=instance.pk)
        return super().output(instance, status_code=status_code)

    def initialize_request(self, request, *args, **kwargs):
        drf_request = super().initialize_request(request, *args, **kwargs)
        if self.action == "evidence" and request.method == "POST":
            # Before anything reads the body (even the CSRF check): the size limit must see every chunk.
            self._upload_limiter = install_size_limit(request)
        return drf_request

    def check_write_permission(self, obj):
        if self.action in ("report", "evidence"):
            if not services.can_report(self.request.user, obj):
                raise PermissionDenied(
                    _("Only the assigned unit's secretaries and responsible people can report on it.")
                )
            return
        super().check_write_permission(obj)

    @extend_schema(request=ReportSerializer, responses={201: ReportResultSerializer})
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        """Report progress: percent, status, comment, result (required to finish). Send the version you
        loaded: a stale one answers 409 with the current version and writes nothing."""
        assignment = self.get_object()
        expected_version = self.expected_version(request)
        data = self.validated_input(ReportSerializer)
        report = services.assignment_report(
            actor=request.user,
            assignment=assignment,
            expected_version=expected_version,
            percent=data["percent"],
            status=data.get("status"),
            comment=data.get("comment", ""),
            result=data.get("result", ""),
        )
        report = selectors.assignment_reports(assignment=assignment).get(pk=report.pk)
        assignment = self.get_queryset().get(pk=assignment.pk)
        body = ReportResultSerializer(
            {"report": report, "assignment": assignment}, context=self.get_serializer_context()
        ).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses=ProgressReportSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)  # the whole history, as the schema says
    def reports(self, request, pk=None):
        """The assignment's progress reports, newest first (the full history; never edited)."""
        assignment = self.get_object()
        reports = selectors.assignment_reports(assignment=assignment)
        return Response(ProgressReportSerializer(reports, many=True).data)

    @extend_schema(methods=["GET"], responses=EvidenceSerializer(many=True))
    @extend_schema(methods=["POST"], request=EvidenceUploadSerializer, responses={201: EvidenceSerializer})
    @action(
        detail=True,
        methods=["get", "post"],
        pagination_class=None,
    )
    def evidence(self, request, pk=None):
        """GET: the assignment's evidence files. POST (multipart, reporters only): add one, optionally to one
        of its progress reports. Over the size limit → 413, checked while the upload streams in."""
        assignment = self.get_object()
        if request.method == "GET":
            files = assignment.evidence.order_by("created_at", "id")
            return Response(EvidenceSerializer(files, many=True).data)
        limiter = getattr(self, "_upload_limiter", None)
        _body = request.data  # parse now: the limiter counts the file bytes as they stream in
        if limiter is not None and limiter.exceeded:
            return _too_large()
        data = self.validated_input(EvidenceUploadSerializer)
        report = None
        if data.get("report"):
            report = assignment.reports.filter(pk=data["report"]).first()
            if report is None:
                raise ValidationError({"report": [_("Choose a progress report of this assignment.")]})
        try:
            evidence = services.evidence_add(
                actor=request.user, assignment=assignment, uploaded_file=data["file"], report=report
            )
        except FileTooLarge:
            return _too_large()
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="evidence/<int:evidence_pk>", url_name="evidence-file")
    def evidence_file(self, request, pk=None, evidence_pk=None):
        """Download one evidence file of the assignment (404 when the assignment is not visible)."""
        assignment = self.get_object()
        evidence = assignment.evidence.filter(pk=evidence_pk).first()
        if evidence is None:
            raise Http404
        try:
            handle = default_storage.open(evidence.storage_name, "rb")
        except OSError as exc:
            raise Http404 from exc
        response = FileResponse(handle, content_type=evidence.content_type)
        response["Content-Disposition"] = content_disposition(evidence.original_name)
        response["Content-Length"] = str(evidence.size)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response

    @extend_schema(request=SplitSerializer, responses={201: TaskSerializer})
    @action(detail=True, methods=["post"])
    def split(self, request, pk=None):
        """The assignee unit splits its assignment further down: a child task cascaded to units below."""
        assignment = self.get_object()
        data = self.validated_input(SplitSerializer)
        units = _visible_rows(request.user, OrgUnit, data.get("units"), "units")
        task = services.task_split(
            actor=request.user,
            assignment=assignment,
            data=_task_data(data),
            units=units,
            kind=data.get("kind") or None,
        )
        task = selectors.task_list(user=request.user).prefetch_related("responsible").get(pk=task.pk)
        body = TaskSerializer(task, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=BulkStatusSerializer, responses=BulkStatusResultSerializer)
    @action(detail=False, methods=["post"], url_path="bulk-status")
    def bulk_status(self, request):
        """Set the status of several assignments at once (one audit entry per changed row)."""
        _require_any_role(request.user, Role.MEMBER)
        data = self.validated_input(BulkStatusSerializer)
        ids = [a.pk for a in _visible_rows(request.user, Assignment, data["ids"], "ids")]
        changed = services.assignments_bulk_status(
            actor=request.user, assignment_ids=ids, status=data["status"], result=data.get("result", "")
        )
        return Response(BulkStatusResultSerializer({"changed": changed}).data)


def _too_large() -> Response:
    return Response(
        {"file": [str(too_large_error().message)]}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    )


def _flag(request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    value = raw.strip().lower()
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    raise ValidationError({name: [_("Use true or false.")]})


# ---------------------------------------------------------------------------------------------------------
# Roll-up


class RollupViewSet(viewsets.ViewSet):
    """The roll-up of a unit: per child unit, counts of the assignments in its subtree."""

    authentication_classes = API_AUTHENTICATION
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("unit", OpenApiTypes.INT, required=True, description="The unit to roll up."),
            OpenApiParameter("root_task", OpenApiTypes.INT, description="One cascade, all levels."),
            OpenApiParameter("plan", OpenApiTypes.INT, description="Tasks of this plan and their cascades."),
            OpenApiParameter("year", OpenApiTypes.INT, description="Work due that year."),
        ],
        responses=RollupSerializer,
    )
    def list(self, request):
        unit = _visible_param(request, "unit", OrgUnit)
        if unit is None:
            raise ValidationError({"unit": [_("This field is required.")]})
        result = selectors.rollup(
            user=request.user,
            unit=unit,
            root_task=_visible_param(request, "root_task", Task),
            plan=_visible_param(request, "plan", Plan),
            year=int_query_param(request, "year"),
        )
        return Response(RollupSerializer(result).data)


# ---------------------------------------------------------------------------------------------------------
# Notifications: per user, not per unit


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL, description="Only unread.")])
)
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your in-app notifications. Another user's notification is 404."""

    serializer_class = NotificationSerializer
    authentication_classes = API_AUTHENTICATION
    queryset = Notification.objects.none()
    lookup_value_converter = "int"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False) or not self.request.user.is_authenticated:
            return Notification.objects.none()
        qs = Notification.objects.filter(user=self.request.user)
        if self.action == "list":
            unread = _flag(self.request, "unread")
            if unread is not None:
                qs = qs.filter(read_at__isnull=unread)
        return qs.order_by("-created_at", "-id")

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark this notification read."""
        notification = self.get_object()
        services.notification_mark_read(user=request.user, ids=[notification.pk])
        notification.refresh_from_db()
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=NotificationReadSerializer, responses=MarkedSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        """Mark your notifications read: the ids given, or every unread one."""
        serializer = NotificationReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = serializer.validated_data.get("ids")
        marked = services.notification_mark_read(user=request.user, ids=ids)
        return Response(MarkedSerializer({"marked": marked}).data)
