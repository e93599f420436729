"""Fixtures and file builders shared by test_attachments.py and test_extraction.py (imported with `*`).

Documents are created with the ORM here so these tests do not depend on the documents services' factories."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, include, path, reverse

from steerdesk.documents.models import Document, DocumentType, Recipient, Register

DOCX_CT = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def minimal_pdf(text: str = "Nghi quyet so 35-NQ/TW ve bao ve nen tang tu tuong cua Dang") -> bytes:
    """A one-page PDF with a Helvetica text object: a real text layer, written by hand."""
    stream = f"BT /F1 12 Tf 40 750 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def minimal_docx_zip(members: dict[str, bytes] | None = None) -> bytes:
    """A ZIP that sniffs as DOCX (its [Content_Types].xml names the main document part)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b'<Types><Override ContentType="' + DOCX_CT + b'"/></Types>')
        for name, data in (members or {"word/document.xml": b"<w:document/>"}).items():
            archive.writestr(name, data)
    return buf.getvalue()


def zip_bomb_docx(megabytes: int = 300) -> bytes:
    """A DOCX-looking ZIP whose document.xml inflates to `megabytes` MB of zeros (written in streaming chunks)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", b'<Types><Override ContentType="' + DOCX_CT + b'"/></Types>')
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(megabytes):
                member.write(chunk)
    return buf.getvalue()


def minimal_odt(paragraphs: list[str]) -> bytes:
    body = "".join(f"<text:p>{p}</text:p>" for p in paragraphs)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:text><text:h>Tiêu đề</text:h>{body}</office:text></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(
            "META-INF/manifest.xml", manifest.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED
        )
    return buf.getvalue()


PNG_1PX = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def make_document(unit, *, confidentiality=Document.Confidentiality.INTERNAL, summary="Kế hoạch triển khai"):
    doc_type, _ = DocumentType.objects.get_or_create(
        name="Kế hoạch", defaults={"state_code": "KH", "party_code": "KH"}
    )
    register, _ = Register.objects.get_or_create(
        unit=unit,
        direction=Register.Direction.OUTGOING,
        name="Sổ văn bản đi",
        defaults={"unit_path": unit.path, "issuer_code": "UBND"},
    )
    return Document.objects.create(
        unit=unit,
        unit_path=unit.path,
        register=register,
        direction=Document.Direction.OUTGOING,
        status=Document.Status.DRAFT,
        doc_type=doc_type,
        summary=summary,
        confidentiality=confidentiality,
    )


# --- URL names: D1's documents/urls.py wires the attachment views; until it does, a stand-in URLconf. ---------


def _stand_in_patterns():
    from django.http import HttpResponse

    from steerdesk.documents import views_attachments as v
    from steerdesk.urls import urlpatterns as site

    documents = (
        [
            path("<int:pk>/", lambda request, pk: HttpResponse(f"document {pk}"), name="document_detail"),
            *v.urlpatterns,
        ],
        "documents",
    )
    return [path("documents/", include(documents)), *site]


urlpatterns = []


@pytest.fixture(autouse=True)
def attachment_urls(settings):
    try:
        reverse("documents:attachment_download", args=[1])
        reverse("documents:attachment_list", args=[1])
    except NoReverseMatch:
        urlpatterns[:] = _stand_in_patterns()
        settings.ROOT_URLCONF = __name__


@pytest.fixture
def media(settings, tmp_path):
    """A private MEDIA_ROOT per test, so "nothing was stored" can be checked on disk."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def doc(tree):
    return make_document(tree.district_a)


@pytest.fixture
def recipient_doc(tree):
    """An issued document of district A sent to district B (whose secretary is the `outsider`)."""
    document = make_document(tree.district_a, summary="Công văn gửi huyện Mai Châu")
    document.status = Document.Status.ISSUED
    document.save(update_fields=["status"])
    Recipient.objects.create(document=document, unit=tree.district_b, unit_path=tree.district_b.path)
    return document


def files_under(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture(autouse=True)
def index_calls(monkeypatch):
    """Search indexing (D3's `search.index_document`) recorded instead of run: these tests are about the files."""
    from steerdesk.documents import tasks

    calls = []
    monkeypatch.setattr(tasks, "_index_document", calls.append)
    return calls


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the source strings), whatever the default UI language."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
