"""Pages of one assignment (an assignee unit's share of a task): the assignee's page, progress reports with
evidence files (htmx inline update, 409 on a stale version), evidence downloads, splitting further down, and the
bulk status change of the lists and the board.

Uploads follow documents/views_attachments.py: the size limit is installed before the body is read (the view is
`csrf_exempt` and runs `csrf_protect` afterwards), an over-limit upload answers 413 and stores nothing."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from steerdesk.core.htmx import htmx_partial
from steerdesk.core.locking import ConflictError
from steerdesk.documents.attachments import FileTooLarge, too_large_error, upload_limit_mb
from steerdesk.documents.uploads import install_size_limit
from steerdesk.documents.views_attachments import content_disposition

from . import forms, selectors, services
from .models import OPEN_STATUSES, Assignment, Evidence, Status, local_today
from .views import can_write, form_page, run_service, safe_next

LIVE_TEMPLATE = "work/partials/_assignment_live.html"


def _live_context(request, assignment: Assignment, report_form=None) -> dict:
    """What the status panel, the report form and the report history need (the htmx fragment and the page)."""
    reportable = assignment.status in OPEN_STATUSES and assignment.task.status != Status.CANCELLED
    can_report = reportable and services.can_report(request.user, assignment)
    if can_report and report_form is None:
        report_form = forms.ReportForm(
            initial={
                "version": assignment.version,
                "percent": assignment.percent,
                "result": assignment.result,
            }
        )
    return {
        "assignment": assignment,
        "today": local_today(),
        "can_report": can_report,
        "report_form": report_form if can_report else None,
        "reports": selectors.assignment_reports(assignment=assignment),
        "evidence": selectors.assignment_evidence(assignment=assignment),
        "history": selectors.assignment_history(assignment=assignment),
        "upload_max_mb": upload_limit_mb(),
    }


def _page(request, assignment: Assignment, report_form=None, status=200):
    context = _live_context(request, assignment, report_form)
    if assignment.status in OPEN_STATUSES and can_write(request.user, assignment.unit_path):
        context["split_form"] = forms.SplitForm(user=request.user, unit=assignment.unit)
    context["children"] = selectors.assignment_children(user=request.user, assignment=assignment)
    return render(request, "work/assignment_detail.html", context, status=status)


class AssignmentDetailView(LoginRequiredMixin, View):
    """The assignee's page: status, percent, due date, result, the report form and history, evidence files."""

    model = Assignment

    def get(self, request, pk):
        return _page(request, selectors.assignment_get(user=request.user, pk=pk))


@method_decorator(csrf_exempt, name="dispatch")
class AssignmentReportView(LoginRequiredMixin, View):
    """POST a progress report. htmx gets the refreshed fragment (status panel, form, history): 200 when saved,
    400 with the form errors, 409 with the conflict message and the current state when someone else reported
    first, 413 when the files are too large. Without JavaScript: redirect, or the page again with errors."""

    model = Assignment

    @method_decorator(csrf_protect)
    def get(self, request, pk):
        return redirect(selectors.assignment_get(user=request.user, pk=pk))

    def post(self, request, pk):
        limiter = install_size_limit(request)  # before anything reads the body
        return self._post(request, pk, limiter)

    @method_decorator(csrf_protect)
    def _post(self, request, pk, limiter):
        assignment = selectors.assignment_get_for_report(user=request.user, pk=pk)
        form = forms.ReportForm(request.POST, request.FILES)
        status = 400
        if limiter.exceeded:
            form.is_valid()
            form.add_error("files", too_large_error())
            status = 413
        elif form.is_valid():
            data = form.cleaned_data
            call = partial(
                services.assignment_report,
                actor=request.user,
                assignment=assignment,
                expected_version=data["version"],
                percent=data["percent"],
                status=data["status"] or None,
                comment=data["comment"],
                result=data["result"],
                files=data["files"],
            )
            try:
                saved = run_service(form, call)
            except FileTooLarge as exc:
                form.add_error("files", exc)
                saved, status = None, 413
            if saved:
                messages.success(request, _("Progress reported."))
                if htmx_partial(request):
                    fresh = selectors.assignment_get(user=request.user, pk=pk)
                    return render(request, LIVE_TEMPLATE, _live_context(request, fresh))
                return redirect(assignment)
            if getattr(form, "conflict", False):
                status = 409 if htmx_partial(request) else 400
        fresh = selectors.assignment_get(user=request.user, pk=pk)
        if getattr(form, "conflict", False):
            form = _rebased(form, fresh)
        if htmx_partial(request):
            return render(request, LIVE_TEMPLATE, _live_context(request, fresh, form), status=status)
        return _page(request, fresh, form, status=status)


def _rebased(form, assignment: Assignment):
    """The user's answers on the current version, the conflict message kept: the panel shows what changed, and
    they may send their report again on purpose."""
    data = form.data.copy()
    data["version"] = str(assignment.version)
    form.data = data
    return form


class EvidenceDownloadView(LoginRequiredMixin, View):
    """An evidence file, only when the user may see its assignment; otherwise 404."""

    model = Evidence

    def get(self, request, pk):
        evidence = selectors.evidence_get(user=request.user, pk=pk)
        try:
            handle = default_storage.open(evidence.storage_name, "rb")
        except (FileNotFoundError, OSError) as exc:
            raise Http404(_("The file is missing from storage.")) from exc
        response = FileResponse(handle, content_type=evidence.content_type)
        response["Content-Disposition"] = content_disposition(evidence.original_name)
        response["Content-Length"] = str(evidence.size)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class AssignmentSplitView(LoginRequiredMixin, View):
    """The assignee unit splits its assignment further down: a child task cascaded to units below it."""

    model = Assignment

    def _setup(self, request, pk):
        assignment = selectors.assignment_get(user=request.user, pk=pk)
        if not can_write(request.user, assignment.unit_path):
            raise PermissionDenied
        return assignment

    def _page(self, request, form, assignment):
        return form_page(
            request,
            form=form,
            title=_("Split further down"),
            intro=f"{assignment.task.title} → {assignment.unit.name}",
            cancel_url=assignment.get_absolute_url(),
            submit_label=_("Create and assign"),
        )

    def get(self, request, pk):
        assignment = self._setup(request, pk)
        form = forms.SplitForm(
            user=request.user, unit=assignment.unit, initial={"title": assignment.task.title}
        )
        return self._page(request, form, assignment)

    def post(self, request, pk):
        assignment = self._setup(request, pk)
        form = forms.SplitForm(request.POST, user=request.user, unit=assignment.unit)
        if form.is_valid():
            call = partial(
                services.task_split,
                actor=request.user,
                assignment=assignment,
                data=form.task_data(),
                units=list(form.cleaned_data["units"]),
                kind=form.cleaned_data["kind"] or None,
            )
            task = run_service(form, call)
            if task:
                messages.success(request, _("The work was split and assigned."))
                return redirect(task)
        return self._page(request, form, assignment)


class AssignmentBulkStatusView(LoginRequiredMixin, View):
    """POST ids + status (+ result): set the status of the chosen assignments (the lists' checkboxes, a board
    card's menu). Any id the user cannot see is a 404; one they may only read is a 403 (the service)."""

    def get(self, request):
        return redirect("work:unit_tasks")

    def post(self, request):
        form = forms.BulkStatusForm(request.POST)
        back = safe_next(request, request.POST.get("next"), reverse("work:unit_tasks"))
        if not form.is_valid():
            messages.error(request, _("Choose some work and a status."))
            return redirect(back)
        ids = form.cleaned_data["ids"]
        if selectors.assignment_visible_ids(user=request.user, ids=ids) != set(ids):
            raise Http404
        try:
            count = services.assignments_bulk_status(
                actor=request.user,
                assignment_ids=ids,
                status=form.cleaned_data["status"],
                result=form.cleaned_data["result"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except ConflictError as exc:
            messages.error(request, exc.message)
        else:
            label = Status(form.cleaned_data["status"]).label
            messages.success(
                request,
                ngettext(
                    "%(count)d assignment set to “%(status)s”.",
                    "%(count)d assignments set to “%(status)s”.",
                    count,
                )
                % {"count": count, "status": label},
            )
        return redirect(back)
