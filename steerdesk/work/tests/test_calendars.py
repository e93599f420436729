"""ICS calendar feeds: secret token URLs, revocation, content computed with the user's current scope."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.urls import reverse
from icalendar import Calendar

from steerdesk.accounts.models import RoleGrant
from steerdesk.core.models import AuditEntry
from steerdesk.work import calendars, services
from steerdesk.work.models import CalendarFeed, local_today

pytestmark = pytest.mark.django_db

DUE = local_today() + datetime.timedelta(days=4)  # ahead of today, whenever the tests run
TITLE_A = "Tổ chức học tập, quán triệt Nghị quyết số 35-NQ/TW ngày 22/10/2018"
TITLE_B = "Sơ kết công tác ở huyện Mai Châu"


@pytest.fixture
def work(tree, users):
    """A task of district A (assigned to itself), one of district B, and one the province gave district A."""
    from steerdesk.accounts.tests.factories import RoleGrantFactory, UserFactory

    a = services.task_create(
        actor=users.owner, unit=tree.district_a, data={"title": TITLE_A, "due_date": DUE}
    )
    b = services.task_create(
        actor=users.outsider, unit=tree.district_b, data={"title": TITLE_B, "due_date": DUE}
    )
    province = UserFactory(username="province_secretary")
    RoleGrantFactory(user=province, unit=tree.province, role="secretary")
    given = services.task_create(
        actor=province,
        unit=tree.province,
        data={"title": "Báo cáo kết quả thực hiện", "due_date": DUE + datetime.timedelta(days=3)},
        lead_units=[tree.district_a, tree.district_b],
    )
    return {"a": a, "b": b, "given": given, "province": province}


def fetch(client, token):
    return client.get(reverse("work:feed_ics", args=[token]))


def events(response):
    calendar = Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_a_user_feed_parses_with_the_users_work(work, users, client):
    feed, token = calendars.feed_create(actor=users.owner)
    response = fetch(client, token)  # anonymous client: the token is the credential
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response["Cache-Control"]

    found = events(response)
    a = work["a"].assignments.get()
    given_a = work["given"].assignments.get(unit__name="Huyện Lạc Sơn")
    assert set(found) == {f"assignment-{a.pk}@steerdesk", f"assignment-{given_a.pk}@steerdesk"}
    event = found[f"assignment-{a.pk}@steerdesk"]
    assert str(event["SUMMARY"]) == f"[Huyện Lạc Sơn] {TITLE_A}"  # Vietnamese intact, NFC
    assert event.decoded("DTSTART") == DUE  # an all-day event on the due date
    assert event.decoded("DTEND") == DUE + datetime.timedelta(days=1)
    assert "DTSTAMP" in event
    assert str(event["URL"]).endswith(f"/work/assignments/{a.pk}/")
    assert f"{DUE:%d/%m/%Y}" in str(event["DESCRIPTION"])


def test_overdue_work_is_flagged_in_the_summary(work, users):
    feed, _token = calendars.feed_create(actor=users.owner)
    later = DUE + datetime.timedelta(days=1)
    calendar = Calendar.from_ical(calendars.render_ics(feed, today=later))
    summaries = sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT"))
    assert summaries == ["[Huyện Lạc Sơn] Báo cáo kết quả thực hiện", f"⚠ [Huyện Lạc Sơn] {TITLE_A}"]


def test_only_the_hash_of_the_token_is_stored(users):
    feed, token = calendars.feed_create(actor=users.owner)
    assert len(token) >= 43
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not CalendarFeed.objects.filter(token_hash=token).exists()
    assert AuditEntry.objects.filter(object_id=str(feed.pk), action="create").exists()


def test_a_revoked_or_unknown_token_gets_404(work, users, client):
    feed, token = calendars.feed_create(actor=users.owner)
    assert fetch(client, token).status_code == 200
    calendars.feed_revoke(actor=users.owner, pk=feed.pk)
    assert fetch(client, token).status_code == 404
    assert fetch(client, "x" * 43).status_code == 404
    assert fetch(client, token[:-1]).status_code == 404
    assert client.get("/work/ical/short.ics").status_code == 404


def test_a_deactivated_user_feed_gets_404(work, users, client):
    _feed, token = calendars.feed_create(actor=users.owner)
    users.owner.is_active = False
    users.owner.save(update_fields=["is_active"])
    assert fetch(client, token).status_code == 404


def test_another_users_feed_does_not_leak_scope(work, users, client):
    _feed, token_b = calendars.feed_create(actor=users.outsider)
    body = fetch(client, token_b).content.decode()
    assert TITLE_B in body
    assert TITLE_A not in body
    assert "Huyện Lạc Sơn" not in body  # the province's task to district A stays out too

    _feed, token_a = calendars.feed_create(actor=users.owner)
    body = fetch(client, token_a).content.decode()
    assert TITLE_B not in body and "Mai Châu" not in body


def test_a_user_who_lost_the_grant_sees_nothing(work, users, client):
    _feed, token = calendars.feed_create(actor=users.owner)
    RoleGrant.objects.filter(user=users.owner).delete()
    response = fetch(client, token)
    assert response.status_code == 200
    assert events(response) == {}


def test_a_unit_feed_shows_the_work_assigned_to_the_unit(work, users, tree, client):
    feed, token = calendars.feed_create(actor=users.viewer, unit=tree.district_a)
    found = events(fetch(client, token))
    ids = [*work["a"].assignments.values_list("pk", flat=True)]
    ids += work["given"].assignments.filter(unit=tree.district_a).values_list("pk", flat=True)
    expected = {f"assignment-{pk}@steerdesk" for pk in ids}
    assert set(found) == expected
    calendar = Calendar.from_ical(fetch(client, token).content)
    assert "Huyện Lạc Sơn" in str(calendar["X-WR-CALNAME"])


def test_a_unit_feed_of_a_unit_out_of_scope_cannot_be_created(users, tree):
    from django.http import Http404

    with pytest.raises(Http404):
        calendars.feed_create(actor=users.owner, unit=tree.district_b)


def test_a_unit_feed_is_empty_once_the_unit_is_out_of_scope(work, users, tree, client):
    _feed, token = calendars.feed_create(actor=users.viewer, unit=tree.district_a)
    RoleGrant.objects.filter(user=users.viewer).delete()
    assert events(fetch(client, token)) == {}


def test_cancelled_work_leaves_the_feed_and_done_work_is_marked(work, users, client):
    _feed, token = calendars.feed_create(actor=users.owner)
    given_a = work["given"].assignments.get(unit__name="Huyện Lạc Sơn")
    services.assignments_bulk_status(
        actor=users.owner, assignment_ids=[given_a.pk], status="done", result="Xong"
    )
    services.task_cancel(actor=users.owner, task=work["a"], expected_version=work["a"].version)
    found = events(fetch(client, token))
    assert set(found) == {f"assignment-{given_a.pk}@steerdesk"}
    assert str(found[f"assignment-{given_a.pk}@steerdesk"]["SUMMARY"]).startswith("✓ ")


def test_fetching_records_last_use(work, users, client):
    feed, token = calendars.feed_create(actor=users.owner)
    assert feed.last_used_at is None
    fetch(client, token)
    feed.refresh_from_db()
    assert feed.last_used_at is not None


def test_a_feed_of_another_user_cannot_be_revoked(users):
    from django.http import Http404

    feed, _token = calendars.feed_create(actor=users.owner)
    with pytest.raises(Http404):
        calendars.feed_revoke(actor=users.outsider, pk=feed.pk)
    feed.refresh_from_db()
    assert feed.revoked_at is None
