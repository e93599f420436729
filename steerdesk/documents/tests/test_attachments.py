"""Attachments: streaming size limit (413), magic-byte types (400), zip bombs, safe names, random storage,
scope-checked download, upload permissions, versions, secret documents and the attachments panel."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from urllib.parse import unquote

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import StopUpload
from django.urls import reverse

from steerdesk.core.models import AuditEntry
from steerdesk.documents import attachments
from steerdesk.documents.models import Attachment, Document
from steerdesk.documents.uploads import SizeLimitUploadHandler

from .attachment_fixtures import *  # noqa: F403 - fixtures and file builders
from .attachment_fixtures import (
    PNG_1PX,
    files_under,
    make_document,
    minimal_docx_zip,
    minimal_odt,
    minimal_pdf,
    upload,
    zip_bomb_docx,
)

STORAGE_NAME = re.compile(r"^attachments/\d{4}/\d{2}/[0-9a-f]{32}$")


@pytest.fixture(scope="module")
def bomb_bytes():
    return zip_bomb_docx(300)


def post_file(client, url, name, data):
    return client.post(url, {"file": upload(name, data)})


# --- Size limit while streaming -------------------------------------------------------------------------


def test_over_limit_upload_answers_413_and_stores_nothing(settings, media, users, doc, client_for):
    settings.STEERDESK_UPLOAD_MAX_MB = 0.01  # ~10 KB
    data = (
        minimal_pdf() + b"%" + b"x" * 40_000
    )  # valid magic, 4× the limit, under the Content-Length shortcut
    response = post_file(
        client_for(users.owner), reverse("documents:attachment_upload", args=[doc.pk]), "big.pdf", data
    )
    assert response.status_code == 413
    assert "larger than the limit" in response.content.decode()
    assert Attachment.objects.count() == 0
    assert files_under(media) == []


def test_far_over_limit_upload_is_refused_from_its_declared_length(settings, media, users, doc, client_for):
    settings.STEERDESK_UPLOAD_MAX_MB = 0.01
    data = minimal_pdf() + b"%" + b"x" * 500_000
    response = post_file(
        client_for(users.owner), reverse("documents:attachment_upload", args=[doc.pk]), "big.pdf", data
    )
    assert response.status_code == 413
    assert Attachment.objects.count() == 0
    assert files_under(media) == []


def test_size_handler_stops_at_the_chunk_that_passes_the_limit():
    handler = SizeLimitUploadHandler(None, max_bytes=100)
    handler.new_file("file", "a.pdf", "application/pdf", None)
    assert handler.receive_data_chunk(b"x" * 60, 0) == b"x" * 60
    with pytest.raises(StopUpload) as exc_info:
        handler.receive_data_chunk(b"x" * 60, 60)
    assert exc_info.value.connection_reset is False
    assert handler.exceeded and handler.received == 120


def test_upload_under_the_limit_is_stored(
    settings, media, users, doc, client_for, django_capture_on_commit_callbacks
):
    settings.STEERDESK_UPLOAD_MAX_MB = 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_file(
            client_for(users.owner),
            reverse("documents:attachment_upload", args=[doc.pk]),
            "Kế hoạch.pdf",
            minimal_pdf(),
        )
    assert response.status_code == 302
    assert response["Location"] == doc.get_absolute_url()
    attachment = Attachment.objects.get()
    assert attachment.original_name == "Kế hoạch.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(minimal_pdf())
    assert len(callbacks) == 1  # text extraction queued after commit


# --- Types by magic bytes -------------------------------------------------------------------------------


def test_text_file_named_pdf_answers_400_and_stores_nothing(media, users, doc, client_for):
    response = post_file(
        client_for(users.owner),
        reverse("documents:attachment_upload", args=[doc.pk]),
        "quyet-dinh.pdf",
        b"This is plain text, not a PDF.\n",
    )
    assert response.status_code == 400
    assert "not an accepted type" in response.content.decode()
    assert Attachment.objects.count() == 0
    assert files_under(media) == []


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (minimal_pdf(), "application/pdf"),
        (PNG_1PX, "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
        (b"II*\x00\x08\x00\x00\x00", "image/tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
        (minimal_docx_zip(), attachments.DOCX.content_type),
        (minimal_odt(["Xin chào"]), attachments.ODT.content_type),
    ],
)
def test_type_comes_from_the_bytes(data, content_type):
    assert attachments.sniff(io.BytesIO(data)).content_type == content_type


def test_xlsx_is_told_apart_from_docx(tmp_path):
    import openpyxl

    path = tmp_path / "a.xlsx"
    openpyxl.Workbook().save(path)
    assert attachments.sniff(io.BytesIO(path.read_bytes())) == attachments.XLSX


@pytest.mark.parametrize(
    "data",
    [b"", b"MZ\x90\x00 windows exe", b"<html><script>", b"PK\x03\x04 not really a zip", b"%PD"],
)
def test_other_bytes_are_refused(data):
    with pytest.raises(ValidationError):
        attachments.sniff(io.BytesIO(data))


def test_a_plain_zip_is_not_a_docx():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ValidationError, match="not an accepted type"):
        attachments.sniff(buf)


def test_png_named_pdf_is_stored_as_png(media, users, doc, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        attachment = attachments.attachment_add(
            actor=users.owner, document=doc, uploaded_file=upload("scan.pdf", PNG_1PX, "application/pdf")
        )
    assert attachment.content_type == "image/png"


# --- Zip bombs and unsafe archives ----------------------------------------------------------------------


def test_zip_bomb_docx_is_refused_with_400(media, users, doc, client_for, bomb_bytes):
    assert len(bomb_bytes) < 2 * 1024 * 1024  # 300 MB of zeros, compressed
    response = post_file(
        client_for(users.owner), reverse("documents:attachment_upload", args=[doc.pk]), "bom.docx", bomb_bytes
    )
    assert response.status_code == 400
    assert "cannot be accepted" in response.content.decode()
    assert Attachment.objects.count() == 0
    assert files_under(media) == []


def test_high_ratio_member_under_the_total_is_refused():
    data = zip_bomb_docx(20)  # 20 MB of zeros: under the 200 MB total, but compressed ~1000:1
    with pytest.raises(ValidationError, match="compressed suspiciously"):
        attachments.sniff(io.BytesIO(data))


@pytest.mark.parametrize("member", ["../../evil.xml", "/etc/passwd", "word\\..\\..\\x.xml", "C:/x.xml"])
def test_archive_with_unsafe_member_path_is_refused(member):
    data = minimal_docx_zip({"word/document.xml": b"<w/>", member: b"x"})
    with pytest.raises(ValidationError, match="unsafe path"):
        attachments.sniff(io.BytesIO(data))


def test_archive_with_too_many_members_is_refused(monkeypatch):
    monkeypatch.setattr(attachments, "ZIP_MAX_MEMBERS", 5)
    data = minimal_docx_zip({f"word/m{i}.xml": b"<w/>" for i in range(6)})
    with pytest.raises(ValidationError, match="more than 5 files"):
        attachments.sniff(io.BytesIO(data))


def test_ordinary_docx_passes_the_guard(tmp_path):
    import docx

    path = tmp_path / "a.docx"
    document = docx.Document()
    document.add_paragraph("Ban Chỉ đạo " * 2000)  # compressible, but a real document
    document.save(path)
    assert attachments.sniff(io.BytesIO(path.read_bytes())) == attachments.DOCX


# --- Names and storage ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\win.ini.pdf", "win.ini.pdf"),
        (unicodedata.normalize("NFD", "Quyết định.pdf"), "Quyết định.pdf"),  # NFD in, NFC out
        ("bad\x00\x1fname\u202egpj.pdf", "badnamegpj.pdf"),  # control and bidi-override characters removed
        ("..", "file.pdf"),
        ("   ", "file.pdf"),
    ],
)
def test_clean_filename(raw, clean):
    assert attachments.clean_filename(raw, fallback_extension=".pdf") == clean


def test_long_filename_is_cut_to_255_keeping_the_extension():
    name = attachments.clean_filename("Kế hoạch " * 60 + ".docx")
    assert len(name) <= 255 and name.endswith(".docx")


def test_path_traversal_name_is_stored_safely(media, users, doc, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        attachment = attachments.attachment_add(
            actor=users.owner, document=doc, uploaded_file=upload("x.pdf", minimal_pdf())
        )
    # UploadedFile already strips directories; the service must too, for files that are not UploadedFiles.
    from django.core.files.base import ContentFile

    with django_capture_on_commit_callbacks():
        sneaky = attachments.attachment_add(
            actor=users.owner,
            document=doc,
            uploaded_file=ContentFile(minimal_pdf(), name="../../etc/passwd.pdf"),
        )
    assert sneaky.original_name == "passwd.pdf"
    for a in (attachment, sneaky):
        assert STORAGE_NAME.match(a.storage_name)
        assert (media / a.storage_name).is_file()
    assert all(media in p.parents for p in files_under(media))
    assert not (media.parent / "etc").exists()


def test_traversal_name_through_the_view_is_stored_safely(media, users, doc, client_for):
    post_file(
        client_for(users.owner),
        reverse("documents:attachment_upload", args=[doc.pk]),
        "../../etc/passwd.pdf",
        minimal_pdf(),
    )
    attachment = Attachment.objects.get()
    assert attachment.original_name == "passwd.pdf"
    assert STORAGE_NAME.match(attachment.storage_name)


def test_storage_names_are_random_and_hold_nothing_from_the_user(
    media, users, doc, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        first = attachments.attachment_add(
            actor=users.owner, document=doc, uploaded_file=upload("a.pdf", minimal_pdf())
        )
        second = attachments.attachment_add(
            actor=users.owner, document=doc, uploaded_file=upload("a.pdf", minimal_pdf())
        )
    assert first.storage_name != second.storage_name
    for a in (first, second):
        assert STORAGE_NAME.match(a.storage_name)
        assert "a.pdf" not in a.storage_name
    assert first.sha256 == second.sha256 and len(first.sha256) == 64


# --- Permissions ----------------------------------------------------------------------------------------


def test_viewer_gets_403_on_upload(media, users, doc, client_for):
    client = client_for(users.viewer)
    url = reverse("documents:attachment_upload", args=[doc.pk])
    assert client.get(url).status_code == 403
    assert post_file(client, url, "a.pdf", minimal_pdf()).status_code == 403
    assert Attachment.objects.count() == 0
    assert files_under(media) == []


def test_member_may_not_upload_either(media, users, doc):
    with pytest.raises(PermissionDenied):
        attachments.attachment_add(
            actor=users.member, document=doc, uploaded_file=upload("a.pdf", minimal_pdf())
        )


def test_sibling_district_gets_404_on_upload(media, users, doc, client_for):
    response = post_file(
        client_for(users.outsider),
        reverse("documents:attachment_upload", args=[doc.pk]),
        "a.pdf",
        minimal_pdf(),
    )
    assert response.status_code == 404
    assert Attachment.objects.count() == 0


def test_anonymous_upload_goes_to_login(media, doc, client):
    response = client.post(
        reverse("documents:attachment_upload", args=[doc.pk]), {"file": upload("a.pdf", minimal_pdf())}
    )
    assert response.status_code == 302 and "login" in response["Location"]
    assert Attachment.objects.count() == 0


def test_upload_page_renders_for_the_secretary(media, users, doc, client_for):
    response = client_for(users.owner).get(reverse("documents:attachment_upload", args=[doc.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'enctype="multipart/form-data"' in body and 'type="file"' in body


def test_upload_without_csrf_token_is_refused(media, users, doc):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(users.owner)
    response = post_file(
        client, reverse("documents:attachment_upload", args=[doc.pk]), "a.pdf", minimal_pdf()
    )
    assert response.status_code == 403
    assert Attachment.objects.count() == 0


def test_upload_is_audited_on_the_documents_unit(media, users, doc, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        attachment = attachments.attachment_add(
            actor=users.owner, document=doc, uploaded_file=upload("a.pdf", minimal_pdf())
        )
    entry = AuditEntry.objects.get(object_id=str(attachment.pk), action="create")
    assert entry.actor == users.owner
    assert entry.unit_path == doc.unit_path
    assert entry.changes["original_name"] == [None, "a.pdf"]


def test_secret_document_refuses_attachments(media, users, tree, client_for):
    secret = make_document(tree.district_a, confidentiality=Document.Confidentiality.SECRET)
    with pytest.raises(ValidationError, match="secret"):
        attachments.attachment_add(
            actor=users.owner, document=secret, uploaded_file=upload("a.pdf", minimal_pdf())
        )
    response = post_file(
        client_for(users.owner),
        reverse("documents:attachment_upload", args=[secret.pk]),
        "a.pdf",
        minimal_pdf(),
    )
    assert response.status_code == 400
    assert Attachment.objects.count() == 0
    assert files_under(media) == []


# --- Download -------------------------------------------------------------------------------------------


@pytest.fixture
def stored(media, users, doc, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        return attachments.attachment_add(
            actor=users.owner, document=doc, uploaded_file=upload("Quyết định thành lập.pdf", minimal_pdf())
        )


def test_download_serves_the_file_with_safe_headers(stored, users, client_for):
    response = client_for(users.viewer).get(reverse("documents:attachment_download", args=[stored.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == minimal_pdf()
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="Quyet dinh thanh lap.pdf"' in disposition
    encoded = disposition.split("filename*=UTF-8''")[1]
    assert unquote(encoded) == "Quyết định thành lập.pdf"


def test_sibling_district_gets_404_on_the_download(stored, users, client_for):
    response = client_for(users.outsider).get(reverse("documents:attachment_download", args=[stored.pk]))
    assert response.status_code == 404


def test_anonymous_download_goes_to_login(stored, client):
    response = client.get(reverse("documents:attachment_download", args=[stored.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_recipient_unit_of_an_issued_document_can_download(
    media, users, recipient_doc, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        attachment = attachments.attachment_add(
            actor=users.owner, document=recipient_doc, uploaded_file=upload("cong-van.pdf", minimal_pdf())
        )
    response = client_for(users.outsider).get(reverse("documents:attachment_download", args=[attachment.pk]))
    assert response.status_code == 200
    # …but a recipient cannot add files to the sender's document.
    response = post_file(
        client_for(users.outsider),
        reverse("documents:attachment_upload", args=[recipient_doc.pk]),
        "x.pdf",
        minimal_pdf(),
    )
    assert response.status_code == 403


def test_restricted_document_hides_its_files(
    media, users, tree, client_for, django_capture_on_commit_callbacks
):
    restricted = make_document(tree.district_a, confidentiality=Document.Confidentiality.RESTRICTED)
    restricted.restricted_to.add(users.owner)
    with django_capture_on_commit_callbacks():
        attachment = attachments.attachment_add(
            actor=users.owner, document=restricted, uploaded_file=upload("a.pdf", minimal_pdf())
        )
    url = reverse("documents:attachment_download", args=[attachment.pk])
    assert client_for(users.viewer).get(url).status_code == 404
    assert client_for(users.owner).get(url).status_code == 200


# --- Versions -------------------------------------------------------------------------------------------


def test_new_version_keeps_the_old_one(stored, media, users, client_for, django_capture_on_commit_callbacks):
    client = client_for(users.owner)
    with django_capture_on_commit_callbacks(execute=False):
        response = post_file(
            client,
            reverse("documents:attachment_new_version", args=[stored.pk]),
            "Quyết định thành lập (sửa).pdf",
            minimal_pdf("Ban sua doi"),
        )
    assert response.status_code == 302
    new = Attachment.objects.get(replaces=stored)
    stored.refresh_from_db()
    assert (new.revision, new.is_current) == (2, True)
    assert stored.is_current is False
    assert new.storage_name != stored.storage_name
    old_body = b"".join(
        client.get(reverse("documents:attachment_download", args=[stored.pk])).streaming_content
    )
    new_body = b"".join(client.get(reverse("documents:attachment_download", args=[new.pk])).streaming_content)
    assert old_body == minimal_pdf() and new_body == minimal_pdf("Ban sua doi")
    assert AuditEntry.objects.filter(object_id=str(stored.pk), action="update").exists()


def test_only_the_current_version_can_be_replaced(
    stored, media, users, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        attachments.attachment_new_version(
            actor=users.owner, attachment=stored, uploaded_file=upload("b.pdf", minimal_pdf())
        )
    stored.refresh_from_db()
    before = len(files_under(media))
    response = post_file(
        client_for(users.owner),
        reverse("documents:attachment_new_version", args=[stored.pk]),
        "c.pdf",
        minimal_pdf(),
    )
    assert response.status_code == 400
    assert Attachment.objects.count() == 2
    assert len(files_under(media)) == before


def test_viewer_gets_403_on_new_version(stored, users, client_for):
    response = post_file(
        client_for(users.viewer),
        reverse("documents:attachment_new_version", args=[stored.pk]),
        "b.pdf",
        minimal_pdf(),
    )
    assert response.status_code == 403
    assert Attachment.objects.count() == 1


def test_failed_database_write_leaves_no_file(media, users, doc, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(attachments, "audit_record", boom)
    with pytest.raises(RuntimeError):
        attachments.attachment_add(
            actor=users.owner, document=doc, uploaded_file=upload("a.pdf", minimal_pdf())
        )
    assert files_under(media) == []
    assert Attachment.objects.count() == 0


# --- The attachments panel ------------------------------------------------------------------------------


def test_panel_lists_files_with_size_revision_and_status(stored, users, client_for):
    response = client_for(users.owner).get(reverse("documents:attachment_list", args=[stored.document_id]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Quyết định thành lập.pdf" in body
    assert reverse("documents:attachment_download", args=[stored.pk]) in body
    assert reverse("documents:attachment_new_version", args=[stored.pk]) in body
    assert 'hx-trigger="every 3s"' in body  # extraction pending: the panel polls


def test_panel_stops_polling_once_extraction_is_done(stored, users, client_for):
    Attachment.objects.filter(pk=stored.pk).update(extraction=Attachment.Extraction.DONE)
    body = (
        client_for(users.viewer)
        .get(reverse("documents:attachment_list", args=[stored.document_id]))
        .content.decode()
    )
    assert "every 3s" not in body
    assert (
        reverse("documents:attachment_new_version", args=[stored.pk]) not in body
    )  # viewer: no upload links


def test_panel_says_when_ocr_is_not_installed(stored, users, client_for, monkeypatch):
    from steerdesk.documents import tasks

    monkeypatch.setattr(tasks.shutil, "which", lambda name: None)
    body = (
        client_for(users.owner)
        .get(reverse("documents:attachment_list", args=[stored.document_id]))
        .content.decode()
    )
    assert "OCR is not installed on this server" in body
    assert "tesseract-ocr-vie" in body


def test_panel_is_quiet_about_ocr_when_it_is_installed(stored, users, client_for, monkeypatch):
    from steerdesk.documents import tasks

    monkeypatch.setattr(tasks, "ocr_available", lambda: True)
    body = (
        client_for(users.owner)
        .get(reverse("documents:attachment_list", args=[stored.document_id]))
        .content.decode()
    )
    assert "OCR is not installed" not in body


def test_panel_is_404_outside_scope(stored, users, client_for):
    assert (
        client_for(users.outsider)
        .get(reverse("documents:attachment_list", args=[stored.document_id]))
        .status_code
        == 404
    )


def test_malformed_multipart_body_is_a_client_error(media, users, doc, client_for):
    response = client_for(users.owner).post(
        reverse("documents:attachment_upload", args=[doc.pk]),
        data=b"--not-the-boundary\r\ngarbage",
        content_type="multipart/form-data; boundary=",
    )
    assert 400 <= response.status_code < 500
    assert Attachment.objects.count() == 0
