"""Writes on plans, tasks, assignments and progress reports.

Every entry point (pages, API, the XLSX import, demo data, the routing hook) calls these. Each checks the
actor's role with `has_role`, validates, writes inside `transaction.atomic()` and records audit entries: bulk
actions (cascade, bulk status change, cancel) write one entry per changed row with the true previous values.

Roles (DESIGN §3): a secretary of a unit defines its plans and tasks and assigns them; the assignee unit's
secretaries, and its members who are named responsible, report progress on the assignment.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from steerdesk.core.audit import audit_record, snapshot
from steerdesk.core.locking import instance_create, instance_update
from steerdesk.core.middleware import current_request_id
from steerdesk.core.models import AuditEntry
from steerdesk.core.scope import Role, has_role
from steerdesk.core.text import nfc, nfc_keep_lines
from steerdesk.orgs.models import OrgUnit

from . import notifications
from .models import OPEN_STATUSES, Assignment, Evidence, Plan, ProgressReport, Status, Task, local_today

PLAN_FIELDS = (
    "title",
    "description",
    "period_kind",
    "year",
    "period_number",
    "start_date",
    "end_date",
    "committee",
    "parent_plan",
)
TASK_FIELDS = (
    "title",
    "description",
    "priority",
    "start_date",
    "due_date",
    "due_working_days",
    "result_required",
    "item_number",
)
MULTILINE = ("description", "comment", "result")

# ---------------------------------------------------------------------------------------------------------
# Helpers


def require_role(actor, path: str, role: str, message: str | None = None) -> None:
    """PermissionDenied unless `actor` holds at least `role` over the unit at `path`."""
    if not has_role(actor, path, role):
        raise PermissionDenied(message or _("You do not have permission to change this."))


def _clean(data: dict[str, Any], allowed: Iterable[str]) -> dict[str, Any]:
    """Refuse unknown keys; NFC-normalise strings at the service boundary (VIETNAMESE.md §1)."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    return {
        key: (nfc_keep_lines(value) if key in MULTILINE else nfc(value)) if isinstance(value, str) else value
        for key, value in data.items()
    }


def _user_pk(actor) -> int | None:
    return getattr(actor, "pk", None)


def _resolve_due(data: dict[str, Any], current: Task | None = None) -> dict[str, Any]:
    """A deadline given as N working days becomes a date: N working days after the start date (or today)."""
    days = data.get("due_working_days", current.due_working_days if current else None)
    if days and ("due_working_days" in data or "start_date" in data):
        from .workdays import add_working_days

        start = data.get("start_date", current.start_date if current else None) or local_today()
        data["due_date"] = add_working_days(start, int(days))
    return data


def _bulk_audit(*, actor, model, rows: list[tuple[Any, dict[str, list[Any]]]], action: str) -> None:
    """One audit entry per row, `rows` = [(instance, changes)], in one INSERT (call inside the transaction)."""
    if not rows:
        return
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=True)
    actor_id = _user_pk(actor)
    request_id = current_request_id() or ""
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                actor_id=actor_id,
                action=action,
                content_type=content_type,
                object_id=str(instance.pk),
                object_repr=str(instance)[:300],
                changes=changes,
                unit_path=getattr(instance, "unit_path", "") or "",
                request_id=request_id,
            )
            for instance, changes in rows
        ],
        batch_size=500,
    )


def _assignment_created_changes(assignment: Assignment) -> dict[str, list[Any]]:
    """The "create" audit changes of a new assignment (its percent 0 included, as instance_create records it)."""
    changes = {k: [None, v] for k, v in snapshot(assignment).items() if v not in (None, "", [])}
    return changes | {"percent": [None, 0]}


def _visible_units(actor, unit_ids: Iterable[int]) -> list[OrgUnit]:
    """The active units of `unit_ids`, all of which the actor must see; else ValidationError."""
    ids = sorted({int(pk) for pk in unit_ids})
    units = list(OrgUnit.objects.for_user(actor).filter(pk__in=ids, is_active=True).order_by("path"))
    if len(units) != len(ids):
        raise ValidationError({"units": _("Choose active units from your own part of the unit tree.")})
    return units


def _visible_people(actor, people: Sequence[Any]) -> None:
    """Responsible people must be people the actor can see (no naming, and notifying, strangers)."""
    from steerdesk.orgs.models import Person

    ids = {p.pk for p in people}
    if ids and Person.objects.for_user(actor).filter(pk__in=ids).count() != len(ids):
        raise ValidationError(
            {"responsible": _("Choose responsible people from your own part of the unit tree.")}
        )


def units_of_kind_below(*, unit: OrgUnit, kind: str) -> list[OrgUnit]:
    """Every active unit of `kind` strictly below `unit` (the "every unit of kind X below me" choice)."""
    return list(
        OrgUnit.objects.filter(
            path__gt=unit.path, path__lt=unit.path + "~", kind=kind, is_active=True
        ).order_by("path")
    )


# ---------------------------------------------------------------------------------------------------------
# Plans


def plan_create(*, actor, unit: OrgUnit, data: dict[str, Any]) -> Plan:
    """Create a draft plan of `unit` (secretary of the unit). The committee, when given, must be the unit's."""
    require_role(actor, unit.path, Role.SECRETARY)
    data = _clean(data, PLAN_FIELDS)
    committee = data.get("committee")
    if committee is not None and committee.unit_id != unit.pk:
        raise ValidationError({"committee": _("Choose a committee of this unit.")})
    with transaction.atomic():
        return instance_create(actor=actor, instance=Plan(unit=unit, unit_path=unit.path, **data))


def plan_update(*, actor, plan: Plan, expected_version: int | None, data: dict[str, Any]) -> Plan:
    """Edit a plan's fields (secretary of its unit); a stale version raises ConflictError."""
    require_role(actor, plan.unit_path, Role.SECRETARY)
    data = _clean(data, PLAN_FIELDS)
    committee = data.get("committee")
    if committee is not None and committee.unit_id != plan.unit_id:
        raise ValidationError({"committee": _("Choose a committee of this unit.")})
    with transaction.atomic():
        instance_update(actor=actor, instance=plan, expected_version=expected_version, data=data)
    return plan


def plan_adopt(*, actor, plan: Plan, expected_version: int | None, document=None) -> Plan:
    """Mark the plan adopted, linked to the document that adopts it (one the actor can see)."""
    require_role(actor, plan.unit_path, Role.SECRETARY)
    if plan.status == Plan.PlanStatus.CLOSED:
        raise ValidationError(_("A closed plan cannot be adopted again."))
    if document is not None:
        from steerdesk.documents import selectors as documents_selectors

        document = documents_selectors.document_get(user=actor, pk=document.pk)
    with transaction.atomic():
        instance_update(
            actor=actor,
            instance=plan,
            expected_version=expected_version,
            data={"status": Plan.PlanStatus.ADOPTED, "adopted_by": document},
        )
    return plan


def plan_close(*, actor, plan: Plan, expected_version: int | None) -> Plan:
    """Close a plan: it stays readable; its open tasks are not touched."""
    require_role(actor, plan.unit_path, Role.SECRETARY)
    with transaction.atomic():
        instance_update(
            actor=actor,
            instance=plan,
            expected_version=expected_version,
            data={"status": Plan.PlanStatus.CLOSED},
        )
    return plan


# ---------------------------------------------------------------------------------------------------------
# Tasks


def task_create(
    *,
    actor,
    unit: OrgUnit,
    data: dict[str, Any],
    plan: Plan | None = None,
    lead_units: Sequence[OrgUnit] | None = None,
    cooperating_units: Sequence[OrgUnit] = (),
    responsible: Sequence[Any] = (),
    parent_assignment: Assignment | None = None,
    source_kind: str | None = None,
    source_document=None,
    source_routing_id: int | None = None,
    source_object_id: int | None = None,
) -> Task:
    """Create a task of `unit` (secretary of the unit) and its assignments, in one transaction.

    Without `lead_units` the unit does the work itself: it is assigned to the unit. A plan must be the unit's; a
    `parent_assignment` (splitting one's own assignment further down) must be assigned to the unit."""
    require_role(actor, unit.path, Role.SECRETARY)
    data = _resolve_due(_clean(data, TASK_FIELDS))
    _visible_people(actor, responsible)
    if plan is not None and plan.unit_id != unit.pk:
        raise ValidationError({"plan": _("Choose a plan of this unit.")})
    if plan is not None and plan.status == Plan.PlanStatus.CLOSED:
        raise ValidationError({"plan": _("The plan is closed: no new tasks can be added.")})
    root_task_id = None
    if parent_assignment is not None:
        if parent_assignment.unit_id != unit.pk:
            raise ValidationError(_("Only the unit an assignment was given to can split it."))
        root_task_id = parent_assignment.root_task_id
        source_kind = source_kind or Task.SourceKind.SPLIT
        data.setdefault("due_date", parent_assignment.due_date)
    if source_kind is None:
        source_kind = Task.SourceKind.PLAN_ITEM if plan is not None else Task.SourceKind.MANUAL
    lead = list(lead_units) if lead_units else [unit]
    cooperating = [u for u in cooperating_units if u.pk not in {lu.pk for lu in lead}]
    if lead_units or cooperating:
        _visible_units(actor, [u.pk for u in [*lead, *cooperating] if u.pk != unit.pk])
    with transaction.atomic():
        task = instance_create(
            actor=actor,
            instance=Task(
                unit=unit,
                unit_path=unit.path,
                plan=plan,
                parent_assignment=parent_assignment,
                root_task_id=root_task_id,
                source_kind=source_kind,
                source_document=source_document,
                source_routing_id=source_routing_id,
                source_object_id=source_object_id,
                **data,
            ),
        )
        if responsible:
            task.responsible.set(responsible)
        _assign(actor=actor, task=task, units=lead, role=Assignment.Role.LEAD, responsible=responsible)
        if cooperating:
            _assign(actor=actor, task=task, units=cooperating, role=Assignment.Role.COOPERATE)
    return task


def task_update(
    *,
    actor,
    task: Task,
    expected_version: int | None,
    data: dict[str, Any],
    responsible: Sequence[Any] | None = None,
) -> Task:
    """Edit a task's definition (secretary of the owner unit). Assignments that kept the old due date follow a
    new one (each change audited). Status and percent are not edited here: they follow the assignments."""
    require_role(actor, task.unit_path, Role.SECRETARY)
    if task.status == Status.CANCELLED:
        raise ValidationError(_("A cancelled task cannot be edited."))
    data = _resolve_due(_clean(data, TASK_FIELDS), current=task)
    _visible_people(actor, responsible or ())
    old_due = task.due_date
    with transaction.atomic():
        instance_update(actor=actor, instance=task, expected_version=expected_version, data=data)
        if responsible is not None:
            before = sorted(str(p) for p in task.responsible.all())
            task.responsible.set(responsible)
            after = sorted(str(p) for p in responsible)
            if before != after:
                audit_record(
                    actor=actor, instance=task, action="update", changes={"responsible": [before, after]}
                )
        if "due_date" in data and data["due_date"] != old_due:
            _move_due_dates(actor=actor, task=task, old_due=old_due, new_due=task.due_date)
    return task


def _move_due_dates(*, actor, task: Task, old_due, new_due) -> None:
    rows = list(
        Assignment.objects.select_for_update().filter(task=task, due_date=old_due, status__in=OPEN_STATUSES)
    )
    if not rows:
        return
    Assignment.objects.filter(pk__in=[a.pk for a in rows]).update(
        due_date=new_due, version=F("version") + 1, updated_at=timezone.now(), updated_by=_user_pk(actor)
    )
    _bulk_audit(
        actor=actor,
        model=Assignment,
        rows=[(a, {"due_date": [_iso(old_due), _iso(new_due)]}) for a in rows],
        action="update",
    )


def _iso(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def _assign(
    *,
    actor,
    task: Task,
    units: Sequence[OrgUnit],
    role: str,
    due_date: datetime.date | None = None,
    responsible: Sequence[Any] = (),
) -> list[Assignment]:
    """Create one assignment per unit not yet assigned; audit and notify. Call inside a transaction."""
    existing = set(Assignment.objects.filter(task=task).values_list("unit_id", flat=True))
    user_id = _user_pk(actor)
    new = [
        Assignment(
            task=task,
            root_task_id=task.root_task_id or task.pk,
            unit=unit,
            unit_path=unit.path,
            task_unit_path=task.unit_path,
            role=role,
            due_date=due_date or task.due_date,
            created_by_id=user_id,
            updated_by_id=user_id,
        )
        for unit in units
        if unit.pk not in existing
    ]
    if not new:
        return []
    created = Assignment.objects.bulk_create(new, batch_size=500)
    if any(a.pk is None for a in created):  # a backend without RETURNING: read the ids back
        by_unit = dict(
            Assignment.objects.filter(task=task, unit_id__in=[a.unit_id for a in new]).values_list(
                "unit_id", "pk"
            )
        )
        for a in created:
            a.pk = a.id = by_unit[a.unit_id]
    if responsible:
        through = Assignment.responsible.through
        through.objects.bulk_create(
            [through(assignment_id=a.pk, person_id=p.pk) for a in created for p in responsible],
            batch_size=500,
        )
    units_by_id = {u.pk: u for u in units}
    root_task = task.root_task or task  # the audit snapshot reads it: set it, or each row fetches it
    for a in created:
        a.unit = units_by_id[a.unit_id]
        a.task = task
        a.root_task = root_task
    _bulk_audit(
        actor=actor,
        model=Assignment,
        rows=[(a, _assignment_created_changes(a)) for a in created],
        action="create",
    )
    transaction.on_commit(partial(notifications.notify_assigned, assignment_ids=[a.pk for a in created]))
    return created


def task_cascade(
    *,
    actor,
    task: Task,
    units: Sequence[OrgUnit] = (),
    kind: str | None = None,
    role: str = Assignment.Role.LEAD,
    due_date: datetime.date | None = None,
) -> list[Assignment]:
    """Assign one task to many units at once: the chosen `units`, or every active unit of `kind` below the
    task's unit. One assignment per unit not yet assigned, all in one transaction (all or none), one audit
    entry each. The owner's own untouched assignment is withdrawn when the work goes to lead units below."""
    require_role(actor, task.unit_path, Role.SECRETARY)
    if task.status in (Status.DONE, Status.CANCELLED):
        raise ValidationError(_("A finished or cancelled task cannot be assigned."))
    if kind:
        targets = units_of_kind_below(unit=task.unit, kind=kind)
    else:
        targets = _visible_units(actor, [u.pk for u in units])
    targets = [u for u in targets if u.pk != task.unit_id]
    if not targets:
        raise ValidationError({"units": _("No unit to assign: choose at least one unit.")})
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        if locked.status in (Status.DONE, Status.CANCELLED):
            raise ValidationError(_("A finished or cancelled task cannot be assigned."))
        created = _assign(actor=actor, task=task, units=targets, role=role, due_date=due_date)
        if role == Assignment.Role.LEAD and created:
            _withdraw_own_assignment(actor=actor, task=task)
        _refresh_task(task.pk)
    return created


def _withdraw_own_assignment(*, actor, task: Task) -> None:
    own = (
        Assignment.objects.filter(task=task, unit_id=task.unit_id, status=Status.NOT_STARTED, percent=0)
        .exclude(reports__isnull=False)
        .exclude(child_tasks__isnull=False)
        .first()
    )
    if own is not None:
        audit_record(actor=actor, instance=own, action="delete", changes={"unit": [str(own.unit), None]})
        own.delete()


def task_split(
    *,
    actor,
    assignment: Assignment,
    data: dict[str, Any],
    units: Sequence[OrgUnit] = (),
    kind: str | None = None,
) -> Task:
    """The assignee unit splits its assignment further down: a child task of the assignee unit, cascaded to
    `units` or to every unit of `kind` below it, in one transaction."""
    require_role(actor, assignment.unit_path, Role.SECRETARY)
    if assignment.status not in OPEN_STATUSES:
        raise ValidationError(_("Only open work can be split."))
    unit = assignment.unit
    with transaction.atomic():
        task = task_create(actor=actor, unit=unit, data=data, parent_assignment=assignment)
        task_cascade(actor=actor, task=task, units=units, kind=kind)
    return task


def task_cancel(*, actor, task: Task, expected_version: int | None, reason: str = "") -> Task:
    """Cancel a task and every open assignment of it (one audit entry per changed row)."""
    require_role(actor, task.unit_path, Role.SECRETARY)
    if task.status == Status.CANCELLED:
        return task
    with transaction.atomic():
        instance_update(
            actor=actor, instance=task, expected_version=expected_version, data={"status": Status.CANCELLED}
        )
        open_ids = list(
            Assignment.objects.filter(task=task, status__in=OPEN_STATUSES).values_list("pk", flat=True)
        )
        _set_status(actor=actor, assignment_ids=open_ids, status=Status.CANCELLED, check=False)
        if reason:
            audit_record(actor=actor, instance=task, action="update", changes={"reason": [None, nfc(reason)]})
    return task


def task_create_from_routing(
    *,
    actor,
    routing_pk: int,
    data: dict[str, Any],
    lead_units: Sequence[OrgUnit] | None = None,
    cooperating_units: Sequence[OrgUnit] = (),
    responsible: Sequence[Any] = (),
) -> Task:
    """Turn a routed incoming document into a task of the document's unit (the hook of the documents app).

    The routed unit (when the routing names one) leads by default and the routing's deadline is the due date.
    A routing becomes at most one task."""
    from steerdesk.documents import selectors as documents_selectors
    from steerdesk.documents import services as documents_services

    routing = documents_selectors.routing_get_for_task(user=actor, pk=routing_pk)
    if routing.task_id:
        raise ValidationError(_("A task was already created from this routing."))
    document = routing.document
    data = dict(data)
    data.setdefault("title", document.summary[:500] if document.summary else str(document))
    if routing.deadline and not data.get("due_date") and not data.get("due_working_days"):
        data["due_date"] = routing.deadline
    if lead_units is None and routing.to_unit_id and routing.to_unit_id != document.unit_id:
        lead_units = [routing.to_unit]
    with transaction.atomic():
        task = task_create(
            actor=actor,
            unit=document.unit,
            data=data,
            lead_units=lead_units,
            cooperating_units=cooperating_units,
            responsible=responsible,
            source_kind=Task.SourceKind.DOCUMENT,
            source_document=document,
            source_routing_id=routing.pk,
        )
        documents_services.routing_link_task(actor=actor, routing=routing, task_id=task.pk)
    return task


# ---------------------------------------------------------------------------------------------------------
# Assignments: progress and status


def can_report(user, assignment: Assignment) -> bool:
    """Secretaries of the assignee unit, and its members who are named responsible, report on an assignment."""
    if has_role(user, assignment.unit_path, Role.SECRETARY):
        return True
    person_id = getattr(user, "person_id", None)
    return bool(
        person_id
        and has_role(user, assignment.unit_path, Role.MEMBER)
        and assignment.responsible.filter(pk=person_id).exists()
    )


def _require_reporter(actor, assignment: Assignment) -> None:
    if not can_report(actor, assignment):
        raise PermissionDenied(
            _("Only the assigned unit's secretaries and responsible people can report on it.")
        )


def assignment_report(
    *,
    actor,
    assignment: Assignment,
    expected_version: int | None,
    percent: int,
    status: str | None = None,
    comment: str = "",
    result: str = "",
    files: Sequence[Any] = (),
) -> ProgressReport:
    """Report progress on an assignment: percent, status, comment, result, evidence files.

    100 % means done; done requires a result (kết quả). A stale `expected_version` raises ConflictError and
    writes nothing, so two people reporting at once never overwrite each other. The task's summary follows."""
    _require_reporter(actor, assignment)
    if assignment.status == Status.CANCELLED or assignment.task.status == Status.CANCELLED:
        raise ValidationError(_("This work was cancelled: progress can no longer be reported."))
    try:
        percent = int(percent)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"percent": _("Enter a whole number from 0 to 100.")}) from exc
    if not 0 <= percent <= 100:
        raise ValidationError({"percent": _("Enter a whole number from 0 to 100.")})
    if status is None:
        status = Status.DONE if percent == 100 else Status.IN_PROGRESS if percent > 0 else assignment.status
    if status == Status.CANCELLED:
        raise ValidationError({"status": _("Only the assigning unit can cancel work.")})
    comment, result = nfc_keep_lines(comment), nfc_keep_lines(result)
    final_result = result or assignment.result
    if status == Status.DONE:
        percent = 100
        if not final_result.strip():
            raise ValidationError({"result": _("Describe the result before marking the work done.")})
    data: dict[str, Any] = {"percent": percent, "status": status, "result": final_result}
    if status == Status.DONE and assignment.status != Status.DONE:
        data["completed_at"] = timezone.now()
    elif status != Status.DONE:
        data["completed_at"] = None
    stored: list[str] = []
    try:
        with transaction.atomic():
            instance_update(actor=actor, instance=assignment, expected_version=expected_version, data=data)
            report = ProgressReport(
                assignment=assignment, percent=percent, status=status, comment=comment, result=result
            )
            instance_create(actor=actor, instance=report)
            for uploaded in files:
                evidence = evidence_add(
                    actor=actor, assignment=assignment, uploaded_file=uploaded, report=report
                )
                stored.append(evidence.storage_name)
            _refresh_task(assignment.task_id)
            transaction.on_commit(partial(notifications.notify_reported, report_id=report.pk))
    except BaseException:
        # The rows are rolled back; files already stored for this report are not: remove them.
        for name in stored:
            default_storage.delete(name)
        raise
    return report


def assignments_bulk_status(*, actor, assignment_ids: Sequence[int], status: str, result: str = "") -> int:
    """Set the status of several assignments at once; returns how many changed.

    Each assignment must be reportable by the actor (or, for "cancelled", owned by the actor's unit as the
    assigning unit). Done requires a result on every row (given here or already recorded). One audit entry per
    changed row with its true previous status; rows already in that status are left alone."""
    if status not in Status.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    with transaction.atomic():
        return _set_status(actor=actor, assignment_ids=assignment_ids, status=status, result=result)


def _set_status(
    *, actor, assignment_ids: Sequence[int], status: str, result: str = "", check: bool = True
) -> int:
    rows = list(
        Assignment.objects.select_for_update()
        .filter(pk__in=list(assignment_ids))
        .select_related("task", "unit")
        .order_by("pk")
    )
    if check:
        if len(rows) != len(set(assignment_ids)):
            raise ValidationError(_("Some of the chosen work no longer exists."))
        for a in rows:
            if status == Status.CANCELLED:
                require_role(
                    actor, a.task_unit_path, Role.SECRETARY, _("Only the assigning unit can cancel work.")
                )
            else:
                _require_reporter(actor, a)
            # Cancelled work stays cancelled (as in `assignment_report`): an assignee cannot reopen it here.
            if status != Status.CANCELLED and Status.CANCELLED in (a.status, a.task.status):
                raise ValidationError(_("This work was cancelled: progress can no longer be reported."))
    result = nfc_keep_lines(result)
    changed = [a for a in rows if a.status != status]
    if status == Status.DONE:
        missing = [a for a in changed if not (result or a.result).strip()]
        if missing:
            raise ValidationError(
                {
                    "result": _("Describe the result before marking the work done (%(count)s without one).")
                    % {"count": len(missing)}
                }
            )
    if not changed:
        return 0
    now = timezone.now()
    audit_rows = []
    for a in changed:
        values: dict[str, Any] = {"status": status}
        if status == Status.DONE:
            values.update(percent=100, completed_at=now, result=a.result or result)
        elif a.status == Status.DONE:
            values["completed_at"] = None
        changes = {"status": [a.status, status]}
        if "percent" in values and a.percent != values["percent"]:
            changes["percent"] = [a.percent, values["percent"]]
        if values.get("result") and values["result"] != a.result:
            changes["result"] = [a.result, values["result"]]
        Assignment.objects.filter(pk=a.pk).update(
            **values, version=F("version") + 1, updated_at=now, updated_by=_user_pk(actor)
        )
        audit_rows.append((a, changes))
    _bulk_audit(actor=actor, model=Assignment, rows=audit_rows, action="update")
    for task_id in sorted({a.task_id for a in changed}):
        _refresh_task(task_id)
    return len(changed)


def _refresh_task(task_id: int) -> None:
    """Recompute a task's status and percent from its lead assignments (not cancelled ones).

    Locks the task row so concurrent reports on sibling assignments serialise their summaries. A cancelled task
    stays cancelled. Derived values: no version bump (owners editing the definition are not in conflict)."""
    task = Task.objects.select_for_update().filter(pk=task_id).first()
    if task is None or task.status == Status.CANCELLED:
        return
    leads = list(
        Assignment.objects.filter(task_id=task_id, role=Assignment.Role.LEAD)
        .exclude(status=Status.CANCELLED)
        .values_list("status", "percent")
    )
    if not leads:
        return
    if all(s == Status.DONE for s, _p in leads):
        status = Status.DONE
    elif all(s == Status.NOT_STARTED and p == 0 for s, p in leads):
        status = Status.NOT_STARTED
    else:
        status = Status.IN_PROGRESS
    total = sum(p for _s, p in leads)
    percent = (2 * total + len(leads)) // (2 * len(leads))  # half up: 2.5 % → 3 %
    if (task.status, task.percent) != (status, percent):
        Task.objects.filter(pk=task_id).update(status=status, percent=percent)


# ---------------------------------------------------------------------------------------------------------
# Evidence files


def evidence_add(
    *, actor, assignment: Assignment, uploaded_file, report: ProgressReport | None = None
) -> Evidence:
    """Store an evidence file of an assignment (type by content, size limit, random name); reporters only."""
    from steerdesk.documents.attachments import (
        _measure,
        clean_filename,
        new_storage_name,
        sniff,
        too_large_error,
    )
    from steerdesk.documents.uploads import upload_max_bytes

    _require_reporter(actor, assignment)
    kind = sniff(uploaded_file)
    size, sha256 = _measure(uploaded_file)
    if size > upload_max_bytes():
        raise too_large_error()
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    name = clean_filename(getattr(uploaded_file, "name", ""), fallback_extension=kind.extension)
    storage_name = default_storage.save(
        new_storage_name().replace("attachments/", "evidence/", 1), uploaded_file
    )
    try:
        with transaction.atomic():
            evidence = Evidence(
                assignment=assignment,
                report=report,
                original_name=name,
                storage_name=storage_name,
                content_type=kind.content_type,
                size=size,
                sha256=sha256,
            )
            evidence = instance_create(actor=actor, instance=evidence)
    except BaseException:
        default_storage.delete(storage_name)
        raise
    return evidence


def notification_mark_read(*, user, ids: Sequence[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones when `ids` is None); returns how many."""
    from .models import Notification

    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


# ---------------------------------------------------------------------------------------------------------
# Bulk creation of a plan's tasks (the XLSX import's new rows)
#
# `task_create` costs ~18 queries and a full_clean per task; 5,000 of them held the write lock (one transaction,
# on SQLite the whole database) for a minute and queued 5,000 notification callbacks. `tasks_create_many` writes
# exactly the same rows and audit entries with the same checks, done once for all rows, in a few bulk INSERTs,
# and notifies each recipient once.

# Foreign keys: `Field.validate` of a ForeignKey queries its target. The bulk path sets them from checked objects.
_TASK_FK_FIELDS = (
    "unit",
    "plan",
    "parent_assignment",
    "root_task",
    "source_document",
    "created_by",
    "updated_by",
)


class TaskRowsInvalid(ValidationError):
    """A ValidationError of `tasks_create_many` that names the rows at fault: `by_row` = {index in `rows`:
    ValidationError}. Its messages are those of every row, so a caller that ignores rows still shows them."""

    def __init__(self, by_row: dict[int, ValidationError]):
        self.by_row = dict(sorted(by_row.items()))
        super().__init__(list(self.by_row.values()))


def _dedupe_units(units: Iterable[OrgUnit]) -> list[OrgUnit]:
    seen: set[int] = set()
    out = []
    for unit in units:
        if unit.pk not in seen:
            seen.add(unit.pk)
            out.append(unit)
    return out


def _check_task_row(task: Task) -> None:
    """`full_clean` without its queries: field validators (foreign keys excluded, they are set from checked
    objects) and the dates check constraint evaluated in Python (percent is 0 on a new task). No
    validate_unique: Task has no unique field besides its id."""
    task.clean_fields(exclude=_TASK_FK_FIELDS)
    if task.start_date and task.due_date and task.due_date < task.start_date:
        raise ValidationError({"due_date": _("The due date cannot be before the start date.")})


def _insert(model, objs: list, batch_size: int = 500) -> None:
    """INSERT `objs`, setting their ids: bulk with RETURNING (SQLite ≥ 3.35, PostgreSQL), else one by one."""
    from django.db import connection

    if connection.features.can_return_rows_from_bulk_insert:
        model.objects.bulk_create(objs, batch_size=batch_size)
    else:
        for obj in objs:
            obj.save(force_insert=True)


def tasks_create_many(*, actor, plan: Plan, rows: list[dict[str, Any]]) -> list[Task]:
    """Create many tasks of `plan` at once (the XLSX import's new rows); secretary of the plan's unit.

    Each row is `{"data": {TASK_FIELDS…}, "lead_units": [OrgUnit…], "cooperating_units": [OrgUnit…]}` and
    gives exactly what `task_create(actor=, unit=plan.unit, plan=plan, data=, lead_units=,
    cooperating_units=)` would write: the task (source "plan item", due date from working days), one lead
    assignment per lead unit (the plan's own unit when none), one cooperating assignment per other unit, one
    "create" audit entry per task and per assignment with the same changes. The checks are task_create's,
    done once for all rows: the role, the plan open (read under a row lock), every named unit active and in
    the actor's scope (one query), field validation without queries. Call inside the caller's transaction
    for all-or-nothing; a row at fault raises TaskRowsInvalid naming it and writes nothing.

    After commit each recipient gets one notification for all their new assignments (not one per task)."""
    from .workdays import work_calendar

    unit = plan.unit
    require_role(actor, unit.path, Role.SECRETARY)
    if not rows:
        return []
    calendar = work_calendar()
    today = local_today()
    user_id = _user_pk(actor)
    user = actor if user_id else None

    # 1. Build and validate every task in Python; no query per row.
    tasks: list[Task] = []
    shares: list[tuple[list[OrgUnit], list[OrgUnit]]] = []
    errors: dict[int, ValidationError] = {}
    for index, row in enumerate(rows):
        try:
            data = _clean(dict(row.get("data") or {}), TASK_FIELDS)
            days = data.get("due_working_days")
            if days and ("due_working_days" in data or "start_date" in data):  # as _resolve_due
                data["due_date"] = calendar.add_working_days(data.get("start_date") or today, int(days))
            task = Task(
                unit=unit,
                unit_path=unit.path,
                plan=plan,
                source_kind=Task.SourceKind.PLAN_ITEM,
                created_by=user,
                updated_by=user,
                **data,
            )
            _check_task_row(task)
        except ValidationError as exc:
            errors[index] = exc
            continue
        lead = _dedupe_units(row.get("lead_units") or ()) or [unit]
        lead_ids = {u.pk for u in lead}
        cooperating = [u for u in _dedupe_units(row.get("cooperating_units") or ()) if u.pk not in lead_ids]
        tasks.append(task)
        shares.append((lead, cooperating))

    # 2. Units: active and in the actor's scope, checked in one query (as _visible_units per task).
    named = {u.pk for lead, cooperating in shares for u in (*lead, *cooperating)} - {unit.pk}
    visible = set(
        OrgUnit.objects.for_user(actor)
        .filter(pk__in=sorted(named), is_active=True)
        .values_list("pk", flat=True)
    )
    if named - visible:
        message = _("Choose active units from your own part of the unit tree.")
        valid_rows = [i for i in range(len(rows)) if i not in errors]
        for index, (lead, cooperating) in zip(valid_rows, shares, strict=True):
            bad = {
                key: message
                for key, units in (("lead_units", lead), ("cooperating_units", cooperating))
                if {u.pk for u in units} - visible - {unit.pk}
            }
            if bad:
                errors[index] = ValidationError(bad)
    if errors:
        raise TaskRowsInvalid(errors)

    with transaction.atomic():
        # 3. The plan must still be open (closed since the caller loaded it?): lock its row and read it.
        status = Plan.objects.select_for_update().filter(pk=plan.pk).values_list("status", flat=True).first()
        if plan.status == Plan.PlanStatus.CLOSED or status == Plan.PlanStatus.CLOSED:
            raise ValidationError({"plan": _("The plan is closed: no new tasks can be added.")})

        # 4. Tasks, then their assignments, then the audit entries: bulk INSERTs.
        _insert(Task, tasks)
        assignments = []
        for task, (lead, cooperating) in zip(tasks, shares, strict=True):
            for role, units in ((Assignment.Role.LEAD, lead), (Assignment.Role.COOPERATE, cooperating)):
                for assignee in units:
                    assignments.append(
                        Assignment(
                            task=task,
                            root_task=task,
                            unit=assignee,
                            unit_path=assignee.path,
                            task_unit_path=task.unit_path,
                            role=role,
                            due_date=task.due_date,
                            created_by_id=user_id,
                            updated_by_id=user_id,
                        )
                    )
        _insert(Assignment, assignments)
        # The changes as instance_create and _assign record them.
        _bulk_audit(
            actor=actor,
            model=Task,
            rows=[(t, {k: [None, v] for k, v in snapshot(t).items() if v not in (None, "")}) for t in tasks],
            action="create",
        )
        _bulk_audit(
            actor=actor,
            model=Assignment,
            rows=[(a, _assignment_created_changes(a)) for a in assignments],
            action="create",
        )
        transaction.on_commit(
            partial(notifications.notify_assigned_summary, assignment_ids=[a.pk for a in assignments])
        )
    return tasks
