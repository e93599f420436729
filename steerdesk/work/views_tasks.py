"""Pages of tasks: create (in a plan or standalone), edit, the task page (definition, source, assignments,
roll-up of the cascade, history), cascade to units, cancel, and a task from a routed incoming document."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from steerdesk.core.scope import Role, has_role

from . import forms, selectors, services
from .models import Status, Task, local_today
from .views import action_done, can_write, form_page, require_unit, run_service


class TaskCreateView(LoginRequiredMixin, View):
    """A new task of a plan (`?plan=<id>`: the plan's unit owns it) or of the current unit (`?unit=`)."""

    def _setup(self, request):
        plan = None
        if request.GET.get("plan"):
            plan = selectors.plan_get(user=request.user, pk=request.GET["plan"])
            unit = plan.unit
        else:
            unit = require_unit(request)
        if not can_write(request.user, unit.path):
            raise PermissionDenied
        return plan, unit

    def _page(self, request, form, plan, unit):
        return form_page(
            request,
            form=form,
            title=_("New task"),
            intro=f"{unit.name} · {plan.title}" if plan else unit.name,
            cancel_url=plan.get_absolute_url() if plan else reverse("work:unit_tasks"),
            submit_label=_("Create the task"),
        )

    def get(self, request):
        plan, unit = self._setup(request)
        return self._page(request, forms.TaskCreateForm(user=request.user, unit=unit), plan, unit)

    def post(self, request):
        plan, unit = self._setup(request)
        form = forms.TaskCreateForm(request.POST, user=request.user, unit=unit)
        if form.is_valid():
            data = form.cleaned_data
            call = partial(
                services.task_create,
                actor=request.user,
                unit=unit,
                data=form.task_data(),
                plan=plan,
                lead_units=list(data["lead_units"]) or None,
                cooperating_units=list(data["cooperating_units"]),
                responsible=list(data["responsible"]),
            )
            task = run_service(form, call)
            if task:
                messages.success(request, _("Task created."))
                return redirect(task)
        return self._page(request, form, plan, unit)


class TaskEditView(LoginRequiredMixin, View):
    """Edit a task's definition (secretaries of the owner unit); a stale version re-shows the form."""

    model = Task

    def _page(self, request, form, task):
        return form_page(
            request, form=form, title=_("Edit task"), intro=task.title, cancel_url=task.get_absolute_url()
        )

    def get(self, request, pk):
        task = selectors.task_get_for_update(user=request.user, pk=pk)
        initial = forms.TaskEditForm.initial_for(task)
        if task.due_working_days:
            initial["due_date"] = None  # the service derives it from the working days again
        return self._page(
            request, forms.TaskEditForm(user=request.user, unit=task.unit, initial=initial), task
        )

    def post(self, request, pk):
        task = selectors.task_get_for_update(user=request.user, pk=pk)
        form = forms.TaskEditForm(request.POST, user=request.user, unit=task.unit)
        if form.is_valid():
            call = partial(
                services.task_update,
                actor=request.user,
                task=task,
                expected_version=form.cleaned_data["version"],
                data=form.task_data(),
                responsible=list(form.cleaned_data["responsible"]),
            )
            if run_service(form, call):
                messages.success(request, _("Task saved."))
                return redirect(task)
        return self._page(request, form, task)


def _visible_document(user, task: Task):
    """The source document when the user may open it (an assignee below may see the task but not the document)."""
    if not task.source_document_id:
        return None
    from steerdesk.documents import selectors as documents_selectors

    try:
        return documents_selectors.document_get(user=user, pk=task.source_document_id)
    except Http404:
        return None


class TaskDetailView(LoginRequiredMixin, View):
    """The task page: definition, source, assignments, roll-up per child unit, forms of the owner, history."""

    model = Task

    def get(self, request, pk):
        task = selectors.task_get(user=request.user, pk=pk)
        user = request.user
        sees_owner = has_role(user, task.unit_path, Role.VIEWER)  # assignees see the task, not the owner unit
        writable = can_write(user, task.unit_path)
        today = local_today()
        context = {
            "task": task,
            "today": today,
            "assignments": selectors.task_assignments(user=user, task=task),
            "rollup": selectors.task_rollup(user=user, task=task, today=today) if sees_owner else None,
            "children": selectors.task_children(user=user, task=task),
            "source_document": _visible_document(user, task),
            "parent_assignment": task.parent_assignment
            if sees_owner or not task.parent_assignment_id
            else None,
            "responsible": task.responsible.all(),
            "can_write": writable and task.status != Status.CANCELLED,
            "history": selectors.task_history(task=task),
        }
        if context["can_write"]:
            context["cancel_form"] = forms.CancelForm(initial={"version": task.version})
            if task.status != Status.DONE:
                context["cascade_form"] = forms.CascadeForm(user=user, unit=task.unit)
        return render(request, "work/task_detail.html", context)


class TaskCascadeView(LoginRequiredMixin, View):
    """Assign the task to many units at once (chosen units or every unit of a kind below), one transaction."""

    model = Task

    def _page(self, request, form, task):
        return form_page(
            request,
            form=form,
            title=_("Assign to units"),
            intro=task.title,
            cancel_url=task.get_absolute_url(),
            submit_label=_("Assign"),
        )

    def get(self, request, pk):
        task = selectors.task_get_for_update(user=request.user, pk=pk)
        return self._page(request, forms.CascadeForm(user=request.user, unit=task.unit), task)

    def post(self, request, pk):
        task = selectors.task_get_for_update(user=request.user, pk=pk)
        form = forms.CascadeForm(request.POST, user=request.user, unit=task.unit)
        if form.is_valid():
            data = form.cleaned_data
            call = partial(
                services.task_cascade,
                actor=request.user,
                task=task,
                units=list(data["units"]),
                kind=data["kind"] or None,
                role=data["role"],
                due_date=data["due_date"],
            )
            created = run_service(form, call)
            if created:
                count = len(created) if isinstance(created, list) else 0
                messages.success(
                    request,
                    ngettext("%(count)d assignment created.", "%(count)d assignments created.", count)
                    % {"count": count},
                )
                return redirect(task)
        return self._page(request, form, task)


class TaskCancelView(LoginRequiredMixin, View):
    """POST: cancel the task and its open assignments, with a reason (secretaries of the owner unit)."""

    model = Task

    def get(self, request, pk):
        return redirect(selectors.task_get(user=request.user, pk=pk))

    def post(self, request, pk):
        task = selectors.task_get_for_update(user=request.user, pk=pk)
        form = forms.CancelForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("The form was out of date: reload the page and try again."))
            return redirect(task)
        call = partial(
            services.task_cancel,
            actor=request.user,
            task=task,
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )
        action_done(request, call, _("Task cancelled."))
        return redirect(task)


class TaskFromRoutingView(LoginRequiredMixin, View):
    """Turn a routed incoming document into a task of the document's unit: the form is prefilled from the
    routing (title from the summary, due date from the handling deadline, the routed unit leads)."""

    def _setup(self, request, routing_pk):
        from steerdesk.documents import selectors as documents_selectors

        routing = documents_selectors.routing_get_for_task(user=request.user, pk=routing_pk)
        unit = routing.document.unit
        if not can_write(request.user, unit.path):
            raise PermissionDenied
        return routing, unit

    def _page(self, request, form, routing):
        document = routing.document
        return form_page(
            request,
            form=form,
            title=_("New task from an incoming document"),
            intro=f"{document.number_text} — {document.summary}"
            if document.number_text
            else document.summary,
            cancel_url=document.get_absolute_url(),
            submit_label=_("Create the task"),
        )

    def get(self, request, routing_pk):
        routing, unit = self._setup(request, routing_pk)
        if routing.task_id:
            messages.error(request, _("A task was already created from this routing."))
            return redirect("work:task_detail", pk=routing.task_id)
        form = forms.RoutingTaskForm(user=request.user, unit=unit)
        lead = [routing.to_unit_id] if routing.to_unit_id and routing.to_unit_id != unit.pk else []
        form.initial = {
            "title": routing.document.summary[:500],
            "description": routing.instruction,
            "due_date": routing.deadline,
            "lead_units": lead,
        }
        return self._page(request, form, routing)

    def post(self, request, routing_pk):
        routing, unit = self._setup(request, routing_pk)
        form = forms.RoutingTaskForm(request.POST, user=request.user, unit=unit)
        if form.is_valid():
            data = form.cleaned_data
            call = partial(
                services.task_create_from_routing,
                actor=request.user,
                routing_pk=routing.pk,
                data=form.task_data(),
                lead_units=list(data["lead_units"]) or [unit],
                cooperating_units=list(data["cooperating_units"]),
                responsible=list(data["responsible"]),
            )
            task = run_service(form, call)
            if task:
                messages.success(request, _("Task created from the incoming document."))
                return redirect(task)
        return self._page(request, form, routing)
