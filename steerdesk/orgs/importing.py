"""Import people (and optionally their committee positions) from an XLSX or CSV list.

All or nothing: every row is checked first and the errors collected as (row as the user sees it in the
spreadsheet, column header, reason). With any error nothing is written; otherwise the people (and memberships)
are created through the services inside one transaction.

People already in the home unit are matched by tone-canonical full name (`Hoà` = `Hòa`) and **reused**, not
duplicated: their record is left as it is, and a committee position from the file is added to them.
"""

from __future__ import annotations

import csv
import datetime
import io
import math
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from steerdesk.core.scope import Role, has_role
from steerdesk.core.text import fold, nfc, split_name, tone_canonical

from . import services
from .models import Committee, Membership, OrgUnit, Person

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024  # guard against zip bombs disguised as XLSX
HEADER_SEARCH_ROWS = 10  # title lines above the header row are common in Vietnamese lists

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls / .doc

# Canonical column → accepted headers (compared folded: case and diacritics do not matter).
COLUMNS: dict[str, tuple[str, ...]] = {
    "full_name": ("Họ và tên", "Họ tên", "full_name", "full name", "name"),
    "title": ("Chức vụ", "title", "job title"),
    "email": ("Email", "E-mail", "Thư điện tử"),
    "phone": ("Điện thoại", "Số điện thoại", "phone"),
    "role": ("Vị trí trong Ban", "Vị trí", "role"),
    "start_date": ("Ngày bắt đầu", "start_date", "start date"),
    "decision_ref": ("Quyết định", "Số quyết định", "decision_ref", "decision"),
}
DISPLAY_HEADER = {key: names[0] for key, names in COLUMNS.items()}
_HEADER_LOOKUP = {fold(name).replace("_", " "): key for key, names in COLUMNS.items() for name in names}

# Vietnamese position names (folded) and the English codes → Membership.Role.
ROLE_NAMES = {
    "truong ban": Membership.Role.HEAD,
    "pho truong ban thuong truc": Membership.Role.STANDING_DEPUTY,
    "pho truong ban": Membership.Role.DEPUTY,
    "uy vien": Membership.Role.MEMBER,
    "thanh vien": Membership.Role.MEMBER,
    "to giup viec": Membership.Role.SECRETARIAT,
    "thu ky": Membership.Role.SECRETARIAT,
    "co quan thuong truc": Membership.Role.STANDING_AGENCY,
    "to chuyen gia": Membership.Role.EXPERTS,
    "cong tac vien": Membership.Role.COLLABORATORS,
    **{value: value for value in Membership.Role.values},
}

DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")
PHONE_CHARS = set("0123456789+-. ()")


@dataclass(frozen=True)
class RowError:
    row: int | None  # the spreadsheet's row number (header = its own row); None for the file as a whole
    column: str
    message: str

    def __str__(self) -> str:
        where = _("Row %(row)s") % {"row": self.row} if self.row else _("File")
        return (
            f"{where} · {self.column or '—'} · {self.message}" if self.column else f"{where} · {self.message}"
        )


class ImportRejected(Exception):
    """Nothing was imported; `errors` lists every problem found."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))

    def report(self) -> str:
        return "\n".join(str(e) for e in self.errors)


@dataclass
class ImportResult:
    created: int = 0
    reused: int = 0
    memberships: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    def summary(self) -> str:
        message = _(
            "Imported: %(created)s new people, %(reused)s already on file, %(memberships)s positions."
        ) % {
            "created": self.created,
            "reused": self.reused,
            "memberships": self.memberships,
        }
        if self.ignored_columns:
            message += " " + _("Ignored columns: %(columns)s.") % {"columns": ", ".join(self.ignored_columns)}
        return message


@dataclass
class _Row:
    number: int
    values: dict[str, Any]


# ---------------------------------------------------------------------------------------------------------
# Reading


def _reject(message: str) -> ImportRejected:
    return ImportRejected([RowError(None, "", message)])


def read_table(data: bytes) -> list[tuple[int, list[Any]]]:
    """(row number, cells) of the first sheet of an XLSX file or of a CSV file, checked by magic bytes."""
    if len(data) > MAX_BYTES:
        raise _reject(_("The file is larger than 5 MB."))
    if not data.strip():
        raise _reject(_("The file is empty."))
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    if data.startswith(OLE_MAGIC):
        raise _reject(_("Old Excel files (.xls) are not supported: save the list as .xlsx or CSV (UTF-8)."))
    if b"\x00" in data[:4096]:
        raise _reject(_("The file is neither an XLSX workbook nor a CSV text file."))
    return _read_csv(data)


def _read_xlsx(data: bytes) -> list[tuple[int, list[Any]]]:
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
        # Read-only workbooks parse the sheet while it is iterated: a damaged sheet fails here, not above.
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((number, list(cells)))
            if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS + 1:
                break
        return rows
    except Exception as exc:
        raise _reject(_("The file is not a readable XLSX workbook.")) from exc
    finally:
        workbook.close()


def _read_csv(data: bytes) -> list[tuple[int, list[Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _reject(_("The CSV file is not UTF-8 text: save it as “CSV UTF-8”.")) from exc
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows = []
    try:
        for number, cells in enumerate(
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1
        ):
            rows.append((number, cells))
            if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS + 1:
                break
    except csv.Error as exc:
        raise _reject(_("The CSV file could not be read: %(error)s") % {"error": exc}) from exc
    return rows


def _is_blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _header_key(cell: Any) -> str | None:
    if not isinstance(cell, str):
        return None
    return _HEADER_LOOKUP.get(fold(cell).replace("_", " "))


def parse_rows(table: list[tuple[int, list[Any]]]) -> tuple[list[_Row], dict[str, str], list[str]]:
    """Find the header row, map its columns and return (data rows, column → header as written, ignored
    headers). Raises ImportRejected when the header is missing or there are too many rows."""
    header_index = None
    for i, (_number, cells) in enumerate(table[:HEADER_SEARCH_ROWS]):
        if any(_header_key(c) == "full_name" for c in cells):
            header_index = i
            break
    if header_index is None:
        raise ImportRejected(
            [
                RowError(
                    1, DISPLAY_HEADER["full_name"], _("The required column is missing (no header row found).")
                )
            ]
        )
    header_number, header_cells = table[header_index]
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    ignored = []
    errors = []
    for position, cell in enumerate(header_cells):
        key = _header_key(cell)
        if key is None:
            if isinstance(cell, str) and cell.strip():
                ignored.append(nfc(cell))
            continue
        if key in positions:
            errors.append(RowError(header_number, nfc(cell), _("This column appears twice.")))
            continue
        positions[key] = position
        headers[key] = nfc(cell)
    if errors:
        raise ImportRejected(errors)
    rows = []
    for number, cells in table[header_index + 1 :]:
        if _is_blank(cells):
            continue
        values = {key: (cells[pos] if pos < len(cells) else None) for key, pos in positions.items()}
        rows.append(_Row(number, values))
    if len(rows) > MAX_ROWS:
        raise _reject(_("The file has more than 5,000 rows: split it into several files."))
    if not rows:
        raise _reject(_("The file has a header but no rows."))
    return rows, headers, ignored


# ---------------------------------------------------------------------------------------------------------
# Checking


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value))


def _phone(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        digits = str(int(value))
        # A number cell drops the leading zero of a Vietnamese phone number (0912…, 10 digits).
        return "0" + digits if len(digits) == 9 else digits
    return _text(value)


def _date(value: Any) -> datetime.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    if not text:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _check_row(
    row: _Row, headers: dict[str, str], has_committee: bool
) -> tuple[dict[str, Any], list[RowError]]:
    errors: list[RowError] = []
    v = row.values
    out: dict[str, Any] = {}

    def err(key: str, message: str) -> None:
        errors.append(RowError(row.number, headers.get(key, DISPLAY_HEADER[key]), message))

    full_name = _text(v.get("full_name"))
    if not full_name:
        err("full_name", _("The full name is required."))
    elif len(full_name) > 200:
        err("full_name", _("The full name is longer than 200 characters."))
    elif not split_name(full_name).given:
        err("full_name", _("The full name has no given name."))
    out["full_name"] = full_name

    out["title"] = _text(v.get("title"))
    if len(out["title"]) > 255:
        err("title", _("The job title is longer than 255 characters."))

    out["email"] = _text(v.get("email"))
    if out["email"]:
        try:
            validate_email(out["email"])
        except ValidationError:
            err("email", _("“%(value)s” is not a valid e-mail address.") % {"value": out["email"]})

    out["phone"] = _phone(v.get("phone"))
    if out["phone"] and (len(out["phone"]) > 30 or not set(out["phone"]) <= PHONE_CHARS):
        err("phone", _("“%(value)s” is not a valid phone number.") % {"value": out["phone"]})

    role_text = _text(v.get("role"))
    out["role"] = Membership.Role.MEMBER if has_committee else None
    if role_text:
        role = ROLE_NAMES.get(fold(role_text))
        if role is None:
            err("role", _("Unknown position “%(value)s”.") % {"value": role_text})
        elif not has_committee:
            err("role", _("A position needs a committee: choose the committee to import into."))
        else:
            out["role"] = role

    try:
        out["start_date"] = _date(v.get("start_date"))
    except ValueError:
        err(
            "start_date", _("“%(value)s” is not a date (dd/mm/yyyy).") % {"value": _text(v.get("start_date"))}
        )
        out["start_date"] = None

    out["decision_ref"] = _text(v.get("decision_ref"))
    if len(out["decision_ref"]) > 255:
        err("decision_ref", _("The decision reference is longer than 255 characters."))
    return out, errors


def check_rows(
    rows: list[_Row], headers: dict[str, str], *, unit: OrgUnit, committee: Committee | None
) -> tuple[list[tuple[int, dict[str, Any], int | None]], list[RowError]]:
    """Validate every row; return (row number, clean values, existing person id or None) and all errors."""
    errors: list[RowError] = []
    existing: dict[str, list[int]] = {}
    for pk, name in Person.objects.filter(home_unit=unit).values_list("pk", "full_name"):
        existing.setdefault(tone_canonical(name), []).append(pk)
    current: set[tuple[int, str]] = set()
    has_head = False
    if committee is not None:
        for person_id, role in Membership.objects.filter(
            committee=committee, end_date__isnull=True
        ).values_list("person_id", "role"):
            current.add((person_id, role))
            has_head = has_head or role == Membership.Role.HEAD
    role_header = headers.get("role", DISPLAY_HEADER["role"])
    seen: dict[tuple[str, str | None], int] = {}
    head_row: int | None = None
    checked = []
    for row in rows:
        values, row_errors = _check_row(row, headers, committee is not None)
        errors.extend(row_errors)
        if row_errors:
            continue
        canonical = tone_canonical(values["full_name"])
        matches = existing.get(canonical, [])
        if len(matches) > 1:
            errors.append(
                RowError(
                    row.number,
                    headers["full_name"],
                    _("Several people named “%(name)s” already exist in %(unit)s: add this one by hand.")
                    % {"name": values["full_name"], "unit": unit.name},
                )
            )
            continue
        person_id = matches[0] if matches else None
        key = (canonical, values["role"])
        if key in seen:
            errors.append(
                RowError(
                    row.number,
                    headers["full_name"],
                    _("Same person as row %(row)s.") % {"row": seen[key]},
                )
            )
            continue
        seen[key] = row.number
        role = values["role"]
        if role is not None:
            if person_id is not None and (person_id, role) in current:
                errors.append(
                    RowError(
                        row.number,
                        role_header,
                        _("This person already holds this position in the committee."),
                    )
                )
                continue
            if role == Membership.Role.HEAD:
                if has_head:
                    errors.append(
                        RowError(row.number, role_header, _("This committee already has a current head."))
                    )
                    continue
                if head_row is not None:
                    errors.append(
                        RowError(
                            row.number, role_header, _("Row %(row)s is already the head.") % {"row": head_row}
                        )
                    )
                    continue
                head_row = row.number
        checked.append((row.number, values, person_id))
    return checked, errors


# ---------------------------------------------------------------------------------------------------------
# Importing


def import_people(*, actor, unit: OrgUnit, data: bytes, committee: Committee | None = None) -> ImportResult:
    """Import the people listed in `data` (XLSX or CSV bytes) into `unit`, and appoint them to `committee`
    when given. All or nothing: raises ImportRejected with every error found and writes nothing.

    Requires secretary over the unit (and over the committee's unit).
    """
    if not has_role(actor, unit.path, Role.SECRETARY):
        raise PermissionDenied(_("You do not have permission to add people to this unit."))
    if committee is not None and not has_role(actor, committee.unit_path, Role.SECRETARY):
        raise PermissionDenied(_("You do not have permission to change this committee."))
    rows, headers, ignored = parse_rows(read_table(data))
    checked, errors = check_rows(rows, headers, unit=unit, committee=committee)
    if errors:
        raise ImportRejected(errors)
    result = ImportResult(ignored_columns=ignored)
    people: dict[str, Person] = {}
    existing_ids = {person_id for _n, _v, person_id in checked if person_id}
    existing = Person.objects.in_bulk(existing_ids)
    current_row = None
    try:
        with transaction.atomic():
            for number, values, person_id in checked:
                current_row = number
                canonical = tone_canonical(values["full_name"])
                person = people.get(canonical) or existing.get(person_id)
                if person is None:
                    person = services.person_create(
                        actor=actor,
                        home_unit=unit,
                        full_name=values["full_name"],
                        title=values["title"],
                        email=values["email"],
                        phone=values["phone"],
                    )
                    result.created += 1
                elif canonical not in people:
                    result.reused += 1
                people[canonical] = person
                if committee is not None:
                    services.membership_appoint(
                        actor=actor,
                        committee=committee,
                        person=person,
                        role=values["role"],
                        start_date=values["start_date"],
                        decision_ref=values["decision_ref"],
                    )
                    result.memberships += 1
    except ValidationError as exc:
        # Someone changed the data between the check and the write: report it on the row, nothing written.
        raise ImportRejected([RowError(current_row, "", "; ".join(exc.messages))]) from exc
    return result
