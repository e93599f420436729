"""Template context of the work app shared by every page: the unread-notification count on the bell."""

from __future__ import annotations

import functools

from .notifications import unread_count


def notifications(request):
    """`unread_notifications`: counted once, and only when a template shows it (htmx fragments do not)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": functools.cache(lambda: unread_count(user))}
