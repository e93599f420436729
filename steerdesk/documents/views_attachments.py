"""Attachment views. URL names (wired in documents/urls.py):

- `documents:attachment_upload` → `AttachmentUploadView` (document pk): GET the upload page, POST a file.
- `documents:attachment_new_version` → `AttachmentNewVersionView` (attachment pk): GET/POST a new version.
- `documents:attachment_download` → `AttachmentDownloadView` (attachment pk): the file, scope-checked.
- `documents:attachment_list` → `AttachmentListView` (document pk): the `_attachments.html` partial (htmx polling).

All four are in `urlpatterns` at the end of this module: documents/urls.py adds them with
`urlpatterns += views_attachments.urlpatterns`.

The document page includes the partial with `{% include "documents/partials/_attachments.html" %}` and the context
of `attachments.attachment_panel(user=request.user, document=document)`.

Uploads: the size limit is enforced while the body streams in (`uploads.SizeLimitUploadHandler`, installed before
the body is read; the views are `csrf_exempt` and check CSRF with `csrf_protect` afterwards, as the Django docs
describe for modifying upload handlers). Over the limit → 413; wrong type, unsafe archive, secret document → 400;
no secretary role → 403; document out of scope → 404. Nothing is stored on any of these.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from steerdesk.core.htmx import htmx_partial
from steerdesk.core.scope import Role, has_role

from . import attachments
from .uploads import install_size_limit

PANEL_TEMPLATE = "documents/partials/_attachments.html"
UPLOAD_TEMPLATE = "documents/partials/_attachment_upload_page.html"


class AttachmentUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        required=False,  # a missing file and an over-limit file get their own messages
        help_text=gettext_lazy("PDF, DOCX, XLSX, ODT, PNG, JPEG or TIFF."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.xlsx,.odt,.png,.jpg,.jpeg,.tif,.tiff"}),
    )


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the UTF-8 name (RFC 6266 / RFC 5987), so Vietnamese names
    survive: `attachment; filename="Quyet dinh.pdf"; filename*=UTF-8''Quy%E1%BA%BFt%20%C4%91%E1%BB%8Bnh.pdf`."""
    ascii_name = unicodedata.normalize("NFKD", filename.replace("đ", "d").replace("Đ", "D"))
    ascii_name = ascii_name.encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\;' else "_" for ch in ascii_name)
    ascii_name = ascii_name.strip() or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


class AttachmentDownloadView(LoginRequiredMixin, View):
    """The file, only when the user may see its document (recipients too); otherwise 404."""

    def get(self, request, pk):
        attachment = attachments.attachment_get(user=request.user, pk=pk)
        try:
            handle = default_storage.open(attachment.storage_name, "rb")
        except (FileNotFoundError, OSError) as exc:
            raise Http404(_("The file is missing from storage.")) from exc
        response = FileResponse(handle, content_type=attachment.content_type)
        response["Content-Disposition"] = content_disposition(attachment.original_name)
        response["Content-Length"] = str(attachment.size)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class AttachmentListView(LoginRequiredMixin, View):
    """The attachments panel of a document (the partial the document page includes and htmx polls)."""

    def get(self, request, pk):
        document = attachments.document_for_attachments(user=request.user, pk=pk)
        return render(
            request, PANEL_TEMPLATE, attachments.attachment_panel(user=request.user, document=document)
        )


@method_decorator(csrf_exempt, name="dispatch")
class _UploadBase(LoginRequiredMixin, View):
    """Shared GET/POST of the upload pages. Subclasses define `target(request, pk)` → (document, attachment or
    None) and `call(request, target, uploaded_file)` → the service call."""

    title = ""

    def target(self, request, pk):  # pragma: no cover - abstract
        raise NotImplementedError

    def call(self, request, attachment, document, uploaded_file):  # pragma: no cover - abstract
        raise NotImplementedError

    def check_role(self, request, document) -> None:
        if not has_role(request.user, document.unit_path, Role.SECRETARY):
            raise PermissionDenied

    def page(self, request, *, form, document, attachment, status=200):
        context = {"form": form, "document": document, "attachment": attachment, "title": self.title}
        context["upload_max_mb"] = attachments.upload_limit_mb()
        return render(request, UPLOAD_TEMPLATE, context, status=status)

    @method_decorator(csrf_protect)
    def get(self, request, pk):
        document, attachment = self.target(request, pk)
        self.check_role(request, document)
        return self.page(request, form=AttachmentUploadForm(), document=document, attachment=attachment)

    def post(self, request, pk):
        # Before anything reads the body: the size limit must see every chunk.
        limiter = install_size_limit(request)
        return self._post(request, pk, limiter)

    @method_decorator(csrf_protect)
    def _post(self, request, pk, limiter):
        document, attachment = self.target(request, pk)
        self.check_role(request, document)
        form = AttachmentUploadForm(request.POST, request.FILES)
        form.is_valid()
        uploaded_file = request.FILES.get("file")
        status = 400
        if limiter.exceeded:
            form.add_error("file", attachments.too_large_error())
            status = 413
        elif uploaded_file is None:
            form.add_error("file", _("Choose a file to upload."))
        else:
            try:
                self.call(request, attachment, document, uploaded_file)
            except attachments.FileTooLarge as exc:
                form.add_error("file", exc)
                status = 413
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                messages.success(request, _("The file was added. Its text is being extracted."))
                if htmx_partial(request):
                    panel = attachments.attachment_panel(user=request.user, document=document)
                    return render(request, PANEL_TEMPLATE, panel)
                return redirect(document.get_absolute_url())
        return self.page(request, form=form, document=document, attachment=attachment, status=status)


class AttachmentUploadView(_UploadBase):
    """Add a file to a document (secretary of its unit)."""

    title = gettext_lazy("Add a file")

    def target(self, request, pk):
        return attachments.document_for_attachments(user=request.user, pk=pk), None

    def call(self, request, attachment, document, uploaded_file):
        return attachments.attachment_add(actor=request.user, document=document, uploaded_file=uploaded_file)


class AttachmentNewVersionView(_UploadBase):
    """Upload a new version of a file; the old one stays downloadable."""

    title = gettext_lazy("Upload a new version")

    def target(self, request, pk):
        attachment = attachments.attachment_get(user=request.user, pk=pk)
        return attachment.document, attachment

    def call(self, request, attachment, document, uploaded_file):
        return attachments.attachment_new_version(
            actor=request.user, attachment=attachment, uploaded_file=uploaded_file
        )


# Relative to the documents/ prefix: documents/urls.py adds them with `urlpatterns += views_attachments.urlpatterns`
# (inside `app_name = "documents"`), so the names above stay in one place.
urlpatterns = [
    path("<int:pk>/attachments/", AttachmentListView.as_view(), name="attachment_list"),
    path("<int:pk>/attachments/add/", AttachmentUploadView.as_view(), name="attachment_upload"),
    path("attachments/<int:pk>/", AttachmentDownloadView.as_view(), name="attachment_download"),
    path(
        "attachments/<int:pk>/new-version/", AttachmentNewVersionView.as_view(), name="attachment_new_version"
    ),
]
