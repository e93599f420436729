"""Plans (kế hoạch), tasks (nhiệm vụ), assignments to units, progress reports, reminders and calendars.

The unit of work is the **assignment**: one unit's share of a task. A task is defined by the unit that owns it
(the assigning unit) and is assigned to one or more units: a lead unit (đơn vị chủ trì) and cooperating units
(đơn vị phối hợp). A task the owner does itself is assigned to the owner's own unit. Each assignee works and
reports on its own assignment and may split it further down by creating a child task
(`Task.parent_assignment`); `root_task` ties a whole cascade together for roll-ups across levels.

Visibility (DESIGN §3): a task is seen by its owner's subtree and, through its assignments (addressed rows),
by every assignee unit's subtree; an assignment is seen by its assignee's subtree and by the task owner's
subtree (`scope_extra_path_fields`).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from steerdesk.core.models import BaseModel, PathField, ScopedManager, ScopedModel


def local_today() -> datetime.date:
    """Today in the configured time zone (Asia/Ho_Chi_Minh): what "overdue" is measured against."""
    return timezone.localdate()


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Status(models.TextChoices):
    """Stored statuses. "Overdue" is derived: not done or cancelled and past the due date (local time)."""

    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (Status.NOT_STARTED, Status.IN_PROGRESS)


def overdue_q(today: datetime.date | None = None, prefix: str = "") -> Q:
    """Rows that are overdue on `today` (local date): still open and due strictly before today."""
    today = today or local_today()
    return Q(**{f"{prefix}status__in": OPEN_STATUSES, f"{prefix}due_date__lt": today})


class Plan(ScopedModel):
    """A unit's or committee's plan (kế hoạch) for a period; its items are tasks."""

    class PeriodKind(models.TextChoices):
        YEAR = "year", _("Year")
        HALF_YEAR = "half_year", _("Half-year")
        QUARTER = "quarter", _("Quarter")
        THEMATIC = "thematic", _("Thematic")

    class PlanStatus(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ADOPTED = "adopted", _("Adopted")
        CLOSED = "closed", _("Closed")

    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    committee = models.ForeignKey(
        "orgs.Committee",
        verbose_name=_("committee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plans",
    )
    title = models.CharField(_("title"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    period_kind = models.CharField(_("period"), max_length=12, choices=PeriodKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    period_number = models.PositiveSmallIntegerField(
        _("half-year or quarter"),
        null=True,
        blank=True,
        help_text=_("1–2 for a half-year, 1–4 for a quarter."),
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    adopted_by = models.ForeignKey(
        "documents.Document",
        verbose_name=_("adopting document"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    parent_plan = models.ForeignKey(
        "self",
        verbose_name=_("implements the plan"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="child_plans",
    )

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-year", "title", "id"]
        indexes = [models.Index(fields=["unit_path", "year"], name="work_plan_path_year_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_number__isnull=True) | Q(period_number__gte=1, period_number__lte=4),
                name="work_plan_period_number_range",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="work_plan_dates_ordered",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("work:plan_detail", args=[self.pk])


class Task(ScopedModel):
    """A task (nhiệm vụ) defined by its owner unit: a plan item, or work from a document, meeting or inspection.

    Status and percent are the task-level summary, kept by the services from its lead assignments; overdue is
    derived (see `overdue_q`)."""

    class SourceKind(models.TextChoices):
        MANUAL = "manual", _("Entered directly")
        PLAN_ITEM = "plan_item", _("Plan item")
        DOCUMENT = "document", _("Incoming document")
        MEETING = "meeting", _("Meeting conclusion")
        INSPECTION = "inspection", _("Inspection finding")
        SPLIT = "split", _("Split from an assignment")

    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("assigning unit"), on_delete=models.PROTECT, related_name="+"
    )
    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    item_number = models.CharField(_("item"), max_length=20, blank=True, help_text=_("e.g. 1, 2.3"))
    parent_assignment = models.ForeignKey(
        "Assignment",
        verbose_name=_("split from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="child_tasks",
    )
    root_task = models.ForeignKey(
        "self",
        verbose_name=_("original task"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cascade_tasks",
        help_text=_("The top task of a cascade; empty on the top task itself."),
    )
    title = models.CharField(_("title"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    due_working_days = models.PositiveSmallIntegerField(
        _("working days allowed"),
        null=True,
        blank=True,
        help_text=_("When set, the due date is this many working days after the start date."),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    percent = models.PositiveSmallIntegerField(_("percent done"), default=0)
    result_required = models.CharField(
        _("expected result"), max_length=500, blank=True, help_text=_("What must be delivered to close it.")
    )
    source_kind = models.CharField(
        _("source"), max_length=12, choices=SourceKind.choices, default=SourceKind.MANUAL
    )
    source_document = models.ForeignKey(
        "documents.Document",
        verbose_name=_("source document"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source_routing_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    # Meetings and inspections are later apps: they link by id through their own services.
    source_object_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    responsible = models.ManyToManyField(
        "orgs.Person", verbose_name=_("responsible people"), blank=True, related_name="tasks"
    )

    scope_addressed = ("assignments",)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["unit_path", "status", "due_date"], name="work_task_path_status_idx"),
            models.Index(fields=["plan", "item_number"], name="work_task_plan_item_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(percent__lte=100), name="work_task_percent_range"),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(due_date__isnull=True)
                | Q(due_date__gte=models.F("start_date")),
                name="work_task_dates_ordered",
                violation_error_message=_("The due date cannot be before the start date."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("work:task_detail", args=[self.pk])

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return (
            self.status in OPEN_STATUSES
            and self.due_date is not None
            and self.due_date < (today or local_today())
        )


class Assignment(ScopedModel):
    """One unit's share of a task (lead or cooperating): its own status, percent, result and due date.

    `unit_path` is the assignee's path (it sees the task through this row); `task_unit_path` is the owner's,
    so the assigning unit sees every assignment of its tasks."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead (chủ trì)")
        COOPERATE = "cooperate", _("Cooperating (phối hợp)")

    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="assignments"
    )
    root_task = models.ForeignKey(
        Task, verbose_name=_("original task"), on_delete=models.PROTECT, related_name="cascade_assignments"
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    task_unit_path = PathField(_("assigning unit path"))
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.LEAD)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    percent = models.PositiveSmallIntegerField(_("percent done"), default=0)
    result = models.TextField(_("result"), blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    responsible = models.ManyToManyField(
        "orgs.Person", verbose_name=_("responsible people"), blank=True, related_name="assignments"
    )

    scope_extra_path_fields = ("task_unit_path",)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["unit_path", "id"]
        indexes = [
            models.Index(fields=["root_task", "unit_path"], name="work_asg_root_path_idx"),
            models.Index(fields=["task_unit_path", "status", "due_date"], name="work_asg_owner_status_idx"),
            models.Index(fields=["unit_path", "status", "due_date"], name="work_asg_path_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["task", "unit"], name="work_assignment_unique_unit"),
            models.CheckConstraint(condition=Q(percent__lte=100), name="work_assignment_percent_range"),
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(result=""),
                name="work_assignment_done_has_result",
                violation_error_message=_("Describe the result before marking the work done."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} → {self.unit}"

    def get_absolute_url(self) -> str:
        return reverse("work:assignment_detail", args=[self.pk])

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return (
            self.status in OPEN_STATUSES
            and self.due_date is not None
            and self.due_date < (today or local_today())
        )


class ProgressReport(BaseModel):
    """A progress report (báo cáo tiến độ) on an assignment: comment, percent, status after, evidence files.

    Never edited or deleted: the list is the history. Seen with its assignment."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="reports"
    )
    percent = models.PositiveSmallIntegerField(_("percent done"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    comment = models.TextField(_("comment"), blank=True)
    result = models.TextField(_("result"), blank=True)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(percent__lte=100), name="work_report_percent_range")
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id}: {self.percent}%"


class Evidence(BaseModel):
    """An evidence file (tài liệu kiểm chứng) of an assignment, optionally attached to one progress report.

    Stored like document attachments: random name, type checked by magic bytes, served through a scoped view."""

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.CASCADE, related_name="evidence"
    )
    report = models.ForeignKey(
        ProgressReport,
        verbose_name=_("progress report"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    original_name = models.CharField(_("file name"), max_length=255)
    storage_name = models.CharField(max_length=100, unique=True, editable=False)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64, editable=False)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class WorkdayOverride(BaseModel):
    """A day that differs from the `holidays` Vietnam calendar: a swapped working Saturday, an extra day off.

    The government announces day swaps each year (e.g. around Tết), so administrators enter them here."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("working-day override")
        verbose_name_plural = _("working-day overrides")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y}"


class Notification(models.Model):
    """An in-app notification for one user (a task assigned, a report received, a deadline near)."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        REPORTED = "reported", _("Progress reported")
        DONE = "done", _("Done")
        DUE_SOON = "due_soon", _("Due soon")
        OVERDUE = "overdue", _("Overdue")
        IMPORT = "import", _("Import finished")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.CharField(_("text"), max_length=500)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="work_notif_user_unread_idx")]

    def __str__(self) -> str:
        return self.text


class WorkPreference(models.Model):
    """A user's choices for reminders and notifications."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="work_preference"
    )
    email_digest = models.BooleanField(_("daily e-mail digest"), default=True)
    in_app = models.BooleanField(_("in-app notifications"), default=True)
    due_soon_days = models.PositiveSmallIntegerField(
        _("remind this many days before the due date"), default=3
    )

    class Meta:
        verbose_name = _("notification preferences")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)


class DigestSent(models.Model):
    """One row per user and local date whose digest was sent: running the reminder job twice sends once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)
    items = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "date"], name="work_digest_once_per_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.date}"


class CalendarFeed(models.Model):
    """A secret ICS feed URL of a user (their work) or of a unit (its assignments); revocable.

    Only a SHA-256 of the token is stored: the URL is shown once, when the feed is created."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit or _('my work')}"


class ImportJob(ScopedModel):
    """An XLSX import of a plan's tasks run in the background: progress, then the row/column error report."""

    class JobStatus(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="import_jobs"
    )
    original_name = models.CharField(_("file name"), max_length=255)
    storage_name = models.CharField(max_length=100, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name


class UnitWorkCount(models.Model):
    """Summary table of the roll-ups (tổng hợp): counts of the assignments in one unit's whole subtree.

    One row per unit whose subtree holds at least one assignment, rebuilt every minute by the job
    `summary.refresh_unit_work_counts` (see `steerdesk.work.summary`): a roll-up of a large subtree then reads
    its children's rows instead of counting every assignment, so its cost depends on the number of units, not
    of rows. `late` is counted as of `as_of_date` (the local date of the refresh); `computed_at` is when the
    assignments were read, which the roll-up page shows. Never written by the services."""

    unit = models.OneToOneField(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="work_count"
    )
    unit_path = PathField(_("path"))
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    not_started = models.PositiveIntegerField(default=0)
    in_progress = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)
    as_of_date = models.DateField()
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("work summary of a unit")
        verbose_name_plural = _("work summaries of units")

    def __str__(self) -> str:
        return f"{self.unit_path}: {self.done}/{self.total}"
