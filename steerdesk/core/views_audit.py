"""The audit log for administrators (Nhật ký hệ thống): every create/update/delete recorded by the services,
with filters, pages, and CSV/XLSX export of the filtered rows.

Who sees what: superusers every entry; a unit admin the entries of the subtrees where they hold the admin
role (a grant of a weaker role elsewhere adds nothing); everybody else 403.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterator
from dataclasses import dataclass

from django import forms
from django.apps import apps
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from .audit import labelled_changes
from .htmx import htmx_partial
from .models import AuditEntry
from .scope import Role, collapse_paths, subtree_q, user_grants
from .text import nfc

PAGE_SIZE = 50
EXPORT_MAX_ROWS = 100_000
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# ---------------------------------------------------------------------------------------------------------
# Selectors


def audit_admin_paths(user) -> list[str] | None:
    """Roots of the subtrees whose audit entries `user` may read; None means all (a superuser).

    Raises PermissionDenied for a user who is admin nowhere.
    """
    if user.is_superuser:
        return None
    paths = collapse_paths(path for path, role in user_grants(user) if role == Role.ADMIN)
    if not paths:
        raise PermissionDenied(_("Only administrators can read the audit log."))
    return paths


@dataclass
class AuditFilters:
    actor: str = ""
    action: str = ""
    object_type: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    q: str = ""


def _start_of(day: datetime.date) -> datetime.datetime:
    """Midnight of `day` in the site's time zone (Asia/Ho_Chi_Minh)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def audit_entry_list(*, user, filters: AuditFilters) -> QuerySet[AuditEntry]:
    """Audit entries the user may read (see the module docstring), filtered, newest first."""
    paths = audit_admin_paths(user)
    qs = AuditEntry.objects.for_user(user)
    if paths is not None:
        qs = qs.filter(subtree_q("unit_path", paths))
    if filters.actor:
        qs = qs.filter(actor__username__icontains=filters.actor)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.object_type:
        qs = qs.filter(content_type_id=filters.object_type)
    if filters.date_from:
        qs = qs.filter(at__gte=_start_of(filters.date_from))
    if filters.date_to:
        qs = qs.filter(at__lt=_start_of(filters.date_to + datetime.timedelta(days=1)))
    if filters.q:
        qs = qs.filter(object_repr__icontains=filters.q)
    return qs.select_related("actor", "content_type").order_by("-at", "-id")


def object_type_choices() -> list[tuple[int, str]]:
    """The SteerDesk models an entry can be about, by their (translated) name."""
    labels = {app.label for app in apps.get_app_configs() if app.name.startswith("steerdesk.")}
    choices = []
    for ct in ContentType.objects.filter(app_label__in=labels):
        model = ct.model_class()
        if model is not None:
            choices.append((ct.pk, str(model._meta.verbose_name).capitalize()))
    return sorted(choices, key=lambda c: c[1].casefold())


# ---------------------------------------------------------------------------------------------------------
# Filter form


def _date_field(label) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(
            format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}
        ),
    )


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=gettext_lazy("User name"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=gettext_lazy("Action"), choices=[("", "—"), *AuditEntry.Action.choices], required=False
    )
    object_type = forms.TypedChoiceField(
        label=gettext_lazy("Object type"), coerce=int, required=False, empty_value=None
    )
    date_from = _date_field(gettext_lazy("From"))
    date_to = _date_field(gettext_lazy("To"))
    q = forms.CharField(label=gettext_lazy("Object contains"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [("", "—"), *object_type_choices()]

    def filters(self) -> AuditFilters:
        """The valid filters (an invalid field is shown with its error and ignored)."""
        if self.is_bound:
            self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return AuditFilters(
            actor=nfc(data.get("actor") or "").strip(),
            action=data.get("action") or "",
            object_type=data.get("object_type"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            q=nfc(data.get("q") or "").strip(),
        )


# ---------------------------------------------------------------------------------------------------------
# Rows, as the page and the exports show them


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


def _actor(entry: AuditEntry) -> str:
    if entry.actor is None:
        return _("System")
    full = entry.actor.get_full_name()
    return f"{full} ({entry.actor.username})" if full else entry.actor.username


def _type_label(entry: AuditEntry) -> str:
    model = entry.content_type.model_class()
    return str(model._meta.verbose_name).capitalize() if model else entry.content_type.model


def _changes(entry: AuditEntry) -> list[dict]:
    model = entry.content_type.model_class()
    return labelled_changes(model, entry.changes or {}) if model and isinstance(entry.changes, dict) else []


def _changes_text(entry: AuditEntry) -> str:
    parts = []
    for c in _changes(entry):
        old = "—" if c["old"] is None else c["old"]
        new = "—" if c["new"] is None else c["new"]
        parts.append(f"{c['field']}: {old} → {new}" if entry.action == "update" else f"{c['field']}: {new}")
    return "; ".join(parts)


def _row(entry: AuditEntry) -> dict:
    return {
        "entry": entry,
        "time": _local(entry.at),
        "actor": _actor(entry),
        "type": _type_label(entry),
        "changes": _changes(entry),
    }


def _export_header() -> list[str]:
    return [
        _("Time"),
        _("User"),
        _("Action"),
        _("Object type"),
        _("ID"),
        _("Object"),
        _("Changes"),
        _("Request ID"),
    ]


def _export_cells(entry: AuditEntry) -> list[str]:
    return [
        _local(entry.at),
        _actor(entry),
        entry.get_action_display(),
        _type_label(entry),
        entry.object_id,
        entry.object_repr,
        _changes_text(entry),
        entry.request_id,
    ]


def _safe(value: str) -> str:
    """CSV text a spreadsheet will not run as a formula (formula injection): a leading ' when needed."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def _export_rows(qs: QuerySet[AuditEntry]) -> Iterator[list[str]]:
    for entry in qs[:EXPORT_MAX_ROWS].iterator(chunk_size=2000):
        yield [str(cell) for cell in _export_cells(entry)]


# ---------------------------------------------------------------------------------------------------------
# Views


class AuditListView(LoginRequiredMixin, View):
    """The filtered audit log, a page at a time (htmx swaps only the table)."""

    def get(self, request):
        form = AuditFilterForm(request.GET or None)
        entries = audit_entry_list(user=request.user, filters=form.filters())
        page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "form": form,
            "page": page,
            "rows": [_row(e) for e in page.object_list],
            "query": query.urlencode(),
            "export_max_rows": EXPORT_MAX_ROWS,
        }
        template = "core/audit_rows.html" if htmx_partial(request) else "core/audit_list.html"
        return render(request, template, context)


class _Echo:
    def write(self, value: str) -> str:
        return value


class AuditExportView(LoginRequiredMixin, View):
    """The filtered entries (at most EXPORT_MAX_ROWS) as CSV (streamed; default) or XLSX (`?format=xlsx`)."""

    def get(self, request):
        entries = audit_entry_list(user=request.user, filters=AuditFilterForm(request.GET or None).filters())
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        if request.GET.get("format") == "xlsx":
            return self._xlsx(entries, f"audit-{stamp}.xlsx")
        writer = csv.writer(_Echo())

        def lines():
            yield "\ufeff"  # BOM: spreadsheet programs then read the file as UTF-8
            yield writer.writerow(_export_header())
            for cells in _export_rows(entries):
                yield writer.writerow([_safe(c) for c in cells])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        return response

    def _xlsx(self, entries, filename: str) -> HttpResponse:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from openpyxl.styles import Font

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(_("Audit log")[:31])
        for column, width in zip("ABCDEFGH", [17, 28, 12, 22, 10, 50, 60, 34], strict=True):
            ws.column_dimensions[column].width = width
        header = []
        for label in _export_header():
            cell = WriteOnlyCell(ws, value=label)
            cell.font = Font(bold=True)
            header.append(cell)
        ws.append(header)
        for cells in _export_rows(entries):
            row = []
            for value in cells:
                cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", value))
                cell.data_type = "s"  # always text, never a formula (formula injection)
                row.append(cell)
            ws.append(row)
        out = io.BytesIO()
        wb.save(out)
        response = HttpResponse(
            out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
