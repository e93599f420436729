"""Background jobs of the documents app (django-tasks, database backend: DESIGN §6).

`extract_attachment_text(attachment_id)` reads an attachment's text — PDF text layer (pypdf), DOCX paragraphs and
tables (python-docx), XLSX cell values (openpyxl, read-only), ODT paragraphs (content.xml) — and OCRs images and
PDFs without a text layer with Tesseract's Vietnamese model (Debian: tesseract-ocr, tesseract-ocr-vie; PDFs are
rasterised with pdftoppm from poppler-utils). Without them the status is `ocr_unavailable`. The text (NFC,
length-capped) is saved, then the document is re-indexed for search. Idempotent: an attachment whose text is
already extracted is left alone unless `force=True`.

Services enqueue it with `transaction.on_commit(partial(extract_attachment_text.enqueue, pk))`; `make worker`
runs the queue. Tests use `django_tasks.backends.immediate.ImmediateBackend`.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
import unicodedata
import zipfile
from functools import lru_cache
from pathlib import Path

# Only XML without a DTD is parsed (_refuse_doctype): nothing to expand or fetch.
from xml.etree import ElementTree  # nosec
from xml.parsers import expat

from django.core.files.storage import default_storage
from django.db import transaction
from django_tasks import task

from steerdesk.core.text import nfc_keep_lines

from .models import Attachment

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 500_000
OCR_LANGUAGE = "vie"
OCR_MAX_PAGES = 30
OCR_DPI = 300
OCR_TIMEOUT = 180  # seconds per page / image
RASTERISE_TIMEOUT = 300
# Fewer letters and digits than this in a PDF's text layer means it has none: a scan, to OCR.
MIN_TEXT_LAYER_CHARS = 16

Extraction = Attachment.Extraction
FINAL = {Extraction.DONE, Extraction.OCR_DONE, Extraction.EMPTY}


class OcrUnavailable(Exception):
    """Tesseract or its Vietnamese model is not installed."""


# ---------------------------------------------------------------------------------------------------------
# OCR availability


@lru_cache(maxsize=4)
def _languages(tesseract: str) -> frozenset[str]:
    try:
        result = subprocess.run(
            [tesseract, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    lines = (result.stdout + "\n" + result.stderr).splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and " " not in line.strip())


def ocr_available() -> bool:
    """True when the `tesseract` command and its Vietnamese model (`vie`) are installed."""
    tesseract = shutil.which("tesseract")
    return bool(tesseract) and OCR_LANGUAGE in _languages(tesseract)


def _ocr_image(path: Path) -> str:
    tesseract = shutil.which("tesseract")
    if not tesseract or OCR_LANGUAGE not in _languages(tesseract):
        raise OcrUnavailable
    result = subprocess.run(
        [tesseract, str(path), "stdout", "-l", OCR_LANGUAGE],
        capture_output=True,
        timeout=OCR_TIMEOUT,
        check=True,
    )
    return result.stdout.decode("utf-8", errors="replace")


def _ocr_pdf(path: Path, workdir: Path) -> str:
    pdftoppm = shutil.which("pdftoppm")
    if not pdftoppm or not ocr_available():
        raise OcrUnavailable
    prefix = workdir / "page"
    subprocess.run(
        [pdftoppm, "-r", str(OCR_DPI), "-gray", "-png", "-l", str(OCR_MAX_PAGES), str(path), str(prefix)],
        capture_output=True,
        timeout=RASTERISE_TIMEOUT,
        check=True,
    )
    pages = sorted(workdir.glob("page-*.png"), key=lambda p: int(re.sub(r"\D", "", p.stem) or 0))
    return "\n\n".join(_ocr_image(page) for page in pages)


# ---------------------------------------------------------------------------------------------------------
# Text layers


class _Capped:
    """Collects text pieces until MAX_TEXT_CHARS, so a huge spreadsheet stops early."""

    def __init__(self):
        self.parts: list[str] = []
        self.length = 0

    def add(self, text: str) -> bool:
        if text:
            self.parts.append(text)
            self.length += len(text) + 1
        return self.length < MAX_TEXT_CHARS

    def text(self) -> str:
        return "\n".join(self.parts)


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    if reader.is_encrypted:
        reader.decrypt("")
    out = _Capped()
    for page in reader.pages:
        if not out.add(page.extract_text() or ""):
            break
    return out.text()


def _docx_text(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    out = _Capped()
    for paragraph in document.paragraphs:
        if not out.add(paragraph.text):
            return out.text()
    for table in document.tables:
        for row in table.rows:
            seen = []
            for cell in row.cells:  # a merged cell repeats: keep it once
                if cell._tc not in seen:
                    seen.append(cell._tc)
                    if not out.add(cell.text):
                        return out.text()
    return out.text()


def _xlsx_text(path: Path) -> str:
    import openpyxl

    out = _Capped()
    # A file object, not the path: openpyxl judges a path by its extension, and the copy has none.
    with path.open("rb") as handle:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        try:
            for sheet in workbook.worksheets:
                for row in sheet.iter_rows(values_only=True):
                    values = [str(value) for value in row if value not in (None, "")]
                    if values and not out.add("\t".join(values)):
                        return out.text()
        finally:
            workbook.close()
    return out.text()


ODF_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


class UnsafeXml(ValueError):
    """An XML file with a document type declaration (entities: billion laughs, external files)."""


def _refuse_doctype(data: bytes) -> None:
    """Raise UnsafeXml when `data` declares a DOCTYPE or entities; ODF's content.xml never does. Checked by expat
    itself before anything is expanded, so no encoding trick hides the declaration."""

    def refuse(*_args):
        raise UnsafeXml("XML with a document type declaration is not read.")

    scanner = expat.ParserCreate()
    scanner.StartDoctypeDeclHandler = refuse
    scanner.EntityDeclHandler = refuse
    scanner.Parse(data, True)


def _odt_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive, archive.open("content.xml") as member:
        data = member.read()
    _refuse_doctype(data)  # so the parse below has no DTD: nothing to expand or fetch
    root = ElementTree.fromstring(data)  # nosec
    out = _Capped()
    for element in root.iter():
        if element.tag in (f"{{{ODF_TEXT_NS}}}p", f"{{{ODF_TEXT_NS}}}h"):
            if not out.add("".join(element.itertext())):
                break
    return out.text()


def _has_text_layer(text: str) -> bool:
    return sum(1 for ch in text if ch.isalnum()) >= MIN_TEXT_LAYER_CHARS


def extract_text(path: Path, content_type: str, workdir: Path) -> tuple[str, str]:
    """(text, status) of the file at `path`. Raises OcrUnavailable when a scan needs OCR that is not installed."""
    kind = content_type.split("/")[-1]
    if content_type == "application/pdf":
        text = _pdf_text(path)
        if _has_text_layer(text):
            return text, Extraction.DONE
        return _ocr_pdf(path, workdir), Extraction.OCR_DONE
    if content_type.startswith("image/"):
        return _ocr_image(path), Extraction.OCR_DONE
    if kind.endswith("wordprocessingml.document"):
        return _docx_text(path), Extraction.DONE
    if kind.endswith("spreadsheetml.sheet"):
        return _xlsx_text(path), Extraction.DONE
    if kind == "vnd.oasis.opendocument.text":
        return _odt_text(path), Extraction.DONE
    raise ValueError(f"no text extractor for {content_type}")


def clean_text(text: str) -> str:
    """NFC, no control characters but line breaks and tabs, at most MAX_TEXT_CHARS."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return nfc_keep_lines(text)[:MAX_TEXT_CHARS]


# ---------------------------------------------------------------------------------------------------------
# The task


def _index_document(document) -> None:
    from . import search  # D3's module: imported here, not at load time

    search.index_document(document)


@task()
def extract_attachment_text(attachment_id: int, force: bool = False) -> str:
    """Extract and save an attachment's text, then re-index its document. Returns the extraction status."""
    attachment = (
        Attachment.objects.filter(pk=attachment_id).only("storage_name", "content_type", "extraction").first()
    )
    if attachment is None:
        return "missing"
    if attachment.extraction in FINAL and not force:
        return attachment.extraction

    # The slow part runs outside any transaction (SQLite: a transaction holds the write lock; DESIGN §6).
    with tempfile.TemporaryDirectory(prefix="steerdesk-extract-") as tmp:
        workdir = Path(tmp)
        source = workdir / "input"
        try:
            with default_storage.open(attachment.storage_name, "rb") as stored, source.open("wb") as copy:
                shutil.copyfileobj(stored, copy, 1024 * 1024)
            text, status = extract_text(source, attachment.content_type, workdir)
            text = clean_text(text)
            if not text:
                status = Extraction.EMPTY
        except OcrUnavailable:
            text, status = "", Extraction.OCR_UNAVAILABLE
        except Exception:  # a damaged file must not kill the worker: record it and move on
            logger.exception("Text extraction failed for attachment %s", attachment_id)
            text, status = "", Extraction.FAILED

    with transaction.atomic():
        updated = Attachment.objects.filter(pk=attachment_id).update(extraction=status, extracted_text=text)
        if updated:
            document = Attachment.objects.select_related("document").get(pk=attachment_id).document
            _index_document(document)
    return status
