"""Text extraction of attachments (background task): PDF text layer, DOCX, XLSX, ODT, and OCR of scans with
Tesseract's Vietnamese model (skipped, with the reason, when it is not installed)."""

from __future__ import annotations

import importlib.util
import io
import os
import shutil
import unicodedata
from pathlib import Path

import pytest

from steerdesk.core.text import tokens
from steerdesk.documents import attachments, tasks
from steerdesk.documents.models import Attachment

from .attachment_fixtures import *  # noqa: F403 - fixtures and file builders
from .attachment_fixtures import PNG_1PX, minimal_odt, minimal_pdf, upload

OCR_TEXT = [
    "Ban Chỉ đạo phòng chống tham nhũng",
    "Kế hoạch triển khai Nghị quyết",
    "Ủy ban nhân dân tỉnh Hòa Bình",
]
FONT_PATHS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
]

needs_ocr = pytest.mark.skipif(
    not tasks.ocr_available(),
    reason="Tesseract with the Vietnamese model is not installed (apt-get install tesseract-ocr tesseract-ocr-vie)",
)


@pytest.fixture(autouse=True)
def _setup(media, immediate_tasks):
    """Files in a private MEDIA_ROOT; tasks run at once (ImmediateBackend)."""


def add(user, document, name, data, capture):
    """Upload through the service and run the queued extraction (on commit, immediate backend)."""
    with capture(execute=True):
        attachment = attachments.attachment_add(
            actor=user, document=document, uploaded_file=upload(name, data)
        )
    attachment.refresh_from_db()
    return attachment


def scanned_page_png(lines: list[str]) -> bytes:
    """A white page with black Vietnamese text, as a scanner would give it (300 dpi, greyscale)."""
    pil_image = pytest.importorskip("PIL.Image", reason="Pillow is needed to draw the test scan")
    from PIL import ImageDraw, ImageFont

    font_path = next((p for p in FONT_PATHS if Path(p).exists()), None)
    if font_path is None:
        pytest.skip("no Vietnamese-capable TTF font (install fonts-dejavu-core)")
    font = ImageFont.truetype(font_path, 48)
    image = pil_image.new("L", (2000, 120 + 110 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((80, 60 + 110 * i), line, fill=0, font=font)
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(300, 300))
    return out.getvalue()


def found_share(expected_lines: list[str], text: str) -> float:
    expected = {t for line in expected_lines for t in tokens(line)}
    found = set(tokens(text))
    return len(expected & found) / len(expected)


# --- Text layers ----------------------------------------------------------------------------------------


def test_pdf_text_layer_is_extracted(users, doc, django_capture_on_commit_callbacks, index_calls):
    attachment = add(users.owner, doc, "nq.pdf", minimal_pdf(), django_capture_on_commit_callbacks)
    assert attachment.extraction == Attachment.Extraction.DONE
    assert "Nghi quyet so 35-NQ/TW" in attachment.extracted_text
    assert index_calls == [doc]  # the document is re-indexed for search


def test_docx_paragraphs_and_tables_are_extracted(users, doc, django_capture_on_commit_callbacks, tmp_path):
    import docx

    path = tmp_path / "kh.docx"
    document = docx.Document()
    document.add_paragraph("Kế hoạch triển khai Nghị quyết số 35-NQ/TW")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Đơn vị chủ trì"
    table.cell(0, 1).text = "Ban Tuyên giáo"
    table.cell(1, 0).text = "Thời hạn"
    table.cell(1, 1).text = "Quý IV"
    document.save(path)
    attachment = add(users.owner, doc, "kh.docx", path.read_bytes(), django_capture_on_commit_callbacks)
    assert attachment.extraction == Attachment.Extraction.DONE
    text = attachment.extracted_text
    for expected in ("Kế hoạch triển khai Nghị quyết", "Đơn vị chủ trì", "Ban Tuyên giáo", "Quý IV"):
        assert expected in text


def test_xlsx_cell_values_are_extracted(users, doc, django_capture_on_commit_callbacks, tmp_path):
    import openpyxl

    path = tmp_path / "ds.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Họ và tên", "Chức vụ", "Năm"])
    sheet.append(["Nguyễn Văn Ánh", "Trưởng ban", 2025])
    workbook.create_sheet("Phụ lục").append(["Đảng ủy xã Vũ Bình"])
    workbook.save(path)
    attachment = add(users.owner, doc, "ds.xlsx", path.read_bytes(), django_capture_on_commit_callbacks)
    assert attachment.extraction == Attachment.Extraction.DONE
    for expected in ("Nguyễn Văn Ánh", "Trưởng ban", "2025", "Đảng ủy xã Vũ Bình"):
        assert expected in attachment.extracted_text


def test_odt_paragraphs_are_extracted(users, doc, django_capture_on_commit_callbacks):
    data = minimal_odt(["Báo cáo sơ kết công tác", "Hoà Bình, ngày 05 tháng 3 năm 2025"])
    attachment = add(users.owner, doc, "bc.odt", data, django_capture_on_commit_callbacks)
    assert attachment.extraction == Attachment.Extraction.DONE
    assert "Tiêu đề" in attachment.extracted_text
    assert "Báo cáo sơ kết công tác" in attachment.extracted_text
    assert "Hoà Bình, ngày 05 tháng 3 năm 2025" in attachment.extracted_text


def test_extracted_text_is_nfc():
    assert tasks.clean_text(unicodedata.normalize("NFD", "Đảng ủy\x00 xã")) == "Đảng ủy xã"


def test_extracted_text_is_capped(monkeypatch):
    monkeypatch.setattr(tasks, "MAX_TEXT_CHARS", 10)
    assert len(tasks.clean_text("x" * 100)) == 10


def test_damaged_file_is_marked_failed(users, doc, django_capture_on_commit_callbacks):
    attachment = add(
        users.owner, doc, "hong.pdf", b"%PDF-1.4\n garbage \x00\x01", django_capture_on_commit_callbacks
    )
    assert attachment.extraction == Attachment.Extraction.FAILED
    assert attachment.extracted_text == ""


def test_extraction_is_idempotent(users, doc, django_capture_on_commit_callbacks, monkeypatch, index_calls):
    attachment = add(users.owner, doc, "nq.pdf", minimal_pdf(), django_capture_on_commit_callbacks)

    def must_not_run(*args, **kwargs):
        raise AssertionError("extracted twice")

    monkeypatch.setattr(tasks, "extract_text", must_not_run)
    result = tasks.extract_attachment_text.enqueue(attachment.pk)
    assert result.return_value == Attachment.Extraction.DONE
    attachment.refresh_from_db()
    assert "Nghi quyet" in attachment.extracted_text
    assert len(index_calls) == 1


def test_forced_rerun_gives_the_same_result(users, doc, django_capture_on_commit_callbacks):
    attachment = add(users.owner, doc, "nq.pdf", minimal_pdf(), django_capture_on_commit_callbacks)
    first = attachment.extracted_text
    result = tasks.extract_attachment_text.enqueue(attachment.pk, force=True)
    attachment.refresh_from_db()
    assert result.return_value == Attachment.Extraction.DONE
    assert attachment.extracted_text == first


def test_missing_attachment_is_a_no_op(db):
    assert tasks.extract_attachment_text.enqueue(999_999).return_value == "missing"


def test_the_db_backend_queues_the_job_for_the_worker(
    settings, users, doc, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    attachment = add(users.owner, doc, "nq.pdf", minimal_pdf(), django_capture_on_commit_callbacks)
    assert attachment.extraction == Attachment.Extraction.PENDING
    job = DBTaskResult.objects.get()
    assert job.task_path == "steerdesk.documents.tasks.extract_attachment_text"
    assert job.args_kwargs["args"] == [attachment.pk]


@pytest.mark.skipif(
    importlib.util.find_spec("steerdesk.documents.search") is None, reason="search module not there yet"
)
def test_extracted_text_reaches_the_search_tokens(
    users, doc, django_capture_on_commit_callbacks, monkeypatch
):
    from steerdesk.documents import search

    monkeypatch.setattr(tasks, "_index_document", search.index_document)
    add(
        users.owner,
        doc,
        "nq.pdf",
        minimal_pdf("Quy che hoat dong cua Ban Chi dao"),
        django_capture_on_commit_callbacks,
    )
    doc.refresh_from_db()
    assert "quy che hoat dong" in doc.search_tokens


# --- OCR ------------------------------------------------------------------------------------------------


def test_image_without_ocr_is_marked_ocr_unavailable(
    users, doc, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(tasks.shutil, "which", lambda name: None)
    attachment = add(users.owner, doc, "scan.png", PNG_1PX, django_capture_on_commit_callbacks)
    assert attachment.extraction == Attachment.Extraction.OCR_UNAVAILABLE


def test_scanned_pdf_without_ocr_is_marked_ocr_unavailable(
    users, doc, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(tasks.shutil, "which", lambda name: None)
    attachment = add(users.owner, doc, "scan.pdf", minimal_pdf(" "), django_capture_on_commit_callbacks)
    assert attachment.extraction == Attachment.Extraction.OCR_UNAVAILABLE


def test_missing_vietnamese_model_counts_as_unavailable(monkeypatch):
    monkeypatch.setattr(tasks.shutil, "which", lambda name: "/usr/bin/tesseract")
    monkeypatch.setattr(tasks, "_languages", lambda path: frozenset({"eng", "osd"}))
    assert tasks.ocr_available() is False


@needs_ocr
def test_ocr_reads_a_scanned_vietnamese_page(users, doc, django_capture_on_commit_callbacks):
    attachment = add(
        users.owner, doc, "scan.png", scanned_page_png(OCR_TEXT), django_capture_on_commit_callbacks
    )
    assert attachment.extraction == Attachment.Extraction.OCR_DONE
    assert found_share(OCR_TEXT, attachment.extracted_text) >= 0.9, attachment.extracted_text
    assert unicodedata.is_normalized("NFC", attachment.extracted_text)


@needs_ocr
def test_ocr_reads_a_scanned_pdf(users, doc, django_capture_on_commit_callbacks, tmp_path):
    pytest.importorskip("PIL.Image", reason="Pillow is needed to draw the test scan")
    from PIL import Image

    if not tasks.shutil.which("pdftoppm"):
        pytest.skip("pdftoppm is not installed (apt-get install poppler-utils)")
    image = Image.open(io.BytesIO(scanned_page_png(OCR_TEXT)))
    pdf = io.BytesIO()
    image.save(pdf, format="PDF", resolution=300)  # an image-only PDF: no text layer
    attachment = add(users.owner, doc, "scan.pdf", pdf.getvalue(), django_capture_on_commit_callbacks)
    assert attachment.extraction == Attachment.Extraction.OCR_DONE
    assert found_share(OCR_TEXT, attachment.extracted_text) >= 0.9, attachment.extracted_text


@pytest.mark.skipif(
    os.environ.get("CI", "").lower() != "true", reason="only CI promises that OCR is installed"
)
def test_ci_has_ocr_installed_so_the_ocr_tests_really_run():
    assert tasks.ocr_available(), ".ci/run must install tesseract-ocr and tesseract-ocr-vie"
    assert shutil.which("pdftoppm"), ".ci/run must install poppler-utils"
