"""Calendar feeds (ICS): a user's work, or a unit's, for Outlook, Google Calendar, Thunderbird, phones.

A feed URL carries a secret token (`secrets.token_urlsafe(32)`) that is the only credential: calendar apps
cannot log in. Only its SHA-256 is stored, so the full URL is shown once, right after creation; a feed is
revoked, never edited. The lookup goes through the unique hash column and compares digests in constant time;
an unknown or revoked token, or a deactivated user, gets 404.

The content is computed on every fetch for the feed's user with their *current* scope: a user who lost a grant
no longer sees that work in any feed they created earlier.

Each assignment is an all-day VEVENT on its due date (what Outlook and Google Calendar import most reliably;
VTODO is ignored by Google), with a stable UID `assignment-<id>@steerdesk` so calendar apps update events in
place, SEQUENCE from the row's version, the status and percent in the description and a link to the page.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import secrets

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from steerdesk.core.audit import audit_record
from steerdesk.core.scope import Role, has_role
from steerdesk.orgs.models import OrgUnit

from . import selectors
from .models import Assignment, CalendarFeed, Status, local_today
from .reminders import absolute_url

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{32,100}")
PAST_DAYS = 365  # older work is history, not calendar material
MAX_EVENTS = 2000
LAST_USED_EVERY = datetime.timedelta(hours=1)  # calendar apps poll often: record use at most hourly


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


# ---------------------------------------------------------------------------------------------------------
# Services


def _audit_path(actor, unit: OrgUnit | None) -> str:
    return unit.path if unit is not None else actor.unit_path


def feed_create(*, actor, unit: OrgUnit | None = None) -> tuple[CalendarFeed, str]:
    """A new feed of the actor's own work, or of `unit`'s (which the actor must be able to read: else 404).

    Returns the feed and the token; the token is not stored and cannot be shown again."""
    if unit is not None and not has_role(actor, unit.path, Role.VIEWER):
        raise Http404
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        feed = CalendarFeed.objects.create(user=actor, unit=unit, token_hash=token_hash(token))
        audit_record(actor=actor, instance=feed, action="create", unit_path=_audit_path(actor, unit))
    return feed, token


def feed_revoke(*, actor, pk) -> CalendarFeed:
    """Revoke one of the actor's feeds (another user's feed: 404). Revoking twice changes nothing."""
    feed = feed_get(user=actor, pk=pk)
    if feed.revoked_at is None:
        with transaction.atomic():
            feed.revoked_at = timezone.now()
            feed.save(update_fields=["revoked_at"])
            audit_record(
                actor=actor,
                instance=feed,
                action="update",
                changes={"revoked_at": [None, feed.revoked_at.isoformat()]},
                unit_path=_audit_path(actor, feed.unit),
            )
    return feed


# ---------------------------------------------------------------------------------------------------------
# Selectors


def feed_list(*, user) -> QuerySet[CalendarFeed]:
    """The user's own feeds, newest first (revoked ones too, marked)."""
    return CalendarFeed.objects.filter(user=user).select_related("unit").order_by("-created_at", "-id")


def feed_get(*, user, pk) -> CalendarFeed:
    """One of the user's own feeds, else 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    feed = CalendarFeed.objects.filter(user=user, pk=pk).select_related("unit").first()
    if feed is None:
        raise Http404
    return feed


def feed_by_token(token: str) -> CalendarFeed:
    """The active feed whose token this is, else 404 (unknown, revoked, malformed, inactive user)."""
    if not TOKEN_RE.fullmatch(token or ""):
        raise Http404
    digest = token_hash(token)
    feed = (
        CalendarFeed.objects.filter(token_hash=digest, revoked_at__isnull=True, user__is_active=True)
        .select_related("user", "unit")
        .first()
    )
    if feed is None or not hmac.compare_digest(feed.token_hash, digest):
        raise Http404
    return feed


def feed_assignments(feed: CalendarFeed, today: datetime.date | None = None) -> list[Assignment]:
    """What the feed shows now: the user's "my tasks", or the work assigned to the unit, as the user may see
    it today (current grants); cancelled work and work without a due date are left out."""
    today = today or local_today()
    user = feed.user
    if feed.unit is not None:
        if not feed.unit.is_active or not has_role(user, feed.unit.path, Role.VIEWER):
            return []
        qs = selectors.assignment_list(user=user, unit=feed.unit, direction="to")
    else:
        qs = selectors.my_assignments(user=user)
    qs = qs.exclude(status=Status.CANCELLED).filter(
        due_date__isnull=False, due_date__gte=today - datetime.timedelta(days=PAST_DAYS)
    )
    return list(qs.order_by("due_date", "id")[:MAX_EVENTS])


def feed_touch(feed: CalendarFeed) -> None:
    """Record when the feed was last fetched (at most hourly: calendar apps poll every few minutes)."""
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at >= LAST_USED_EVERY:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)


# ---------------------------------------------------------------------------------------------------------
# ICS


def feed_name(feed: CalendarFeed) -> str:
    if feed.unit is not None:
        return _("SteerDesk — work of %(unit)s") % {"unit": feed.unit.name}
    return _("SteerDesk — my tasks")


def _label(unit: OrgUnit) -> str:
    return unit.short_name or unit.name


def _event(a: Assignment, today: datetime.date) -> Event:
    event = Event()
    event.add("uid", f"assignment-{a.pk}@steerdesk")
    stamp = a.updated_at or a.created_at or timezone.now()
    event.add("dtstamp", stamp.astimezone(datetime.UTC))
    event.add("last-modified", stamp.astimezone(datetime.UTC))
    event.add("sequence", max(0, a.version - 1))
    event.add("dtstart", a.due_date)
    event.add("dtend", a.due_date + datetime.timedelta(days=1))
    prefix = ""
    if a.status == Status.DONE:
        prefix = "✓ "
    elif a.is_overdue(today):
        prefix = "⚠ "
    event.add("summary", f"{prefix}[{_label(a.unit)}] {a.task.title}")
    url = absolute_url(a.get_absolute_url())
    lines = [
        _("Due date: %(date)s") % {"date": f"{a.due_date:%d/%m/%Y}"},
        _("Status: %(status)s") % {"status": a.get_status_display()},
        _("Percent done: %(percent)s%%") % {"percent": a.percent},
        _("Assigned by: %(unit)s") % {"unit": a.task.unit.name},
        _("Assigned to: %(unit)s — %(role)s") % {"unit": a.unit.name, "role": a.get_role_display()},
        url,
    ]
    event.add("description", "\n".join(lines))
    event.add("url", url)
    event.add("categories", [a.get_status_display()])
    event.add("transp", "TRANSPARENT")  # a deadline, not a meeting: it does not make anyone busy
    return event


def render_ics(feed: CalendarFeed, today: datetime.date | None = None) -> bytes:
    """The feed as an iCalendar file (UTF-8), in the feed user's language."""
    today = today or local_today()
    language = feed.user.language or "vi"
    with translation.override(language):
        calendar = Calendar()
        calendar.add("prodid", "-//SteerDesk//Work calendar//" + language.upper())
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", feed_name(feed))
        calendar.add("x-wr-timezone", timezone.get_current_timezone_name())
        calendar.add("refresh-interval", datetime.timedelta(hours=1), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT1H")
        for a in feed_assignments(feed, today):
            calendar.add_component(_event(a, today))
    return calendar.to_ical()
