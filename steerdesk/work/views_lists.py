"""The lists of work: my tasks, unit tasks (filters, sort, pages, bulk status, XLSX export link), the board by
status, the month calendar, the timeline and the roll-up by child unit. Overdue and due-soon work is highlighted
everywhere (template filter `due_state`). The unit task list and the roll-up run a bounded number of queries
whatever the number of tasks (tests assert it)."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import pgettext_lazy
from django.views import View

from steerdesk.core.db_router import use_replica
from steerdesk.core.htmx import htmx_partial
from steerdesk.core.scope import Role, has_role

from . import forms, selectors
from .models import Assignment, Status, Task, local_today
from .views import chosen_unit, page_of, query_without_page

BOARD_LIMIT = 400  # cards per board; the unit task list pages through the rest
WEEKDAYS = [
    pgettext_lazy("weekday", "Mon"),
    pgettext_lazy("weekday", "Tue"),
    pgettext_lazy("weekday", "Wed"),
    pgettext_lazy("weekday", "Thu"),
    pgettext_lazy("weekday", "Fri"),
    pgettext_lazy("weekday", "Sat"),
    pgettext_lazy("weekday", "Sun"),
]


def _valid(form) -> dict:
    return form.cleaned_data if form.is_bound and form.is_valid() else {}


def _direction(request) -> str:
    return "by" if request.GET.get("direction") == "by" else "to"


class MyTasksView(LoginRequiredMixin, View):
    """Work the user is responsible for, or of the units where they are secretary or admin."""

    def get(self, request):
        form = forms.MyTasksFilterForm(request.GET or None)
        data = _valid(form)
        items = selectors.my_assignments(user=request.user, status=data.get("status") or None)
        context = {
            "page": page_of(request, items),
            "filter_form": form,
            "query": query_without_page(request),
            "today": local_today(),
        }
        if htmx_partial(request):
            return render(request, "work/partials/_my_rows.html", context)
        return render(request, "work/my_tasks.html", context)


class UnitTasksView(LoginRequiredMixin, View):
    """Work assigned to the current unit (or `?unit=`, optionally its subtree), or assigned by it."""

    def get(self, request):
        unit = chosen_unit(request)
        plans = selectors.plan_list(user=request.user, unit=unit) if unit is not None else None
        form = forms.AssignmentFilterForm(request.GET or None, plans=plans)
        data = _valid(form)
        items = Assignment.objects.none()
        if unit is not None:
            items = selectors.assignment_list(
                user=request.user,
                unit=unit,
                direction=data.get("direction") or "to",
                subtree=bool(data.get("subtree")),
                status=data.get("status") or None,
                plan=data.get("plan"),
                q=data.get("q") or None,
                order=data.get("order") or "due_date",
            )
        context = {
            "unit": unit,
            "page": page_of(request, items),
            "filter_form": form,
            "query": query_without_page(request),
            "today": local_today(),
            "statuses": Status.choices,
        }
        if htmx_partial(request):
            return render(request, "work/partials/_unit_rows.html", context)
        return render(request, "work/unit_tasks.html", context)


@dataclass
class Column:
    status: str
    label: str
    cards: list = field(default_factory=list)


class BoardView(LoginRequiredMixin, View):
    """The current unit's work in four columns by status; overdue cards highlighted; a status menu per card."""

    def get(self, request):
        unit = chosen_unit(request)
        direction = _direction(request)
        columns = [Column(value, label) for value, label in Status.choices]
        cards = []
        if unit is not None:
            cards = list(
                selectors.assignment_list(user=request.user, unit=unit, direction=direction)[
                    : BOARD_LIMIT + 1
                ]
            )
        by_status = {c.status: c for c in columns}
        for card in cards[:BOARD_LIMIT]:
            by_status[card.status].cards.append(card)
        context = {
            "unit": unit,
            "direction": direction,
            "columns": columns,
            "truncated": len(cards) > BOARD_LIMIT,
            "limit": BOARD_LIMIT,
            "today": local_today(),
            "statuses": Status.choices,
            "next_url": request.get_full_path(),
        }
        return render(request, "work/board.html", context)


def _month(value: str | None, today: datetime.date) -> tuple[int, int]:
    """`YYYY-MM` from the query string, else this month."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        datetime.date(year, month, 1)
        if 1900 <= year <= 2100:
            return year, month
    except ValueError:
        pass
    return today.year, today.month


def _shift(year: int, month: int, delta: int) -> str:
    index = year * 12 + month - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


class CalendarView(LoginRequiredMixin, View):
    """A month grid (Monday first) with the unit's work on its due dates; today marked."""

    def get(self, request):
        unit = chosen_unit(request)
        today = local_today()
        year, month = _month(request.GET.get("month"), today)
        direction = _direction(request)
        weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
        by_date: dict[datetime.date, list] = {}
        if unit is not None:
            for item in selectors.assignments_due_between(
                user=request.user, unit=unit, first=weeks[0][0], last=weeks[-1][-1], direction=direction
            ):
                by_date.setdefault(item.due_date, []).append(item)
        context = {
            "unit": unit,
            "direction": direction,
            "month_start": datetime.date(year, month, 1),
            "month_param": f"{year:04d}-{month:02d}",
            "previous_month": _shift(year, month, -1),
            "next_month": _shift(year, month, 1),
            "this_month": f"{today.year:04d}-{today.month:02d}",
            "weekdays": WEEKDAYS,
            "weeks": [
                [
                    {
                        "date": day,
                        "in_month": day.month == month,
                        "today": day == today,
                        "items": by_date.get(day, []),
                    }
                    for day in week
                ]
                for week in weeks
            ],
            "today": today,
        }
        return render(request, "work/calendar.html", context)


# ---------------------------------------------------------------------------------------------------------
# Timeline: bars from start to due date, laid out server-side as SVG attributes (no inline styles: strict CSP)


@dataclass
class TimelineBar:
    task: Task
    x: float
    width: float
    y: float
    css: str
    label: str


@dataclass
class TimelineMonth:
    label: str
    x: float
    width: float


@dataclass
class Timeline:
    width: int
    height: int
    label_width: int
    bars: list[TimelineBar]
    months: list[TimelineMonth]
    today_x: float | None


LABEL_WIDTH, CHART_WIDTH, ROW_HEIGHT, HEADER_HEIGHT, LABEL_CHARS = 360, 840, 28, 30, 42


def timeline_layout(tasks: list[Task], today: datetime.date) -> Timeline | None:
    """Bars across whole months from the earliest start to the latest due date (a task without a start date
    starts when it was created). Coordinates are SVG user units; the SVG scales to the page width."""
    rows = []
    for task in tasks:
        start = task.start_date or timezone.localdate(task.created_at)
        rows.append((task, min(start, task.due_date), task.due_date))
    if not rows:
        return None
    first = min(start for _t, start, _d in rows).replace(day=1)
    last_due = max(due for _t, _s, due in rows)
    end = (last_due.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)  # first day after that month
    span = (end - first).days

    def x_of(day: datetime.date) -> float:
        return round(LABEL_WIDTH + CHART_WIDTH * (day - first).days / span, 1)

    months = []
    cursor = first
    while cursor < end:
        following = (cursor.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        months.append(
            TimelineMonth(
                label=f"{cursor.month:02d}/{cursor.year}",
                x=x_of(cursor),
                width=x_of(following) - x_of(cursor),
            )
        )
        cursor = following
    bars = []
    for index, (task, start, due) in enumerate(rows):
        x = x_of(start)
        width = max(x_of(due + datetime.timedelta(days=1)) - x, 3)
        css = f"bar bar-{task.status}" + (" bar-overdue" if task.is_overdue(today) else "")
        label = task.title if len(task.title) <= LABEL_CHARS else task.title[: LABEL_CHARS - 1] + "…"
        bars.append(
            TimelineBar(
                task=task,
                x=x,
                width=round(width, 1),
                y=HEADER_HEIGHT + index * ROW_HEIGHT,
                css=css,
                label=label,
            )
        )
    return Timeline(
        width=LABEL_WIDTH + CHART_WIDTH,
        height=HEADER_HEIGHT + len(rows) * ROW_HEIGHT + 4,
        label_width=LABEL_WIDTH,
        bars=bars,
        months=months,
        today_x=x_of(today) if first <= today < end else None,
    )


class TimelineView(LoginRequiredMixin, View):
    """Tasks of a plan (`?plan=`) or owned by the current unit as bars from start to due date."""

    def get(self, request):
        plan = (
            selectors.plan_get(user=request.user, pk=request.GET["plan"]) if request.GET.get("plan") else None
        )
        unit = chosen_unit(request) if plan is None else plan.unit
        today = local_today()
        tasks = selectors.timeline_tasks(user=request.user, unit=unit, plan=plan) if unit is not None else []
        context = {
            "plan": plan,
            "unit": unit,
            "tasks": tasks,
            "timeline": timeline_layout(tasks, today),
            "today": today,
        }
        return render(request, "work/timeline.html", context)


@use_replica  # read-heavy: may read a replica (README, "Scaling")
class RollupView(LoginRequiredMixin, View):
    """Done / total, late, not started per child unit of the current unit (or `?unit=`); each child drills down."""

    def get(self, request):
        unit = chosen_unit(request)
        plans = selectors.rollup_plan_choices(user=request.user, unit=unit) if unit is not None else None
        form = forms.RollupFilterForm(request.GET or None, plans=plans)
        data = _valid(form)
        rollup = None
        if unit is not None:
            rollup = selectors.rollup(
                user=request.user, unit=unit, plan=data.get("plan"), year=data.get("year")
            )
        query = request.GET.copy()
        query.pop("unit", None)
        parent = unit.parent if unit is not None and unit.parent_id else None
        context = {
            "unit": unit,
            "parent_unit": parent if parent and has_role(request.user, parent.path, Role.VIEWER) else None,
            "rollup": rollup,
            "filter_form": form,
            "query": query.urlencode(),
        }
        return render(request, "work/rollup.html", context)
