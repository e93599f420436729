"""Pages: notifications (list, open, mark read, header counter), preferences, calendar feeds."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from steerdesk.work import calendars
from steerdesk.work.models import CalendarFeed, Notification, WorkPreference

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def note(user, text, url="", read=False):
    from django.utils import timezone

    return Notification.objects.create(
        user=user, kind="assigned", text=text, url=url, read_at=timezone.now() if read else None
    )


@pytest.mark.parametrize(
    "name", ["work:notification_list", "work:preferences", "work:feed_list", "work:notification_read_all"]
)
def test_anonymous_users_are_sent_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# ---------------------------------------------------------------------------------------------------------
# Notifications


def test_the_list_shows_own_notifications_newest_first_with_unread_marked(users, client_for):
    note(users.owner, "Huyện Lạc Sơn giao việc: Việc thứ nhất", read=True)
    note(users.owner, "Huyện Lạc Sơn giao việc: Việc thứ hai")
    note(users.outsider, "Việc của Mai Châu")
    response = client_for(users.owner).get(reverse("work:notification_list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("Việc thứ hai") < body.index("Việc thứ nhất")
    assert "Việc của Mai Châu" not in body
    assert len(re.findall(r'class="notification notification-unread"', body)) == 1


def test_the_list_paginates(users, client_for):
    for i in range(35):
        note(users.owner, f"Thông báo số {i:02d}")
    client = client_for(users.owner)
    first = client.get(reverse("work:notification_list")).content.decode()
    assert "Thông báo số 34" in first and "Thông báo số 04" not in first
    second = client.get(reverse("work:notification_list") + "?page=2", **HTMX)
    text = second.content.decode()
    assert "Thông báo số 04" in text and "Thông báo số 34" not in text
    assert "<html" not in text  # an htmx fragment


def test_the_header_shows_the_unread_count(users, client_for):
    for i in range(3):
        note(users.owner, f"Chưa đọc {i}")
    note(users.owner, "Đã đọc", read=True)
    body = client_for(users.owner).get(reverse("work:preferences")).content.decode()
    assert '<span id="notification-count"><span class="badge badge-warn">3</span>' in body


def test_marking_one_read_with_htmx_returns_the_row_and_the_new_count(users, client_for):
    first = note(users.owner, "Một")
    note(users.owner, "Hai")
    response = client_for(users.owner).post(reverse("work:notification_read", args=[first.pk]), **HTMX)
    assert response.status_code == 200
    first.refresh_from_db()
    assert first.read_at is not None
    body = response.content.decode()
    assert f'id="notification-{first.pk}"' in body and "notification-unread" not in body
    assert 'hx-swap-oob="true"' in body and ">1</span>" in body


def test_marking_all_read_touches_only_own_notifications(users, client_for):
    note(users.owner, "Một")
    note(users.owner, "Hai")
    other = note(users.outsider, "Của người khác")
    response = client_for(users.owner).post(reverse("work:notification_read_all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(user=users.owner, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None


def test_another_users_notification_cannot_be_read_or_marked(users, client_for):
    other = note(users.outsider, "Của Mai Châu", url="/work/assignments/1/")
    client = client_for(users.owner)
    assert client.get(reverse("work:notification_open", args=[other.pk])).status_code == 404
    assert client.post(reverse("work:notification_read", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_opening_a_notification_marks_it_read_and_follows_its_link(users, client_for):
    n = note(users.owner, "Mở", url="/work/")
    response = client_for(users.owner).get(reverse("work:notification_open", args=[n.pk]))
    assert response.status_code == 302 and response["Location"] == "/work/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_opening_a_notification_never_redirects_off_site(users, client_for):
    n = note(users.owner, "Lạ", url="//evil.example/")
    response = client_for(users.owner).get(reverse("work:notification_open", args=[n.pk]))
    assert response["Location"] == reverse("work:notification_list")


def test_marking_read_needs_post(users, client_for):
    n = note(users.owner, "Một")
    assert client_for(users.owner).get(reverse("work:notification_read", args=[n.pk])).status_code == 405


# ---------------------------------------------------------------------------------------------------------
# Preferences


def test_preferences_show_the_defaults_and_save(users, client_for):
    client = client_for(users.owner)
    body = client.get(reverse("work:preferences")).content.decode()
    assert 'name="due_soon_days" value="3"' in body
    response = client.post(reverse("work:preferences"), {"in_app": "on", "due_soon_days": "7"})
    assert response.status_code == 302
    preference = WorkPreference.objects.get(user=users.owner)
    assert (preference.email_digest, preference.in_app, preference.due_soon_days) == (False, True, 7)


def test_preferences_refuse_a_window_too_long(users, client_for):
    response = client_for(users.owner).post(reverse("work:preferences"), {"due_soon_days": "99"})
    assert response.status_code == 400
    assert not WorkPreference.objects.filter(user=users.owner).exists()


# ---------------------------------------------------------------------------------------------------------
# Calendar feeds


def test_creating_a_feed_shows_its_address_once(users, client_for, client):
    c = client_for(users.owner)
    response = c.post(reverse("work:feed_list"), {"scope": "me"})
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    url = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', response.content.decode()).group(1)
    assert url.startswith("http://testserver/work/ical/") and url.endswith(".ics")
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert token not in c.get(reverse("work:feed_list")).content.decode()
    assert client.get(url.removeprefix("http://testserver")).status_code == 200
    feed = CalendarFeed.objects.get(user=users.owner)
    assert feed.unit is None


def test_a_unit_feed_is_created_for_the_current_unit(users, tree, client_for):
    c = client_for(users.viewer)
    response = c.post(reverse("work:feed_list"), {"scope": "unit", "unit": tree.district_a.pk})
    assert response.status_code == 201
    assert CalendarFeed.objects.get(user=users.viewer).unit == tree.district_a


def test_a_unit_feed_of_another_subtree_is_404(users, tree, client_for):
    c = client_for(users.owner)
    response = c.post(reverse("work:feed_list"), {"scope": "unit", "unit": tree.district_b.pk})
    assert response.status_code == 404
    assert c.post(reverse("work:feed_list"), {"scope": "unit", "unit": "x"}).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_the_list_shows_own_feeds_and_revoking_works(users, client_for, client):
    feed, token = calendars.feed_create(actor=users.owner)
    other, _ = calendars.feed_create(actor=users.outsider)
    c = client_for(users.owner)
    body = c.get(reverse("work:feed_list")).content.decode()
    assert reverse("work:feed_revoke", args=[feed.pk]) in body
    assert reverse("work:feed_revoke", args=[other.pk]) not in body

    assert c.post(reverse("work:feed_revoke", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None

    assert c.post(reverse("work:feed_revoke", args=[feed.pk])).status_code == 302
    feed.refresh_from_db()
    assert feed.revoked_at is not None
    assert client.get(reverse("work:feed_ics", args=[token])).status_code == 404


def test_the_ics_url_needs_no_session_and_refuses_writes(users, client):
    _feed, token = calendars.feed_create(actor=users.owner)
    url = reverse("work:feed_ics", args=[token])
    assert client.get(url).status_code == 200
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405
