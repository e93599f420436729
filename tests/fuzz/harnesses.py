"""Fuzz targets shared by the atheris harnesses (`make fuzz`) and their tests: each takes bytes, runs one parser
the way SteerDesk runs it on user input, and raises AssertionError when an invariant breaks. Any other exception
is a bug too (the parsers must answer, or refuse with their own error).

- `references(data)`: the reference extractor (documents/references.py) on arbitrary text: spans point into the
  NFC text, each reported number parses back to itself, years and dates are real.
- `people_import(data)`: the people importer's reading and checking (orgs/importing.py, everything before the
  database): arbitrary bytes as a CSV or XLSX file → rows and row errors, or ImportRejected. Inputs starting
  with "X" are turned into a real XLSX whose first sheet's XML is the rest of the input (structure-aware).
"""

from __future__ import annotations

import io
import json
import unicodedata
import zipfile


def setup_django() -> None:
    import os
    import tempfile

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steerdesk.settings")
    os.environ.setdefault("STEERDESK_DATA_DIR", os.path.join(tempfile.gettempdir(), "steerdesk-fuzz"))
    import django

    django.setup()


def references(data: bytes) -> None:
    from steerdesk.documents.numbering import parse_number
    from steerdesk.documents.references import extract_refs

    text = data.decode("utf-8", errors="replace")
    nfc = unicodedata.normalize("NFC", text)
    last_end = -1
    for ref in extract_refs(text):
        start, end = ref.span
        assert 0 <= start < end <= len(nfc), ref
        assert start >= last_end, "references overlap or are out of order"
        last_end = end
        parsed = parse_number(ref.number)
        assert parsed.canonical == ref.number, ref
        assert ref.system == parsed.system in ("state", "party"), ref
        if parsed.year is None:
            assert ref.year == (ref.date.year if ref.date else None), ref
        assert json.loads(json.dumps(ref.as_json(), ensure_ascii=False)) == ref.as_json()


_WORKBOOK: bytes | None = None


def _xlsx_with_sheet(sheet_xml: bytes) -> bytes:
    global _WORKBOOK
    if _WORKBOOK is None:
        import openpyxl

        workbook = openpyxl.Workbook()
        workbook.active.append(["Họ và tên", "Điện thoại", "Ngày bắt đầu"])
        buffer = io.BytesIO()
        workbook.save(buffer)
        _WORKBOOK = buffer.getvalue()
    source = zipfile.ZipFile(io.BytesIO(_WORKBOOK))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = sheet_xml if info.filename.endswith("sheet1.xml") else source.read(info.filename)
            target.writestr(info, body)
    return out.getvalue()


def people_import(data: bytes) -> None:
    from steerdesk.orgs import importing

    if data.startswith(b"X"):
        data = _xlsx_with_sheet(data[1:])
    try:
        table = importing.read_table(data)
        rows, headers, _ignored = importing.parse_rows(table)
    except importing.ImportRejected as exc:
        assert exc.errors and exc.report()
        return
    for row in rows:
        values, errors = importing._check_row(row, headers, has_committee=True)
        for error in errors:
            assert str(error)
        if not errors:
            assert values["full_name"] == unicodedata.normalize("NFC", values["full_name"])


TARGETS = {"references": references, "people_import": people_import}
