"""The daily reminder digest: who hears, once per local day, in both channels, and the scheduler."""

from __future__ import annotations

import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from steerdesk.accounts.tests.factories import RoleGrantFactory, UserFactory
from steerdesk.core.scope import forget_grants
from steerdesk.orgs.tests.factories import PersonFactory
from steerdesk.work import services
from steerdesk.work.models import DigestSent, Notification, WorkPreference
from steerdesk.work.reminders import build_digests, send_digests, send_due_digests
from steerdesk.work.scheduler import DailyScheduler

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 16)  # a Monday
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def make_task(actor, unit, title, due, **kwargs):
    return services.task_create(actor=actor, unit=unit, data={"title": title, "due_date": due}, **kwargs)


def recipients():
    return sorted(address for message in mail.outbox for address in message.to)


@pytest.fixture
def due_tomorrow(tree, users):
    """District A's own task, due tomorrow: its secretary (owner) and admin hear about it."""
    return make_task(
        users.owner, tree.district_a, "Tổ chức học tập Nghị quyết 35-NQ/TW", TODAY.replace(day=17)
    )


def test_running_twice_sends_each_email_once(due_tomorrow, users):
    first = send_digests(today=TODAY)
    assert recipients() == sorted([users.owner.email, users.admin.email])
    assert first.sent == 2

    second = send_digests(today=TODAY)
    assert len(mail.outbox) == 2
    assert second.sent == 0 and second.already_done == 2
    assert DigestSent.objects.filter(date=TODAY).count() == 2


def test_the_background_task_run_twice_sends_once(due_tomorrow, users, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    send_due_digests.enqueue(TODAY.isoformat())
    send_due_digests.enqueue(TODAY.isoformat())
    assert recipients() == sorted([users.owner.email, users.admin.email])


def test_the_mail_lists_the_work_with_absolute_links_and_an_html_part(due_tomorrow, users, settings):
    settings.STEERDESK_BASE_URL = "https://steerdesk.example.gov.vn/"
    send_digests(today=TODAY)
    message = next(m for m in mail.outbox if m.to == [users.owner.email])
    assignment = due_tomorrow.assignments.get()
    link = f"https://steerdesk.example.gov.vn/work/assignments/{assignment.pk}/"
    assert "Tổ chức học tập Nghị quyết 35-NQ/TW" in message.body
    assert link in message.body
    assert "17/03/2026" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{link}"' in html
    assert "Tổ chức học tập Nghị quyết 35-NQ/TW" in html
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_a_user_with_the_digest_off_gets_no_mail_but_still_the_notification(due_tomorrow, users):
    WorkPreference.objects.create(user=users.owner, email_digest=False)
    send_digests(today=TODAY)
    assert recipients() == [users.admin.email]
    assert Notification.objects.filter(user=users.owner, kind="due_soon").count() == 1


def test_in_app_off_gets_mail_but_no_notification(due_tomorrow, users):
    WorkPreference.objects.create(user=users.owner, in_app=False)
    send_digests(today=TODAY)
    assert users.owner.email in recipients()
    assert not Notification.objects.filter(user=users.owner).exists()


def test_a_user_without_an_address_gets_only_the_notification(due_tomorrow, users):
    users.admin.email = ""
    users.admin.save(update_fields=["email"])
    send_digests(today=TODAY)
    assert recipients() == [users.owner.email]
    assert Notification.objects.filter(user=users.admin, kind="due_soon").count() == 1


def test_nothing_due_sends_nothing(tree, users):
    make_task(users.owner, tree.district_a, "Còn lâu mới đến hạn", TODAY + datetime.timedelta(days=10))
    done = make_task(users.owner, tree.district_a, "Đã xong từ trước", TODAY - datetime.timedelta(days=5))
    services.assignments_bulk_status(
        actor=users.owner, assignment_ids=[done.assignments.get().pk], status="done", result="Đã báo cáo"
    )
    summary = send_digests(today=TODAY)
    assert mail.outbox == []
    assert summary.recipients == 0
    assert not DigestSent.objects.exists()
    assert not Notification.objects.filter(kind__in=["due_soon", "overdue"]).exists()


def test_the_window_follows_each_users_due_soon_days(tree, users):
    make_task(users.owner, tree.district_a, "Hạn sau năm ngày", TODAY + datetime.timedelta(days=5))
    WorkPreference.objects.create(user=users.admin, due_soon_days=7)
    send_digests(today=TODAY)
    assert recipients() == [users.admin.email]  # the owner keeps the default 3 days


def test_overdue_and_due_soon_are_grouped(tree, users):
    make_task(users.owner, tree.district_a, "Việc quá hạn", TODAY - datetime.timedelta(days=2))
    make_task(users.owner, tree.district_a, "Việc sắp đến hạn", TODAY + datetime.timedelta(days=1))
    digest = next(d for d in build_digests(today=TODAY) if d.user == users.owner)
    assert [a.task.title for a in digest.overdue] == ["Việc quá hạn"]
    assert [a.task.title for a in digest.due_soon] == ["Việc sắp đến hạn"]
    send_digests(today=TODAY)
    body = next(m for m in mail.outbox if m.to == [users.owner.email]).body
    assert body.index("Việc quá hạn") < body.index("Việc sắp đến hạn")


def test_assignee_secretaries_hear_and_the_assigning_unit_does_not(tree, users):
    province_secretary = UserFactory(username="prov")
    RoleGrantFactory(user=province_secretary, unit=tree.province, role="secretary")
    make_task(province_secretary, tree.province, "Báo cáo sơ kết", TODAY, lead_units=[tree.district_a])
    send_digests(today=TODAY)
    assert recipients() == sorted([users.owner.email, users.admin.email])
    assert users.outsider.email not in recipients()


def test_a_responsible_person_hears_only_while_in_scope(due_tomorrow, tree, users):
    person = PersonFactory(home_unit=tree.district_a, full_name="Nguyễn Thị Minh Khai")
    responsible = UserFactory(username="khai", person=person)
    due_tomorrow.responsible.add(person)  # responsible for the task: hears about its assignments
    send_digests(today=TODAY)
    assert responsible.email not in recipients()  # no grant: the work is out of their scope

    RoleGrantFactory(user=responsible, unit=tree.district_a, role="member")
    forget_grants(responsible)
    send_digests(today=TODAY + datetime.timedelta(days=1))
    assert responsible.email in recipients()


def test_a_cancelled_task_is_not_reminded(due_tomorrow, users):
    services.task_cancel(actor=users.owner, task=due_tomorrow, expected_version=due_tomorrow.version)
    send_digests(today=TODAY)
    assert mail.outbox == []


def _local(day: datetime.date, hour: int, minute: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=HCM)


def test_due_today_is_due_soon_at_2330_and_overdue_at_0030_the_next_day(tree, users):
    task = make_task(users.owner, tree.district_a, "Nộp báo cáo quý I", TODAY)
    assignment = task.assignments.get()

    with mock.patch("django.utils.timezone.now", return_value=_local(TODAY, 23, 30)):
        send_digests()
    assert DigestSent.objects.filter(date=TODAY).count() == 2
    kinds = list(Notification.objects.filter(user=users.owner).values_list("kind", flat=True))
    assert kinds == ["due_soon"]
    assert assignment.is_overdue(TODAY) is False

    with mock.patch(
        "django.utils.timezone.now", return_value=_local(TODAY + datetime.timedelta(days=1), 0, 30)
    ):
        send_digests()
    assert DigestSent.objects.filter(date=TODAY + datetime.timedelta(days=1)).count() == 2
    assert set(Notification.objects.filter(user=users.owner).values_list("kind", flat=True)) == {
        "due_soon",
        "overdue",
    }
    owner_mails = [m for m in mail.outbox if m.to == [users.owner.email]]
    assert len(owner_mails) == 2
    first, second = owner_mails
    digest_day_one = build_digests(today=TODAY)[0]
    assert digest_day_one.overdue == [] and digest_day_one.due_soon == [assignment]
    assert "16/03/2026" in first.subject and "17/03/2026" in second.subject


def test_notifications_are_not_repeated_the_same_day_nor_while_unread(due_tomorrow, users):
    send_digests(today=TODAY)
    DigestSent.objects.all().delete()  # as if the day's claims were lost: the notifications still hold
    send_digests(today=TODAY)
    assert Notification.objects.filter(user=users.owner, kind="due_soon").count() == 1

    send_digests(today=TODAY + datetime.timedelta(days=1))  # still unread: no second one
    assert Notification.objects.filter(user=users.owner, kind="due_soon").count() == 1

    services.notification_mark_read(user=users.owner)
    with mock.patch(
        "django.utils.timezone.now", return_value=_local(TODAY + datetime.timedelta(days=2), 7, 0)
    ):
        send_digests(today=TODAY + datetime.timedelta(days=2))
    assert Notification.objects.filter(user=users.owner, kind="overdue").count() == 1


def test_a_failed_send_releases_the_claim_and_the_next_run_retries(due_tomorrow, users):
    with mock.patch(
        "django.core.mail.EmailMultiAlternatives.send", side_effect=ConnectionRefusedError("mail down")
    ):
        summary = send_digests(today=TODAY)
    assert summary.failed == 2 and summary.sent == 0
    assert not DigestSent.objects.exists()
    assert mail.outbox == []

    summary = send_digests(today=TODAY)
    assert summary.sent == 2
    assert recipients() == sorted([users.owner.email, users.admin.email])
    assert Notification.objects.filter(user=users.owner, kind="due_soon").count() == 1


def test_inactive_users_hear_nothing(due_tomorrow, users):
    users.admin.is_active = False
    users.admin.save(update_fields=["is_active"])
    send_digests(today=TODAY)
    assert recipients() == [users.owner.email]


def test_the_command_sends_for_the_given_date(due_tomorrow, users, capsys):
    call_command("send_reminders", "--date", "2026-03-16")
    assert len(mail.outbox) == 2
    assert "16/03/2026: 2 e-mail(s) sent" in capsys.readouterr().out
    call_command("send_reminders", "--date", "2026-03-16")
    assert len(mail.outbox) == 2
    with pytest.raises(CommandError):
        call_command("send_reminders", "--date", "16/03/2026")


# ---------------------------------------------------------------------------------------------------------
# The scheduler of `steerdesk worker`


def test_the_scheduler_runs_once_a_day_at_the_hour():
    runs = []
    scheduler = DailyScheduler(hour=7, job=lambda: runs.append(1))
    assert scheduler.tick(_local(TODAY, 6, 59)) is False
    assert scheduler.tick(_local(TODAY, 7, 0)) is True
    assert scheduler.tick(_local(TODAY, 7, 1)) is False
    assert scheduler.tick(_local(TODAY, 23, 59)) is False
    assert scheduler.tick(_local(TODAY + datetime.timedelta(days=1), 0, 30)) is False
    assert scheduler.tick(_local(TODAY + datetime.timedelta(days=1), 7, 0)) is True
    assert len(runs) == 2


def test_a_scheduler_started_after_the_hour_catches_up_and_retries_a_failure():
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("database busy")

    scheduler = DailyScheduler(hour=7, job=flaky)
    assert scheduler.tick(_local(TODAY, 15, 0)) is False  # failed: not marked done
    assert scheduler.tick(_local(TODAY, 15, 1)) is True
    assert scheduler.tick(_local(TODAY, 15, 2)) is False
    assert len(attempts) == 2


def test_the_scheduler_enqueues_the_digest_task(due_tomorrow, users, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.STEERDESK_DIGEST_HOUR = 7
    scheduler = DailyScheduler(hour=7)
    with mock.patch("django.utils.timezone.now", return_value=_local(TODAY, 7, 0)):
        assert scheduler.tick() is True
    assert recipients() == sorted([users.owner.email, users.admin.email])
