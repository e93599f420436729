"""API of plans, tasks, assignments, reports, roll-ups and notifications: permissions (401 anonymous, 404
outside scope, 403 read-only), the plan → task → cascade → report → roll-up journey, 409 on stale versions,
no mass assignment, and a query budget on the assignment list that does not grow with the rows."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from steerdesk.accounts.tests.factories import RoleGrantFactory, UserFactory
from steerdesk.core.models import AuditEntry
from steerdesk.orgs.tests.factories import OrgUnitFactory, PersonFactory
from steerdesk.work import services
from steerdesk.work.models import Assignment, Notification, Plan, ProgressReport, Status, Task, local_today

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_for(db):
    def make(user=None):
        client = APIClient()
        client.cookies["steerdesk_language"] = "en"
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def communes(tree):
    """A second commune of district A, and a secretary of each commune."""
    commune_a2 = OrgUnitFactory(name="Xã Tân Lập", kind="commune", parent=tree.district_a)
    sec_a1 = UserFactory(username="sec-vubinh")
    RoleGrantFactory(user=sec_a1, unit=tree.commune_a1, role="secretary")
    sec_a2 = UserFactory(username="sec-tanlap")
    RoleGrantFactory(user=sec_a2, unit=commune_a2, role="secretary")
    return SimpleNamespace(a1=tree.commune_a1, a2=commune_a2, sec_a1=sec_a1, sec_a2=sec_a2)


@pytest.fixture
def work(tree, users, communes):
    """A plan of district A with one task cascaded to both communes."""
    plan = services.plan_create(
        actor=users.owner,
        unit=tree.district_a,
        data={"title": "Kế hoạch năm 2026", "period_kind": "year", "year": 2026},
    )
    task = services.task_create(
        actor=users.owner,
        unit=tree.district_a,
        plan=plan,
        data={"title": "Tuyên truyền Nghị quyết 35", "due_date": local_today() + datetime.timedelta(days=30)},
    )
    services.task_cascade(actor=users.owner, task=task, units=[communes.a1, communes.a2])
    a1 = Assignment.objects.get(task=task, unit=communes.a1)
    a2 = Assignment.objects.get(task=task, unit=communes.a2)
    return SimpleNamespace(plan=plan, task=task, a1=a1, a2=a2)


@pytest.fixture
def b_work(tree, users):
    """District B's own plan, task and assignment (out of district A's scope)."""
    plan = services.plan_create(
        actor=users.outsider,
        unit=tree.district_b,
        data={"title": "Kế hoạch Mai Châu", "period_kind": "year", "year": 2026},
    )
    task = services.task_create(
        actor=users.outsider, unit=tree.district_b, plan=plan, data={"title": "Việc của Mai Châu"}
    )
    return SimpleNamespace(plan=plan, task=task, assignment=task.assignments.get())


def _ids(response):
    return [row["id"] for row in response.json()["results"]]


# ---------------------------------------------------------------------------------------------------------
# Permissions


def test_anonymous_users_get_401_everywhere(api_for, work):
    client = api_for()
    urls = [
        ("get", "/api/v1/plans/"),
        ("post", "/api/v1/plans/"),
        ("get", f"/api/v1/plans/{work.plan.pk}/"),
        ("patch", f"/api/v1/plans/{work.plan.pk}/"),
        ("post", f"/api/v1/plans/{work.plan.pk}/adopt/"),
        ("get", "/api/v1/tasks/"),
        ("post", "/api/v1/tasks/"),
        ("get", f"/api/v1/tasks/{work.task.pk}/"),
        ("post", f"/api/v1/tasks/{work.task.pk}/cascade/"),
        ("get", f"/api/v1/tasks/{work.task.pk}/rollup/"),
        ("post", "/api/v1/tasks/from-routing/"),
        ("get", "/api/v1/assignments/"),
        ("get", f"/api/v1/assignments/{work.a1.pk}/"),
        ("post", f"/api/v1/assignments/{work.a1.pk}/report/"),
        ("get", f"/api/v1/assignments/{work.a1.pk}/reports/"),
        ("post", "/api/v1/assignments/bulk-status/"),
        ("get", "/api/v1/rollup/"),
        ("get", "/api/v1/notifications/"),
        ("post", "/api/v1/notifications/read-all/"),
    ]
    for method, url in urls:
        response = getattr(client, method)(url, {}, format="json")
        assert response.status_code == 401, f"{method} {url} → {response.status_code}"
    assert Plan.objects.count() == 1 and ProgressReport.objects.count() == 0


def test_an_outsider_gets_404_for_every_object_and_sees_nothing_in_lists(api_for, users, tree, work):
    client = api_for(users.outsider)
    for method, url in [
        ("get", f"/api/v1/plans/{work.plan.pk}/"),
        ("patch", f"/api/v1/plans/{work.plan.pk}/"),
        ("post", f"/api/v1/plans/{work.plan.pk}/adopt/"),
        ("post", f"/api/v1/plans/{work.plan.pk}/close/"),
        ("get", f"/api/v1/tasks/{work.task.pk}/"),
        ("put", f"/api/v1/tasks/{work.task.pk}/"),
        ("post", f"/api/v1/tasks/{work.task.pk}/cascade/"),
        ("post", f"/api/v1/tasks/{work.task.pk}/cancel/"),
        ("get", f"/api/v1/tasks/{work.task.pk}/rollup/"),
        ("get", f"/api/v1/assignments/{work.a1.pk}/"),
        ("post", f"/api/v1/assignments/{work.a1.pk}/report/"),
        ("get", f"/api/v1/assignments/{work.a1.pk}/reports/"),
        ("post", f"/api/v1/assignments/{work.a1.pk}/split/"),
    ]:
        response = getattr(client, method)(url, {"version": 1, "percent": 50}, format="json")
        assert response.status_code == 404, f"{method} {url} → {response.status_code}"
    assert _ids(client.get("/api/v1/plans/")) == []
    assert _ids(client.get("/api/v1/tasks/")) == []
    assert _ids(client.get("/api/v1/assignments/")) == []
    # Ids of district A in a body or a filter are refused like unknown ids.
    response = client.post(
        "/api/v1/assignments/bulk-status/", {"ids": [work.a1.pk], "status": "in_progress"}, format="json"
    )
    assert response.status_code == 400 and "ids" in response.json()
    assert client.get("/api/v1/rollup/", {"unit": tree.district_a.pk}).status_code == 400
    assert client.get("/api/v1/plans/", {"unit": tree.district_a.pk}).status_code == 400
    assert Assignment.objects.get(pk=work.a1.pk).status == Status.NOT_STARTED


def test_an_assignee_sees_its_own_assignment_and_task_but_not_its_sibling(api_for, communes, work):
    client = api_for(communes.sec_a1)
    assert _ids(client.get("/api/v1/assignments/")) == [work.a1.pk]
    assert client.get(f"/api/v1/assignments/{work.a2.pk}/").status_code == 404
    assert client.get(f"/api/v1/tasks/{work.task.pk}/").status_code == 200
    # It may not re-assign or edit the district's task: it sees it, so 403.
    response = client.post(f"/api/v1/tasks/{work.task.pk}/cascade/", {"kind": "commune"}, format="json")
    assert response.status_code == 403
    assert client.get(f"/api/v1/plans/{work.plan.pk}/").status_code == 404


def test_a_viewer_gets_403_on_every_write(api_for, users, tree, work):
    client = api_for(users.viewer)
    assert client.get(f"/api/v1/tasks/{work.task.pk}/").status_code == 200
    for method, url, body in [
        (
            "post",
            "/api/v1/plans/",
            {"unit": tree.district_a.pk, "title": "x", "period_kind": "year", "year": 2026},
        ),
        ("patch", f"/api/v1/plans/{work.plan.pk}/", {"title": "y", "version": work.plan.version}),
        ("post", f"/api/v1/plans/{work.plan.pk}/adopt/", {"version": work.plan.version}),
        ("post", "/api/v1/tasks/", {"unit": tree.district_a.pk, "title": "x"}),
        ("patch", f"/api/v1/tasks/{work.task.pk}/", {"title": "y", "version": work.task.version}),
        ("post", f"/api/v1/tasks/{work.task.pk}/cascade/", {"kind": "commune"}),
        ("post", f"/api/v1/tasks/{work.task.pk}/cancel/", {"version": work.task.version}),
        ("post", "/api/v1/tasks/from-routing/", {"routing": 1}),
        ("post", f"/api/v1/assignments/{work.a1.pk}/report/", {"percent": 10, "version": work.a1.version}),
        ("post", f"/api/v1/assignments/{work.a1.pk}/split/", {"title": "x", "kind": "other"}),
        ("post", "/api/v1/assignments/bulk-status/", {"ids": [work.a1.pk], "status": "in_progress"}),
    ]:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 403, f"{method} {url} → {response.status_code}"
    assert Plan.objects.count() == 1 and Task.objects.count() == 1
    assert ProgressReport.objects.count() == 0


# ---------------------------------------------------------------------------------------------------------
# Behaviour


def test_plan_task_cascade_report_and_rollup_through_the_api(
    api_for, users, tree, communes, django_capture_on_commit_callbacks
):
    owner = api_for(users.owner)
    response = owner.post(
        "/api/v1/plans/",
        {"unit": tree.district_a.pk, "title": "Kế hoạch năm 2026", "period_kind": "year", "year": 2026},
        format="json",
    )
    assert response.status_code == 201, response.content
    plan = response.json()
    assert plan["status"] == "draft" and plan["task_count"] == 0
    due = (local_today() + datetime.timedelta(days=20)).isoformat()
    response = owner.post(
        "/api/v1/tasks/",
        {
            "unit": tree.district_a.pk,
            "plan": plan["id"],
            "title": "Tuyên truyền Nghị quyết 35",
            "due_date": due,
            "result_required": "Báo cáo kết quả",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    task = response.json()
    assert task["source_kind"] == "plan_item" and task["assignment_count"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(f"/api/v1/tasks/{task['id']}/cascade/", {"kind": "commune"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["count"] == 2
    assert sorted(body["assignment_ids"]) == sorted(
        Assignment.objects.filter(task_id=task["id"]).values_list("pk", flat=True)
    ), "the district's own untouched assignment is withdrawn"

    # Each commune hears about it and finds its work under "mine".
    sec = api_for(communes.sec_a1)
    notes = sec.get("/api/v1/notifications/", {"unread": 1}).json()["results"]
    assert [n["kind"] for n in notes] == ["assigned"]
    mine = sec.get("/api/v1/assignments/", {"mine": 1}).json()["results"]
    assert [row["unit"] for row in mine] == [communes.a1.pk]
    a1 = mine[0]
    assert a1["task_unit"] == tree.district_a.pk and a1["due_date"] == due

    url = f"/api/v1/assignments/{a1['id']}/report/"
    response = sec.post(url, {"percent": 50, "comment": "Đã tổ chức 2 hội nghị", "version": a1["version"]})
    assert response.status_code == 201, response.content
    after = response.json()["assignment"]
    assert after["status"] == "in_progress" and after["percent"] == 50
    response = sec.post(url, {"percent": 100, "version": after["version"]}, format="json")
    assert response.status_code == 400 and "result" in response.json()
    response = sec.post(
        url,
        {"percent": 100, "result": "Đã hoàn thành, 1.200 lượt cán bộ", "version": after["version"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["report"]["status"] == "done"
    history = sec.get(f"/api/v1/assignments/{a1['id']}/reports/").json()
    assert [r["percent"] for r in history] == [100, 50]

    rollup = owner.get("/api/v1/rollup/", {"unit": tree.district_a.pk}).json()
    rows = {row["unit"]: row for row in rollup["rows"]}
    assert (rows[communes.a1.pk]["total"], rows[communes.a1.pk]["done"]) == (1, 1)
    assert (rows[communes.a2.pk]["total"], rows[communes.a2.pk]["not_started"]) == (1, 1)
    assert rollup["total"]["total"] == 2 and rollup["total"]["done"] == 1
    assert rollup["total"]["percent_done"] == 50
    task_rollup = owner.get(f"/api/v1/tasks/{task['id']}/rollup/").json()
    assert task_rollup["total"] == rollup["total"]
    task = owner.get(f"/api/v1/tasks/{task['id']}/").json()
    assert task["status"] == "in_progress" and task["percent"] == 50 and task["done_count"] == 1
    assert (
        owner.get("/api/v1/plans/", {"status": "draft", "year": 2026}).json()["results"][0]["task_count"] == 1
    )


def test_a_stale_version_on_report_is_409_with_the_current_version(api_for, communes, work):
    client = api_for(communes.sec_a1)
    url = f"/api/v1/assignments/{work.a1.pk}/report/"
    first = client.post(url, {"percent": 30, "version": work.a1.version}, format="json")
    assert first.status_code == 201
    response = client.post(url, {"percent": 60, "version": work.a1.version}, format="json")
    assert response.status_code == 409
    assert response.json()["current_version"] == first.json()["assignment"]["version"]
    assert client.post(url, {"percent": 60}, format="json").status_code == 400
    assignment = Assignment.objects.get(pk=work.a1.pk)
    assert assignment.percent == 30 and assignment.reports.count() == 1


def test_updates_need_the_version_and_refuse_stale_ones(api_for, users, work):
    client = api_for(users.owner)
    url = f"/api/v1/plans/{work.plan.pk}/"
    assert client.patch(url, {"title": "Sửa"}, format="json").status_code == 400
    response = client.patch(url, {"title": "Kế hoạch sửa", "version": work.plan.version}, format="json")
    assert response.status_code == 200 and response.json()["version"] == work.plan.version + 1
    response = client.patch(url, {"title": "Ghi đè", "version": work.plan.version}, format="json")
    assert response.status_code == 409 and response.json()["current_version"] == work.plan.version + 1
    assert Plan.objects.get(pk=work.plan.pk).title == "Kế hoạch sửa"

    url = f"/api/v1/tasks/{work.task.pk}/"
    new_due = (local_today() + datetime.timedelta(days=45)).isoformat()
    response = client.patch(url, {"due_date": new_due, "version": work.task.version}, format="json")
    assert response.status_code == 200, response.content
    assert Assignment.objects.get(pk=work.a1.pk).due_date.isoformat() == new_due, "assignments follow"
    version = response.json()["version"]
    response = client.patch(
        url, {"status": "done", "percent": 100, "unit_path": "0000", "version": version}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "not_started", (
        "read-only fields ignored"
    )
    assert Task.objects.get(pk=work.task.pk).unit_path == work.task.unit_path
    response = client.put(url, {"title": "Ghi đè", "version": work.task.version}, format="json")
    assert response.status_code == 409
    assert Task.objects.get(pk=work.task.pk).title == "Tuyên truyền Nghị quyết 35"


def test_read_only_fields_in_a_create_body_are_ignored(api_for, users, tree, communes):
    client = api_for(users.owner)
    response = client.post(
        "/api/v1/tasks/",
        {
            "unit": tree.district_a.pk,
            "title": "Việc mới",
            "unit_path": communes.a2.path,
            "status": "done",
            "percent": 90,
            "version": 7,
            "source_kind": "inspection",
            "root_task": 1,
            "id": 999,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    task = Task.objects.get(pk=body["id"])
    assert body["id"] != 999 or Task.objects.count() == 1
    assert (task.unit_path, task.status, task.percent, task.version) == (
        tree.district_a.path,
        "not_started",
        0,
        1,
    )
    assert task.source_kind == "manual" and task.root_task_id is None
    response = client.post(
        "/api/v1/plans/",
        {
            "unit": tree.district_a.pk,
            "title": "Kế hoạch",
            "period_kind": "year",
            "year": 2026,
            "status": "adopted",
            "unit_path": "0000",
            "version": 5,
        },
        format="json",
    )
    assert response.status_code == 201
    plan = Plan.objects.get(pk=response.json()["id"])
    assert (plan.status, plan.unit_path, plan.version) == ("draft", tree.district_a.path, 1)


def test_task_create_checks_units_and_people_against_scope(api_for, users, tree, communes):
    client = api_for(users.owner)
    outsider_person = PersonFactory(home_unit=tree.district_b, full_name="Lò Văn Páo")
    for body, field in [
        ({"lead_units": [tree.district_b.pk]}, "lead_units"),
        ({"cooperating_units": [tree.district_b.pk]}, "cooperating_units"),
        ({"responsible": [outsider_person.pk]}, "responsible"),
        ({"unit": tree.district_b.pk}, "unit"),
    ]:
        payload = {"unit": tree.district_a.pk, "title": "Việc", **body}
        response = client.post("/api/v1/tasks/", payload, format="json")
        assert response.status_code == 400 and field in response.json(), (body, response.content)
    person = PersonFactory(home_unit=tree.district_a, full_name="Hà Thị Lan")
    response = client.post(
        "/api/v1/tasks/",
        {
            "unit": tree.district_a.pk,
            "title": "Việc chung",
            "lead_units": [communes.a1.pk],
            "cooperating_units": [communes.a2.pk],
            "responsible": [person.pk],
            "due_working_days": 5,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["responsible"] == [person.pk] and body["due_date"] is not None
    roles = dict(Assignment.objects.filter(task_id=body["id"]).values_list("unit_id", "role"))
    assert roles == {communes.a1.pk: "lead", communes.a2.pk: "cooperate"}


def test_a_responsible_member_may_report_and_another_member_may_not(api_for, users, tree, communes):
    person = PersonFactory(home_unit=tree.district_a, full_name="Đinh Văn Hùng")
    users.member.person = person
    users.member.save(update_fields=["person"])
    other = UserFactory(username="member-2")
    RoleGrantFactory(user=other, unit=tree.district_a, role="member")
    task = services.task_create(
        actor=users.owner, unit=tree.district_a, data={"title": "Việc của huyện"}, responsible=[person]
    )
    assignment = task.assignments.get()
    body = {"percent": 20, "version": assignment.version}
    url = f"/api/v1/assignments/{assignment.pk}/report/"
    assert api_for(other).post(url, body, format="json").status_code == 403
    assert api_for(users.member).post(url, body, format="json").status_code == 201


def test_bulk_status_changes_each_row_once_with_an_audit_entry(api_for, communes, work):
    task = services.task_create(actor=communes.sec_a1, unit=communes.a1, data={"title": "Việc xã"})
    own = task.assignments.get()
    client = api_for(communes.sec_a1)
    url = "/api/v1/assignments/bulk-status/"
    ids = [work.a1.pk, own.pk]
    response = client.post(url, {"ids": ids, "status": "done"}, format="json")
    assert response.status_code == 400 and "result" in response.json()
    response = client.post(url, {"ids": ids, "status": "done", "result": "Đã xong"}, format="json")
    assert response.status_code == 200 and response.json() == {"changed": 2}
    assert set(Assignment.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"done"}
    entries = AuditEntry.objects.filter(action="update", object_id__in=[str(pk) for pk in ids])
    assert sorted(e.changes["status"][0] for e in entries) == ["not_started", "not_started"]
    assert client.post(url, {"ids": ids, "status": "done"}, format="json").json() == {"changed": 0}
    response = client.post(url, {"ids": [work.a2.pk], "status": "in_progress"}, format="json")
    assert response.status_code == 400, "a sibling commune's work is not visible"


def test_split_cancel_and_filters(api_for, users, tree, communes, work):
    hamlet = OrgUnitFactory(name="Thôn Bưa", kind="other", parent=communes.a1)
    client = api_for(communes.sec_a1)
    response = client.post(
        f"/api/v1/assignments/{work.a1.pk}/split/",
        {"title": "Tuyên truyền ở thôn", "units": [hamlet.pk]},
        format="json",
    )
    assert response.status_code == 201, response.content
    child = response.json()
    assert child["root_task"] == work.task.pk and child["parent_assignment"] == work.a1.pk
    assert (
        client.post(f"/api/v1/assignments/{work.a1.pk}/split/", {"title": "x"}, format="json").status_code
        == 400
    )

    owner = api_for(users.owner)
    rows = owner.get(
        "/api/v1/assignments/", {"root_task": work.task.pk, "unit": tree.district_a.pk, "subtree": 1}
    )
    assert len(_ids(rows)) == 3, "the cascade at every level"
    by = owner.get("/api/v1/assignments/", {"unit": tree.district_a.pk, "direction": "by"})
    assert sorted(_ids(by)) == sorted([work.a1.pk, work.a2.pk])
    Assignment.objects.filter(pk=work.a2.pk).update(due_date=local_today() - datetime.timedelta(days=1))
    assert _ids(owner.get("/api/v1/assignments/", {"status": "overdue"})) == [work.a2.pk]
    Assignment.objects.filter(pk=work.a1.pk).update(due_date=local_today() + datetime.timedelta(days=3))
    assert _ids(
        owner.get(
            "/api/v1/assignments/", {"status": "due_soon", "direction": "by", "unit": tree.district_a.pk}
        )
    ) == [work.a1.pk]
    assert owner.get("/api/v1/assignments/", {"status": "late"}).status_code == 400
    assert owner.get("/api/v1/assignments/", {"direction": "sideways"}).status_code == 400
    for junk in ("²", "9" * 30, "-1", "1.5"):
        assert owner.get("/api/v1/assignments/", {"plan": junk}).status_code == 400, junk
        assert owner.get("/api/v1/rollup/", {"unit": junk}).status_code == 400, junk

    task = Task.objects.get(pk=work.task.pk)
    response = owner.post(f"/api/v1/tasks/{task.pk}/cancel/", {"reason": "Trùng việc"}, format="json")
    assert response.status_code == 400
    response = owner.post(f"/api/v1/tasks/{task.pk}/cancel/", {"version": task.version, "reason": "Trùng"})
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert set(Assignment.objects.filter(task=task).values_list("status", flat=True)) == {"cancelled"}
    assert _ids(owner.get("/api/v1/tasks/", {"status": "cancelled"})) == [task.pk]


def test_plans_filter_by_unit_subtree_and_adopt(api_for, users, tree, communes, work):
    commune_plan = services.plan_create(
        actor=communes.sec_a1,
        unit=communes.a1,
        data={"title": "Kế hoạch xã", "period_kind": "quarter", "year": 2026, "period_number": 2},
    )
    client = api_for(users.owner)
    assert sorted(_ids(client.get("/api/v1/plans/", {"unit": tree.district_a.pk}))) == sorted(
        [work.plan.pk, commune_plan.pk]
    )
    assert _ids(client.get("/api/v1/plans/", {"unit": communes.a1.pk})) == [commune_plan.pk]
    assert _ids(client.get("/api/v1/plans/", {"year": 2025})) == []
    assert client.get("/api/v1/plans/", {"status": "nonsense"}).status_code == 400
    response = client.post(
        f"/api/v1/plans/{work.plan.pk}/adopt/", {"version": work.plan.version}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "adopted"
    assert _ids(client.get("/api/v1/plans/", {"status": "adopted"})) == [work.plan.pk]


def test_a_routed_document_becomes_a_task_once(api_for, users, tree, communes):
    from steerdesk.documents import services as documents

    documents.document_types_ensure()
    from steerdesk.documents.models import DocumentType

    register = documents.register_create(
        actor=users.superuser, unit=tree.district_a, name="Sổ đến", direction="incoming"
    )
    document = documents.document_register_incoming(
        actor=users.owner,
        register=register,
        doc_type=DocumentType.objects.get(name="Kế hoạch"),
        number_text="10-KH/TU",
        issuer_name="Tỉnh ủy Hòa Bình",
        summary="Kế hoạch thực hiện Nghị quyết 35",
    )
    deadline = local_today() + datetime.timedelta(days=10)
    routing = documents.document_route(
        actor=users.owner, document=document, to_unit=communes.a1, instruction="Triển khai", deadline=deadline
    )
    client = api_for(users.owner)
    response = client.post("/api/v1/tasks/from-routing/", {"routing": routing.pk}, format="json")
    assert response.status_code == 201, response.content
    task = response.json()
    assert task["source_kind"] == "document" and task["source_document"] == document.pk
    assert task["title"] == "Kế hoạch thực hiện Nghị quyết 35" and task["due_date"] == deadline.isoformat()
    assert list(Assignment.objects.filter(task_id=task["id"]).values_list("unit_id", flat=True)) == [
        communes.a1.pk
    ]
    assert (
        client.post("/api/v1/tasks/from-routing/", {"routing": routing.pk}, format="json").status_code == 400
    )
    assert (
        api_for(users.outsider)
        .post("/api/v1/tasks/from-routing/", {"routing": routing.pk}, format="json")
        .status_code
        == 404
    )


def test_notifications_are_per_user(api_for, users):
    mine = Notification.objects.create(user=users.owner, kind="assigned", text="Việc mới")
    theirs = Notification.objects.create(user=users.member, kind="assigned", text="Việc của người khác")
    client = api_for(users.owner)
    assert _ids(client.get("/api/v1/notifications/")) == [mine.pk]
    assert client.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    # Not even a superuser reads someone else's notifications through the API.
    assert api_for(users.superuser).get(f"/api/v1/notifications/{mine.pk}/").status_code == 404
    response = client.post(f"/api/v1/notifications/{mine.pk}/read/")
    assert response.status_code == 200 and response.json()["is_read"] is True
    assert _ids(client.get("/api/v1/notifications/", {"unread": 1})) == []
    response = api_for(users.member).post(
        "/api/v1/notifications/read-all/", {"ids": [mine.pk]}, format="json"
    )
    assert response.json() == {"marked": 0}
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert api_for(users.member).post("/api/v1/notifications/read-all/").json() == {"marked": 1}


def test_the_assignment_list_runs_the_same_queries_for_5_or_60_rows(api_for, users, tree):
    def list_queries(n: int) -> tuple[int, int]:
        parent = OrgUnitFactory(name=f"Cụm {n}", kind="other", parent=tree.district_a)
        units = [OrgUnitFactory(name=f"Xã {n}-{i}", kind="commune", parent=parent) for i in range(n)]
        person = PersonFactory(home_unit=tree.district_a)
        task = services.task_create(
            actor=users.owner, unit=tree.district_a, data={"title": f"Việc {n}"}, responsible=[person]
        )
        services.task_cascade(actor=users.owner, task=task, units=units)
        for a in Assignment.objects.filter(task=task):
            a.responsible.add(person)
        client = api_for(users.owner)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/assignments/", {"root_task": task.pk, "limit": 100})
        assert response.status_code == 200
        assert response.json()["count"] == n
        assert all(row["responsible"] == [person.pk] for row in response.json()["results"])
        return len(ctx.captured_queries), n

    few, _ = list_queries(5)
    many, _ = list_queries(60)
    assert few == many, f"{few} queries for 5 rows, {many} for 60"


def test_evidence_files_are_added_by_reporters_with_a_size_limit(
    api_for, users, communes, work, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from steerdesk.documents.tests.attachment_fixtures import minimal_pdf

    settings.MEDIA_ROOT = str(tmp_path)
    client = api_for(communes.sec_a1)
    first = client.post(
        f"/api/v1/assignments/{work.a1.pk}/report/", {"percent": 40, "version": 1}, format="json"
    )
    report_id = first.json()["report"]["id"]
    url = f"/api/v1/assignments/{work.a1.pk}/evidence/"
    pdf = minimal_pdf()
    response = client.post(
        url, {"file": SimpleUploadedFile("biên bản.pdf", pdf), "report": report_id}, format="multipart"
    )
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == "application/pdf" and response.json()["size"] == len(pdf)
    history = client.get(f"/api/v1/assignments/{work.a1.pk}/reports/").json()
    assert [e["original_name"] for e in history[0]["evidence"]] == ["biên bản.pdf"]
    assert [e["id"] for e in client.get(url).json()] == [response.json()["id"]]
    download = client.get(response.json()["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == pdf
    assert download["Content-Type"] == "application/pdf"
    assert api_for(communes.sec_a2).get(response.json()["download_url"]).status_code == 404
    owner_view = api_for(users.owner).get(response.json()["download_url"])
    assert owner_view.status_code == 200, "the assigning unit sees the evidence too"

    text = SimpleUploadedFile("ghi chu.pdf", b"just text, not a PDF")
    assert client.post(url, {"file": text}, format="multipart").status_code == 400
    other = services.task_create(actor=users.owner, unit=communes.a2, data={"title": "Việc khác"})
    wrong_report = services.assignment_report(
        actor=communes.sec_a2, assignment=other.assignments.get(), expected_version=1, percent=10
    )
    response = client.post(
        url, {"file": SimpleUploadedFile("a.pdf", pdf), "report": wrong_report.pk}, format="multipart"
    )
    assert response.status_code == 400 and "report" in response.json()
    their_file = services.evidence_add(
        actor=communes.sec_a2,
        assignment=other.assignments.get(),
        uploaded_file=SimpleUploadedFile("b.pdf", pdf),
    )
    assert client.get(f"{url}{their_file.pk}/").status_code == 404, (
        "another assignment's file, by this one's URL"
    )
    settings.STEERDESK_UPLOAD_MAX_MB = 0.0002  # about 200 bytes
    response = client.post(url, {"file": SimpleUploadedFile("big.pdf", pdf)}, format="multipart")
    assert response.status_code == 413 and "file" in response.json()
    settings.STEERDESK_UPLOAD_MAX_MB = 50

    pdf_file = SimpleUploadedFile("x.pdf", pdf)
    assert api_for(users.viewer).post(url, {"file": pdf_file}, format="multipart").status_code == 403
    assert api_for(communes.sec_a2).post(url, {"file": pdf_file}, format="multipart").status_code == 404
    assert work.a1.evidence.count() == 1
