"""Template helpers of the work pages: overdue / due-soon state, the roll-up bar, and the document page's link
back to the tasks made from it (`{% tasks_from_document document %}`)."""

from __future__ import annotations

import datetime

from django import template

from steerdesk.work import selectors
from steerdesk.work.models import OPEN_STATUSES, local_today

register = template.Library()

DUE_SOON_DAYS = 7  # the same window as the "due soon" filter of the lists (selectors._status_filter)


@register.filter
def due_state(item, today: datetime.date | None = None) -> str:
    """ "overdue", "due-soon" or "" for a task or an assignment (open, with a due date) on `today`."""
    due = getattr(item, "due_date", None)
    if due is None or getattr(item, "status", None) not in OPEN_STATUSES:
        return ""
    today = today or local_today()
    if due < today:
        return "overdue"
    if (due - today).days <= DUE_SOON_DAYS:
        return "due-soon"
    return ""


@register.inclusion_tag("work/partials/_due.html")
def due(item, today: datetime.date | None = None):
    """The due date (dd/mm/yyyy) with an "Overdue" / "Due soon" badge."""
    return {"item": item, "state": due_state(item, today)}


@register.inclusion_tag("work/partials/_rollup_bar.html")
def rollup_bar(row):
    """A stacked bar of one roll-up row: done, late, other open work, cancelled (SVG, widths in percent)."""
    total = row.total or 0
    parts = [
        ("done", row.done),
        ("late", row.late),
        ("open", max(row.not_started + row.in_progress - row.late, 0)),
        ("cancelled", row.cancelled),
    ]
    segments, x = [], 0.0
    for css, count in parts:
        if total and count:
            width = round(100 * count / total, 2)
            segments.append({"css": css, "x": round(x, 2), "width": width})
            x += width
    return {"segments": segments, "row": row}


@register.inclusion_tag("work/partials/_document_tasks.html", takes_context=True)
def tasks_from_document(context, document):
    """The tasks made from a document (through its routings) that the user may see, for the document page."""
    request = context.get("request")
    user = getattr(request, "user", None)
    tasks = list(selectors.tasks_from_document(user=user, document_id=document.pk)) if user else []
    return {"tasks": tasks, "today": local_today()}
