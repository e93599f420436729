"""Attachments of documents: type detection by magic bytes, zip-bomb guard, random storage, versions, and the
reads the attachment views and the document page use (DESIGN §6; issue 4 item 5).

Services: `attachment_add(*, actor, document, uploaded_file)`, `attachment_new_version(*, actor, attachment,
uploaded_file)`. Reads: `attachment_get(*, user, pk)` (404 outside the document's scope), `attachment_panel(*, user,
document)` (the context of `documents/partials/_attachments.html`).

Rules:
- The type is what the bytes say (PDF, DOCX, XLSX, ODT, PNG, JPEG, TIFF), never the file name or the browser's
  content type; anything else is refused with a ValidationError (400).
- ZIP-based files (DOCX, XLSX, ODT) are opened only after their directory passes `check_zip`: member count,
  declared uncompressed total, compression ratio and member names are bounded. Python's zipfile never inflates a
  member past its declared size, so bounding the declared sizes bounds the work of every later reader.
- The size limit is enforced while streaming by `uploads.SizeLimitUploadHandler`; `attachment_add` checks it again
  (`FileTooLarge`, 413) for callers that did not install the handler.
- Files are stored under `attachments/<yyyy>/<mm>/<uuid4 hex>`: nothing from the user in the path. The original
  name, sanitised, is kept only in the database.
- Secret documents carry no files (DESIGN §6: metadata only).
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from steerdesk.core.audit import audit_record, snapshot
from steerdesk.core.scope import Role, has_role

from .models import Attachment, Document
from .uploads import upload_max_bytes

# Zip-bomb guard (DOCX/XLSX/ODT are ZIP archives).
ZIP_MAX_MEMBERS = 10_000
ZIP_MAX_TOTAL_UNCOMPRESSED = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100
# Below this size a member cannot be a bomb, whatever its ratio (a few KB of repeated XML compress 200:1).
ZIP_RATIO_MIN_SIZE = 1024 * 1024
ZIP_MAX_METADATA_READ = 1024 * 1024

NAME_MAX = 255


@dataclass(frozen=True)
class FileKind:
    key: str
    content_type: str
    extension: str


PDF = FileKind("pdf", "application/pdf", ".pdf")
DOCX = FileKind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx")
XLSX = FileKind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")
ODT = FileKind("odt", "application/vnd.oasis.opendocument.text", ".odt")
PNG = FileKind("png", "image/png", ".png")
JPEG = FileKind("jpeg", "image/jpeg", ".jpg")
TIFF = FileKind("tiff", "image/tiff", ".tif")
KINDS = {kind.content_type: kind for kind in (PDF, DOCX, XLSX, ODT, PNG, JPEG, TIFF)}


class FileTooLarge(ValidationError):
    """The file is over `settings.STEERDESK_UPLOAD_MAX_MB`: views answer 413."""


def upload_limit_mb() -> str:
    """The size limit in MB as shown to users ("50", "0.5")."""
    return f"{upload_max_bytes() / (1024 * 1024):g}"


def _too_large_message() -> str:
    return _("The file is larger than the limit of %(mb)s MB. Nothing was stored.") % {
        "mb": upload_limit_mb()
    }


def too_large_error() -> FileTooLarge:
    return FileTooLarge(_too_large_message(), code="too_large")


# ---------------------------------------------------------------------------------------------------------
# Type detection


def _unsupported() -> ValidationError:
    return ValidationError(
        _(
            "This file's content is not an accepted type (PDF, DOCX, XLSX, ODT, PNG, JPEG or TIFF). "
            "The type is checked from the content, not the file name."
        ),
        code="bad_type",
    )


def _zip_rejected(reason: str) -> ValidationError:
    return ValidationError(
        _("This archive cannot be accepted: %(reason)s.") % {"reason": reason}, code="bad_archive"
    )


def _unsafe_member_name(name: str) -> bool:
    parts = re.split(r"[\\/]", name)
    return (
        name.startswith(("/", "\\")) or bool(re.match(r"^[A-Za-z]:", name)) or ".." in parts or "\x00" in name
    )


def check_zip(archive: zipfile.ZipFile) -> None:
    """Refuse archives that would unpack to too much, too many members, or outside their folder."""
    members = archive.infolist()
    if len(members) > ZIP_MAX_MEMBERS:
        raise _zip_rejected(_("it has more than %(n)s files") % {"n": f"{ZIP_MAX_MEMBERS:,}"})
    total = 0
    for info in members:
        if _unsafe_member_name(info.filename):
            raise _zip_rejected(_("it contains a file with an unsafe path"))
        total += info.file_size
        if total > ZIP_MAX_TOTAL_UNCOMPRESSED:
            raise _zip_rejected(
                _("it would unpack to more than %(mb)s MB")
                % {"mb": ZIP_MAX_TOTAL_UNCOMPRESSED // (1024 * 1024)}
            )
        if info.file_size > ZIP_RATIO_MIN_SIZE and info.file_size > ZIP_MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise _zip_rejected(_("it is compressed suspiciously much (a zip bomb?)"))


def _zip_kind(fileobj) -> FileKind:
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _zip_rejected(_("it is damaged or not a ZIP file")) from exc
    with archive:
        check_zip(archive)
        names = set(archive.namelist())
        try:
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    mimetype = member.read(200).strip()
                if mimetype == ODT.content_type.encode() and "content.xml" in names:
                    return ODT
            if "[Content_Types].xml" in names:
                with archive.open("[Content_Types].xml") as member:
                    content_types = member.read(ZIP_MAX_METADATA_READ)
                if b"wordprocessingml.document.main+xml" in content_types:
                    return DOCX
                if b"spreadsheetml.sheet.main+xml" in content_types:
                    return XLSX
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
            # RuntimeError: an encrypted member; NotImplementedError: an unknown compression method.
            raise _zip_rejected(_("it is damaged or not a ZIP file")) from exc
    raise _unsupported()


def sniff(fileobj) -> FileKind:
    """The file's type from its first bytes (and, for ZIP files, its directory). Raises ValidationError."""
    fileobj.seek(0)
    head = fileobj.read(8)
    fileobj.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if head.startswith(b"PK\x03\x04"):
        try:
            return _zip_kind(fileobj)
        finally:
            fileobj.seek(0)
    raise _unsupported()


# ---------------------------------------------------------------------------------------------------------
# Names


def clean_filename(name: str | None, *, fallback_extension: str = "") -> str:
    """The name as it may be shown and offered on download: basename only, NFC, no control or format characters
    (no bidi overrides), no leading/trailing dots or spaces, at most 255 characters with the extension kept."""
    text = unicodedata.normalize("NFC", name or "")
    text = re.split(r"[\\/]", text)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    text = re.sub(r"\s+", " ", text).strip(" .")
    if not text:
        text = "file" + fallback_extension
    if len(text) > NAME_MAX:
        stem, ext = os.path.splitext(text)
        ext = ext[:20]
        text = stem[: NAME_MAX - len(ext)].rstrip(" .") + ext
    return text


def new_storage_name(now=None) -> str:
    """`attachments/<yyyy>/<mm>/<uuid4 hex>`: random, with nothing the user chose."""
    now = now or timezone.now()
    return f"attachments/{now:%Y}/{now:%m}/{uuid.uuid4().hex}"


# ---------------------------------------------------------------------------------------------------------
# Services


def _check_can_upload(actor, document: Document) -> None:
    if not has_role(actor, document.unit_path, Role.SECRETARY):
        raise PermissionDenied(_("Only a secretary of the document's unit can add files."))
    if document.is_secret:
        raise ValidationError(
            _("A secret document is registered by its metadata only: it cannot have attached files."),
            code="secret",
        )


def _measure(uploaded_file) -> tuple[int, str]:
    """Size and sha256 of a Django `File` (an UploadedFile, a ContentFile), read in chunks."""
    digest = hashlib.sha256()
    size = 0
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
        size += len(chunk)
    uploaded_file.seek(0)
    return size, digest.hexdigest()


def _enqueue_extraction(attachment_id: int) -> None:
    from .tasks import extract_attachment_text

    extract_attachment_text.enqueue(attachment_id)


def _store(*, actor, document: Document, uploaded_file, replaces: Attachment | None) -> Attachment:
    kind = sniff(uploaded_file)
    size, sha256 = _measure(uploaded_file)
    if size > upload_max_bytes():
        raise too_large_error()
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    original_name = clean_filename(getattr(uploaded_file, "name", ""), fallback_extension=kind.extension)

    storage_name = default_storage.save(new_storage_name(), uploaded_file)
    try:
        with transaction.atomic():
            if replaces is not None:
                # One UPDATE both checks and flips `is_current`: two concurrent new versions cannot both win.
                flipped = Attachment.objects.filter(pk=replaces.pk, is_current=True).update(
                    is_current=False, version=F("version") + 1, updated_at=timezone.now()
                )
                if not flipped:
                    raise ValidationError(
                        _(
                            "A newer version of this file was uploaded meanwhile. Reload the page and try again."
                        ),
                        code="stale",
                    )
                replaces.is_current = False
                audit_record(
                    actor=actor,
                    instance=replaces,
                    action="update",
                    changes={"is_current": [True, False]},
                    unit_path=document.unit_path,
                )
            attachment = Attachment(
                document=document,
                original_name=original_name,
                storage_name=storage_name,
                content_type=kind.content_type,
                size=size,
                sha256=sha256,
                revision=replaces.revision + 1 if replaces is not None else 1,
                replaces=replaces,
                is_current=True,
                extraction=Attachment.Extraction.PENDING,
            )
            if getattr(actor, "pk", None):
                attachment.created_by = attachment.updated_by = actor
            attachment.save()
            audit_record(
                actor=actor,
                instance=attachment,
                action="create",
                changes={k: [None, v] for k, v in snapshot(attachment).items() if v not in (None, "")},
                unit_path=document.unit_path,
            )
            # After commit: the worker (or the immediate backend) must see the row, and OCR must not run inside
            # this short write transaction.
            transaction.on_commit(partial(_enqueue_extraction, attachment.pk))
    except BaseException:
        default_storage.delete(storage_name)
        raise
    return attachment


def attachment_add(*, actor, document: Document, uploaded_file) -> Attachment:
    """Attach an uploaded file to a document (revision 1) and queue its text extraction.

    Requires the secretary role over the document's unit (PermissionDenied); refuses secret documents, files of
    another type than PDF/DOCX/XLSX/ODT/PNG/JPEG/TIFF (by content), unsafe archives (ValidationError) and files
    over the size limit (FileTooLarge). Stores the file under a random name; nothing is kept when it fails.
    """
    _check_can_upload(actor, document)
    return _store(actor=actor, document=document, uploaded_file=uploaded_file, replaces=None)


def attachment_new_version(*, actor, attachment: Attachment, uploaded_file) -> Attachment:
    """Upload a new version of a file: a new Attachment with `revision + 1` that `replaces` the old one, which
    stays downloadable but is no longer current. Same checks as `attachment_add`; only the current version can be
    replaced (ValidationError otherwise)."""
    document = attachment.document
    _check_can_upload(actor, document)
    if not attachment.is_current:
        raise ValidationError(_("Only the current version of a file can be replaced."), code="not_current")
    return _store(actor=actor, document=document, uploaded_file=uploaded_file, replaces=attachment)


# ---------------------------------------------------------------------------------------------------------
# Reads


def attachment_get(*, user, pk) -> Attachment:
    """An attachment whose document the user may see (`Document.objects.for_user`: recipients too), else 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    attachment = (
        Attachment.objects.filter(pk=pk, document__in=Document.objects.for_user(user))
        .select_related("document")
        .first()
    )
    if attachment is None:
        raise Http404
    return attachment


def document_for_attachments(*, user, pk) -> Document:
    """The document (in the user's scope, else 404) whose files a view lists or adds to."""
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    document = Document.objects.for_user(user).filter(pk=pk).first()
    if document is None:
        raise Http404
    return document


@dataclass
class AttachmentRow:
    current: Attachment
    older: list[Attachment]


def attachment_panel(*, user, document: Document) -> dict:
    """Context for `documents/partials/_attachments.html` (one query for the files).

    `rows`: each current file with its older versions (newest first); `pending`: extraction still running (the
    partial then polls); `ocr_available`; `can_upload`.
    """
    from .tasks import ocr_available

    files = list(Attachment.objects.filter(document=document).order_by("original_name", "-revision", "-id"))
    by_id = {a.pk: a for a in files}
    rows = []
    for current in (a for a in files if a.is_current):
        older = []
        previous = by_id.get(current.replaces_id)
        while previous is not None and len(older) < 1000:
            older.append(previous)
            previous = by_id.get(previous.replaces_id)
        rows.append(AttachmentRow(current=current, older=older))
    return {
        "document": document,
        "attachment_rows": rows,
        "attachments_pending": any(a.extraction == Attachment.Extraction.PENDING for a in files),
        "ocr_available": ocr_available(),
        "can_upload": not document.is_secret and has_role(user, document.unit_path, Role.SECRETARY),
        "upload_max_mb": upload_limit_mb(),
    }
