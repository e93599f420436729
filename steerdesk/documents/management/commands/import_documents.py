"""`steerdesk import_documents FILE --register ID --user USERNAME`: load an existing register kept in Excel.

Columns (header row; case and diacritics do not matter): Số/number, Ngày/date (dd/mm/yyyy), Loại/type (name or
code), Trích yếu/summary, Người ký/signer, Nơi nhận/recipients; for incoming registers also Số đến/incoming
number, Ngày đến/incoming date and Cơ quan ban hành/issuer. All or nothing: every row is checked first; on any
error the report (row · column · reason) goes to stderr, nothing is written and the exit code is 1.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from steerdesk.core.text import fold, nfc
from steerdesk.documents import numbering, selectors, services
from steerdesk.documents.models import Document, Register
from steerdesk.orgs.importing import MAX_BYTES, ImportRejected, RowError, read_table

COLUMNS: dict[str, tuple[str, ...]] = {
    "number_text": ("Số", "Số, ký hiệu", "Số ký hiệu", "Số hiệu", "number"),
    "signing_date": ("Ngày", "Ngày văn bản", "Ngày ban hành", "date"),
    "doc_type": ("Loại", "Loại văn bản", "type"),
    "summary": ("Trích yếu", "Trích yếu nội dung", "summary"),
    "signer_name": ("Người ký", "signer"),
    "external_recipients": ("Nơi nhận", "recipients"),
    "incoming_number": ("Số đến", "incoming number"),
    "incoming_date": ("Ngày đến", "incoming date"),
    "issuer_name": ("Cơ quan ban hành", "Nơi gửi", "Tác giả", "issuer"),
}
HEADER = {key: names[0] for key, names in COLUMNS.items()}
LOOKUP = {fold(name).replace("_", " "): key for key, names in COLUMNS.items() for name in names}
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value))


def _date(value: Any) -> datetime.date | None:
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


def check_rows(register: Register, table: list[tuple[int, list[Any]]]) -> list[dict[str, Any]]:
    """Parse and check every row; ImportRejected with every error found (nothing is written here)."""
    incoming = register.direction == Register.Direction.INCOMING
    header_row, header = next(
        ((n, cells) for n, cells in table if any(_text(c) for c in cells)), (None, None)
    )
    if header is None:
        raise ImportRejected([RowError(None, "", "The file has no header row.")])
    columns = {i: LOOKUP.get(fold(_text(c)).replace("_", " ")) for i, c in enumerate(header)}
    needed = ["number_text", "signing_date", "doc_type", "summary"]
    needed += ["incoming_number", "incoming_date", "issuer_name"] if incoming else []
    missing = [HEADER[k] for k in needed if k not in columns.values()]
    if missing:
        raise ImportRejected([RowError(header_row, m, "Missing column.") for m in missing])
    errors: list[RowError] = []
    rows: list[dict[str, Any]] = []
    seen: dict[tuple, int] = {}
    existing_numbers = set(
        Document.objects.filter(register=register, number__isnull=False).values_list(
            "period_key", "series_key", "number"
        )
    )
    existing_incoming = set(
        Document.objects.filter(register=register, incoming_number__isnull=False).values_list(
            "period_key", "incoming_number"
        )
    )
    for number, cells in table:
        if number <= header_row or not any(_text(c) for c in cells):
            continue
        raw = {key: cells[i] if i < len(cells) else None for i, key in columns.items() if key}

        def err(key, message, row=number):
            errors.append(RowError(row, HEADER[key], message))

        row: dict[str, Any] = {}
        for key in needed:
            if not _text(raw.get(key)):
                err(key, "Required.")
        for key in ("signing_date", "incoming_date"):
            if key in raw and _text(raw.get(key)):
                try:
                    row[key] = _date(raw[key])
                except ValueError:
                    err(key, "Not a date: write dd/mm/yyyy.")
        type_text = _text(raw.get("doc_type"))
        if type_text:
            doc_type = selectors.document_type_by_name_or_code(type_text, register.system)
            if doc_type is None:
                err("doc_type", f"Unknown document type: {type_text}.")
            else:
                row["doc_type"] = doc_type
        row["summary"] = _text(raw.get("summary"))
        if len(row["summary"]) > 1000:
            err("summary", "Longer than 1,000 characters.")
        for key in ("signer_name", "external_recipients", "issuer_name"):
            if key in raw:
                row[key] = _text(raw.get(key))
        number_text = _text(raw.get("number_text"))
        if number_text:
            try:
                parsed = numbering.parse_number(number_text)
            except ValueError:
                if not incoming:
                    err("number_text", f"Not a document number: {number_text}.")
                row["number_text"] = number_text
            else:
                row["number_text"] = parsed.canonical
                if not incoming and row.get("signing_date") and row.get("doc_type"):
                    try:
                        period = numbering.period_key(
                            register.period, row["signing_date"], register.term_start
                        )
                    except ValueError as exc:
                        err("signing_date", str(exc))
                    else:
                        series = services.series_key_for(register, row["doc_type"], secret=False)
                        key = (period, series, int(parsed.number))
                        if key in existing_numbers:
                            err(
                                "number_text",
                                f"{parsed.canonical} is already in the register for this period.",
                            )
                        elif key in seen:
                            err("number_text", f"{parsed.canonical} repeats row {seen[key]} (same period).")
                        seen.setdefault(key, number)
        if incoming:
            inc = _text(raw.get("incoming_number"))
            if inc and not inc.isdigit():
                err("incoming_number", "A whole number is required.")
            elif inc and row.get("incoming_date"):
                row["incoming_number"] = int(inc)
                key = (str(row["incoming_date"].year), int(inc))
                if key in existing_incoming:
                    err("incoming_number", "Already used in the register this year.")
                elif ("in",) + key in seen:
                    err("incoming_number", f"Repeats row {seen[('in',) + key]} (same year).")
                seen.setdefault(("in",) + key, number)
        elif not row.get("issuer_name"):
            row.pop("issuer_name", None)
        rows.append(row)
    if not rows and not errors:
        errors.append(RowError(None, "", "The file has no rows under its header."))
    if errors:
        raise ImportRejected(errors)
    return rows


class Command(BaseCommand):
    help = "Load an existing document register from an XLSX or CSV file (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="XLSX or CSV (UTF-8) with a header row")
        parser.add_argument("--register", type=int, required=True, help="id of the register to load into")
        parser.add_argument("--user", required=True, help="username the changes are recorded under")

    def handle(self, *args, file, register, user, **options):
        actor = get_user_model().objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"Unknown user: {user}")
        target = Register.objects.select_related("unit").filter(pk=register).first()
        if target is None:
            raise CommandError(f"Unknown register id: {register}")
        services.document_types_ensure()
        try:
            with open(file, "rb") as fh:
                data = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        try:
            rows = check_rows(target, read_table(data))
            created = services.documents_import(actor=actor, register=target, rows=rows)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError("Nothing was imported: " + " ".join(exc.messages)) from exc
        except ImportRejected as exc:
            self.stderr.write(exc.report())
            raise CommandError(f"Nothing was imported: {len(exc.errors)} error(s).") from exc
        self.stdout.write(f"Imported {len(created)} document(s) into “{target.name}”.")
