"""Pages of registers and documents. Thin: parse a form, call a selector or a service, render. Objects come
through selectors that start from `for_user` (404 outside scope); writes need the secretary role (403)."""

from __future__ import annotations

import datetime
import io
from functools import partial

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from steerdesk.core import units as core_units
from steerdesk.core.htmx import htmx_partial
from steerdesk.core.locking import ConflictError
from steerdesk.core.scope import Role, has_role, user_grants
from steerdesk.orgs.models import OrgUnit

from . import forms, numbering, selectors, services, views_generation
from .models import Document, DocumentType, Reference, Register

PAGE_SIZE = 50


def _can(user, path: str, role: str = Role.SECRETARY) -> bool:
    return has_role(user, path, role)


def _run(form, call):
    """Call a service; on failure put the reason on the form and return None."""
    try:
        return call() or True
    except ConflictError as exc:
        form.add_error(None, exc.message)
    except ValidationError as exc:
        forms.add_service_errors(form, exc)
    return None


def _form_page(request, *, form, title, cancel_url, submit_label=None, intro="", status=None):
    context = {
        "form": form,
        "title": title,
        "cancel_url": cancel_url,
        "submit_label": submit_label or _("Save"),
        "intro": intro,
    }
    return render(
        request, "documents/form_page.html", context, status=status or (400 if form.is_bound else 200)
    )


def _filters(request, *, register=None, direction=""):
    """The filter form of a list and the matching `DocumentFilters` (invalid values are ignored)."""
    form = forms.DocumentFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return form, selectors.DocumentFilters(
        register=register,
        direction=direction,
        doc_type=data.get("doc_type"),
        status=data.get("status") or "",
        year=data.get("year"),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def number_line(document: Document) -> str:
    """`Số: 12/QĐ-UBND` or `Số 35-NQ/TW`: a received document is shown in the system its number is written in."""
    if not document.number_text:
        return ""
    system = document.register.system
    if document.direction == Document.Direction.INCOMING:
        try:
            system = numbering.parse_number(document.number_text).system
        except ValueError:
            return document.number_text
    return numbering.display_number(system, document.number_text)


# ---------------------------------------------------------------------------------------------------------
# Registers


class RegisterListView(LoginRequiredMixin, View):
    def get(self, request):
        if not DocumentType.objects.exists():
            services.document_types_ensure()
        registers = list(selectors.register_list(user=request.user))
        can_create = request.user.is_superuser or any(
            role == Role.ADMIN for _p, role in user_grants(request.user)
        )
        return render(
            request, "documents/register_list.html", {"registers": registers, "can_create": can_create}
        )


class RegisterDetailView(LoginRequiredMixin, View):
    """A register: its documents in a table with filters and pages (htmx swaps the table only)."""

    model = Register

    def get(self, request, pk):
        register = selectors.register_get(user=request.user, pk=pk)
        filter_form, filters = _filters(request, register=register)
        page = Paginator(selectors.document_list(user=request.user, filters=filters), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        context = {
            "register": register,
            "page": page,
            "filter_form": filter_form,
            "query": _query_without_page(request),
            "incoming": register.direction == Register.Direction.INCOMING,
            "can_write": _can(request.user, register.unit_path) and register.is_active,
            "can_admin": _can(request.user, register.unit_path, Role.ADMIN),
        }
        if htmx_partial(request):
            return render(request, "documents/partials/_document_rows.html", context)
        return render(request, "documents/register_detail.html", context)


class RegisterExportView(LoginRequiredMixin, View):
    """The register's filtered rows as an XLSX workbook (openpyxl)."""

    model = Register

    def get(self, request, pk):
        from openpyxl import Workbook
        from openpyxl.styles import Font

        register = selectors.register_get(user=request.user, pk=pk)
        _form, filters = _filters(request, register=register)
        rows = selectors.document_list(user=request.user, filters=filters)[:50000]
        incoming = register.direction == Register.Direction.INCOMING
        wb = Workbook()
        ws = wb.active
        ws.title = _("Register")[:31]
        header = (
            [_("Incoming number"), _("Incoming date"), _("Number"), _("Date"), _("Issuing body")]
            if incoming
            else [_("Number"), _("Date")]
        ) + [_("Type"), _("Summary"), _("Signed by"), _("Status")]
        _append_text_row(ws, header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for d in rows:
            date = d.signing_date.strftime("%d/%m/%Y") if d.signing_date else ""
            lead = (
                [
                    d.incoming_number,
                    d.incoming_date.strftime("%d/%m/%Y") if d.incoming_date else "",
                    d.number_text,
                    date,
                    d.issuer_name,
                ]
                if incoming
                else [d.number_text, date]
            )
            _append_text_row(ws, lead + [d.doc_type.name, d.summary, d.signer_name, d.get_status_display()])
        for column, width in zip("ABCDEFGHIJ", [14, 14, 18, 12, 30, 14, 60, 20, 12], strict=False):
            ws.column_dimensions[column].width = width
        out = io.BytesIO()
        wb.save(out)
        response = HttpResponse(
            out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="register-{register.pk}.xlsx"'
        return response


def _append_text_row(ws, values) -> None:
    """Append a row whose text stays text: a summary starting with "=" is not run as a formula (formula
    injection), and characters XLSX cannot hold (control characters pasted with the text) are left out."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    ws.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


class RegisterPrintView(LoginRequiredMixin, View):
    """The register as a printable page (its own print stylesheet), up to 2,000 rows of the current filter."""

    model = Register

    def get(self, request, pk):
        register = selectors.register_get(user=request.user, pk=pk)
        _form, filters = _filters(request, register=register)
        context = {
            "register": register,
            "documents": selectors.document_list(user=request.user, filters=filters)[:2000],
            "incoming": register.direction == Register.Direction.INCOMING,
            "printed_on": datetime.date.today(),
        }
        return render(request, "documents/register_print.html", context)


class RegisterCreateView(LoginRequiredMixin, View):
    def _units(self, request):
        units = OrgUnit.objects.for_user(request.user).filter(is_active=True)
        if request.user.is_superuser:
            return units
        admin_paths = [p for p, r in user_grants(request.user) if r == Role.ADMIN]
        if not admin_paths:
            raise PermissionDenied
        from steerdesk.core.scope import subtree_q

        return units.filter(subtree_q("path", admin_paths))

    def get(self, request):
        form = forms.RegisterForm(units=self._units(request), initial={"is_active": True})
        return _form_page(
            request, form=form, title=_("New register"), cancel_url=reverse("documents:register_list")
        )

    def post(self, request):
        form = forms.RegisterForm(request.POST, units=self._units(request))
        if form.is_valid():
            data = dict(form.cleaned_data)
            register = _run(form, partial(services.register_create, actor=request.user, **data))
            if register:
                messages.success(request, _("Register created."))
                return redirect(register)
        return _form_page(
            request, form=form, title=_("New register"), cancel_url=reverse("documents:register_list")
        )


class RegisterEditView(LoginRequiredMixin, View):
    model = Register

    def _get(self, request, pk):
        register = selectors.register_get(user=request.user, pk=pk)
        if not _can(request.user, register.unit_path, Role.ADMIN):
            raise PermissionDenied
        return register

    def get(self, request, pk):
        register = self._get(request, pk)
        initial = {f: getattr(register, f) for f in forms.RegisterEditForm.base_fields} | {
            "version": register.version
        }
        return _form_page(
            request,
            form=forms.RegisterEditForm(initial=initial),
            title=_("Edit register"),
            cancel_url=register.get_absolute_url(),
        )

    def post(self, request, pk):
        register = self._get(request, pk)
        form = forms.RegisterEditForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            call = partial(
                services.register_update,
                actor=request.user,
                register=register,
                expected_version=version,
                **data,
            )
            if _run(form, call):
                messages.success(request, _("Register saved."))
                return redirect(register)
        return _form_page(
            request, form=form, title=_("Edit register"), cancel_url=register.get_absolute_url()
        )


# ---------------------------------------------------------------------------------------------------------
# Document types (superusers edit; everyone reads)


class DocumentTypeListView(LoginRequiredMixin, View):
    def get(self, request):
        if not DocumentType.objects.exists():
            services.document_types_ensure()
        types = selectors.document_type_list(active_only=False)
        return render(
            request, "documents/type_list.html", {"types": types, "can_edit": request.user.is_superuser}
        )


class DocumentTypeCreateView(LoginRequiredMixin, View):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_superuser:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        form = forms.DocumentTypeForm(initial={"is_active": True})
        return _form_page(
            request, form=form, title=_("New document type"), cancel_url=reverse("documents:type_list")
        )

    def post(self, request):
        form = forms.DocumentTypeForm(request.POST)
        if form.is_valid() and _run(
            form, partial(services.document_type_create, actor=request.user, **form.cleaned_data)
        ):
            messages.success(request, _("Document type saved."))
            return redirect("documents:type_list")
        return _form_page(
            request, form=form, title=_("New document type"), cancel_url=reverse("documents:type_list")
        )


class DocumentTypeEditView(LoginRequiredMixin, View):
    """Superusers only. For everyone else the page does not exist (404): types are not in any unit's scope."""

    model = DocumentType

    def _get(self, request, pk):
        doc_type = DocumentType.objects.filter(pk=pk).first() if request.user.is_superuser else None
        if doc_type is None:
            raise Http404
        return doc_type

    def get(self, request, pk):
        doc_type = self._get(request, pk)
        initial = {f: getattr(doc_type, f) for f in services.TYPE_FIELDS} | {"version": doc_type.version}
        form = forms.DocumentTypeEditForm(initial=initial)
        return _form_page(request, form=form, title=doc_type.name, cancel_url=reverse("documents:type_list"))

    def post(self, request, pk):
        doc_type = self._get(request, pk)
        form = forms.DocumentTypeEditForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            call = partial(
                services.document_type_update,
                actor=request.user,
                doc_type=doc_type,
                expected_version=version,
                **data,
            )
            if _run(form, call):
                messages.success(request, _("Document type saved."))
                return redirect("documents:type_list")
        return _form_page(request, form=form, title=doc_type.name, cancel_url=reverse("documents:type_list"))


# ---------------------------------------------------------------------------------------------------------
# Documents


class DocumentListView(LoginRequiredMixin, View):
    """Outgoing or incoming documents of every register in the user's scope (`?direction=`)."""

    def get(self, request):
        direction = request.GET.get("direction", "")
        if direction not in Document.Direction.values:
            direction = ""
        filter_form, filters = _filters(request, direction=direction)
        unit = core_units.current_unit(request)
        filters.unit = unit if unit is not None and not request.user.is_superuser else None
        page = Paginator(selectors.document_list(user=request.user, filters=filters), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        context = {
            "page": page,
            "filter_form": filter_form,
            "direction": direction,
            "incoming": direction == Document.Direction.INCOMING,
            "show_register": True,
            "query": _query_without_page(request),
        }
        if htmx_partial(request):
            return render(request, "documents/partials/_document_rows.html", context)
        return render(request, "documents/document_list.html", context)


class DocumentCreateView(LoginRequiredMixin, View):
    """A draft in an outgoing register, or a received document in an incoming one."""

    model = Register

    def _setup(self, request, pk):
        register = selectors.register_get(user=request.user, pk=pk)
        if not _can(request.user, register.unit_path):
            raise PermissionDenied
        incoming = register.direction == Register.Direction.INCOMING
        form_class = forms.IncomingForm if incoming else forms.DraftForm
        title = _("Register a received document") if incoming else _("New outgoing document")
        return register, incoming, form_class, title

    def get(self, request, pk):
        register, _inc, form_class, title = self._setup(request, pk)
        form = form_class(user=request.user, register=register, initial={"place": ""})
        return _form_page(
            request, form=form, title=title, cancel_url=register.get_absolute_url(), intro=register.name
        )

    def post(self, request, pk):
        register, incoming, form_class, title = self._setup(request, pk)
        form = form_class(request.POST, user=request.user, register=register)
        if form.is_valid():
            data = dict(form.cleaned_data)
            service = services.document_register_incoming if incoming else services.document_create_draft
            document = _run(form, partial(service, actor=request.user, register=register, **data))
            if document:
                messages.success(request, _("Document saved."))
                return redirect(document)
        return _form_page(
            request, form=form, title=title, cancel_url=register.get_absolute_url(), intro=register.name
        )


class DocumentEditView(LoginRequiredMixin, View):
    model = Document

    def _setup(self, request, pk):
        document = selectors.document_get(user=request.user, pk=pk)
        if not _can(request.user, document.unit_path):
            raise PermissionDenied
        incoming = document.direction == Document.Direction.INCOMING
        return document, forms.IncomingEditForm if incoming else forms.DraftEditForm

    def get(self, request, pk):
        document, form_class = self._setup(request, pk)
        initial = {
            name: getattr(document, name, None)
            for name in form_class.base_fields
            if name not in ("recipients", "restricted_to")
        }
        initial |= {
            "version": document.version,
            "restricted_to": list(document.restricted_to.all()),
            "recipients": list(document.recipients.values_list("unit_id", flat=True)),
        }
        form = form_class(initial=initial, user=request.user, register=document.register)
        return _form_page(
            request, form=form, title=_("Edit document"), cancel_url=document.get_absolute_url()
        )

    def post(self, request, pk):
        document, form_class = self._setup(request, pk)
        form = form_class(request.POST, user=request.user, register=document.register)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            if (
                document.direction == Document.Direction.OUTGOING
                and document.status == Document.Status.ISSUED
            ):
                data.pop("recipients", None)
            call = partial(
                services.document_update,
                actor=request.user,
                document=document,
                expected_version=version,
                **data,
            )
            if _run(form, call):
                messages.success(request, _("Document saved."))
                return redirect(document)
        return _form_page(
            request, form=form, title=_("Edit document"), cancel_url=document.get_absolute_url()
        )


class DocumentDetailView(LoginRequiredMixin, View):
    model = Document

    def get(self, request, pk):
        document = selectors.document_get(user=request.user, pk=pk)
        services.recipient_mark_opened(user=request.user, document=document)
        can_write = _can(request.user, document.unit_path)
        context = {
            "document": document,
            "number_line": number_line(document),
            "can_write": can_write,
            "recipients": selectors.document_recipients(document=document),
            "routings": selectors.document_routings(document=document),
            "chain": selectors.document_chain(user=request.user, document=document),
            "suggestions": selectors.reference_suggestions(user=request.user, document=document)
            if can_write
            else [],
            "history": selectors.document_history(document=document),
            "external_recipients": [
                line for line in document.external_recipients.splitlines() if line.strip()
            ],
        }
        if can_write:
            context["reference_form"] = forms.ReferenceForm(initial={"kind": "based_on"})
            if document.direction == Document.Direction.OUTGOING and document.status == Document.Status.DRAFT:
                context["sign_form"] = forms.SignForm(
                    initial={
                        "version": document.version,
                        "signer_name": document.signer_name,
                        "signer_title": document.signer_title,
                        "signing_authority": document.signing_authority,
                        "place": document.place,
                    }
                )
            if (
                document.direction == Document.Direction.INCOMING
                and document.status != Document.Status.HANDLED
            ):
                context["route_form"] = forms.RouteForm(user=request.user, document=document)
        context.update(_attachments_context(request, document))
        context.update(views_generation.document_generation_context(request, document))
        return render(request, "documents/document_detail.html", context)


def _attachments_context(request, document) -> dict:
    """D4's attachments panel (hidden for secret documents, which have no files)."""
    if document.is_secret:
        return {"show_attachments": False}
    from . import attachments

    return {"show_attachments": True, **attachments.attachment_panel(user=request.user, document=document)}


class _DocumentAction(LoginRequiredMixin, View):
    """A POST on a document by a secretary of its unit; errors come back as a message on the document page."""

    model = Document
    role = Role.SECRETARY

    def document(self, request, pk):
        document = selectors.document_get(user=request.user, pk=pk)
        if self.role and not _can(request.user, document.unit_path, self.role):
            raise PermissionDenied
        return document

    def get(self, request, pk):
        """Actions are POSTs; a GET (a reloaded or bookmarked action URL) goes back to the document, or 404."""
        return redirect(self.target(request, pk))

    def target(self, request, pk):
        return selectors.document_get(user=request.user, pk=pk)

    def version(self, request):
        form = forms.VersionForm(request.POST)
        return form.cleaned_data["version"] if form.is_valid() else None

    def done(self, request, document, call, success: str):
        try:
            call()
        except ConflictError as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, success)
        return redirect(document)


class DocumentSignView(_DocumentAction):
    def post(self, request, pk):
        document = self.document(request, pk)
        form = forms.SignForm(request.POST)
        if not form.is_valid():
            return _form_page(request, form=form, title=_("Sign"), cancel_url=document.get_absolute_url())
        data = dict(form.cleaned_data)
        version = data.pop("version")
        call = partial(
            services.document_sign, actor=request.user, document=document, expected_version=version, **data
        )
        return self.done(request, document, call, _("Document signed."))


class DocumentIssueView(_DocumentAction):
    def post(self, request, pk):
        document = self.document(request, pk)
        call = partial(
            services.document_issue,
            actor=request.user,
            document=document,
            expected_version=self.version(request),
        )
        return self.done(request, document, call, _("Document issued."))


class DocumentHandledView(_DocumentAction):
    role = None  # the service lets the routed person do it too

    def post(self, request, pk):
        document = self.document(request, pk)
        call = partial(
            services.document_mark_handled,
            actor=request.user,
            document=document,
            expected_version=self.version(request),
        )
        return self.done(request, document, call, _("Marked as handled."))


class DocumentRouteView(_DocumentAction):
    def post(self, request, pk):
        document = self.document(request, pk)
        form = forms.RouteForm(request.POST, user=request.user, document=document)
        if not form.is_valid():
            return _form_page(request, form=form, title=_("Route"), cancel_url=document.get_absolute_url())
        call = partial(services.document_route, actor=request.user, document=document, **form.cleaned_data)
        return self.done(request, document, call, _("Document routed."))


class ReferenceAddView(_DocumentAction):
    def post(self, request, pk):
        document = self.document(request, pk)
        form = forms.ReferenceForm(request.POST)
        if not form.is_valid():
            return _form_page(
                request, form=form, title=_("Link a document"), cancel_url=document.get_absolute_url()
            )
        data = form.cleaned_data
        if data.get("target"):
            targets = list(Document.objects.for_user(request.user).filter(pk=data["target"])[:1])
        else:
            targets = list(selectors.number_lookup(user=request.user, text=data["number"])[:2])
        if len(targets) != 1:
            messages.error(
                request,
                _("No document with this number.")
                if not targets
                else _("Several documents have this number."),
            )
            return redirect(document)
        call = partial(
            services.reference_add, actor=request.user, source=document, target=targets[0], kind=data["kind"]
        )
        return self.done(request, document, call, _("Reference added."))


class ReferenceRemoveView(_DocumentAction):
    model = Reference

    def target(self, request, pk):
        return selectors.reference_get(user=request.user, pk=pk).source

    def post(self, request, pk):
        reference = selectors.reference_get(user=request.user, pk=pk)
        document = reference.source
        if not _can(request.user, document.unit_path):
            raise PermissionDenied
        call = partial(services.reference_remove, actor=request.user, reference=reference)
        return self.done(request, document, call, _("Reference removed."))
