"""XLSX export of a plan's tasks, the file format its import reads, and the import jobs; the XLSX report of a
unit's task list.

The plan workbook is an edit-and-re-import format: the exported file is a valid import file (same columns), and
re-importing it unchanged changes nothing (no new version, no audit entry). Its columns are the fixed
Vietnamese headers of `COLUMNS` — a file contract, so they do not follow the interface language; English
aliases are accepted on import. A second sheet "Hướng dẫn" explains every column, a third "Đơn vị" lists the
units that may be named, written as `Name [id]` (the number in brackets decides).

Import (all or nothing, like `orgs.importing`): `import_job_create` stores the upload under a random name and
queues `work.tasks.run_plan_import`, which calls `xlsx_import.import_plan_tasks`:
1. `read_workbook` + `parse_header` (here): XLSX only (magic bytes, zip-bomb guard), header row found, unknown
   or repeated columns refused;
2. `xlsx_import.check_rows`: every row validated with bulk lookups (tasks, assignments, units: no query per
   row), reporting progress; every error collected as (row as the spreadsheet shows it, column header, reason);
3. `xlsx_import.apply`: with no error, one transaction through the work services.
"""

from __future__ import annotations

import datetime
import io
import re
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from steerdesk.core.scope import Role, has_role
from steerdesk.core.text import fold, nfc
from steerdesk.orgs.importing import ImportRejected, RowError
from steerdesk.orgs.models import OrgUnit

from .models import Assignment, ImportJob, Plan, Priority, Status, Task, local_today

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
PRIORITY_LOOKUP = {
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
    """(row number, cells) of the tasks sheet of an XLSX workbook; refuses other files by their bytes."""
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
        # The tasks sheet by its name (a user may have moved it), else the first sheet.
        sheet = workbook[TASKS_SHEET] if TASKS_SHEET in workbook.sheetnames else workbook.worksheets[0]
        rows = []
        # Read-only workbooks parse the sheet while it is iterated: a damaged sheet fails here, not above.
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((number, cells))
            if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS + 1:
                break
        return rows
    except Exception as exc:
        raise _reject(_("The file is not a readable XLSX workbook.")) from exc
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


# A job whose row has not moved for this long is taken as stopped: its worker died (a running job commits its
# progress every PROGRESS_EVERY rows, and its write phase takes seconds) or no worker runs (a queued job).
STALLED_AFTER = datetime.timedelta(minutes=10)


def import_job_stalled(job: ImportJob, now: datetime.datetime | None = None) -> bool:
    """True for a queued or running job without progress for STALLED_AFTER: the page says so and stops
    polling. The row is left as it is, so a worker that was only slow still records its outcome."""
    if job.status not in (ImportJob.JobStatus.QUEUED, ImportJob.JobStatus.RUNNING):
        return False
    return job.updated_at < (now or timezone.now()) - STALLED_AFTER


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
