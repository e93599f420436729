"""Pages of plans, and the helpers every page of the work app shares. Thin: parse a form, call a selector or a
service, render. Objects come through selectors that start from `for_user` (404 outside scope); writes need the
role the service checks (403).

The other pages live next to this module by subdomain: `views_tasks` (tasks, cascade, the routing hook),
`views_assignments` (an assignee's page, progress reports, evidence, bulk status) and `views_lists` (my tasks,
unit tasks, board, calendar, timeline, roll-up)."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from steerdesk.core import units as core_units
from steerdesk.core.audit import audit_history
from steerdesk.core.htmx import htmx_partial
from steerdesk.core.locking import ConflictError
from steerdesk.core.scope import Role, has_role
from steerdesk.orgs import selectors as orgs_selectors

from . import forms, selectors, services
from .models import Plan, local_today

PAGE_SIZE = 50


# ---------------------------------------------------------------------------------------------------------
# Shared helpers


def run_service(form, call):
    """Call a service; on failure put the reason on the form and return None."""
    try:
        return call() or True
    except ConflictError as exc:
        form.add_error(None, exc.message)
        form.conflict = True
    except ValidationError as exc:
        forms.add_service_errors(form, exc)
    return None


def form_page(request, *, form, title, cancel_url, submit_label=None, intro="", status=None, multipart=False):
    """The work app's form page: title, intro line, the form with errors next to the fields, cancel link."""
    context = {
        "form": form,
        "title": title,
        "cancel_url": cancel_url,
        "submit_label": submit_label or _("Save"),
        "intro": intro,
        "multipart": multipart,
    }
    return render(request, "work/form_page.html", context, status=status or (400 if form.is_bound else 200))


def query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def page_of(request, items, size: int = PAGE_SIZE):
    return Paginator(items, size).get_page(request.GET.get("page"))


def chosen_unit(request):
    """The unit a page is about: `?unit=<id>` if the user sees it (else 404), otherwise the current unit."""
    value = request.GET.get("unit")
    if value:
        try:
            return orgs_selectors.unit_get(user=request.user, pk=int(value))
        except ValueError as exc:
            raise Http404 from exc
    return core_units.current_unit(request)


def require_unit(request):
    """`chosen_unit`, or 404 for a user who sees no unit at all."""
    unit = chosen_unit(request)
    if unit is None:
        raise Http404
    return unit


def safe_next(request, value: str | None, fallback: str) -> str:
    """A local URL to go back to (never another site)."""
    if value and url_has_allowed_host_and_scheme(
        value, {request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return fallback


def can_write(user, path: str) -> bool:
    return has_role(user, path, Role.SECRETARY)


def version_of(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


def action_done(request, call, success: str) -> bool:
    """Run a one-click action; its outcome becomes a message on the next page."""
    try:
        call()
    except ConflictError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
        return True
    return False


# ---------------------------------------------------------------------------------------------------------
# Plans


class PlanListView(LoginRequiredMixin, View):
    """Plans of the current unit's subtree (or `?unit=`), filtered by year and status, in pages."""

    def get(self, request):
        unit = chosen_unit(request)
        filter_form = forms.PlanFilterForm(request.GET or None)
        data = filter_form.cleaned_data if filter_form.is_bound and filter_form.is_valid() else {}
        plans = (
            selectors.plan_list(
                user=request.user, unit=unit, year=data.get("year"), status=data.get("status")
            )
            if unit is not None
            else Plan.objects.none()
        )
        context = {
            "unit": unit,
            "page": page_of(request, plans),
            "filter_form": filter_form,
            "query": query_without_page(request),
            "can_create": unit is not None and can_write(request.user, unit.path),
        }
        if htmx_partial(request):
            return render(request, "work/partials/_plan_rows.html", context)
        return render(request, "work/plan_list.html", context)


class PlanCreateView(LoginRequiredMixin, View):
    """A new draft plan of the current unit (or `?unit=`): secretaries of the unit."""

    def _unit(self, request):
        unit = require_unit(request)
        if not can_write(request.user, unit.path):
            raise PermissionDenied
        return unit

    def _page(self, request, form, unit):
        return form_page(
            request,
            form=form,
            title=_("New plan"),
            intro=unit.name,
            cancel_url=reverse("work:plan_list"),
            submit_label=_("Create the plan"),
        )

    def get(self, request):
        unit = self._unit(request)
        form = forms.PlanForm(user=request.user, unit=unit, initial={"year": local_today().year})
        return self._page(request, form, unit)

    def post(self, request):
        unit = self._unit(request)
        form = forms.PlanForm(request.POST, user=request.user, unit=unit)
        if form.is_valid():
            plan = run_service(
                form,
                partial(services.plan_create, actor=request.user, unit=unit, data=dict(form.cleaned_data)),
            )
            if plan:
                messages.success(request, _("Plan created."))
                return redirect(plan)
        return self._page(request, form, unit)


class PlanEditView(LoginRequiredMixin, View):
    model = Plan

    def _page(self, request, form, plan):
        return form_page(
            request, form=form, title=_("Edit plan"), intro=plan.title, cancel_url=plan.get_absolute_url()
        )

    def get(self, request, pk):
        plan = selectors.plan_get_for_update(user=request.user, pk=pk)
        form = forms.PlanEditForm(user=request.user, unit=plan.unit, initial=forms.PlanForm.initial_for(plan))
        return self._page(request, form, plan)

    def post(self, request, pk):
        plan = selectors.plan_get_for_update(user=request.user, pk=pk)
        form = forms.PlanEditForm(request.POST, user=request.user, unit=plan.unit)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            call = partial(
                services.plan_update, actor=request.user, plan=plan, expected_version=version, data=data
            )
            if run_service(form, call):
                messages.success(request, _("Plan saved."))
                return redirect(plan)
        return self._page(request, form, plan)


class PlanDetailView(LoginRequiredMixin, View):
    """A plan: its facts, its items (tasks by item number, each with the roll-up of its cascade), history."""

    model = Plan

    def get(self, request, pk):
        plan = selectors.plan_get(user=request.user, pk=pk)
        writable = can_write(request.user, plan.unit_path)
        items = selectors.plan_items(user=request.user, plan=plan)
        context = {
            "plan": plan,
            "items": items,
            "today": local_today(),
            "can_write": writable,
            "history": audit_history(instance=plan),
        }
        if writable and plan.status != Plan.PlanStatus.CLOSED:
            context["adopt_form"] = forms.PlanAdoptForm(initial={"version": plan.version})
        return render(request, "work/plan_detail.html", context)


class PlanAdoptView(LoginRequiredMixin, View):
    """POST: mark the plan adopted, linked to the document (by its number) that adopts it."""

    model = Plan

    def get(self, request, pk):
        return redirect(selectors.plan_get(user=request.user, pk=pk))

    def post(self, request, pk):
        from steerdesk.documents import selectors as documents_selectors

        plan = selectors.plan_get_for_update(user=request.user, pk=pk)
        form = forms.PlanAdoptForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("The form was out of date: reload the page and try again."))
            return redirect(plan)
        document = None
        if form.cleaned_data["number"]:
            found = list(
                documents_selectors.number_lookup(user=request.user, text=form.cleaned_data["number"])[:2]
            )
            if len(found) != 1:
                messages.error(
                    request,
                    _("No document with this number.")
                    if not found
                    else _("Several documents have this number."),
                )
                return redirect(plan)
            document = found[0]
        call = partial(
            services.plan_adopt,
            actor=request.user,
            plan=plan,
            expected_version=form.cleaned_data["version"],
            document=document,
        )
        action_done(request, call, _("Plan adopted."))
        return redirect(plan)
