"""Fixtures of the work page tests (imported with `*`): a plan of district A with a task assigned to its commune,
the same in the sibling district B, and a frozen clock.

Everything is made through the services, so the pages see the audit entries and derived fields real use makes."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from steerdesk.work import services

TODAY = datetime.date(2026, 3, 16)  # a Monday
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def freeze(day: datetime.date = TODAY, hour: int = 9):
    """Patch Django's clock (timezone.now, hence localdate) to `day` at `hour`:00 in Hà Nội."""
    return mock.patch.object(
        timezone, "now", return_value=datetime.datetime(day.year, day.month, day.day, hour, tzinfo=TZ)
    )


@pytest.fixture
def frozen():
    with freeze():
        yield TODAY


def make_plan(actor, unit, title="Kế hoạch thực hiện Nghị quyết 35 năm 2026"):
    return services.plan_create(
        actor=actor, unit=unit, data={"title": title, "period_kind": "year", "year": 2026}
    )


def make_task(actor, unit, *, plan=None, lead=None, title="Tổ chức hội nghị quán triệt", due=None, item="1"):
    data = {"title": title, "due_date": due or TODAY + datetime.timedelta(days=30)}
    if plan is not None:
        data["item_number"] = item
    return services.task_create(actor=actor, unit=unit, data=data, plan=plan, lead_units=lead)


@pytest.fixture
def work(tree, users, frozen):
    """District A's plan, with item 1 assigned to commune A1 (`assignment`)."""
    plan = make_plan(users.owner, tree.district_a)
    task = make_task(users.owner, tree.district_a, plan=plan, lead=[tree.commune_a1])
    return SimpleNamespace(plan=plan, task=task, assignment=task.assignments.get())


@pytest.fixture
def b_work(tree, users, frozen):
    """The same in district B (the outsider's own work): district A must get 404 on all of it."""
    plan = make_plan(users.outsider, tree.district_b, title="Kế hoạch của huyện Mai Châu")
    task = make_task(users.outsider, tree.district_b, plan=plan, title="Nhiệm vụ của huyện Mai Châu")
    return SimpleNamespace(plan=plan, task=task, assignment=task.assignments.get())


def assert_login_redirect(response):
    assert response.status_code == 302, response.status_code
    assert response["Location"].startswith("/accounts/login/")
