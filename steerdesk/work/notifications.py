"""In-app notifications: who hears about an assignment, a progress report, a deadline.

Called by the services after their transaction commits (`transaction.on_commit`), so a rolled-back action
notifies nobody. Each text is written in the recipient's own language; users who turned in-app notifications
off in their preferences get none. A cascade to 700 units writes its notifications in a few bulk queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from steerdesk.core.scope import Role

from .models import Assignment, Notification, ProgressReport, WorkPreference

WRITER_ROLES = (Role.SECRETARY, Role.ADMIN)


def _muted(user_ids: Iterable[int]) -> set[int]:
    return set(
        WorkPreference.objects.filter(user_id__in=list(user_ids), in_app=False).values_list(
            "user_id", flat=True
        )
    )


def notify(*, user_texts: dict[int, list[tuple[str, str, str]]]) -> int:
    """Write notifications: `{user_id: [(kind, text, url), …]}`, skipping muted users. Returns how many."""
    muted = _muted(user_texts)
    rows = [
        Notification(user_id=user_id, kind=kind, text=text[:500], url=url)
        for user_id, items in user_texts.items()
        if user_id not in muted
        for kind, text, url in items
    ]
    Notification.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _unit_writers(unit_ids: Iterable[int]) -> dict[int, set[int]]:
    """Users holding a secretary or admin grant directly on each unit: `{unit_id: {user_id}}`."""
    from steerdesk.accounts.models import RoleGrant

    out: dict[int, set[int]] = defaultdict(set)
    grants = RoleGrant.objects.filter(unit_id__in=list(unit_ids), role__in=WRITER_ROLES, user__is_active=True)
    for unit_id, user_id in grants.values_list("unit_id", "user_id"):
        out[unit_id].add(user_id)
    return out


def _languages(user_ids: Iterable[int]) -> dict[int, str]:
    User = get_user_model()
    return dict(User.objects.filter(pk__in=list(user_ids)).values_list("pk", "language"))


def _render(user_ids_items: dict[int, list], render) -> dict[int, list[tuple[str, str, str]]]:
    """Render each user's items in that user's language: `render(item) -> (kind, text, url)`."""
    languages = _languages(user_ids_items)
    out = {}
    for user_id, items in user_ids_items.items():
        with translation.override(languages.get(user_id) or "vi"):
            out[user_id] = [render(item) for item in items]
    return out


def notify_assigned(*, assignment_ids: list[int]) -> int:
    """Tell the assignee units' secretaries (and the people named responsible) about new assignments."""
    from steerdesk.accounts.models import User

    assignments = list(
        Assignment.objects.filter(pk__in=assignment_ids).select_related("task", "task__unit", "unit")
    )
    if not assignments:
        return 0
    writers = _unit_writers({a.unit_id for a in assignments})
    responsible = defaultdict(set)
    through = Assignment.responsible.through
    person_users = dict(
        User.objects.filter(person__isnull=False)
        .filter(person_id__in=through.objects.filter(assignment_id__in=assignment_ids).values("person_id"))
        .values_list("person_id", "pk")
    )
    for assignment_id, person_id in through.objects.filter(assignment_id__in=assignment_ids).values_list(
        "assignment_id", "person_id"
    ):
        if person_id in person_users:
            responsible[assignment_id].add(person_users[person_id])
    per_user: dict[int, list[Assignment]] = defaultdict(list)
    for a in assignments:
        for user_id in writers.get(a.unit_id, set()) | responsible.get(a.pk, set()):
            if user_id != a.created_by_id:
                per_user[user_id].append(a)

    def render(a: Assignment):
        text = _("%(unit)s assigned you a task: %(title)s") % {
            "unit": a.task.unit.short_name or a.task.unit.name,
            "title": a.task.title,
        }
        return Notification.Kind.ASSIGNED, text, a.get_absolute_url()

    return notify(user_texts=_render(per_user, render))


def notify_reported(*, report_id: int) -> int:
    """Tell the assigning unit's secretaries that an assignee reported progress (or finished)."""
    report = (
        ProgressReport.objects.filter(pk=report_id)
        .select_related("assignment", "assignment__task", "assignment__unit")
        .first()
    )
    if report is None:
        return 0
    a = report.assignment
    users = {
        u for u in _unit_writers([a.task.unit_id]).get(a.task.unit_id, set()) if u != report.created_by_id
    }

    def render(_item):
        values = {"unit": a.unit.short_name or a.unit.name, "title": a.task.title, "percent": report.percent}
        if report.status == "done":
            return Notification.Kind.DONE, _("%(unit)s finished: %(title)s") % values, a.get_absolute_url()
        text = _("%(unit)s reported %(percent)s%% on: %(title)s") % values
        return Notification.Kind.REPORTED, text, a.get_absolute_url()

    return notify(user_texts=_render({u: [None] for u in users}, render))


def unread_count(user) -> int:
    """The number shown on the bell in the header."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


# ---------------------------------------------------------------------------------------------------------
# The notification pages and preferences (each user reaches only their own rows)


def notification_list(*, user):
    """The user's notifications, newest first."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def notification_get(*, user, pk) -> Notification:
    """One of the user's own notifications; another user's (or a missing one) is 404 alike."""
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    notification = Notification.objects.filter(user=user, pk=pk).first()
    if notification is None:
        raise Http404
    return notification


PREFERENCE_FIELDS = ("email_digest", "in_app", "due_soon_days")


def preference_get(*, user) -> WorkPreference:
    """The user's preferences; the defaults (unsaved) when they never changed them."""
    return WorkPreference.objects.filter(user=user).first() or WorkPreference(user=user)


def preference_update(*, actor, data: dict) -> WorkPreference:
    """Save the actor's own preferences (`email_digest`, `in_app`, `due_soon_days`)."""
    values = {name: data[name] for name in PREFERENCE_FIELDS if name in data}
    with transaction.atomic():
        preference, _created = WorkPreference.objects.update_or_create(user=actor, defaults=values)
    return preference


# ---------------------------------------------------------------------------------------------------------
# One summary per recipient for work created in bulk (the XLSX import of a plan's new tasks)

ID_CHUNK = 900  # ids per `IN (…)`: well below SQLite's and PostgreSQL's limits on bound parameters


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + ID_CHUNK] for i in range(0, len(ids), ID_CHUNK)]


def notify_assigned_summary(*, assignment_ids: list[int]) -> int:
    """Tell the same people as `notify_assigned` (the assignee units' secretaries and admins, the people named
    responsible; never the one who assigned), but each of them once per assigning unit and plan: "Huyện Lạc
    Sơn assigned you 250 tasks of the plan …", linking to their work list. One task gets the usual text and
    link. A few bulk queries whatever the number of assignments."""
    from django.urls import reverse

    from steerdesk.accounts.models import User
    from steerdesk.orgs.models import OrgUnit

    from .models import Plan

    ids = sorted(set(assignment_ids))
    rows = []  # (assignment id, assignee unit, created by, task, task title, assigning unit, plan)
    links = []  # (assignment id, person id) of the people named responsible
    through = Assignment.responsible.through
    for chunk in _chunks(ids):
        rows += Assignment.objects.filter(pk__in=chunk).values_list(
            "pk", "unit_id", "created_by_id", "task_id", "task__title", "task__unit_id", "task__plan_id"
        )
        links += through.objects.filter(assignment_id__in=chunk).values_list("assignment_id", "person_id")
    if not rows:
        return 0
    writers = _unit_writers({row[1] for row in rows})
    person_users = dict(
        User.objects.filter(person_id__in=sorted({p for _a, p in links})).values_list("person_id", "pk")
    )
    responsible: dict[int, set[int]] = defaultdict(set)
    for assignment_id, person_id in links:
        if person_id in person_users:
            responsible[assignment_id].add(person_users[person_id])
    per_user: dict[int, dict[tuple[int, int | None], list[tuple]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        pk, unit_id, created_by_id, _task_id, _title, task_unit_id, plan_id = row
        for user_id in writers.get(unit_id, set()) | responsible.get(pk, set()):
            if user_id != created_by_id:
                per_user[user_id][(task_unit_id, plan_id)].append(row)
    units = OrgUnit.objects.in_bulk(sorted({row[5] for row in rows}))
    plans = dict(
        Plan.objects.filter(pk__in=sorted({row[6] for row in rows if row[6]})).values_list("pk", "title")
    )
    my_tasks = reverse("work:my_tasks")

    def render(group):
        (task_unit_id, plan_id), items = group
        unit = units[task_unit_id]
        unit_name = unit.short_name or unit.name
        count = len({item[3] for item in items})
        if count == 1:
            pk, title = items[0][0], items[0][4]
            text = _("%(unit)s assigned you a task: %(title)s") % {"unit": unit_name, "title": title}
            return Notification.Kind.ASSIGNED, text, reverse("work:assignment_detail", args=[pk])
        if plan_id:
            text = _("%(unit)s assigned you %(count)s tasks of the plan %(plan)s") % {
                "unit": unit_name,
                "count": count,
                "plan": plans.get(plan_id, ""),
            }
        else:
            text = _("%(unit)s assigned you %(count)s tasks") % {"unit": unit_name, "count": count}
        return Notification.Kind.ASSIGNED, text, my_tasks

    return notify(
        user_texts=_render({user_id: list(groups.items()) for user_id, groups in per_user.items()}, render)
    )
