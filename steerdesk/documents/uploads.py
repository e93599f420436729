"""An upload handler that enforces the attachment size limit while the request body streams in.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not limit files (DESIGN §6), so a view that accepts attachments installs
`SizeLimitUploadHandler` in front of Django's own handlers before anything reads the body: once the running total
of file bytes passes the limit, it stops the upload (the rest of the body is read and discarded, nothing is kept)
and the view answers 413. See the Django docs "Modifying upload handlers on the fly": such a view is `csrf_exempt`
and runs its CSRF check (`csrf_protect`) only after the handler is installed.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

# Room for the multipart boundaries and the small form fields (CSRF token, version) around the file.
MULTIPART_OVERHEAD = 64 * 1024


def upload_max_bytes() -> int:
    """The attachment size limit in bytes (`settings.STEERDESK_UPLOAD_MAX_MB`, default 50 MB)."""
    return int(float(getattr(settings, "STEERDESK_UPLOAD_MAX_MB", 50)) * 1024 * 1024)


class SizeLimitUploadHandler(FileUploadHandler):
    """Stops the upload as soon as the files of the request total more than `max_bytes`; sets `exceeded`."""

    def __init__(self, request=None, *, max_bytes: int):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.received = 0
        self.exceeded = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # A declared body far larger than the limit is refused before a single file byte is buffered.
        if content_length and content_length > self.max_bytes + MULTIPART_OVERHEAD:
            self.exceeded = True
        return None

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.exceeded:
            raise StopUpload(connection_reset=False)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data  # pass the chunk on to Django's memory/temporary-file handlers

    def file_complete(self, file_size):
        return None  # the next handler builds the UploadedFile


def install_size_limit(request) -> SizeLimitUploadHandler:
    """Put the size-limit handler first for this request. Call before anything reads request.POST/FILES."""
    handler = SizeLimitUploadHandler(request, max_bytes=upload_max_bytes())
    request.upload_handlers.insert(0, handler)
    return handler


class ProjectSizeLimitUploadHandler(SizeLimitUploadHandler):
    """The same limit on every upload of the project (first in settings.FILE_UPLOAD_HANDLERS): no view can be made
    to spool a file larger than STEERDESK_UPLOAD_MAX_MB to disk, not even one that does not install its own handler
    to answer 413 (there the file simply does not arrive, and the form says it is missing)."""

    def __init__(self, request=None):
        super().__init__(request, max_bytes=upload_max_bytes())
