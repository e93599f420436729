"""The lists of work: my tasks, unit tasks (filters, sort, pages, bulk form, export link), board, month calendar,
timeline and roll-up; overdue highlighted; query budgets that do not grow with the number of tasks."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from steerdesk.orgs.tests.factories import OrgUnitFactory
from steerdesk.work.models import Assignment, Status
from steerdesk.work.views_lists import timeline_layout

from .factories import TaskFactory
from .view_fixtures import *  # noqa: F403
from .view_fixtures import TODAY, assert_login_redirect, make_task

pytestmark = pytest.mark.django_db

LISTS = ("my_tasks", "unit_tasks", "board", "calendar", "timeline", "rollup")


def url(name, *args):
    return reverse(f"work:{name}", args=args)


def test_anonymous_users_are_sent_to_login(client, work):
    for name in (*LISTS, "plan_list"):
        assert_login_redirect(client.get(url(name)))


def test_a_sibling_district_gets_404_for_another_units_lists(client_for, users, tree, work):
    client = client_for(users.outsider)
    for name in ("unit_tasks", "board", "calendar", "timeline", "rollup"):
        assert client.get(url(name), {"unit": tree.district_a.pk}).status_code == 404, name
    assert client.get(url("timeline"), {"plan": work.plan.pk}).status_code == 404


def test_lists_of_a_sibling_district_show_nothing_of_district_a(client_for, users, work, b_work):
    client = client_for(users.outsider)
    for name in LISTS:
        body = client.get(url(name)).content.decode()
        assert "quán triệt" not in body, name
        assert 'style="' not in body, name  # strict CSP: no inline styles
    assert "Nhiệm vụ của huyện Mai Châu" in client.get(url("unit_tasks")).content.decode()


def test_a_viewer_cannot_change_statuses_from_the_board(client_for, users, work):
    client = client_for(users.viewer)
    assert "Tổ chức hội nghị quán triệt" in client.get(url("board"), {"direction": "by"}).content.decode()
    response = client.post(
        url("assignment_bulk_status"), {"ids": [work.assignment.pk], "status": "in_progress"}
    )
    assert response.status_code == 403


def test_my_tasks_lists_the_work_of_my_units_with_overdue_highlighted(client_for, users, tree, work):
    make_task(users.owner, tree.district_a, title="Rà soát văn bản", due=TODAY - datetime.timedelta(days=2))
    body = client_for(users.owner).get(url("my_tasks")).content.decode()
    assert "Rà soát văn bản" in body and "14/03/2026" in body and "row-overdue" in body
    assert "Tổ chức hội nghị quán triệt" not in body  # assigned to the commune, not to the owner's unit
    body = client_for(users.owner).get(url("my_tasks"), {"status": "done"}).content.decode()
    assert "Rà soát văn bản" not in body


def test_unit_tasks_filter_by_direction_subtree_status_and_folded_text(client_for, users, tree, work):
    make_task(users.owner, tree.district_a, title="Kiểm tra công tác tuyên truyền", due=TODAY)
    client = client_for(users.owner)
    body = client.get(url("unit_tasks")).content.decode()
    assert "Kiểm tra công tác tuyên truyền" in body and "Tổ chức hội nghị" not in body
    body = client.get(url("unit_tasks"), {"subtree": "on"}).content.decode()
    assert "Kiểm tra công tác tuyên truyền" in body and "Tổ chức hội nghị" in body
    body = client.get(url("unit_tasks"), {"direction": "by", "q": "hoi nghi"}).content.decode()
    assert "Tổ chức hội nghị" in body and "Kiểm tra công tác" not in body
    body = client.get(url("unit_tasks"), {"subtree": "on", "status": "due_soon"}).content.decode()
    assert "Kiểm tra công tác tuyên truyền" in body and "Tổ chức hội nghị" not in body
    assert "row-due-soon" in body
    assert url("unit_tasks_export") + "?subtree=on&amp;status=due_soon" in body
    partial = client.get(url("unit_tasks"), {"subtree": "on"}, headers={"HX-Request": "true"})
    assert partial.content.decode().startswith('<div id="unit-results">')
    assert url("assignment_bulk_status") in partial.content.decode()


def test_unit_tasks_sort_and_paginate(client_for, users, tree, frozen):
    for i in range(55):
        TaskFactory(unit=tree.district_a, title=f"Việc {i:02d}", due_date=TODAY + datetime.timedelta(days=i))
    client = client_for(users.owner)
    first = client.get(url("unit_tasks"), {"order": "-due_date"}).content.decode()
    assert "Việc 54" in first and "Việc 00" not in first and "page=2" in first
    second = client.get(url("unit_tasks"), {"order": "-due_date", "page": 2}).content.decode()
    assert "Việc 00" in second and "Việc 54" not in second


def _many(tree, users, n):
    """`n` tasks of district A, each assigned to one of two communes (half overdue), plus a plan."""
    other = OrgUnitFactory(name="Xã Tân Mỹ", kind="commune", parent=tree.district_a)
    for i in range(n):
        TaskFactory(
            unit=tree.district_a,
            title=f"Nhiệm vụ {i}",
            due_date=TODAY + datetime.timedelta(days=(i % 2) * 20 - 5),
            assign_to=[tree.commune_a1 if i % 2 else other],
        )


@pytest.mark.parametrize("n", [5, 60])
def test_the_unit_task_list_runs_a_bounded_number_of_queries(
    client_for, users, tree, frozen, n, django_assert_max_num_queries
):
    _many(tree, users, n)
    client = client_for(users.owner)
    client.get(url("unit_tasks"))  # warm the session and content types
    with django_assert_max_num_queries(12):
        response = client.get(url("unit_tasks"), {"direction": "by"})
    assert response.content.decode().count('name="ids"') == min(n, 50)


@pytest.mark.parametrize("n", [5, 60])
def test_the_rollup_page_runs_a_bounded_number_of_queries(
    client_for, users, tree, frozen, n, django_assert_max_num_queries
):
    _many(tree, users, n)
    client = client_for(users.owner)
    client.get(url("rollup"))
    with django_assert_max_num_queries(14):
        response = client.get(url("rollup"), {"unit": tree.district_a.pk})
    body = response.content.decode()
    assert f"0 / {n}" in body  # the total row


def test_the_rollup_counts_per_child_unit_and_drills_down(client_for, users, tree, work):
    make_task(
        users.owner,
        tree.district_a,
        lead=[tree.commune_a1],
        title="Quá hạn",
        due=TODAY - datetime.timedelta(1),
    )
    Assignment.objects.filter(pk=work.assignment.pk).update(status=Status.DONE, result="Xong", percent=100)
    client = client_for(users.owner)
    body = client.get(url("rollup")).content.decode()
    assert "Xã Vũ Bình" in body and "1 / 2" in body and 'class="late-count">1<' in body
    assert f"{url('rollup')}?unit={tree.commune_a1.pk}" in body
    drilled = client.get(url("rollup"), {"unit": tree.commune_a1.pk}).content.decode()
    assert "1 / 2" in drilled
    assert "1 / 2" not in client.get(url("rollup"), {"year": 2025}).content.decode()


def test_the_board_has_four_columns_and_highlights_overdue_cards(client_for, users, tree, work):
    make_task(
        users.owner,
        tree.district_a,
        lead=[tree.commune_a1],
        title="Việc trễ",
        due=TODAY - datetime.timedelta(3),
    )
    body = client_for(users.owner).get(url("board"), {"direction": "by"}).content.decode()
    assert body.count('class="board-column') == 4
    assert "card-overdue" in body and "Việc trễ" in body
    assert body.count(url("assignment_bulk_status")) == 2  # one status form per card


def test_the_calendar_shows_the_month_with_work_on_due_dates_and_today(client_for, users, tree, work):
    make_task(users.owner, tree.district_a, title="Nộp báo cáo quý", due=datetime.date(2026, 3, 20))
    client = client_for(users.owner)
    body = client.get(url("calendar")).content.decode()
    with translation.override("vi"):
        assert str(translation.pgettext("weekday", "Mon")) in body
    assert "03/2026" in body and "Nộp báo cáo quý" in body
    assert body.count('class="day today"') + body.count("today") >= 1 and "day today" in body
    assert "month=2026-02" in body and "month=2026-04" in body
    april = client.get(url("calendar"), {"month": "2026-04", "direction": "by"}).content.decode()
    assert "Tổ chức hội nghị quán triệt" in april  # due 15/04, assigned by the district
    assert client.get(url("calendar"), {"month": "garbage"}).status_code == 200


def test_the_timeline_draws_bars_for_a_plan(client_for, users, work):
    body = client_for(users.owner).get(url("timeline"), {"plan": work.plan.pk}).content.decode()
    assert "<svg" in body and "bar bar-not_started" in body and "Tổ chức hội nghị quán triệt" in body
    assert 'style="' not in body


def test_timeline_layout_places_bars_between_start_and_due(tree, users, frozen):
    early = make_task(users.owner, tree.district_a, title="A", due=datetime.date(2026, 3, 31))
    late = make_task(users.owner, tree.district_a, title="B", due=datetime.date(2026, 6, 30))
    layout = timeline_layout([early, late], TODAY)
    assert [m.label for m in layout.months] == ["03/2026", "04/2026", "05/2026", "06/2026"]
    a, b = layout.bars
    assert a.x == b.x  # both start today (created today, no start date)
    assert layout.label_width < a.x < a.x + a.width < b.x + b.width <= layout.width + 0.1
    assert layout.today_x == a.x
