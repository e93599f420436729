"""`import_documents`: loads an existing register from XLSX/CSV, all or nothing, with a row/column report."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from steerdesk.documents.models import Document, NumberCounter

from .document_fixtures import *  # noqa: F403
from .document_fixtures import freeze, issue

pytestmark = pytest.mark.django_db

OUT_CSV = """Số;Ngày;Loại;Trích yếu;Người ký;Nơi nhận
01/KH-UBND;05/01/2026;Kế hoạch;Kế hoạch công tác năm 2026;Nguyễn Văn An;UBND tỉnh
02/QĐ-UBND;10/01/2026;QĐ;Quyết định kiện toàn Ban Chỉ đạo;Nguyễn Văn An;
15/BC-UBND;20/12/2025;Báo cáo;Báo cáo tổng kết năm 2025;Lê Thị Bình;
"""


def run(path, register, user="admin"):
    err = io.StringIO()
    call_command("import_documents", str(path), "--register", str(register.pk), "--user", user, stderr=err)
    return err.getvalue()


def test_it_imports_an_outgoing_register_and_numbering_continues(tmp_path, users, registers, doc_types):
    path = tmp_path / "di.csv"
    path.write_text(OUT_CSV, encoding="utf-8")
    run(path, registers.out)
    docs = {d.number_text: d for d in Document.objects.filter(register=registers.out)}
    assert set(docs) == {"01/KH-UBND", "02/QĐ-UBND", "15/BC-UBND"}
    assert docs["02/QĐ-UBND"].doc_type == doc_types.qd
    assert docs["15/BC-UBND"].period_key == "2025" and docs["15/BC-UBND"].signing_date == datetime.date(
        2025, 12, 20
    )
    assert NumberCounter.objects.get(register=registers.out, period_key="2026").last_number == 2
    with freeze(datetime.date(2026, 2, 1)):
        assert issue(users.owner, registers.out, doc_types.kh).number_text == "03/KH-UBND"


def test_errors_are_reported_by_row_and_column_and_nothing_is_written(tmp_path, users, registers, doc_types):
    path = tmp_path / "loi.csv"
    path.write_text(
        "Số;Ngày;Loại;Trích yếu\n"
        "01/KH-UBND;05/01/2026;Kế hoạch;Một\n"
        "1/KH-UBND;06/01/2026;Kế hoạch;Trùng số\n"
        "abc;31/02/2026;Loại lạ;Hai\n"
        "03/KH-UBND;07/01/2026;Kế hoạch;\n",
        encoding="utf-8",
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command(
            "import_documents", str(path), "--register", str(registers.out.pk), "--user", "admin", stderr=err
        )
    report = err.getvalue()
    assert "Row 3 · Số · 1/KH-UBND repeats row 2" in report
    assert "Row 4 · Số · Not a document number" in report
    assert "Row 4 · Ngày · Not a date" in report
    assert "Row 4 · Loại · Unknown document type" in report
    assert "Row 5 · Trích yếu · Required." in report
    assert not Document.objects.exists()


def test_a_number_already_in_the_register_is_refused(tmp_path, users, registers, doc_types):
    with freeze(datetime.date(2026, 1, 3)):
        issue(users.owner, registers.out, doc_types.kh)
    path = tmp_path / "di.csv"
    path.write_text("Số;Ngày;Loại;Trích yếu\n01/KH-UBND;05/01/2026;Kế hoạch;Một\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_documents", str(path), "--register", str(registers.out.pk), "--user", "admin", stderr=err
        )
    assert "already in the register" in err.getvalue()


def test_it_imports_an_incoming_register_from_xlsx(tmp_path, users, registers, doc_types):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Số đến", "Ngày đến", "Số", "Ngày", "Cơ quan ban hành", "Loại", "Trích yếu"])
    ws.append([1, "03/01/2026", "35-NQ/TW", "22/10/2018", "Bộ Chính trị", "Nghị quyết", "Về bảo vệ nền tảng"])
    ws.append([2, datetime.date(2026, 1, 4), "30/2020/NĐ-CP", "05/03/2020", "Chính phủ", "NĐ", "Về văn thư"])
    path = tmp_path / "den.xlsx"
    wb.save(path)
    run(path, registers.inc)
    docs = list(Document.objects.filter(register=registers.inc).order_by("incoming_number"))
    assert [d.number_text for d in docs] == ["35-NQ/TW", "30/2020/NĐ-CP"]
    assert docs[1].doc_type == doc_types.nd and docs[1].number_key == "30/2020/NĐ-CP"
    assert NumberCounter.objects.get(register=registers.inc, period_key="2026").last_number == 2


def test_a_non_admin_or_unknown_register_is_refused(tmp_path, users, registers):
    path = tmp_path / "di.csv"
    path.write_text(OUT_CSV, encoding="utf-8")
    with pytest.raises(CommandError, match="administrator"):
        run(path, registers.out, user="owner")
    with pytest.raises(CommandError, match="Unknown register"):
        call_command("import_documents", str(path), "--register", "999999", "--user", "admin")
    assert not Document.objects.exists()
