"""DOCX generation pages. URL names (in `urlpatterns` below, included by documents/urls.py):

- `documents:document_generate` → `DocumentGenerateView` (document pk): POST kind (+ optional uploaded template);
  the file is attached to the document. Secretary of the document's unit (403), out of scope 404.
- `documents:docx_template_list` → `DocxTemplateListView`: the uploaded templates (superusers; others 404).
- `documents:docx_template_upload` → `DocxTemplateUploadView`: GET the form, POST a template (trial render first).
- `documents:docx_template_deactivate` → `DocxTemplateDeactivateView` (template pk): POST with `version`.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from steerdesk.core.locking import ConflictError
from steerdesk.core.scope import Role, has_role
from steerdesk.orgs.forms import NFCForm, add_service_errors

from . import generation, selectors
from .models import Document, DocxTemplate, Register

KIND_CHOICES = [
    ("decision", gettext_lazy("Decision")),
    ("plan", gettext_lazy("Plan")),
    ("report", gettext_lazy("Report")),
    ("invitation", gettext_lazy("Invitation letter")),
]


class TemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.get_kind_display()})"


class GenerateForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Layout"), choices=KIND_CHOICES)
    template = TemplateChoiceField(
        label=gettext_lazy("Uploaded template"),
        queryset=DocxTemplate.objects.none(),
        required=False,
        empty_label=gettext_lazy("— built-in template —"),
    )

    def __init__(self, *args, document: Document, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = generation.docx_templates_for(document).defer("content")
        self.fields["kind"].initial = "plan" if document.doc_type.name == "Kế hoạch" else "decision"


class DocxTemplateUploadForm(NFCForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=DocxTemplate.Kind.choices)
    system = forms.ChoiceField(label=gettext_lazy("Numbering system"), choices=Register.System.choices)
    file = forms.FileField(
        label=gettext_lazy("Word template (.docx)"),
        help_text=gettext_lazy(
            "At most 5 MB. Fields are written as {{ summary }}, {{ number_line }}, {{ date_line }}, … "
            "It is rendered once with sample data before it is stored."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".docx"}),
    )


def document_generation_context(request, document: Document) -> dict:
    """What the document page needs for the "Generate DOCX" form (nothing for read-only users or secrets)."""
    if document.is_secret or not has_role(request.user, document.unit_path, Role.SECRETARY):
        return {}
    return {"generate_form": GenerateForm(document=document)}


class DocumentGenerateView(LoginRequiredMixin, View):
    model = Document

    def _document(self, request, pk):
        document = selectors.document_get(user=request.user, pk=pk)
        if not has_role(request.user, document.unit_path, Role.SECRETARY):
            raise PermissionDenied
        return document

    def get(self, request, pk):
        return redirect(selectors.document_get(user=request.user, pk=pk))

    def post(self, request, pk):
        document = self._document(request, pk)
        form = GenerateForm(request.POST, document=document)
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
            return redirect(document)
        try:
            attachment = generation.document_generate_docx(
                actor=request.user,
                document=document,
                kind=form.cleaned_data["kind"],
                template=form.cleaned_data["template"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("The file %(name)s was generated and attached.") % {"name": attachment.original_name},
            )
        return redirect(document)


class _SuperuserOnly(LoginRequiredMixin, View):
    """Templates are global: for anyone but a superuser these pages do not exist (404), like document types."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_superuser:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class DocxTemplateListView(_SuperuserOnly):
    def get(self, request):
        templates = generation.docx_template_list(user=request.user)
        return render(request, "documents/docx_template_list.html", {"templates": templates})


class DocxTemplateUploadView(_SuperuserOnly):
    def _page(self, request, form, status=200):
        return render(request, "documents/docx_template_upload.html", {"form": form}, status=status)

    def get(self, request):
        return self._page(request, DocxTemplateUploadForm(initial={"kind": "decision", "system": "state"}))

    def post(self, request):
        form = DocxTemplateUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                template = generation.docx_template_upload(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Template %(name)s uploaded.") % {"name": template.name})
                return redirect("documents:docx_template_list")
        return self._page(request, form, status=400)


class DocxTemplateDeactivateView(_SuperuserOnly):
    model = DocxTemplate

    def get(self, request, pk):
        generation.docx_template_get(user=request.user, pk=pk)
        return redirect("documents:docx_template_list")

    def post(self, request, pk):
        template = generation.docx_template_get(user=request.user, pk=pk)
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = None
        try:
            generation.docx_template_deactivate(
                actor=request.user, template=template, expected_version=version
            )
        except ConflictError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Template %(name)s deactivated.") % {"name": template.name})
        return redirect("documents:docx_template_list")


urlpatterns = [
    path("<int:pk>/generate/", DocumentGenerateView.as_view(), name="document_generate"),
    path("docx-templates/", DocxTemplateListView.as_view(), name="docx_template_list"),
    path("docx-templates/upload/", DocxTemplateUploadView.as_view(), name="docx_template_upload"),
    path(
        "docx-templates/<int:pk>/deactivate/",
        DocxTemplateDeactivateView.as_view(),
        name="docx_template_deactivate",
    ),
]
