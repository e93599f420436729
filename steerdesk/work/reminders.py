"""The daily reminder digest (nhắc việc): overdue and due-soon work, by e-mail and in the app.

Who hears: every active user whose person is responsible for an open assignment or for its task, and the
secretaries and administrators holding a grant directly on the assignee unit — the same people whose "my tasks"
list holds the assignment (`selectors.my_assignments`). Each of them gets, once per local day
(Asia/Ho_Chi_Minh), the open assignments they may still see (their *current* scope) that are overdue or due
within their `WorkPreference.due_soon_days` (default 3):

- one e-mail in their language (plain text + HTML), if they have an address, the digest is on and there is
  something to say;
- one in-app "overdue" / "due soon" notification per assignment, if in-app notifications are on — not repeated
  while an earlier one about the same assignment is still unread.

Idempotent: the `DigestSent` row (user, date) is the claim for that user's reminders of the day. It is inserted
first, in its own short transaction together with the in-app notifications; a second run (or a concurrent
worker) hits the unique constraint and skips the user. The e-mail is sent after the commit; when sending fails
the claim is deleted so a later run retries (the notifications written meanwhile are not repeated: see above).

`send_due_digests` is the django-tasks task (`make worker` enqueues it daily: `work.scheduler`);
`steerdesk send_reminders [--date YYYY-MM-DD]` runs it at once.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tasks import task

from .models import (
    OPEN_STATUSES,
    Assignment,
    DigestSent,
    Notification,
    Status,
    Task,
    WorkPreference,
    local_today,
)
from .notifications import _unit_writers, notify

logger = logging.getLogger(__name__)

DEFAULT_DUE_SOON_DAYS = WorkPreference._meta.get_field("due_soon_days").default
MAX_ITEMS_PER_SECTION = 50  # a longer list is useless in a mail: the rest is one click away


def absolute_url(path: str) -> str:
    """`path` on the site's public address (`STEERDESK_BASE_URL`): links in mails and calendar feeds."""
    return settings.STEERDESK_BASE_URL.rstrip("/") + path


@dataclass
class Preferences:
    email_digest: bool = True
    in_app: bool = True
    due_soon_days: int = DEFAULT_DUE_SOON_DAYS


@dataclass
class Digest:
    """One user's reminders of one day."""

    user: object
    today: datetime.date
    preferences: Preferences
    overdue: list[Assignment] = field(default_factory=list)
    due_soon: list[Assignment] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.overdue) + len(self.due_soon)


@dataclass
class RunSummary:
    date: datetime.date
    recipients: int = 0
    sent: int = 0
    already_done: int = 0
    failed: int = 0
    notifications: int = 0

    def as_dict(self) -> dict:
        return {
            "date": self.date.isoformat(),
            "recipients": self.recipients,
            "sent": self.sent,
            "already_done": self.already_done,
            "failed": self.failed,
            "notifications": self.notifications,
        }


# ---------------------------------------------------------------------------------------------------------
# Building the digests


def _preferences(user_ids) -> dict[int, Preferences]:
    rows = WorkPreference.objects.filter(user_id__in=list(user_ids)).values_list(
        "user_id", "email_digest", "in_app", "due_soon_days"
    )
    return {uid: Preferences(email, in_app, days) for uid, email, in_app, days in rows}


def _candidates(today: datetime.date) -> list[Assignment]:
    """Open assignments overdue or due within the longest reminder window anyone chose."""
    longest = WorkPreference.objects.aggregate(m=Max("due_soon_days"))["m"] or 0
    horizon = today + datetime.timedelta(days=max(longest, DEFAULT_DUE_SOON_DAYS))
    return list(
        Assignment.objects.filter(status__in=OPEN_STATUSES, due_date__isnull=False, due_date__lte=horizon)
        .exclude(task__status=Status.CANCELLED)
        .select_related("task", "task__unit", "unit")
        .order_by("due_date", "id")
    )


def _recipients(assignments: list[Assignment]) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """`({user_id: {assignment ids}}, {user_id: {ids reached only as a responsible person}})`."""
    User = get_user_model()
    ids = [a.pk for a in assignments]
    by_task: dict[int, list[int]] = defaultdict(list)
    for a in assignments:
        by_task[a.task_id].append(a.pk)

    # Responsible people, on the assignment or on its task, who have an account.
    person_of_assignment: dict[int, set[int]] = defaultdict(set)
    for aid, pid in Assignment.responsible.through.objects.filter(assignment_id__in=ids).values_list(
        "assignment_id", "person_id"
    ):
        person_of_assignment[aid].add(pid)
    for tid, pid in Task.responsible.through.objects.filter(task_id__in=list(by_task)).values_list(
        "task_id", "person_id"
    ):
        for aid in by_task[tid]:
            person_of_assignment[aid].add(pid)
    persons = {pid for pids in person_of_assignment.values() for pid in pids}
    user_of_person = dict(
        User.objects.filter(person_id__in=persons, is_active=True).values_list("person_id", "pk")
    )
    responsible: dict[int, set[int]] = defaultdict(set)
    for aid, pids in person_of_assignment.items():
        for pid in pids:
            if pid in user_of_person:
                responsible[user_of_person[pid]].add(aid)

    # Secretaries and administrators of the assignee unit (a grant directly on it).
    writers = _unit_writers({a.unit_id for a in assignments})
    as_writer: dict[int, set[int]] = defaultdict(set)
    for a in assignments:
        for uid in writers.get(a.unit_id, ()):
            as_writer[uid].add(a.pk)

    everyone: dict[int, set[int]] = defaultdict(set)
    for source in (responsible, as_writer):
        for uid, aids in source.items():
            everyone[uid] |= aids
    only_responsible = {uid: aids - as_writer.get(uid, set()) for uid, aids in responsible.items()}
    return everyone, only_responsible


def build_digests(*, today: datetime.date | None = None) -> list[Digest]:
    """Every user's reminders for `today` (local date), users with nothing to hear left out, by user id."""
    today = today or local_today()
    assignments = _candidates(today)
    if not assignments:
        return []
    by_id = {a.pk: a for a in assignments}
    everyone, only_responsible = _recipients(assignments)
    User = get_user_model()
    users = User.objects.filter(pk__in=list(everyone), is_active=True).order_by("pk")
    prefs = _preferences(everyone)
    digests = []
    for user in users:
        preferences = prefs.get(user.pk, Preferences())
        last_day = today + datetime.timedelta(days=preferences.due_soon_days)
        aids = {aid for aid in everyone[user.pk] if by_id[aid].due_date <= last_day}
        # A responsible person sees the work only while it is in their scope (a grant on the assignee's or
        # the assigning unit's subtree); a grant directly on the assignee unit always covers it.
        unchecked = aids & only_responsible.get(user.pk, set())
        if unchecked:
            visible = set(
                Assignment.objects.for_user(user).filter(pk__in=list(unchecked)).values_list("pk", flat=True)
            )
            aids -= unchecked - visible
        if not aids:
            continue
        digest = Digest(user=user, today=today, preferences=preferences)
        for a in sorted((by_id[aid] for aid in aids), key=lambda a: (a.due_date, a.pk)):
            (digest.overdue if a.due_date < today else digest.due_soon).append(a)
        digests.append(digest)
    return digests


# ---------------------------------------------------------------------------------------------------------
# Rendering


def _unit_label(unit) -> str:
    return unit.short_name or unit.name


def _when(a: Assignment, today: datetime.date) -> str:
    days = (a.due_date - today).days
    if days < 0:
        return ngettext("%(n)s day late", "%(n)s days late", -days) % {"n": -days}
    if days == 0:
        return _("due today")
    if days == 1:
        return _("due tomorrow")
    return ngettext("in %(n)s day", "in %(n)s days", days) % {"n": days}


def _rows(items: list[Assignment], today: datetime.date) -> list[dict]:
    return [
        {
            "unit": _unit_label(a.unit),
            "owner": _unit_label(a.task.unit) if a.task.unit_id != a.unit_id else "",
            "title": a.task.title,
            "due": f"{a.due_date:%d/%m/%Y}",
            "when": _when(a, today),
            "percent": a.percent,
            "url": absolute_url(a.get_absolute_url()),
        }
        for a in items[:MAX_ITEMS_PER_SECTION]
    ]


def render_digest(digest: Digest) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of a digest, in the active language."""
    today = digest.today
    subject = _("[SteerDesk] %(overdue)s overdue, %(soon)s due soon — %(date)s") % {
        "overdue": len(digest.overdue),
        "soon": len(digest.due_soon),
        "date": f"{today:%d/%m/%Y}",
    }
    my_tasks = absolute_url(reverse("work:my_tasks"))
    context = {
        "language": translation.get_language(),
        "name": digest.user.get_short_name() or digest.user.get_username(),
        "date": f"{today:%d/%m/%Y}",
        "days": digest.preferences.due_soon_days,
        "overdue": _rows(digest.overdue, today),
        "overdue_more": max(0, len(digest.overdue) - MAX_ITEMS_PER_SECTION),
        "due_soon": _rows(digest.due_soon, today),
        "due_soon_more": max(0, len(digest.due_soon) - MAX_ITEMS_PER_SECTION),
        "my_tasks_url": my_tasks,
        "overdue_url": f"{my_tasks}?status=overdue",
        "preferences_url": absolute_url(reverse("work:preferences")),
    }
    text = render_to_string("work/email/digest.txt", context)
    html = render_to_string("work/email/digest.html", context)
    return subject, text, html


def _language(user) -> str:
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


# ---------------------------------------------------------------------------------------------------------
# In-app notifications


def _notify(digest: Digest) -> int:
    """One "overdue"/"due soon" notification per assignment, unless one about it is still unread or was
    already written on this day (a retried run)."""
    user = digest.user
    start = timezone.make_aware(datetime.datetime.combine(digest.today, datetime.time.min))
    end = start + datetime.timedelta(days=1)
    kinds = (Notification.Kind.OVERDUE, Notification.Kind.DUE_SOON)
    seen = set(
        Notification.objects.filter(user=user, kind__in=kinds)
        .filter(Q(read_at__isnull=True) | Q(created_at__gte=start, created_at__lt=end))
        .values_list("kind", "url")
    )
    items = []
    with translation.override(_language(user)):
        for kind, group in (
            (Notification.Kind.OVERDUE, digest.overdue),
            (Notification.Kind.DUE_SOON, digest.due_soon),
        ):
            for a in group:
                url = a.get_absolute_url()
                if (kind, url) in seen:
                    continue
                values = {
                    "unit": _unit_label(a.unit),
                    "title": a.task.title,
                    "date": f"{a.due_date:%d/%m/%Y}",
                }
                if kind == Notification.Kind.OVERDUE:
                    text = _("Overdue since %(date)s: [%(unit)s] %(title)s") % values
                else:
                    text = _("Due on %(date)s: [%(unit)s] %(title)s") % values
                items.append((kind, text, url))
    if not items:
        return 0
    return notify(user_texts={user.pk: items})


# ---------------------------------------------------------------------------------------------------------
# The run


def _send(digest: Digest, connection) -> None:
    with translation.override(_language(digest.user)):
        subject, text, html = render_digest(digest)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[digest.user.email],
        connection=connection,
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    message.send()


def send_digests(*, today: datetime.date | None = None) -> RunSummary:
    """Send the day's reminders (see the module docstring). Safe to run any number of times a day."""
    today = today or local_today()
    summary = RunSummary(date=today)
    digests = build_digests(today=today)
    connection = get_connection()
    for digest in digests:
        prefs, user = digest.preferences, digest.user
        wants_mail = bool(user.email) and prefs.email_digest
        if not (wants_mail or prefs.in_app):
            continue
        summary.recipients += 1
        try:
            with transaction.atomic():
                DigestSent.objects.create(user=user, date=today, items=digest.count)
                if prefs.in_app:
                    summary.notifications += _notify(digest)
        except IntegrityError:
            summary.already_done += 1
            continue
        if not wants_mail:
            continue
        try:
            _send(digest, connection)
        except Exception:  # a mail server hiccup must not stop the others; the next run retries this one
            logger.exception("Sending the reminder digest to user %s failed", user.pk)
            DigestSent.objects.filter(user=user, date=today).delete()
            summary.failed += 1
        else:
            summary.sent += 1
    logger.info("Reminder digests for %s: %s", today, summary.as_dict())
    return summary


@task()
def send_due_digests(date: str | None = None) -> dict:
    """The daily reminder job: `date` (ISO, local) defaults to today in Asia/Ho_Chi_Minh."""
    day = datetime.date.fromisoformat(date) if date else None
    return send_digests(today=day).as_dict()
