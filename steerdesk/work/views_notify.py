"""Notifications, reminder preferences and calendar feeds. URL names, included by work/urls.py:

- `work:notification_list` → the user's notifications, newest first, unread marked, paginated;
- `work:notification_open` → GET marks one read and goes to what it is about;
- `work:notification_read` / `work:notification_read_all` → POST (htmx or plain) marks one / all read;
- `work:preferences` → e-mail digest, in-app notifications, how many days ahead to remind;
- `work:feed_list` → the user's calendar feeds; POST creates one and shows its secret address once;
- `work:feed_revoke` → POST revokes one of the user's feeds;
- `work:feed_ics` → the ICS file itself: no login, the token in the URL is the credential.

Everything here is the user's own: another user's notification or feed answers 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, re_path, reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_safe

from steerdesk.core.htmx import htmx_partial
from steerdesk.core.units import current_unit
from steerdesk.orgs.selectors import unit_get

from . import calendars, notifications, services
from .forms_notify import PreferenceForm
from .models import CalendarFeed, Notification

PAGE_SIZE = 30


# ---------------------------------------------------------------------------------------------------------
# Notifications


def _count_context(request) -> dict:
    return {"unread_notifications": notifications.unread_count(request.user), "oob": True}


class NotificationListView(LoginRequiredMixin, View):
    def get(self, request):
        page = Paginator(notifications.notification_list(user=request.user), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        context = {"page": page}
        if htmx_partial(request):
            return render(request, "work/partials/_notification_rows.html", context)
        return render(request, "work/notification_list.html", context)


class NotificationOpenView(LoginRequiredMixin, View):
    """Follow a notification: it is read from now on."""

    model = Notification

    def get(self, request, pk):
        notification = notifications.notification_get(user=request.user, pk=pk)
        services.notification_mark_read(user=request.user, ids=[notification.pk])
        target = notification.url
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts=None) and target.startswith("/"):
            return redirect(target)
        return redirect("work:notification_list")


class NotificationReadView(LoginRequiredMixin, View):
    model = Notification

    def post(self, request, pk):
        notification = notifications.notification_get(user=request.user, pk=pk)
        services.notification_mark_read(user=request.user, ids=[notification.pk])
        if htmx_partial(request):
            notification.refresh_from_db()
            context = {"n": notification, **_count_context(request)}
            return render(request, "work/partials/_notification_row.html", context)
        return redirect("work:notification_list")


class NotificationReadAllView(LoginRequiredMixin, View):
    def post(self, request):
        count = services.notification_mark_read(user=request.user)
        if htmx_partial(request):
            page = Paginator(notifications.notification_list(user=request.user), PAGE_SIZE).get_page(1)
            context = {"page": page, **_count_context(request)}
            return render(request, "work/partials/_notification_rows.html", context)
        if count:
            messages.success(request, _("All notifications marked as read."))
        return redirect("work:notification_list")


# ---------------------------------------------------------------------------------------------------------
# Preferences


class PreferencesView(LoginRequiredMixin, View):
    def get(self, request):
        preference = notifications.preference_get(user=request.user)
        form = PreferenceForm(
            initial={name: getattr(preference, name) for name in notifications.PREFERENCE_FIELDS}
        )
        return render(request, "work/preferences.html", {"form": form})

    def post(self, request):
        form = PreferenceForm(request.POST)
        if not form.is_valid():
            return render(request, "work/preferences.html", {"form": form}, status=400)
        notifications.preference_update(actor=request.user, data=form.cleaned_data)
        messages.success(request, _("Your notification preferences were saved."))
        return redirect("work:preferences")


# ---------------------------------------------------------------------------------------------------------
# Calendar feeds


class FeedListView(LoginRequiredMixin, View):
    def _context(self, request) -> dict:
        return {"feeds": calendars.feed_list(user=request.user), "unit": current_unit(request)}

    def get(self, request):
        return render(request, "work/feed_list.html", self._context(request))

    def post(self, request):
        unit = None
        if request.POST.get("scope") == "unit":
            try:
                unit_pk = int(request.POST.get("unit", ""))
            except ValueError as exc:
                raise Http404 from exc
            unit = unit_get(user=request.user, pk=unit_pk)
        feed, token = calendars.feed_create(actor=request.user, unit=unit)
        # The token is not stored: this response is the only time the address can be shown.
        url = request.build_absolute_uri(reverse("work:feed_ics", args=[token]))
        context = {**self._context(request), "created": feed, "created_url": url}
        response = render(request, "work/feed_list.html", context, status=201)
        patch_cache_control(response, no_store=True, private=True)
        return response


class FeedRevokeView(LoginRequiredMixin, View):
    model = CalendarFeed

    def post(self, request, pk):
        calendars.feed_revoke(actor=request.user, pk=pk)
        messages.success(request, _("The calendar feed was revoked: its address no longer works."))
        return redirect("work:feed_list")


@require_safe
def feed_ics(request, token):
    """The ICS file of a feed; unknown or revoked tokens get 404. No session, no login: the token is it."""
    feed = calendars.feed_by_token(token)
    body = calendars.render_ics(feed)
    calendars.feed_touch(feed)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="steerdesk.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    patch_cache_control(response, private=True, max_age=300)
    return response


urlpatterns = [
    path("notifications/", NotificationListView.as_view(), name="notification_list"),
    path("notifications/<int:pk>/", NotificationOpenView.as_view(), name="notification_open"),
    path("notifications/<int:pk>/read/", NotificationReadView.as_view(), name="notification_read"),
    path("notifications/read-all/", NotificationReadAllView.as_view(), name="notification_read_all"),
    path("preferences/", PreferencesView.as_view(), name="preferences"),
    path("feeds/", FeedListView.as_view(), name="feed_list"),
    path("feeds/<int:pk>/revoke/", FeedRevokeView.as_view(), name="feed_revoke"),
    re_path(r"^ical/(?P<token>[A-Za-z0-9_-]+)\.ics$", feed_ics, name="feed_ics"),
]
