"""The working-day calendar page (superusers). URL names, included by work/urls.py:

- `work:workday_list` → `WorkdayListView`: GET the year's special days (`?year=`), POST adds an override.
- `work:workday_delete` → `WorkdayDeleteView`: POST `pk` of an override to remove it.

The calendar is national, so the pages exist for every signed-in user but only superusers may use them (403);
there is no object id in the URLs, so nothing leaks about which overrides exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views import View

from steerdesk.orgs.forms import add_service_errors

from . import workdays
from .forms_workdays import WorkdayOverrideForm
from .models import local_today

MIN_YEAR, MAX_YEAR = 1901, 2099  # the range of the package's lunar calendar


def _year(value) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return local_today().year
    return year if MIN_YEAR <= year <= MAX_YEAR else local_today().year


def _list_url(year: int) -> str:
    return f"{reverse('work:workday_list')}?year={year}"


class _SuperuserOnly(LoginRequiredMixin, View):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_superuser:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class WorkdayListView(_SuperuserOnly):
    def _page(self, request, year: int, form, status=200):
        context = {
            "year": year,
            "previous_year": year - 1 if year > MIN_YEAR else None,
            "next_year": year + 1 if year < MAX_YEAR else None,
            "days": workdays.holidays_in(year),
            "form": form,
        }
        return render(request, "work/workday_list.html", context, status=status)

    def get(self, request):
        return self._page(request, _year(request.GET.get("year")), WorkdayOverrideForm())

    def post(self, request):
        form = WorkdayOverrideForm(request.POST)
        if form.is_valid():
            try:
                override = workdays.workday_override_set(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Override for %(date)s saved.") % {"date": f"{override.date:%d/%m/%Y}"}
                )
                return redirect(_list_url(override.date.year))
        year = (
            form.cleaned_data["date"].year
            if form.cleaned_data.get("date")
            else _year(request.GET.get("year"))
        )
        return self._page(request, year, form, status=400)


class WorkdayDeleteView(_SuperuserOnly):
    def get(self, request):
        return redirect("work:workday_list")

    def post(self, request):
        override = workdays.workday_override_get(user=request.user, pk=request.POST.get("pk", ""))
        year = override.date.year
        workdays.workday_override_delete(actor=request.user, override=override)
        messages.success(request, _("Override for %(date)s deleted.") % {"date": f"{override.date:%d/%m/%Y}"})
        return redirect(_list_url(year))


urlpatterns = [
    path("workdays/", WorkdayListView.as_view(), name="workday_list"),
    path("workdays/delete/", WorkdayDeleteView.as_view(), name="workday_delete"),
]
