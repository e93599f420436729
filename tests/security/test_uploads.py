"""Uploads (ASVS V5 / V12): size, type by magic bytes, archives, names — as a sweep over every URL, so an upload
view added later is held to the same rules without anyone listing it.

The attachment pipeline itself is tested in steerdesk/documents/tests/test_attachments.py (413 while streaming,
type from the bytes, zip bombs, unsafe archive member paths, traversal names, random storage names, scoped
downloads) and the people import in steerdesk/orgs/tests/test_import.py (size, row count, magic bytes). Here:

- every upload, through any view, is cut off at STEERDESK_UPLOAD_MAX_MB before it reaches the view
  (settings.FILE_UPLOAD_HANDLERS), so no view can be made to spool a huge file to disk;
- a file named `../../…` posted to every URL is stored, if at all, under MEDIA_ROOT with a random name, and no
  `original_name` in any table keeps a path;
- a file whose bytes are HTML or an executable, named `.pdf`, is never stored, whichever URL receives it;
- the ODT text extractor refuses XML with a DTD (billion laughs, external entities).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import multipartparser
from django.utils.datastructures import MultiValueDict

from steerdesk.documents import tasks
from steerdesk.documents.models import Attachment
from steerdesk.documents.tests.attachment_fixtures import minimal_odt, minimal_pdf

from .sweep import concrete_urls

pytestmark = pytest.mark.django_db

FILE_FIELDS = ("file", "files", "evidence", "attachment", "upload")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return settings.MEDIA_ROOT


class RecordingFiles(MultiValueDict):
    """request.FILES that notes the path when a view (a form's file field, a serializer) reads a file from it."""

    def __init__(self, files, path, readers):
        super().__init__({name: files.getlist(name) for name in files})
        self._path, self._readers = path, readers

    def _note(self):
        self._readers.add(self._path)

    def __getitem__(self, key):
        self._note()
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._note()
        return super().get(key, default)

    def getlist(self, key, default=None):
        self._note()
        return super().getlist(key, default)

    def lists(self):
        # How DRF merges files into request.data; Django itself calls it when the request closes.
        if self._path.startswith("/api/"):
            self._note()
        return super().lists()


@pytest.fixture
def files_seen(monkeypatch):
    """Every multipart body parsed: `.sizes` of the files that got past the upload handlers, `.readers` the paths
    whose view read a file."""
    seen = SimpleNamespace(sizes=[], readers=set())
    original = multipartparser.MultiPartParser.parse

    def parse(self):
        post, files = original(self)
        seen.sizes.extend(f.size for name in files for f in files.getlist(name))
        return post, RecordingFiles(files, self._meta.get("PATH_INFO", ""), seen.readers)

    monkeypatch.setattr(multipartparser.MultiPartParser, "parse", parse)
    return seen


# Small fields that upload forms often require next to the file.
FORM_FIELDS = {
    "version": "1",
    "title": "Tệp",
    "summary": "Tệp",
    "percent": "10",
    "comment": "x",
    "result": "x",
}


def post_files(client, paths, make_file) -> None:
    """POST `make_file()` under every usual field name to each path; no answer may be a 5xx."""
    failures = []
    for path in paths:
        data = {field: make_file() for field in FILE_FIELDS}
        response = client.post(path, {**FORM_FIELDS, **data})
        if response.status_code >= 500:
            failures.append(f"POST {path} → {response.status_code}")
    assert not failures, "\n".join(failures)


def file_rows() -> dict:
    """Row counts of every model that records uploaded files."""
    counts = {}
    for model in apps.get_models():
        names = {f.name for f in model._meta.get_fields()}
        if "original_name" in names or "storage_name" in names:
            counts[model] = model.objects.count()
    return counts


ACTIVE_CONTENT = [
    ("bao-cao.pdf", b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"),
    ("bao-cao.pdf", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
    ("bao-cao.docx", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200),
]


def test_every_url_that_takes_files_stores_them_safely(
    own_objects, users, client_for, media, tmp_path, settings, files_seen
):
    client = client_for(users.superuser)
    paths = [path for path, name, _ in concrete_urls(own_objects) if name != "accounts:logout"]

    # 1. A valid PDF named with a path: stored (somewhere) under MEDIA_ROOT with a random name, name cleaned.
    before = Attachment.objects.count()
    post_files(client, paths, lambda: SimpleUploadedFile("../../../..\\..\\etc/passwd.pdf", minimal_pdf()))
    readers = sorted(files_seen.readers)
    assert readers, "no view read an uploaded file: the sweep tested nothing"
    assert Attachment.objects.count() > before, "the attachment upload did not store the file"
    stored = [p for p in media.rglob("*") if p.is_file()]
    assert stored and all(p.resolve().is_relative_to(media.resolve()) for p in stored)
    assert not any("passwd" in p.name for p in stored), "storage names must not come from the user"
    assert not list(tmp_path.parent.rglob("passwd.pdf"))
    for model in file_rows():
        if "original_name" in {f.name for f in model._meta.get_fields()}:
            for name in model.objects.values_list("original_name", flat=True):
                assert "/" not in name and "\\" not in name and ".." not in name, (model.__name__, name)

    # 2. Active content named as a document: refused by every view that reads files (type from the bytes).
    for filename, content in ACTIVE_CONTENT:
        counts = file_rows()
        post_files(client, readers, lambda: SimpleUploadedFile(filename, content))  # noqa: B023
        assert file_rows() == counts, f"{filename} with {content[:20]!r} was stored"
        assert all(p.read_bytes() != content for p in media.rglob("*") if p.is_file())

    # 3. Over STEERDESK_UPLOAD_MAX_MB: cut off before any view gets it, whether or not it has its own handler.
    settings.STEERDESK_UPLOAD_MAX_MB = 0.05  # ≈ 51 KB
    limit = int(0.05 * 1024 * 1024)
    big = b"%PDF-1.4\n" + b"0" * (limit * 2)
    files_seen.sizes.clear()
    post_files(client, readers, lambda: SimpleUploadedFile("lon.pdf", big))
    assert all(size <= limit for size in files_seen.sizes), files_seen.sizes
    assert not any(p.stat().st_size > limit for p in media.rglob("*") if p.is_file())


def test_the_limit_cuts_off_a_view_without_its_own_handler(tree, users, client_for, settings):
    """The people import checks 5 MB only after Django has read the file: the project handler stops it first."""
    rows = "Họ và tên;Chức vụ\n" + "".join(f"Nguyễn Văn Thử {i};Chuyên viên\n" for i in range(300))
    data = rows.encode("utf-8")
    client = client_for(users.owner)
    settings.STEERDESK_UPLOAD_MAX_MB = 0.005  # ≈ 5 KB, the file is ≈ 11 KB
    response = client.post(
        "/orgs/import/", {"unit": tree.district_a.pk, "file": SimpleUploadedFile("ds.csv", data)}
    )
    assert response.status_code == 400
    assert not tree.district_a.people.exists()
    settings.STEERDESK_UPLOAD_MAX_MB = 50  # the control: under the limit the same file is imported
    response = client.post(
        "/orgs/import/", {"unit": tree.district_a.pk, "file": SimpleUploadedFile("ds.csv", data)}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert tree.district_a.people.count() == 300


# -- XML inside office files -------------------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    + ']><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0">'
    "&lol9;</office:document-content>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0">&x;'
    "</office:document-content>"
)


def odt_with_content(content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        BILLION_LAUGHS.encode(),
        EXTERNAL_ENTITY.encode(),
        EXTERNAL_ENTITY.replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode("utf-16"),
    ],
)
def test_odt_text_refuses_xml_with_a_dtd(tmp_path, content):
    path = tmp_path / "x.odt"
    path.write_bytes(odt_with_content(content))
    with pytest.raises(tasks.UnsafeXml):
        tasks._odt_text(path)


def test_odt_text_still_reads_an_ordinary_file(tmp_path):
    path = Path(tmp_path / "ok.odt")
    path.write_bytes(minimal_odt(["Kế hoạch số 10-KH/BCĐ"]))
    assert "Kế hoạch số 10-KH/BCĐ" in tasks._odt_text(path)
