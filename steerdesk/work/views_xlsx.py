"""XLSX pages of the work app. URL names (lines in work/urls.py):

- `work:plan_export` → `PlanExportView` (plan pk): the plan's tasks as an import-ready workbook (anyone who sees
  the plan).
- `work:plan_import` → `PlanImportView` (plan pk): GET the upload page, POST a file → an `ImportJob`, queued;
  redirects to its status page (secretary of the plan's unit: 403 read-only, 404 out of scope).
- `work:import_status` → `ImportStatusView` (job pk): the job's progress, then its result or error table;
  htmx polls the `_import_progress.html` partial while the job runs. A job without progress for
  `xlsx.STALLED_AFTER` (its worker died, or none runs) is shown as stopped, with the way to import again.
- `work:unit_tasks_export` → `UnitTasksExportView`: the unit tasks list as an XLSX report, with the query
  parameters of the unit tasks page (`unit`, and the `forms.AssignmentFilterForm` fields: `direction`,
  `subtree`, `status`, `plan`, `q`, `order`), read the same way.

Uploads follow documents/views_attachments.py: the size limit is enforced while the body streams in, so the
upload view is `csrf_exempt` and checks CSRF with `csrf_protect` once the handler is installed.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from steerdesk.core.db_router import use_replica
from steerdesk.core.htmx import htmx_partial
from steerdesk.documents.uploads import install_size_limit
from steerdesk.documents.views_attachments import content_disposition

from . import selectors, xlsx
from .models import ImportJob, Plan

PROGRESS_TEMPLATE = "work/partials/_import_progress.html"


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=xlsx.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename)
    response["Cache-Control"] = "private, no-store"
    return response


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("XLSX file"),
        required=False,  # a missing file and an over-limit file get their own messages
        help_text=gettext_lazy(
            "The workbook exported from this plan, edited in a spreadsheet (at most 10 MB)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )


class PlanExportView(LoginRequiredMixin, View):
    model = Plan

    def get(self, request, pk):
        plan = selectors.plan_get(user=request.user, pk=pk)
        return _xlsx_response(
            xlsx.export_plan(user=request.user, plan=plan), f"nhiem-vu-ke-hoach-{plan.pk}.xlsx"
        )


@method_decorator(csrf_exempt, name="dispatch")
class PlanImportView(LoginRequiredMixin, View):
    """Upload a file of the plan's tasks; the import runs in the background."""

    model = Plan

    def _page(self, request, plan, form, status=200):
        jobs = list(
            ImportJob.objects.for_user(request.user).filter(plan=plan).order_by("-created_at", "-id")[:5]
        )
        for job in jobs:
            job.stalled = xlsx.import_job_stalled(job)
        context = {"plan": plan, "form": form, "columns": xlsx.COLUMNS, "jobs": jobs}
        return render(request, "work/import_form.html", context, status=status)

    @method_decorator(csrf_protect)
    def get(self, request, pk):
        plan = selectors.plan_get_for_update(user=request.user, pk=pk)
        return self._page(request, plan, ImportForm())

    def post(self, request, pk):
        limiter = install_size_limit(request)  # before anything reads the body
        return self._post(request, pk, limiter)

    @method_decorator(csrf_protect)
    def _post(self, request, pk, limiter):
        plan = selectors.plan_get_for_update(user=request.user, pk=pk)
        form = ImportForm(request.POST, request.FILES)
        form.is_valid()
        uploaded_file = request.FILES.get("file")
        status = 400
        if limiter.exceeded:
            form.add_error(
                "file", _("The file is larger than %(mb)s MB.") % {"mb": xlsx.IMPORT_MAX_BYTES // 2**20}
            )
            status = 413
        elif uploaded_file is None:
            form.add_error("file", _("Choose a file to upload."))
        else:
            try:
                job = xlsx.import_job_create(actor=request.user, plan=plan, uploaded_file=uploaded_file)
            except ValidationError as exc:
                form.add_error("file", exc)
                status = 413 if getattr(exc, "code", None) == "too_large" else 400
            else:
                return redirect("work:import_status", pk=job.pk)
        return self._page(request, plan, form, status=status)


class ImportStatusView(LoginRequiredMixin, View):
    model = ImportJob

    def get(self, request, pk):
        job = xlsx.import_job_get(user=request.user, pk=pk)
        stalled = xlsx.import_job_stalled(job)
        running = job.status in (ImportJob.JobStatus.QUEUED, ImportJob.JobStatus.RUNNING) and not stalled
        context = {
            "job": job,
            "plan": job.plan,
            "running": running,
            "stalled": stalled,
            "stalled_minutes": int(xlsx.STALLED_AFTER.total_seconds() // 60),
            "checking": running and (not job.rows_total or job.rows_done < job.rows_total),
            "percent": round(100 * job.rows_done / job.rows_total) if job.rows_total else 0,
        }
        if htmx_partial(request):
            return render(request, PROGRESS_TEMPLATE, context)
        return render(request, "work/import_status.html", context)


@use_replica  # a report export: may read a replica (README, "Scaling")
class UnitTasksExportView(LoginRequiredMixin, View):
    """The unit tasks list, with the page's own filters (`?unit=` and the `AssignmentFilterForm` fields), as a
    read-only XLSX report."""

    def get(self, request):
        from . import forms
        from .views import require_unit

        unit = require_unit(request)
        form = forms.AssignmentFilterForm(
            request.GET or None, plans=selectors.plan_list(user=request.user, unit=unit)
        )
        data = form.cleaned_data if form.is_bound and form.is_valid() else {}
        assignments = selectors.assignment_list(
            user=request.user,
            unit=unit,
            direction=data.get("direction") or "to",
            subtree=bool(data.get("subtree")),
            status=data.get("status") or None,
            plan=data.get("plan"),
            q=data.get("q") or None,
            order=data.get("order") or "due_date",
        )
        return _xlsx_response(xlsx.export_assignments(assignments=assignments), f"nhiem-vu-{unit.pk}.xlsx")


# Relative to the work/ prefix: work/urls.py adds them with `*views_xlsx.urlpatterns` (inside app_name "work").
urlpatterns = [
    path("plans/<int:pk>/export.xlsx", PlanExportView.as_view(), name="plan_export"),
    path("plans/<int:pk>/import/", PlanImportView.as_view(), name="plan_import"),
    path("imports/<int:pk>/", ImportStatusView.as_view(), name="import_status"),
    path("unit-tasks/export.xlsx", UnitTasksExportView.as_view(), name="unit_tasks_export"),
]
