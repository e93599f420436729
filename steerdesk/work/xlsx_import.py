"""Checking and applying an XLSX import of a plan's tasks (the file format and its reading: `xlsx`).

All or nothing: `check_rows` validates every row without writing (bulk lookups of tasks, assignments and units
before the loop, no query per row) and collects every error as (row, column header, reason); only without
errors does `apply` write, in ONE transaction through the work services: `tasks_create_many` for the rows
without a code (with their lead and cooperating units; bulk INSERTs), `task_update` only for rows whose values
differ from the task — so re-importing an unchanged export changes nothing, no version and no audit entry — and
`task_cascade` for units added to an existing task. Units cannot be removed nor change role by import, except
that the plan unit's own untouched assignment gives way to new lead units (as `task_cascade` does).

A row's version column guards against stale files: a row that would change a task edited by someone else after
the export is refused.

Unit cells name units as `Name [id]` (the number in brackets decides) or by their exact name when it is
unambiguous among the units the importer can see; several units are separated by `;` or line breaks.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from steerdesk.core.locking import ConflictError
from steerdesk.core.scope import Role, has_role
from steerdesk.core.text import fold, nfc, nfc_keep_lines, tone_canonical
from steerdesk.orgs.importing import ImportRejected, RowError
from steerdesk.orgs.models import OrgUnit

from . import services
from .models import Assignment, Plan, Priority, ProgressReport, Status, Task, local_today
from .xlsx import (
    BY_KEY,
    DATE_FORMATS,
    PRIORITY_LABELS,
    PRIORITY_LOOKUP,
    UNIT_REF,
    UNIT_SPLIT,
    Sheet,
    parse_header,
    read_workbook,
    unit_ref,
)

PROGRESS_EVERY = 250


# ---------------------------------------------------------------------------------------------------------
# Checking


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime | datetime.date):
        value = value.strftime("%d/%m/%Y")
    return str(value)


def _date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = nfc(_text(value))
    if not text:
        return None
    if isinstance(value, str):
        for fmt in DATE_FORMATS:
            try:
                return datetime.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    raise ValueError(text)


def _whole(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(value)
        value = int(value)
    if isinstance(value, str):
        value = nfc(value)
        if not value.isdigit():
            raise ValueError(value)
    if not isinstance(value, int) or value < 0:
        raise ValueError(value)
    return int(value)


@dataclass
class RowPlan:
    """What one valid row does: create a task, or change an existing one (`data` holds only what differs)."""

    number: int
    task: Task | None
    data: dict[str, Any]
    lead: list[int] = field(default_factory=list)
    cooperating: list[int] = field(default_factory=list)
    expected_version: int | None = None


@dataclass
class ImportPlan:
    creates: list[RowPlan] = field(default_factory=list)
    updates: list[RowPlan] = field(default_factory=list)
    unchanged: int = 0


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class _AssignmentInfo:
    unit_id: int
    role: str
    status: str
    untouched: bool


class _Units:
    """Resolves unit cells against the units the actor may name (active, in scope), with two bulk queries."""

    def __init__(self, actor, cells: Iterable[str]):
        self.actor = actor
        refs = [part for cell in cells for part in _split_units(cell)]
        ids = {int(m.group("id")) for m in map(UNIT_REF.match, refs) if m}
        self.by_id = {
            pk: (name, active)
            for pk, name, active in OrgUnit.objects.for_user(actor)
            .filter(pk__in=sorted(ids))
            .values_list("pk", "name", "is_active")
        }
        self.by_name: dict[str, list[int]] = defaultdict(list)
        if any(not UNIT_REF.match(ref) for ref in refs):
            for pk, name, short_name in (
                OrgUnit.objects.for_user(actor).filter(is_active=True).values_list("pk", "name", "short_name")
            ):
                keys = {tone_canonical(name)} | ({tone_canonical(short_name)} if short_name else set())
                for key in keys:
                    self.by_name[key].append(pk)

    def resolve(self, cell: str) -> tuple[list[int], list[str]]:
        """(unit ids in the cell's order, without repeats; problems)."""
        ids: list[int] = []
        problems: list[str] = []
        for ref in _split_units(cell):
            match = UNIT_REF.match(ref)
            if match:
                pk = int(match.group("id"))
                found = self.by_id.get(pk)
                if found is None:
                    problems.append(_("No unit [%(id)s] among the units you can assign.") % {"id": pk})
                    continue
                if not found[1]:
                    problems.append(_("The unit “%(unit)s” is no longer active.") % {"unit": found[0]})
                    continue
            else:
                matches = self.by_name.get(tone_canonical(ref), [])
                if not matches:
                    problems.append(
                        _("Unknown unit “%(unit)s”: copy it from the “Đơn vị” sheet.") % {"unit": ref}
                    )
                    continue
                if len(matches) > 1:
                    problems.append(
                        _("Several units are named “%(unit)s”: add the unit's number, e.g. “%(example)s”.")
                        % {"unit": ref, "example": unit_ref(matches[0], ref)}
                    )
                    continue
                pk = matches[0]
            if pk not in ids:
                ids.append(pk)
        return ids, problems


def _split_units(cell: str) -> list[str]:
    return [nfc(part) for part in UNIT_SPLIT.split(cell or "") if nfc(part)]


def _existing(plan: Plan, codes: Iterable[int]) -> tuple[dict[int, Task], dict[int, list[_AssignmentInfo]]]:
    """The plan's tasks with these codes and their assignments (two queries)."""
    tasks = Task.objects.filter(plan=plan, pk__in=sorted(set(codes))).in_bulk()
    assignments: dict[int, list[_AssignmentInfo]] = defaultdict(list)
    rows = (
        Assignment.objects.filter(task_id__in=list(tasks))
        .annotate(
            has_reports=Exists(ProgressReport.objects.filter(assignment=OuterRef("pk"))),
            has_children=Exists(Task.objects.filter(parent_assignment=OuterRef("pk"))),
        )
        .values_list("task_id", "unit_id", "role", "status", "percent", "has_reports", "has_children")
    )
    for task_id, unit_id, role, status, percent, has_reports, has_children in rows:
        untouched = status == Status.NOT_STARTED and percent == 0 and not has_reports and not has_children
        assignments[task_id].append(_AssignmentInfo(unit_id, role, status, untouched))
    return tasks, assignments


def check_rows(
    *, actor, plan: Plan, sheet: Sheet, progress: Callable[[int, int], None] | None = None
) -> tuple[ImportPlan, list[RowError]]:
    """Validate every row against the plan (no writes). Lookups are done in bulk before the loop."""
    from .workdays import work_calendar

    header = {key: BY_KEY[key].header for key in BY_KEY}
    total = len(sheet.rows)
    errors: list[RowError] = []
    result = ImportPlan()

    codes: dict[int, int] = {}  # row number → code, for rows with a valid code
    for number, cells in sheet.rows:
        raw = sheet.value(cells, "code")
        try:
            code = _whole(raw)
        except ValueError:
            errors.append(
                RowError(number, header["code"], _("“%(value)s” is not a task code.") % {"value": _text(raw)})
            )
            continue
        if code is not None:
            codes[number] = code
    tasks, assignments = _existing(plan, codes.values())
    units = _Units(
        actor,
        [
            _text(sheet.value(cells, key))
            for _n, cells in sheet.rows
            for key in ("lead_units", "cooperating_units")
        ],
    )
    calendar = work_calendar()
    today = local_today()
    seen_codes: dict[int, int] = {}

    for index, (number, cells) in enumerate(sheet.rows, start=1):
        if progress and index % PROGRESS_EVERY == 0:
            progress(index, total)
        row_errors: list[RowError] = []

        def err(key: str, message: str, number=number, row_errors=row_errors) -> None:
            row_errors.append(RowError(number, header[key], message))

        task = None
        code = codes.get(number)
        if code is not None:
            if code in seen_codes:
                err("code", _("The same task as row %(row)s.") % {"row": seen_codes[code]})
            else:
                seen_codes[code] = number
                task = tasks.get(code)
                if task is None:
                    err("code", _("No task with the code %(code)s in this plan.") % {"code": code})
        values = _row_values(sheet, cells, task, err, calendar=calendar, today=today)
        lead, lead_problems = units.resolve(_text(sheet.value(cells, "lead_units")))
        cooperating, coop_problems = units.resolve(_text(sheet.value(cells, "cooperating_units")))
        for problem in lead_problems:
            err("lead_units", problem)
        for problem in coop_problems:
            err("cooperating_units", problem)
        both = [pk for pk in cooperating if pk in lead]
        if both:
            err("cooperating_units", _("A unit cannot be both lead and cooperating on one task."))
        if row_errors or (code is not None and task is None):
            errors.extend(row_errors)
            continue
        if task is None:
            if plan.status == Plan.PlanStatus.CLOSED:
                err("title", _("The plan is closed: no new tasks can be added."))
            else:
                result.creates.append(RowPlan(number, None, values, lead, cooperating))
        else:
            plan_row = _compare(
                number, task, values, lead, cooperating, assignments.get(task.pk, []), sheet, cells, err
            )
            if plan_row is None:
                result.unchanged += 1
            elif not row_errors:
                result.updates.append(plan_row)
        errors.extend(row_errors)
    if progress:
        progress(total, total)
    return result, errors


def _row_values(sheet: Sheet, cells: tuple, task: Task | None, err, *, calendar, today) -> dict[str, Any]:
    """The task fields of a row, normalised as the services store them. Columns absent from the file keep the
    existing task's value (new tasks: the default)."""
    present = sheet.positions

    def current(name: str, default: Any = "") -> Any:
        return getattr(task, name) if task is not None else default

    values: dict[str, Any] = {}
    values["title"] = nfc(_text(sheet.value(cells, "title"))) if "title" in present else current("title")
    if not values["title"]:
        err("title", _("The task is required."))
    elif len(values["title"]) > 500:
        err("title", _("At most 500 characters (this has %(n)s).") % {"n": len(values["title"])})
    for key, limit, normalise in (
        ("item_number", 20, nfc),
        ("result_required", 500, nfc),
        ("description", None, nfc_keep_lines),
    ):
        value = normalise(_text(sheet.value(cells, key))) if key in present else current(key)
        if limit and len(value) > limit:
            err(key, _("At most %(limit)s characters (this has %(n)s).") % {"limit": limit, "n": len(value)})
        values[key] = value
    if "priority" in present:
        label = nfc(_text(sheet.value(cells, "priority")))
        values["priority"] = PRIORITY_LOOKUP.get(fold(label)) if label else Priority.NORMAL
        if values["priority"] is None:
            err(
                "priority",
                _("Unknown priority “%(value)s”: use %(labels)s.")
                % {"value": label, "labels": ", ".join(PRIORITY_LABELS.values())},
            )
    else:
        values["priority"] = current("priority", Priority.NORMAL)
    for key in ("start_date", "due_date"):
        if key not in present:
            values[key] = current(key, None)
            continue
        raw = sheet.value(cells, key)
        try:
            values[key] = _date(raw)
        except ValueError:
            err(key, _("“%(value)s” is not a date (dd/mm/yyyy).") % {"value": _text(raw)})
            values[key] = None
    if "due_working_days" in present:
        raw = sheet.value(cells, "due_working_days")
        try:
            values["due_working_days"] = _whole(raw)
            if values["due_working_days"] is not None and values["due_working_days"] > 1000:
                raise ValueError(raw)
        except ValueError:
            err(
                "due_working_days",
                _("“%(value)s” is not a number of working days (0 to 1000).") % {"value": _text(raw)},
            )
            values["due_working_days"] = None
    else:
        values["due_working_days"] = current("due_working_days", None)
    days = values["due_working_days"]
    if days:
        # The due date follows from the working days (services._resolve_due): it must agree when given.
        unchanged = task is not None and (values["start_date"], days) == (
            task.start_date,
            task.due_working_days,
        )
        expected = (
            task.due_date if unchanged else calendar.add_working_days(values["start_date"] or today, days)
        )
        if values["due_date"] is not None and values["due_date"] != expected:
            err(
                "due_date",
                _(
                    "%(days)s working days from the start date end on %(expected)s, not on %(given)s: "
                    "correct or clear one of the two columns."
                )
                % {
                    "days": days,
                    "expected": expected.strftime("%d/%m/%Y"),
                    "given": values["due_date"].strftime("%d/%m/%Y"),
                },
            )
        values["due_date"] = expected
    if values["start_date"] and values["due_date"] and values["due_date"] < values["start_date"]:
        err("due_date", _("The due date cannot be before the start date."))
    return values


COMPARED = (
    ("title", nfc),
    ("item_number", nfc),
    ("description", nfc_keep_lines),
    ("result_required", nfc),
    ("priority", None),
    ("start_date", None),
    ("due_date", None),
    ("due_working_days", None),
)


def _compare(
    number: int,
    task: Task,
    values: dict[str, Any],
    lead: list[int],
    cooperating: list[int],
    assignments: list[_AssignmentInfo],
    sheet: Sheet,
    cells: tuple,
    err,
) -> RowPlan | None:
    """What differs between the row and the task; None when nothing does."""
    data = {}
    for name, normalise in COMPARED:
        old = getattr(task, name)
        if normalise is not None:
            old = normalise(old)
        if values[name] != old:
            data[name] = values[name]
    if values["due_working_days"] and "due_date" in data:
        # Derived from start date and working days: the service recomputes it.
        del data["due_date"]
    add_lead: list[int] = []
    add_cooperating: list[int] = []
    if "lead_units" in sheet.positions or "cooperating_units" in sheet.positions:
        live = [a for a in assignments if a.status != Status.CANCELLED]
        cancelled = {a.unit_id for a in assignments if a.status == Status.CANCELLED}
        current_lead = {a.unit_id for a in live if a.role == Assignment.Role.LEAD}
        current_coop = {a.unit_id for a in live if a.role == Assignment.Role.COOPERATE}
        file_lead = set(lead) if "lead_units" in sheet.positions else current_lead
        file_coop = set(cooperating) if "cooperating_units" in sheet.positions else current_coop
        add_lead = [pk for pk in lead if pk not in current_lead and pk not in current_coop]
        add_cooperating = [pk for pk in cooperating if pk not in current_coop and pk not in current_lead]
        if (file_lead & current_coop) or (file_coop & current_lead):
            err("lead_units", _("A unit's role on an existing task cannot be changed by import."))
        if cancelled & set(add_lead + add_cooperating):
            err(
                "lead_units",
                _("A unit whose assignment to this task was cancelled cannot be assigned again by import."),
            )
        if task.unit_id in add_lead + add_cooperating:
            err("lead_units", _("The plan's own unit can only be named on a new task."))
        removed = (current_lead - file_lead) | (current_coop - file_coop)
        own = next((a for a in live if a.unit_id == task.unit_id and a.role == Assignment.Role.LEAD), None)
        # The owner's own untouched assignment gives way to new lead units (services.task_cascade withdraws it).
        withdrawable = {task.unit_id} if own is not None and own.untouched and add_lead else set()
        if withdrawable and task.unit_id in file_lead:
            err(
                "lead_units",
                _("The plan's own unit gives way to the lead units added: remove it from this cell."),
            )
        if removed - withdrawable:
            column = "lead_units" if removed & current_lead else "cooperating_units"
            err(
                column,
                _("Units cannot be removed from a task by import (%(units)s): use the task's page.")
                % {"units": ", ".join(f"[{pk}]" for pk in sorted(removed - withdrawable))},
            )
    if not data and not add_lead and not add_cooperating:
        return None
    if task.status == Status.CANCELLED:
        err("title", _("A cancelled task cannot be edited."))
    elif (add_lead or add_cooperating) and task.status == Status.DONE:
        err("lead_units", _("A finished or cancelled task cannot be assigned."))
    raw_version = sheet.value(cells, "version")
    try:
        file_version = _whole(raw_version)
    except ValueError:
        file_version = None
        err("version", _("“%(value)s” is not a version number.") % {"value": _text(raw_version)})
    if file_version is not None and file_version != task.version:
        err(
            "version",
            _(
                "Someone changed this task after the file was exported (version %(file)s, now %(current)s): "
                "export the plan again and redo the change."
            )
            % {"file": file_version, "current": task.version},
        )
    return RowPlan(number, task, data, add_lead, add_cooperating, expected_version=task.version)


# ---------------------------------------------------------------------------------------------------------
# Applying


def _service_errors(number: int, exc: Exception) -> list[RowError]:
    header = {key: BY_KEY[key].header for key in BY_KEY}
    header["units"] = header["lead_units"]
    if isinstance(exc, ConflictError):
        return [RowError(number, BY_KEY["version"].header, exc.message)]
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return [
            RowError(number, header.get(name, ""), message)
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
    return [RowError(number, "", "; ".join(messages))]


def apply(*, actor, plan: Plan, import_plan: ImportPlan) -> ImportCounts:
    """Write a checked import in ONE transaction through the services; any failure rolls everything back and
    raises ImportRejected naming the row (e.g. someone edited a task between the check and the write).

    New rows go through `services.tasks_create_many` (a few bulk INSERTs, one notification per recipient), so
    5,000 new tasks hold the write lock for seconds, not minutes; the few changed rows through `task_update`
    and `task_cascade`."""
    ids = {pk for row in import_plan.creates + import_plan.updates for pk in row.lead + row.cooperating}
    units = OrgUnit.objects.in_bulk(sorted(ids))
    creates = import_plan.creates
    number = creates[0].number if creates else None
    try:
        with transaction.atomic():
            if creates:
                services.tasks_create_many(
                    actor=actor,
                    plan=plan,
                    rows=[
                        {
                            "data": row.data,
                            "lead_units": [units[pk] for pk in row.lead],
                            "cooperating_units": [units[pk] for pk in row.cooperating],
                        }
                        for row in creates
                    ],
                )
            for row in import_plan.updates:
                number = row.number
                if row.data:
                    services.task_update(
                        actor=actor, task=row.task, expected_version=row.expected_version, data=row.data
                    )
                for role, pks in (
                    (Assignment.Role.LEAD, row.lead),
                    (Assignment.Role.COOPERATE, row.cooperating),
                ):
                    if pks:
                        services.task_cascade(
                            actor=actor, task=row.task, units=[units[pk] for pk in pks], role=role
                        )
    except services.TaskRowsInvalid as exc:
        raise ImportRejected(
            [error for index, e in exc.by_row.items() for error in _service_errors(creates[index].number, e)]
        ) from exc
    except (ValidationError, ConflictError) as exc:
        raise ImportRejected(_service_errors(number, exc)) from exc
    return ImportCounts(
        created=len(import_plan.creates), updated=len(import_plan.updates), unchanged=import_plan.unchanged
    )


def import_plan_tasks(
    *, actor, plan: Plan, data: bytes, progress: Callable[[int, int], None] | None = None
) -> ImportCounts:
    """Read, check and apply an XLSX file of the plan's tasks (secretary of the plan's unit). All or nothing:
    raises ImportRejected with every problem found and writes nothing. `progress(done, total)` is called while
    rows are checked (outside any transaction, so a job can commit it)."""
    if not has_role(actor, plan.unit_path, Role.SECRETARY):
        raise PermissionDenied(_("You do not have permission to change this."))
    sheet = parse_header(read_workbook(data))
    if progress:
        progress(0, len(sheet.rows))
    import_plan, errors = check_rows(actor=actor, plan=plan, sheet=sheet, progress=progress)
    if errors:
        raise ImportRejected(errors)
    return apply(actor=actor, plan=plan, import_plan=import_plan)
