"""Reads of plans, tasks, assignments and roll-ups: always scoped, never N+1.

Roll-ups count assignments (each is one unit's share of a task) per child unit: done, late (open and past the
due date in Asia/Ho_Chi_Minh), not started, in progress, cancelled, total. Each roll-up is one GROUP BY query on
the indexed `unit_path` prefix, whatever the number of tasks — or, for a large subtree without filters, a read
of the summary table kept by a minute job (`summary.py`), whose cost depends on the number of child units.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404
from django.utils.translation import gettext as _

from steerdesk.core.scope import PATH_END, Role, has_role
from steerdesk.core.text import fold
from steerdesk.orgs.models import OrgUnit

from . import summary
from .models import OPEN_STATUSES, Assignment, Plan, ProgressReport, Status, Task, local_today, overdue_q

PSEUDO_OVERDUE = "overdue"
PSEUDO_DUE_SOON = "due_soon"


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc


# ---------------------------------------------------------------------------------------------------------
# Plans


def plan_list(*, user, unit: OrgUnit | None = None, year: int | None = None, status: str | None = None):
    """Plans the user may see, of `unit`'s subtree when given, newest year first."""
    qs = Plan.objects.for_user(user).select_related("unit", "committee", "adopted_by")
    if unit is not None:
        qs = qs.in_subtree(unit.path)
    if year:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(task_count=Count("tasks", distinct=True)).order_by("-year", "unit_path", "title", "id")


def rollup_plan_choices(*, user, unit: OrgUnit) -> QuerySet[Plan]:
    """Plans a roll-up of `unit` can be narrowed to: those of the unit and of its ancestors that the user may
    see (a province's plan cascaded to a district, seen from the district), newest year first. Not the
    plans of the whole subtree: at national scale that is tens of thousands of options, and a lower unit's
    plan is followed by drilling down to that unit."""
    return (
        Plan.objects.for_user(user)
        .filter(unit_path__in=[*unit.ancestor_paths, unit.path])
        .order_by("-year", "unit_path", "title", "id")
    )


def plan_get(*, user, pk) -> Plan:
    """A plan the user may see, else 404 (missing and out of scope alike)."""
    plan = (
        Plan.objects.for_user(user)
        .select_related("unit", "committee", "adopted_by", "parent_plan")
        .filter(pk=_int(pk))
        .first()
    )
    if plan is None:
        raise Http404
    return plan


def plan_get_for_update(*, user, pk) -> Plan:
    """A plan the user may edit (secretary of its unit): 404 out of scope, 403 read-only."""
    plan = plan_get(user=user, pk=pk)
    if not has_role(user, plan.unit_path, Role.SECRETARY):
        raise PermissionDenied
    return plan


# ---------------------------------------------------------------------------------------------------------
# Tasks


def task_list(
    *,
    user,
    unit: OrgUnit | None = None,
    plan: Plan | None = None,
    status: str | None = None,
    q: str | None = None,
    today: datetime.date | None = None,
    order: str = "due_date",
) -> QuerySet[Task]:
    """Tasks the user may see; `unit` = tasks owned by that unit (the assigning unit); status may be
    "overdue" or "due_soon" (within 7 days)."""
    qs = Task.objects.for_user(user).select_related("unit", "plan")
    if unit is not None:
        qs = qs.filter(unit=unit)
    if plan is not None:
        qs = qs.filter(plan=plan)
    qs = _status_filter(qs, status, today)
    if q:
        qs = _text_filter(qs, q, "title")
    qs = qs.annotate(
        assignment_count=Count("assignments", distinct=True),
        done_count=Count("assignments", filter=Q(assignments__status=Status.DONE), distinct=True),
    )
    return qs.order_by(*_order(order), "id")


def _order(order: str) -> list[str]:
    allowed = {
        "due_date": ["due_date"],
        "-due_date": ["-due_date"],
        "title": ["title"],
        "status": ["status", "due_date"],
        "item": ["item_number"],
        "unit": ["unit_path", "due_date"],
        "percent": ["percent"],
        "-percent": ["-percent"],
    }
    return allowed.get(order, ["due_date"])


def _status_filter(qs, status: str | None, today: datetime.date | None, prefix: str = ""):
    today = today or local_today()
    if not status:
        return qs
    if status == PSEUDO_OVERDUE:
        return qs.filter(overdue_q(today, prefix))
    if status == PSEUDO_DUE_SOON:
        return qs.filter(
            **{
                f"{prefix}status__in": OPEN_STATUSES,
                f"{prefix}due_date__gte": today,
                f"{prefix}due_date__lte": today + datetime.timedelta(days=7),
            }
        )
    if status in Status.values:
        return qs.filter(**{f"{prefix}status": status})
    return qs


def _text_filter(qs, q: str, field: str):
    """Accent-insensitive title match: every folded word of the query appears in the folded title.

    Titles are short; the filter runs on the already scoped and filtered rows."""
    words = fold(q).split()
    if not words:
        return qs
    ids = [pk for pk, title in qs.values_list("pk", field) if all(w in fold(title) for w in words)]
    return qs.filter(pk__in=ids)


def task_get(*, user, pk) -> Task:
    """A task the user may see (owner subtree or assignee), else 404."""
    task = (
        Task.objects.for_user(user)
        .select_related("unit", "plan", "source_document", "parent_assignment__unit", "root_task")
        .filter(pk=_int(pk))
        .first()
    )
    if task is None:
        raise Http404
    return task


def task_get_for_update(*, user, pk) -> Task:
    """A task the user may edit (secretary of the owner unit): 404 out of scope, 403 read-only."""
    task = task_get(user=user, pk=pk)
    if not has_role(user, task.unit_path, Role.SECRETARY):
        raise PermissionDenied
    return task


def task_assignments(*, user, task: Task) -> QuerySet[Assignment]:
    """The task's assignments the user may see (an assignee sees its own; the owner sees all)."""
    return (
        Assignment.objects.for_user(user)
        .filter(task=task)
        .select_related("unit")
        .prefetch_related("responsible")
        .order_by("role", "unit_path")
    )


def tasks_from_document(*, user, document_id: int) -> QuerySet[Task]:
    """Tasks created from a document (its routings), for the document page's link back."""
    return Task.objects.for_user(user).filter(source_document_id=document_id).select_related("unit")


# ---------------------------------------------------------------------------------------------------------
# Assignments


def assignment_list(
    *,
    user,
    unit: OrgUnit | None = None,
    direction: str = "to",
    subtree: bool = False,
    status: str | None = None,
    plan: Plan | None = None,
    root_task: Task | None = None,
    q: str | None = None,
    today: datetime.date | None = None,
    order: str = "due_date",
) -> QuerySet[Assignment]:
    """Assignments the user may see. `direction="to"`: work assigned to `unit` (or its subtree);
    `direction="by"`: work `unit` assigned to others. Status may be "overdue" or "due_soon"."""
    qs = Assignment.objects.for_user(user).select_related("task", "task__unit", "unit", "task__plan")
    if unit is not None:
        if direction == "by":
            qs = qs.filter(task__unit=unit)
        elif subtree:
            qs = qs.filter(unit_path__gte=unit.path, unit_path__lt=unit.path + PATH_END)
        else:
            qs = qs.filter(unit=unit)
    if plan is not None:
        qs = qs.filter(task__plan=plan)
    if root_task is not None:
        qs = qs.filter(root_task=root_task)
    qs = _status_filter(qs, status, today)
    if q:
        qs = _text_filter(qs, q, "task__title")
    order_map = {
        "due_date": ["due_date"],
        "-due_date": ["-due_date"],
        "title": ["task__title"],
        "status": ["status", "due_date"],
        "unit": ["unit_path", "due_date"],
        "percent": ["percent"],
        "-percent": ["-percent"],
    }
    return qs.order_by(*order_map.get(order, ["due_date"]), "id")


def my_assignments(*, user, status: str | None = None, today: datetime.date | None = None):
    """ "My tasks": assignments the user's person is responsible for (on the assignment or its task), and the
    work of units where the user is a secretary or admin by a direct grant."""
    from steerdesk.accounts.models import RoleGrant

    units = RoleGrant.objects.filter(user=user, role__in=(Role.SECRETARY, Role.ADMIN)).values("unit_id")
    # One indexed lookup per way an assignment can be "mine", combined with UNION: an OR across the joins
    # would make PostgreSQL scan every assignment (270,750 rows at province scale).
    candidates = Assignment.objects.filter(unit_id__in=units).order_by().values("pk")
    person_id = getattr(user, "person_id", None)
    if person_id:
        candidates = candidates.union(
            Assignment.responsible.through.objects.filter(person_id=person_id)
            .order_by()
            .values("assignment_id"),
            Assignment.objects.filter(task__responsible=person_id).order_by().values("pk"),
        )
    ids = Assignment.objects.for_user(user).filter(pk__in=candidates).values("pk")
    qs = Assignment.objects.filter(pk__in=ids).select_related("task", "task__unit", "unit")
    qs = _status_filter(qs, status, today)
    return qs.order_by("due_date", "id")


def assignment_get(*, user, pk) -> Assignment:
    """An assignment the user may see (assignee subtree or the task owner's), else 404."""
    assignment = (
        Assignment.objects.for_user(user)
        .select_related("task", "task__unit", "task__plan", "unit", "root_task")
        .filter(pk=_int(pk))
        .first()
    )
    if assignment is None:
        raise Http404
    return assignment


def assignment_get_for_report(*, user, pk) -> Assignment:
    """An assignment the user may report on: 404 out of scope, 403 when they may only read it."""
    from .services import can_report

    assignment = assignment_get(user=user, pk=pk)
    if not can_report(user, assignment):
        raise PermissionDenied
    return assignment


def assignment_reports(*, assignment: Assignment) -> QuerySet[ProgressReport]:
    """The assignment's progress reports, newest first, with who reported and their evidence files."""
    return (
        assignment.reports.select_related("created_by")
        .prefetch_related("evidence")
        .order_by("-created_at", "-id")
    )


def evidence_get(*, user, pk):
    """An evidence file whose assignment the user may see, else 404."""
    from .models import Evidence

    evidence = (
        Evidence.objects.filter(pk=_int(pk), assignment__in=Assignment.objects.for_user(user).values("pk"))
        .select_related("assignment")
        .first()
    )
    if evidence is None:
        raise Http404
    return evidence


# ---------------------------------------------------------------------------------------------------------
# Roll-ups


@dataclass
class RollupRow:
    """Counts of assignments in one child unit's subtree (or at the unit itself)."""

    unit: OrgUnit | None
    label: str = ""
    total: int = 0
    done: int = 0
    late: int = 0
    not_started: int = 0
    in_progress: int = 0
    cancelled: int = 0
    is_self: bool = False

    @property
    def open(self) -> int:
        return self.not_started + self.in_progress

    @property
    def percent_done(self) -> int:
        counted = self.total - self.cancelled
        return round(100 * self.done / counted) if counted else 0


@dataclass
class Rollup:
    unit: OrgUnit
    rows: list[RollupRow] = field(default_factory=list)
    total: RollupRow | None = None
    as_of: datetime.datetime | None = (
        None  # when the figures come from the summary table: when it was computed
    )


COUNTS = summary.COUNTS  # the counts of a roll-up row, in their column order


def _count_annotations(today: datetime.date) -> dict:
    # `status` rather than `id`: every column read is then in work_asg_path_status_idx (unit_path, status,
    # due_date), so PostgreSQL can answer a subtree's roll-up with an index-only scan.
    return {
        "total": Count("status"),
        "done": Count("status", filter=Q(status=Status.DONE)),
        "late": Count("status", filter=overdue_q(today)),
        "not_started": Count("status", filter=Q(status=Status.NOT_STARTED)),
        "in_progress": Count("status", filter=Q(status=Status.IN_PROGRESS)),
        "cancelled": Count("status", filter=Q(status=Status.CANCELLED)),
    }


def rollup(
    *,
    user,
    unit: OrgUnit,
    root_task: Task | None = None,
    plan: Plan | None = None,
    year: int | None = None,
    today: datetime.date | None = None,
) -> Rollup:
    """Per child unit of `unit`: counts of the assignments in that child's subtree, plus a row for work
    assigned to `unit` itself. `root_task` narrows to one cascade (all levels), `plan` to tasks of a plan (and
    cascades from them), `year` to assignments due that year. Three queries whatever the number of rows.

    Without filters, a subtree of at least `STEERDESK_ROLLUP_SUMMARY_MIN` assignments is read from the summary
    table when it is fresh (`summary.summary_rollup`: two queries, O(children)); `as_of` then says when it was
    computed. Otherwise the counts are live and exact.

    The user must see `unit` (404 otherwise); seeing a unit means seeing its whole subtree, so the counts are
    complete for them."""
    if not OrgUnit.objects.for_user(user).filter(pk=unit.pk).exists():
        raise Http404
    today = today or local_today()
    children = None
    if root_task is None and plan is None and not year:
        family = summary.family_with_counts(unit)
        from_summary = summary.summary_rollup(unit=unit, family=family, today=today)
        if from_summary is not None:
            return from_summary
        children = [u for u in family if u.pk != unit.pk]
    step = len(unit.path) + 4
    qs = Assignment.objects.filter(unit_path__gte=unit.path, unit_path__lt=unit.path + PATH_END)
    if root_task is not None:
        qs = qs.filter(root_task=root_task)
    if plan is not None:
        qs = qs.filter(Q(root_task__plan=plan))
    if year:
        qs = qs.filter(due_date__year=year)
    grouped = {
        row["prefix"]: row
        for row in qs.annotate(prefix=Substr("unit_path", 1, step))
        .values("prefix")
        .annotate(**_count_annotations(today))
        .order_by()
    }
    if children is None:
        children = list(OrgUnit.objects.filter(parent=unit).order_by("path"))
    result = Rollup(unit=unit)
    self_counts = grouped.pop(unit.path, None)
    if self_counts:
        result.rows.append(
            RollupRow(
                unit=unit, label=_("This unit itself"), is_self=True, **{k: self_counts[k] for k in COUNTS}
            )
        )
    for child in children:
        counts = grouped.get(child.path)
        if counts is None and not child.is_active:
            continue
        result.rows.append(RollupRow(unit=child, **{k: (counts or {}).get(k, 0) for k in COUNTS}))
    total = RollupRow(unit=None, label=_("Total"))
    for row in result.rows:
        for k in COUNTS:
            setattr(total, k, getattr(total, k) + getattr(row, k))
    result.total = total
    return result


def task_rollup(*, user, task: Task, today: datetime.date | None = None) -> Rollup:
    """The roll-up of one task's cascade (its own assignments and every split below), per child unit of the
    task's unit. Assignees outside the owner's subtree (rare: a cooperating unit elsewhere) get a row each when
    the task's unit or a unit below it gave them the work: for a split task, the other branches of the root
    task (the assigning unit's other assignees) are not this unit's business."""
    today = today or local_today()
    root = task.root_task or task
    base = rollup(user=user, unit=task.unit, root_task=root, today=today)
    outside = (
        Assignment.objects.filter(root_task=root)
        .filter(task_unit_path__gte=task.unit_path, task_unit_path__lt=task.unit_path + PATH_END)
        .exclude(unit_path__gte=task.unit_path, unit_path__lt=task.unit_path + PATH_END)
        .values("unit")
        .annotate(**_count_annotations(today))
        .order_by()
    )
    outside = list(outside)
    # A task's roll-up lists the units that have a share of it, not every child unit.
    base.rows = [row for row in base.rows if row.total]
    if outside:
        units = OrgUnit.objects.in_bulk([row["unit"] for row in outside])
        for row in outside:
            extra = RollupRow(unit=units[row["unit"]], **{k: row[k] for k in COUNTS})
            base.rows.append(extra)
            for k in COUNTS:
                setattr(base.total, k, getattr(base.total, k) + getattr(extra, k))
    return base


def assignments_with_reports(qs: QuerySet[Assignment]) -> QuerySet[Assignment]:
    """Prefetch the newest reports of each assignment (for boards and timelines)."""
    return qs.prefetch_related(
        Prefetch(
            "reports", queryset=ProgressReport.objects.order_by("-created_at", "-id"), to_attr="report_list"
        )
    )


# ---------------------------------------------------------------------------------------------------------
# Reads of the pages (plan items, calendar, timeline, histories) — added with the work pages.


def _item_key(task: Task) -> tuple:
    """Natural order of plan item numbers: 1, 2, 2.1, 2.10, 10 (strings would put 10 before 2)."""
    parts = []
    for part in (task.item_number or "").replace("-", ".").split("."):
        part = part.strip()
        parts.append((0, int(part), "") if part.isdigit() else (1, 0, part))
    return (not task.item_number, parts, task.pk)


def plan_items(*, user, plan: Plan, today: datetime.date | None = None) -> list[Task]:
    """The plan's tasks in item-number order, each with the roll-up of its whole cascade (every level):
    `cascade_total`, `cascade_done`, `cascade_late`. One query."""
    today = today or local_today()
    tasks = list(
        Task.objects.for_user(user)
        .filter(plan=plan)
        .select_related("unit")
        .annotate(
            cascade_total=Count("cascade_assignments", distinct=True),
            cascade_done=Count(
                "cascade_assignments",
                filter=Q(cascade_assignments__status=Status.DONE),
                distinct=True,
            ),
            cascade_late=Count(
                "cascade_assignments", filter=overdue_q(today, "cascade_assignments__"), distinct=True
            ),
        )
    )
    return sorted(tasks, key=_item_key)


def assignments_due_between(
    *,
    user,
    unit: OrgUnit | None,
    first: datetime.date,
    last: datetime.date,
    direction: str = "to",
    subtree: bool = False,
) -> QuerySet[Assignment]:
    """Assignments of `unit` (as `assignment_list`) due from `first` to `last` inclusive: the month calendar."""
    return assignment_list(user=user, unit=unit, direction=direction, subtree=subtree).filter(
        due_date__gte=first, due_date__lte=last
    )


def timeline_tasks(
    *, user, unit: OrgUnit | None = None, plan: Plan | None = None, limit: int = 200
) -> list[Task]:
    """Tasks with a due date for the timeline: a plan's, or those `unit` owns; open ones and the most recent."""
    qs = task_list(user=user, unit=None if plan is not None else unit, plan=plan)
    return list(qs.filter(due_date__isnull=False).order_by("due_date", "id")[:limit])


def task_children(*, user, task: Task) -> QuerySet[Task]:
    """Tasks split from the assignments of `task` (one level down) that the user may see."""
    return (
        Task.objects.for_user(user)
        .filter(parent_assignment__task=task)
        .select_related("unit", "parent_assignment__unit")
        .order_by("unit_path", "id")
    )


def assignment_children(*, user, assignment: Assignment) -> QuerySet[Task]:
    """Tasks the assignee split its assignment into."""
    return (
        Task.objects.for_user(user).filter(parent_assignment=assignment).select_related("unit").order_by("id")
    )


def task_history(*, task: Task) -> list[dict]:
    """The task's audit entries with those of its assignments, newest first (one query for the entries)."""
    from django.contrib.contenttypes.models import ContentType

    from steerdesk.core.audit import audit_history_of

    ids = list(Assignment.objects.filter(task=task).values_list("pk", flat=True))
    rows = audit_history_of([(Task, [task.pk]), (Assignment, ids)])
    assignment_type = ContentType.objects.get_for_model(Assignment).pk  # cached after the first call
    for row in rows:  # say which assignment an entry is about (the history table shows it under the action)
        if row["entry"].content_type_id == assignment_type:
            row["object_label"] = row["entry"].object_repr
    return rows


def assignment_history(*, assignment: Assignment) -> list[dict]:
    """The assignment's audit entries with those of its progress reports, newest first."""
    from steerdesk.core.audit import audit_history_of

    ids = list(assignment.reports.values_list("pk", flat=True))
    return audit_history_of([(Assignment, [assignment.pk]), (ProgressReport, ids)])


def assignment_visible_ids(*, user, ids) -> set[int]:
    """Which of `ids` are assignments the user may see (a bulk action on others is a 404)."""
    return set(Assignment.objects.for_user(user).filter(pk__in=list(ids)).values_list("pk", flat=True))


def assignment_evidence(*, assignment: Assignment):
    """Every evidence file of the assignment, oldest first (the report's and those added on their own)."""
    return assignment.evidence.select_related("created_by").order_by("created_at", "id")
