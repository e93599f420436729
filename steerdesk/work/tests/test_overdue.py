"""Overdue (quá hạn) is measured in Asia/Ho_Chi_Minh, and deadlines given in working days land on the right date.

23:30 in Hà Nội is 16:30 UTC and 00:30 the next morning is 17:30 UTC: both instants fall on the same UTC day, so
a computation done in UTC could not tell them apart. Every place that decides "overdue" — `overdue_q`, the
models' `is_overdue`, the roll-up's `late`, the task and assignment lists' "overdue" filter — must agree."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from steerdesk.work import selectors, services, workdays
from steerdesk.work.models import Assignment, Status, Task, WorkdayOverride, local_today, overdue_q

from .work_fixtures import *  # noqa: F403

D = datetime.date
DUE = D(2026, 3, 16)
UTC = datetime.UTC


def at_utc(*args) -> mock._patch:
    """Freeze Django's clock (`timezone.now`, hence `localdate`) at a UTC instant."""
    return mock.patch.object(timezone, "now", return_value=datetime.datetime(*args, tzinfo=UTC))


def overdue_everywhere(user, unit, task: Task, assignment: Assignment) -> dict[str, bool]:
    """What each overdue rule says about the task and its assignment "now" (no `today` passed anywhere)."""
    task.refresh_from_db()
    assignment.refresh_from_db()
    return {
        "overdue_q task": Task.objects.filter(overdue_q(), pk=task.pk).exists(),
        "overdue_q assignment": Assignment.objects.filter(overdue_q(), pk=assignment.pk).exists(),
        "Task.is_overdue": task.is_overdue(),
        "Assignment.is_overdue": assignment.is_overdue(),
        "rollup late": selectors.rollup(user=user, unit=unit).total.late == 1,
        "task_rollup late": selectors.task_rollup(user=user, task=task).total.late == 1,
        "task_list overdue": selectors.task_list(user=user, status="overdue").filter(pk=task.pk).exists(),
        "assignment_list overdue": selectors.assignment_list(user=user, unit=unit, status="overdue")
        .filter(pk=assignment.pk)
        .exists(),
        "my_assignments overdue": selectors.my_assignments(user=user, status="overdue")
        .filter(pk=assignment.pk)
        .exists(),
    }


@pytest.fixture
def due_today(tree, users):
    task = services.task_create(
        actor=users.owner, unit=tree.district_a, data={"title": "Nộp báo cáo quý", "due_date": DUE}
    )
    return task, task.assignments.get()


def test_the_configured_time_zone_is_ho_chi_minh(settings):
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"
    with at_utc(2026, 3, 16, 16, 30):
        assert local_today() == D(2026, 3, 16)
    with at_utc(2026, 3, 16, 17, 30):
        assert local_today() == D(2026, 3, 17)


def test_work_due_today_is_not_overdue_at_half_past_eleven_at_night(tree, users, due_today):
    task, assignment = due_today
    with at_utc(2026, 3, 16, 16, 30):  # 23:30 in Hà Nội, 16/03
        answers = overdue_everywhere(users.owner, tree.district_a, task, assignment)
    assert answers == dict.fromkeys(answers, False)


def test_work_due_today_is_overdue_half_an_hour_after_midnight(tree, users, due_today):
    task, assignment = due_today
    with at_utc(2026, 3, 16, 17, 30):  # 00:30 in Hà Nội, 17/03 — still 16/03 in UTC
        answers = overdue_everywhere(users.owner, tree.district_a, task, assignment)
    assert answers == dict.fromkeys(answers, True)


def test_finished_work_is_never_overdue(tree, users, due_today):
    task, assignment = due_today
    services.assignment_report(
        actor=users.owner,
        assignment=assignment,
        expected_version=assignment.version,
        percent=100,
        result="Đã nộp",
    )
    with at_utc(2026, 4, 1, 3, 0):
        answers = overdue_everywhere(users.owner, tree.district_a, task, assignment)
    assert answers == dict.fromkeys(answers, False)


def test_due_soon_is_counted_in_local_days_too(tree, users, due_today):
    task, _assignment = due_today
    with at_utc(2026, 3, 9, 16, 30):  # 23:30 on 09/03 local: the due date is 7 days away
        assert selectors.task_list(user=users.owner, status="due_soon").filter(pk=task.pk).exists()
    with at_utc(2026, 3, 8, 17, 30):  # 00:30 on 09/03 local as well
        assert selectors.task_list(user=users.owner, status="due_soon").filter(pk=task.pk).exists()
    with at_utc(2026, 3, 8, 16, 30):  # 23:30 on 08/03 local: 8 days away
        assert not selectors.task_list(user=users.owner, status="due_soon").filter(pk=task.pk).exists()


# ---------------------------------------------------------------------------------------------------------
# Deadlines in working days


@pytest.fixture(autouse=True)
def fresh_calendar():
    workdays.forget_overrides()
    yield
    workdays.forget_overrides()


def test_five_working_days_from_the_friday_before_tet_is_the_friday_after(tree, users):
    """Friday 13/02/2026 + 5 working days: Tết holidays Monday 16 – Friday 20/02/2026 are skipped, then
    Monday 23 … Friday 27/02/2026."""
    task = services.task_create(
        actor=users.owner,
        unit=tree.district_a,
        data={"title": "Xử lý văn bản đến", "start_date": D(2026, 2, 13), "due_working_days": 5},
    )
    assert (task.due_date, task.due_working_days) == (D(2026, 2, 27), 5)
    assert task.assignments.get().due_date == D(2026, 2, 27)


def test_working_days_count_from_today_in_ho_chi_minh_without_a_start_date(tree, users):
    with at_utc(2026, 2, 12, 17, 30):  # 00:30 on Friday 13/02 in Hà Nội, still Thursday in UTC
        task = services.task_create(
            actor=users.owner,
            unit=tree.district_a,
            data={"title": "Trả lời kiến nghị", "due_working_days": 5},
        )
    assert task.due_date == D(2026, 2, 27)


def test_an_override_moves_the_deadline(tree, users):
    WorkdayOverride.objects.create(date=D(2026, 2, 23), is_working_day=False, note="Nghỉ bù")
    task = services.task_create(
        actor=users.owner,
        unit=tree.district_a,
        data={"title": "Xử lý văn bản đến", "start_date": D(2026, 2, 13), "due_working_days": 5},
    )
    assert task.due_date == D(2026, 3, 2)


def test_changing_the_working_days_moves_the_task_and_the_assignments_that_followed_it(tree, users):
    task = services.task_create(
        actor=users.owner,
        unit=tree.district_a,
        data={"title": "Xử lý văn bản đến", "start_date": D(2026, 2, 13), "due_working_days": 5},
    )
    services.task_update(
        actor=users.owner, task=task, expected_version=task.version, data={"due_working_days": 1}
    )
    assert task.due_date == D(2026, 2, 23)
    assert task.assignments.get().due_date == D(2026, 2, 23)
    services.task_update(
        actor=users.owner, task=task, expected_version=task.version, data={"start_date": D(2026, 2, 23)}
    )
    assert task.due_date == D(2026, 2, 24)
    assert task.assignments.get().due_date == D(2026, 2, 24)
    assert task.assignments.get().status == Status.NOT_STARTED
