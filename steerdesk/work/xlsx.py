"""XLSX export and import of a plan's tasks; the XLSX report of a unit's task list.

The plan workbook is an edit-and-re-import format: the exported file is a valid import file (same columns), and
re-importing it unchanged changes nothing (no new version, no audit entry). Its columns are the fixed
Vietnamese headers of `COLUMNS` — a file contract, so they do not follow the interface language; English
aliases are accepted on import. A second sheet "Hướng dẫn" explains every column, a third "Đơn vị" lists the
units that may be named, written as `Name [id]`.

Import (all or nothing, like `orgs.importing`): `import_job_create` stores the upload under a random name and
queues `work.tasks.run_plan_import`, which calls `import_plan_tasks`:
1. `read_workbook` + `parse_header`: XLSX only (magic bytes, zip-bomb guard), header row found, unknown or
   repeated columns refused;
2. `check_rows`: every row validated with bulk lookups (tasks, assignments, units: no query per row),
   reporting progress; every error collected as (row as the spreadsheet shows it, column header, reason);
3. `apply`: with no error, one transaction through the work services: `task_create` for rows without a code,
   `task_update` only for rows whose values differ, `task_cascade` for units added to an existing task.

Unit cells name units as `Name [id]` (the number in brackets decides) or by their exact name when it is
unambiguous among the units the importer can see; several units are separated by `;` or line breaks.
"""

from __future__ import annotations

import datetime
import io
import re
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from steerdesk.core.locking import ConflictError
from steerdesk.core.scope import Role, has_role
from steerdesk.core.text import fold, nfc, nfc_keep_lines, tone_canonical
from steerdesk.orgs.importing import ImportRejected, RowError
from steerdesk.orgs.models import OrgUnit

from . import services
from .models import Assignment, ImportJob, Plan, Priority, ProgressReport, Status, Task, local_today

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT_MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 5000
HEADER_SEARCH_ROWS = 10  # title lines above the header are common in Vietnamese spreadsheets
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
PROGRESS_EVERY = 250
MAX_STORED_ERRORS = 1000
EXPORT_MAX_ROWS = 50_000
UNIT_SHEET_MAX = 20_000
VALIDATION_ROWS = 5000  # data validation lists reach this many rows below the exported ones

TASKS_SHEET = "Nhiệm vụ"
GUIDE_SHEET = "Hướng dẫn"
UNITS_SHEET = "Đơn vị"
DATE_FORMAT = "dd/mm/yyyy"
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int
    aliases: tuple[str, ...] = ()
    readonly: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("code", "Mã", 8, ("Mã nhiệm vụ", "id", "code")),
    Column("version", "Phiên bản", 9, ("version",)),
    Column("item_number", "Mục", 8, ("STT", "STT/Mục", "Số thứ tự", "item")),
    Column("title", "Nội dung nhiệm vụ", 50, ("Nhiệm vụ", "Tên nhiệm vụ", "title", "task")),
    Column("description", "Mô tả", 40, ("description",)),
    Column("lead_units", "Đơn vị chủ trì", 32, ("Chủ trì", "lead units", "lead unit")),
    Column("cooperating_units", "Đơn vị phối hợp", 32, ("Phối hợp", "cooperating units")),
    Column("start_date", "Ngày bắt đầu", 13, ("start date",)),
    Column("due_date", "Hạn hoàn thành", 13, ("Hạn xử lý", "Thời hạn", "due date", "deadline")),
    Column("due_working_days", "Số ngày làm việc", 11, ("working days",)),
    Column("priority", "Mức ưu tiên", 13, ("Ưu tiên", "priority")),
    Column("result_required", "Kết quả cần đạt", 36, ("expected result",)),
    Column("status", "Trạng thái", 16, ("status",), readonly=True),
    Column("percent", "% hoàn thành", 11, ("Tiến độ", "percent", "% done"), readonly=True),
)
BY_KEY = {c.key: c for c in COLUMNS}
HEADER = [c.header for c in COLUMNS]


def _header_fold(text: str) -> str:
    return fold(text).replace("_", " ").strip()


_HEADER_LOOKUP = {_header_fold(name): c.key for c in COLUMNS for name in (c.header, *c.aliases)}

# Priority labels written in the file (fixed Vietnamese, like the headers); English labels and codes accepted.
PRIORITY_LABELS = {
    Priority.LOW: "Thấp",
    Priority.NORMAL: "Bình thường",
    Priority.HIGH: "Cao",
    Priority.URGENT: "Khẩn",
}
_PRIORITY_LOOKUP = {
    **{fold(label): code for code, label in PRIORITY_LABELS.items()},
    **{fold(code): code for code in Priority.values},
    **{fold(str(label)): code for code, label in Priority.choices},
    "thuong": Priority.NORMAL,
    "khan cap": Priority.URGENT,
    "hoa toc": Priority.URGENT,
}

UNIT_REF = re.compile(r"^(?P<name>.*?)\s*\[\s*(?P<id>\d+)\s*\]$", re.S)
UNIT_SPLIT = re.compile(r"[;\n\r]+")
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")


def unit_ref(unit_id: int, name: str) -> str:
    """How a unit is written in a unit cell: `Huyện Lạc Sơn [12]`."""
    return f"{name} [{unit_id}]"


def _natural_key(item: str) -> tuple:
    parts = [p for p in re.split(r"(\d+)", item or "") if p]
    return (
        not parts,
        tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts),
    )


# ---------------------------------------------------------------------------------------------------------
# Export


def _cell_text(value: str) -> str:
    return _ILLEGAL.sub("", value)


def _put(ws, row: int, column: int, value: Any, *, number_format: str | None = None):
    """Write one cell; text is always text (a title starting with "=" must not become a formula)."""
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = _cell_text(value)
        cell.data_type = "s"
    else:
        cell.value = value
    if number_format:
        cell.number_format = number_format
    return cell


def _style_header(ws, headers: list[str], widths: Iterable[int], readonly: Iterable[bool] = ()) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE6F0")
    grey = PatternFill("solid", fgColor="EEEEEE")
    readonly = list(readonly) or [False] * len(headers)
    for index, (header, width, locked) in enumerate(zip(headers, widths, readonly, strict=True), start=1):
        cell = _put(ws, 1, index, header)
        cell.font = bold
        cell.fill = grey if locked else fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}1"


def _save(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _plan_rows(*, user, plan: Plan) -> list[tuple[Task, list[tuple[int, str]], list[tuple[int, str]]]]:
    """The plan's tasks in item order with their lead and cooperating units (cancelled assignments left out)."""
    tasks = list(Task.objects.for_user(user).filter(plan=plan).order_by("id")[:EXPORT_MAX_ROWS])
    tasks.sort(key=lambda t: _natural_key(t.item_number))
    units: dict[int, dict[str, list[tuple[int, str]]]] = defaultdict(lambda: {"lead": [], "cooperate": []})
    assignments = (
        Assignment.objects.filter(task__in=[t.pk for t in tasks])
        .exclude(status=Status.CANCELLED)
        .order_by("unit__path", "id")
        .values_list("task_id", "role", "unit_id", "unit__name")
    )
    for task_id, role, unit_id, unit_name in assignments:
        units[task_id][role].append((unit_id, unit_name))
    return [(t, units[t.pk]["lead"], units[t.pk]["cooperate"]) for t in tasks]


def export_plan(*, user, plan: Plan) -> bytes:
    """The plan's tasks as an import-ready workbook: frozen header, widths, dates as real Excel dates
    (dd/mm/yyyy), a priority list, the "Hướng dẫn" sheet and the "Đơn vị" sheet of units one may name."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = TASKS_SHEET
    _style_header(ws, HEADER, [c.width for c in COLUMNS], [c.readonly or c.key == "version" for c in COLUMNS])
    position = {c.key: i for i, c in enumerate(COLUMNS, start=1)}
    grey = Font(color="666666")
    rows = _plan_rows(user=user, plan=plan)
    for r, (task, lead, cooperating) in enumerate(rows, start=2):
        values = {
            "code": task.pk,
            "version": task.version,
            "item_number": task.item_number,
            "title": task.title,
            "description": task.description,
            "lead_units": "; ".join(unit_ref(pk, name) for pk, name in lead),
            "cooperating_units": "; ".join(unit_ref(pk, name) for pk, name in cooperating),
            "start_date": task.start_date,
            "due_date": task.due_date,
            "due_working_days": task.due_working_days,
            "priority": PRIORITY_LABELS.get(task.priority, task.priority),
            "result_required": task.result_required,
            "status": str(task.get_status_display()),
            "percent": task.percent,
        }
        for key, value in values.items():
            fmt = DATE_FORMAT if key in ("start_date", "due_date") else "@" if key == "item_number" else None
            cell = _put(ws, r, position[key], value, number_format=fmt)
            if key in ("version", "status", "percent"):
                cell.font = grey
    last = len(rows) + 1 + VALIDATION_ROWS

    def column_range(key: str) -> str:
        letter = get_column_letter(position[key])
        return f"{letter}2:{letter}{last}"

    priority = DataValidation(
        type="list",
        formula1='"' + ",".join(PRIORITY_LABELS.values()) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=BY_KEY["priority"].header,
        error=_("Choose a priority from the list."),
    )
    priority.add(column_range("priority"))
    days = DataValidation(
        type="whole",
        operator="between",
        formula1="0",
        formula2="1000",
        allow_blank=True,
        showErrorMessage=True,
    )
    days.add(column_range("due_working_days"))
    dates = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True)
    dates.add(column_range("start_date"))
    dates.add(column_range("due_date"))
    for validation in (priority, days, dates):
        ws.add_data_validation(validation)

    _guide_sheet(wb.create_sheet(GUIDE_SHEET), plan)
    _units_sheet(wb.create_sheet(UNITS_SHEET), user)
    return _save(wb)


def _guide_sheet(ws, plan: Plan) -> None:
    from openpyxl.styles import Alignment, Font

    lines = [
        (_("Plan"), plan.title),
        (_("Unit"), plan.unit.name),
        (_("Exported at"), timezone.localtime().strftime("%d/%m/%Y %H:%M")),
        ("", ""),
        (
            _("How to use"),
            _(
                "Edit the tasks on the first sheet, add new rows with an empty code, then import the file on "
                "the plan's page. The import is all or nothing: if any row has a problem, nothing is changed "
                "and every problem is listed with its row and column. Rows that did not change are left "
                "alone. Do not rename the column headers."
            ),
        ),
        ("", ""),
        (BY_KEY["code"].header, _("The task's code. Leave it empty for a new task; do not change it.")),
        (
            BY_KEY["version"].header,
            _(
                "The task's version when the file was exported (do not change it). If someone changed the "
                "task since then, changing its row is refused: export again."
            ),
        ),
        (BY_KEY["item_number"].header, _("The item number in the plan, e.g. 1, 2.3.")),
        (BY_KEY["title"].header, _("The task (required, at most 500 characters).")),
        (BY_KEY["description"].header, _("Details of the task.")),
        (
            BY_KEY["lead_units"].header,
            _(
                "Lead units (chủ trì), written as on the “Đơn vị” sheet: the name followed by the unit's "
                "number in square brackets, e.g. “Huyện Lạc Sơn [12]”; the number decides. A unit's exact "
                "name alone is accepted when no other unit has that name. Separate several units with “;”. "
                "Empty on a new task: the plan's own unit does it. Units can be added to an existing task, "
                "not removed (use the task's page)."
            ),
        ),
        (BY_KEY["cooperating_units"].header, _("Cooperating units (phối hợp), written like the lead units.")),
        (BY_KEY["start_date"].header, _("Start date, dd/mm/yyyy.")),
        (BY_KEY["due_date"].header, _("Due date, dd/mm/yyyy; not before the start date.")),
        (
            BY_KEY["due_working_days"].header,
            _(
                "A deadline in working days: when filled, the due date is this many working days after the "
                "start date (or after the import day) and the due date column may stay empty."
            ),
        ),
        (
            BY_KEY["priority"].header,
            _("One of: %(labels)s (empty: %(default)s).")
            % {
                "labels": ", ".join(PRIORITY_LABELS.values()),
                "default": PRIORITY_LABELS[Priority.NORMAL],
            },
        ),
        (BY_KEY["result_required"].header, _("What must be delivered to close the task.")),
        (BY_KEY["status"].header, _("For information only: not imported.")),
        (BY_KEY["percent"].header, _("For information only: not imported.")),
    ]
    bold = Font(bold=True)
    for r, (label, text) in enumerate(lines, start=1):
        _put(ws, r, 1, label).font = bold
        _put(ws, r, 2, text).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 100


def _units_sheet(ws, user) -> None:
    headers = [_("Unit (copy this cell)"), _("Kind"), _("Parent unit")]
    _style_header(ws, headers, [50, 18, 40])
    kinds = dict(OrgUnit.Kind.choices)
    units = (
        OrgUnit.objects.for_user(user)
        .filter(is_active=True)
        .order_by("path")
        .values_list("pk", "name", "kind", "parent__name")[:UNIT_SHEET_MAX]
    )
    for r, (pk, name, kind, parent_name) in enumerate(units, start=2):
        _put(ws, r, 1, unit_ref(pk, name))
        _put(ws, r, 2, str(kinds.get(kind, kind)))
        _put(ws, r, 3, parent_name or "")


def export_assignments(*, assignments, today: datetime.date | None = None) -> bytes:
    """A read-only report of an assignment list (the unit tasks page with its filters); not an import format."""
    from openpyxl import Workbook

    today = today or local_today()
    wb = Workbook()
    ws = wb.active
    ws.title = _("Tasks")[:31]
    headers = [
        _("Task"),
        _("Plan"),
        _("Assigning unit"),
        _("Assigned unit"),
        _("Role"),
        _("Due date"),
        _("Status"),
        _("Percent done"),
        _("Result"),
        _("Completed on"),
    ]
    _style_header(ws, headers, [50, 30, 28, 28, 14, 13, 16, 11, 40, 13])
    for r, a in enumerate(assignments[:EXPORT_MAX_ROWS].iterator(chunk_size=2000), start=2):
        status = str(a.get_status_display())
        if a.is_overdue(today):
            status = _("%(status)s (overdue)") % {"status": status}
        completed = timezone.localtime(a.completed_at).date() if a.completed_at else None
        values = [
            a.task.title,
            a.task.plan.title if a.task.plan_id else "",
            a.task.unit.name,
            a.unit.name,
            str(a.get_role_display()),
            a.due_date,
            status,
            a.percent,
            a.result,
            completed,
        ]
        for c, value in enumerate(values, start=1):
            _put(ws, r, c, value, number_format=DATE_FORMAT if isinstance(value, datetime.date) else None)
    return _save(wb)


# ---------------------------------------------------------------------------------------------------------
# Reading


def _reject(message: str, column: str = "") -> ImportRejected:
    return ImportRejected([RowError(None, column, message)])


def read_workbook(data: bytes) -> list[tuple[int, tuple]]:
    """(row number, cells) of the first sheet of an XLSX workbook; refuses other files by their bytes."""
    if len(data) > IMPORT_MAX_BYTES:
        raise _reject(_("The file is larger than %(mb)s MB.") % {"mb": IMPORT_MAX_BYTES // (1024 * 1024)})
    if not data.startswith(b"PK\x03\x04"):
        raise _reject(_("The file is not an XLSX workbook: save it from the spreadsheet as .xlsx."))
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                raise _reject(_("The workbook is too large once unpacked."))
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ImportRejected:
        raise
    except Exception as exc:  # a ZIP that is not a workbook, a damaged file…
        raise _reject(_("The file is not a readable XLSX workbook.")) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((number, cells))
            if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS + 1:
                break
        return rows
    finally:
        workbook.close()


def _is_blank(cells: Iterable[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _header_key(cell: Any) -> str | None:
    return _HEADER_LOOKUP.get(_header_fold(cell)) if isinstance(cell, str) else None


@dataclass
class Sheet:
    """The data rows of the sheet and where each known column is."""

    header_row: int
    positions: dict[str, int]
    rows: list[tuple[int, tuple]]

    def value(self, cells: tuple, key: str) -> Any:
        position = self.positions.get(key)
        return cells[position] if position is not None and position < len(cells) else None


def parse_header(table: list[tuple[int, tuple]]) -> Sheet:
    """Find the header row (the one with the task column) and map its columns. Unknown or repeated headers are
    refused: a misspelt header would otherwise silently drop a column's edits."""
    title = BY_KEY["title"]
    found = None
    for index, (_number, cells) in enumerate(table[:HEADER_SEARCH_ROWS]):
        if any(_header_key(c) == "title" for c in cells):
            found = index
            break
    if found is None:
        raise ImportRejected(
            [
                RowError(
                    1,
                    title.header,
                    _(
                        "No header row with the column “%(column)s” was found: the first sheet must have the "
                        "columns of the exported file (%(columns)s)."
                    )
                    % {"column": title.header, "columns": ", ".join(HEADER)},
                )
            ]
        )
    header_number, header_cells = table[found]
    positions: dict[str, int] = {}
    errors = []
    for position, cell in enumerate(header_cells):
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            continue
        key = _header_key(cell)
        shown = nfc(str(cell))
        if key is None:
            errors.append(
                RowError(
                    header_number,
                    shown,
                    _("Unknown column: rename it to one of %(columns)s, or delete it.")
                    % {"columns": ", ".join(HEADER)},
                )
            )
        elif key in positions:
            errors.append(RowError(header_number, shown, _("This column appears twice.")))
        else:
            positions[key] = position
    if errors:
        raise ImportRejected(errors)
    rows = [(n, cells) for n, cells in table[found + 1 :] if not _is_blank(cells)]
    if len(rows) > MAX_ROWS:
        raise _reject(_("The file has more than 5,000 rows: split it into several files."))
    if not rows:
        raise _reject(_("The file has a header but no rows."))
    return Sheet(header_row=header_number, positions=positions, rows=rows)


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
        values["priority"] = _PRIORITY_LOOKUP.get(fold(label)) if label else Priority.NORMAL
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
    raises ImportRejected naming the row (e.g. someone edited a task between the check and the write)."""
    ids = {pk for row in import_plan.creates + import_plan.updates for pk in row.lead + row.cooperating}
    units = OrgUnit.objects.in_bulk(sorted(ids))
    number = None
    try:
        with transaction.atomic():
            for row in import_plan.creates:
                number = row.number
                services.task_create(
                    actor=actor,
                    unit=plan.unit,
                    plan=plan,
                    data=row.data,
                    lead_units=[units[pk] for pk in row.lead] or None,
                    cooperating_units=[units[pk] for pk in row.cooperating],
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


# ---------------------------------------------------------------------------------------------------------
# Import jobs


def import_storage_name(now=None) -> str:
    """`imports/<yyyy>/<mm>/<uuid4 hex>`: random, nothing the user chose."""
    now = now or timezone.now()
    return f"imports/{now:%Y}/{now:%m}/{uuid.uuid4().hex}"


def import_job_create(*, actor, plan: Plan, uploaded_file) -> ImportJob:
    """Store an uploaded XLSX file and queue its import into `plan` (secretary of the plan's unit).

    The type is checked by content (an XLSX workbook, zip-bomb guard), the size against IMPORT_MAX_BYTES; the
    file is stored under a random name and the job runs after the transaction commits. The job row itself is
    the record of the import (who, when, which file, the outcome): it is not written to the audit log, so an
    import that changes nothing leaves no audit entry."""
    from steerdesk.documents.attachments import XLSX, _measure, clean_filename, sniff

    from .tasks import run_plan_import

    if not has_role(actor, plan.unit_path, Role.SECRETARY):
        raise PermissionDenied(_("You do not have permission to change this."))
    try:
        kind = sniff(uploaded_file)
    except ValidationError as exc:
        if exc.code == "bad_archive":  # an unsafe or damaged archive: say so
            raise
        kind = None
    if kind != XLSX:
        raise ValidationError(
            _("The file is not an XLSX workbook: save it from the spreadsheet as .xlsx."), code="bad_type"
        )
    size, _sha256 = _measure(uploaded_file)
    if size > IMPORT_MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)s MB.") % {"mb": IMPORT_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    name = clean_filename(getattr(uploaded_file, "name", ""), fallback_extension=".xlsx")
    storage_name = default_storage.save(import_storage_name(), uploaded_file)
    try:
        with transaction.atomic():
            job = ImportJob.objects.create(
                plan=plan,
                unit_path=plan.unit_path,
                original_name=name,
                storage_name=storage_name,
                created_by=actor,
                updated_by=actor,
            )
            transaction.on_commit(partial(run_plan_import.enqueue, job.pk))
    except BaseException:
        default_storage.delete(storage_name)
        raise
    return job


def import_job_get(*, user, pk) -> ImportJob:
    """An import job of a plan the user may change (secretary of its unit): 404 out of scope, 403 read-only."""
    from django.http import Http404

    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    job = ImportJob.objects.for_user(user).select_related("plan").filter(pk=pk).first()
    if job is None:
        raise Http404
    if not has_role(user, job.unit_path, Role.SECRETARY):
        raise PermissionDenied
    return job
