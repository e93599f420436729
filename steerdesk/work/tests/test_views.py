"""Pages of plans and tasks, and the task from a routed incoming document: permissions (anonymous → login,
sibling district → 404, read-only → 403) and one behaviour each, asserted on the Vietnamese page."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from steerdesk.core.models import AuditEntry
from steerdesk.work.models import Assignment, Plan, Status, Task

from .view_fixtures import *  # noqa: F403
from .view_fixtures import TODAY, assert_login_redirect, make_task

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"work:{name}", args=args)


# ---------------------------------------------------------------------------------------------------------
# Permissions, every page of this module


def test_anonymous_users_are_sent_to_login(client, work):
    for path in (
        url("plan_list"),
        url("plan_create"),
        url("plan_detail", work.plan.pk),
        url("plan_edit", work.plan.pk),
        url("task_create"),
        url("task_detail", work.task.pk),
        url("task_edit", work.task.pk),
        url("task_cascade", work.task.pk),
        url("task_from_routing", 1),
    ):
        assert_login_redirect(client.get(path))
    for path in (url("plan_adopt", work.plan.pk), url("task_cancel", work.task.pk)):
        assert_login_redirect(client.post(path))


def test_a_sibling_district_gets_404_for_plans_and_tasks(client_for, users, work):
    client = client_for(users.outsider)
    for path in (
        url("plan_detail", work.plan.pk),
        url("plan_edit", work.plan.pk),
        url("task_detail", work.task.pk),
        url("task_edit", work.task.pk),
        url("task_cascade", work.task.pk),
        f"{url('task_create')}?plan={work.plan.pk}",
        f"{url('plan_list')}?unit={work.plan.unit_id}",
        f"{url('plan_create')}?unit={work.plan.unit_id}",
    ):
        assert client.get(path).status_code == 404, path
    for path in (
        url("plan_edit", work.plan.pk),
        url("plan_adopt", work.plan.pk),
        url("task_edit", work.task.pk),
        url("task_cascade", work.task.pk),
        url("task_cancel", work.task.pk),
    ):
        assert client.post(path, {"version": 1}).status_code == 404, path
    work.task.refresh_from_db()
    assert work.task.status != Status.CANCELLED


def test_a_viewer_reads_but_gets_403_on_writes(client_for, users, work):
    client = client_for(users.viewer)
    assert client.get(url("plan_detail", work.plan.pk)).status_code == 200
    assert client.get(url("task_detail", work.task.pk)).status_code == 200
    for path in (
        url("plan_create"),
        url("plan_edit", work.plan.pk),
        url("task_create"),
        f"{url('task_create')}?plan={work.plan.pk}",
        url("task_edit", work.task.pk),
        url("task_cascade", work.task.pk),
    ):
        assert client.get(path).status_code == 403, path
    for path in (
        url("plan_create"),
        url("plan_edit", work.plan.pk),
        url("plan_adopt", work.plan.pk),
        url("task_create"),
        url("task_edit", work.task.pk),
        url("task_cascade", work.task.pk),
        url("task_cancel", work.task.pk),
    ):
        assert client.post(path, {"version": 1, "title": "x"}).status_code == 403, path
    work.task.refresh_from_db()
    assert work.task.status != Status.CANCELLED


# ---------------------------------------------------------------------------------------------------------
# Plans


def test_the_plan_list_shows_the_units_plans_with_filters_and_hides_other_districts(
    client_for, users, work, b_work
):
    client = client_for(users.owner)
    body = client.get(url("plan_list")).content.decode()
    assert "Kế hoạch thực hiện Nghị quyết 35 năm 2026" in body
    assert "Mai Châu" not in body.split('id="plan-results"')[1]
    assert reverse("work:plan_create") in body
    body = client.get(url("plan_list"), {"year": 2025}).content.decode()
    assert "Kế hoạch thực hiện Nghị quyết 35" not in body
    partial = client.get(url("plan_list"), {"status": "draft"}, headers={"HX-Request": "true"})
    assert partial.content.decode().startswith('<div id="plan-results">')


def test_a_secretary_creates_a_plan_and_edits_it_with_a_version(client_for, users, tree, frozen):
    client = client_for(users.owner)
    response = client.post(
        url("plan_create"),
        {
            "title": "Kế hoạch phòng chống tham nhũng năm 2026",
            "period_kind": "quarter",
            "year": "2026",
            "period_number": "2",
            "start_date": "01/04/2026",
            "end_date": "30/06/2026",
            "committee": tree.committee_a.pk,
        },
    )
    plan = Plan.objects.get(title="Kế hoạch phòng chống tham nhũng năm 2026")
    assert response.status_code == 302 and response["Location"] == plan.get_absolute_url()
    assert plan.unit == tree.district_a and plan.period_number == 2 and plan.committee == tree.committee_a
    body = client.get(plan.get_absolute_url()).content.decode()
    assert "01/04/2026" in body and "30/06/2026" in body and "Ban Chỉ đạo 35 huyện Lạc Sơn" in body
    edit = client.get(url("plan_edit", plan.pk)).content.decode()
    assert 'name="version" value="1"' in edit and "01/04/2026" in edit
    data = {"title": "Kế hoạch PCTN quý II", "period_kind": "quarter", "year": "2026", "period_number": "2"}
    assert client.post(url("plan_edit", plan.pk), data | {"version": 1}).status_code == 302
    plan.refresh_from_db()
    assert plan.title == "Kế hoạch PCTN quý II" and plan.version == 2


def test_a_stale_plan_version_reshows_the_form_with_the_conflict_message(client_for, users, work):
    client = client_for(users.owner)
    data = {"title": "Tên mới", "period_kind": "year", "year": "2026", "version": work.plan.version}
    assert client.post(url("plan_edit", work.plan.pk), data).status_code == 302
    response = client.post(url("plan_edit", work.plan.pk), data | {"title": "Tên khác"})
    assert response.status_code == 400
    assert "form-errors" in response.content.decode()
    work.plan.refresh_from_db()
    assert work.plan.title == "Tên mới"


def test_the_plan_form_checks_the_period_number(client_for, users, frozen):
    response = client_for(users.owner).post(
        url("plan_create"), {"title": "Kế hoạch 6 tháng", "period_kind": "half_year", "year": "2026"}
    )
    assert response.status_code == 400 and not Plan.objects.exists()


def test_the_plan_page_lists_items_in_number_order_with_their_rollup(client_for, users, tree, work):
    make_task(users.owner, tree.district_a, plan=work.plan, title="Sơ kết sáu tháng", item="10")
    make_task(
        users.owner,
        tree.district_a,
        plan=work.plan,
        title="Kiểm tra việc thực hiện",
        item="2",
        due=TODAY - datetime.timedelta(days=3),
    )
    body = client_for(users.owner).get(work.plan.get_absolute_url()).content.decode()
    positions = [body.index(t) for t in ("Tổ chức hội nghị quán triệt", "Kiểm tra việc thực hiện", "Sơ kết")]
    assert positions == sorted(positions)
    assert "row-overdue" in body and "13/03/2026" in body
    assert reverse("work:task_create") + f"?plan={work.plan.pk}" in body
    assert reverse("work:plan_export", args=[work.plan.pk]) in body
    assert "Lịch sử" in body  # the history section


def test_adopting_a_plan_links_the_document_found_by_its_number(client_for, users, tree, work):
    from steerdesk.documents import services as documents_services

    documents_services.document_types_ensure()
    from steerdesk.documents.models import DocumentType

    register = documents_services.register_create(
        actor=users.superuser, unit=tree.district_a, name="Sổ đi", direction="outgoing"
    )
    draft = documents_services.document_create_draft(
        actor=users.owner, register=register, doc_type=DocumentType.objects.get(name="Kế hoạch"), summary="KH"
    )
    documents_services.document_sign(
        actor=users.owner, document=draft, expected_version=draft.version, signer_name="Nguyễn Văn An"
    )
    document = documents_services.document_issue(
        actor=users.owner, document=draft, expected_version=draft.version
    )
    client = client_for(users.owner)
    response = client.post(url("plan_adopt", work.plan.pk), {"version": 1, "number": "99/KH-UBND"})
    assert response.status_code == 302
    work.plan.refresh_from_db()
    assert work.plan.status == Plan.PlanStatus.DRAFT  # no such number: nothing changes
    response = client.post(url("plan_adopt", work.plan.pk), {"version": 1, "number": document.number_text})
    work.plan.refresh_from_db()
    assert work.plan.status == Plan.PlanStatus.ADOPTED and work.plan.adopted_by == document
    assert document.number_text in client.get(work.plan.get_absolute_url()).content.decode()


# ---------------------------------------------------------------------------------------------------------
# Tasks


def test_a_secretary_creates_a_task_in_a_plan_with_lead_and_cooperating_units(client_for, users, tree, work):
    other = __import__("steerdesk.orgs.tests.factories", fromlist=["x"]).OrgUnitFactory(
        name="Xã Tân Lập", parent=tree.district_a
    )
    client = client_for(users.owner)
    page = client.get(url("task_create") + f"?plan={work.plan.pk}").content.decode()
    assert "Xã Vũ Bình" in page and "Huyện Mai Châu" not in page
    response = client.post(
        url("task_create") + f"?plan={work.plan.pk}",
        {
            "item_number": "3",
            "title": "Tuyên truyền Nghị quyết 35 trên cổng thông tin",
            "priority": "high",
            "due_working_days": "5",
            "start_date": "16/03/2026",
            "lead_units": [tree.commune_a1.pk],
            "cooperating_units": [other.pk],
            "result_required": "Báo cáo kết quả",
        },
    )
    task = Task.objects.get(title="Tuyên truyền Nghị quyết 35 trên cổng thông tin")
    assert response.status_code == 302 and response["Location"] == task.get_absolute_url()
    assert task.plan == work.plan and task.source_kind == Task.SourceKind.PLAN_ITEM
    assert task.due_date == datetime.date(2026, 3, 23)  # five working days after Monday 16/03
    roles = dict(task.assignments.values_list("unit__name", "role"))
    assert roles == {"Xã Vũ Bình": "lead", "Xã Tân Lập": "cooperate"}


def test_the_task_form_refuses_both_a_date_and_working_days(client_for, users, frozen):
    response = client_for(users.owner).post(
        url("task_create"),
        {"title": "Việc A", "priority": "normal", "due_date": "20/03/2026", "due_working_days": 3},
    )
    assert response.status_code == 400 and not Task.objects.exists()


def test_the_task_page_shows_source_assignments_rollup_and_history(client_for, users, tree, work):
    Assignment.objects.filter(pk=work.assignment.pk).update(due_date=TODAY - datetime.timedelta(days=1))
    body = client_for(users.owner).get(work.task.get_absolute_url()).content.decode()
    assert "Tổ chức hội nghị quán triệt" in body
    assert work.plan.get_absolute_url() in body  # source: the plan item
    assert work.assignment.get_absolute_url() in body and "Xã Vũ Bình" in body
    assert "row-overdue" in body and "15/03/2026" in body
    assert 'class="rollup-bar"' in body and "0 / 1" in body  # the roll-up by child unit
    assert reverse("work:task_cascade", args=[work.task.pk]) in body
    assert "Lịch sử" in body


def test_an_assignee_sees_the_task_without_the_owners_rollup(client_for, users, tree, work):
    from .work_fixtures import make_user

    commune_secretary = make_user("xa_thuky", tree.commune_a1, "secretary")
    body = client_for(commune_secretary).get(work.task.get_absolute_url()).content.decode()
    assert "Tổ chức hội nghị quán triệt" in body
    assert 'class="rollup-bar"' not in body
    assert reverse("work:task_edit", args=[work.task.pk]) not in body


def test_editing_a_task_keeps_the_version_and_refuses_a_stale_one(client_for, users, work):
    client = client_for(users.owner)
    page = client.get(url("task_edit", work.task.pk)).content.decode()
    assert "15/04/2026" in page and 'name="version" value="1"' in page
    data = {
        "title": "Hội nghị quán triệt (sửa)",
        "priority": "urgent",
        "due_date": "20/04/2026",
        "version": 1,
    }
    assert client.post(url("task_edit", work.task.pk), data).status_code == 302
    work.task.refresh_from_db()
    assert work.task.title == "Hội nghị quán triệt (sửa)" and work.task.due_date == datetime.date(2026, 4, 20)
    work.assignment.refresh_from_db()
    assert work.assignment.due_date == datetime.date(2026, 4, 20)  # the assignment followed
    stale = client.post(url("task_edit", work.task.pk), data | {"title": "Khác"})
    assert stale.status_code == 400
    work.task.refresh_from_db()
    assert work.task.title == "Hội nghị quán triệt (sửa)"


def test_cascading_to_every_unit_of_a_kind_creates_one_assignment_each(client_for, users, tree, frozen):
    from steerdesk.orgs.tests.factories import OrgUnitFactory

    communes = [OrgUnitFactory(name=f"Xã số {i}", kind="commune", parent=tree.district_a) for i in range(3)]
    task = make_task(users.owner, tree.district_a)
    client = client_for(users.owner)
    response = client.post(url("task_cascade", task.pk), {"kind": "commune", "role": "lead"})
    assert response.status_code == 302
    units = set(task.assignments.values_list("unit_id", flat=True))
    assert units == {tree.commune_a1.pk, *(c.pk for c in communes)}  # the owner's own assignment withdrawn
    assert AssignmentAudit(task).count() == 4
    bad = client.post(url("task_cascade", task.pk), {"kind": "commune", "units": [tree.commune_a1.pk]})
    assert bad.status_code == 400


def AssignmentAudit(task):
    ids = [str(pk) for pk in task.assignments.values_list("pk", flat=True)]
    return AuditEntry.objects.filter(action="create", object_id__in=ids, content_type__model="assignment")


def test_cancelling_a_task_needs_the_current_version_and_records_the_reason(client_for, users, work):
    client = client_for(users.owner)
    client.post(url("task_cancel", work.task.pk), {"version": 99, "reason": "Trùng nhiệm vụ"})
    work.task.refresh_from_db()
    assert work.task.status != Status.CANCELLED
    client.post(url("task_cancel", work.task.pk), {"version": work.task.version, "reason": "Trùng nhiệm vụ"})
    work.task.refresh_from_db()
    work.assignment.refresh_from_db()
    assert work.task.status == work.assignment.status == Status.CANCELLED
    assert "Trùng nhiệm vụ" in client.get(work.task.get_absolute_url()).content.decode()


# ---------------------------------------------------------------------------------------------------------
# A task from a routed incoming document (issue 5 item 8) and the link back on the document page


@pytest.fixture
def routing(tree, users, frozen):
    from steerdesk.documents import services as documents_services
    from steerdesk.documents.models import DocumentType

    documents_services.document_types_ensure()
    register = documents_services.register_create(
        actor=users.superuser, unit=tree.district_a, name="Sổ văn bản đến", direction="incoming"
    )
    document = documents_services.document_register_incoming(
        actor=users.owner,
        register=register,
        doc_type=DocumentType.objects.get(name="Kế hoạch"),
        number_text="35-KH/TU",
        summary="Kế hoạch thực hiện Nghị quyết 35 về bảo vệ nền tảng tư tưởng của Đảng",
        issuer_name="Tỉnh ủy Hòa Bình",
    )
    documents_services.document_route(
        actor=users.owner, document=document, to_unit=tree.commune_a1, deadline=datetime.date(2026, 4, 10)
    )
    return document.routings.get()


def test_the_routing_task_form_is_prefilled_and_creates_the_linked_task(client_for, users, tree, routing):
    client = client_for(users.owner)
    page = client.get(url("task_from_routing", routing.pk)).content.decode()
    assert "Kế hoạch thực hiện Nghị quyết 35 về bảo vệ nền tảng" in page and "10/04/2026" in page
    response = client.post(
        url("task_from_routing", routing.pk),
        {
            "title": "Triển khai Kế hoạch 35-KH/TU",
            "priority": "normal",
            "due_date": "10/04/2026",
            "lead_units": [tree.commune_a1.pk],
        },
    )
    task = Task.objects.get()
    assert response.status_code == 302 and response["Location"] == task.get_absolute_url()
    routing.refresh_from_db()
    assert routing.task_id == task.pk and task.source_document_id == routing.document_id
    # Again: it already has a task.
    again = client.get(url("task_from_routing", routing.pk))
    assert again.status_code == 302 and again["Location"] == task.get_absolute_url()
    post_again = client.post(url("task_from_routing", routing.pk), {"title": "Lần hai", "priority": "normal"})
    assert post_again.status_code == 400 and Task.objects.count() == 1
    # Both ways: the task links to its document, the document page lists the task and links to it.
    assert routing.document.get_absolute_url() in client.get(task.get_absolute_url()).content.decode()
    document_page = client.get(routing.document.get_absolute_url()).content.decode()
    assert "Triển khai Kế hoạch 35-KH/TU" in document_page
    assert task.get_absolute_url() in document_page
    assert url("task_from_routing", routing.pk) not in document_page


def test_the_document_page_offers_a_task_per_routing_to_secretaries_only(client_for, users, routing):
    body = client_for(users.owner).get(routing.document.get_absolute_url()).content.decode()
    assert url("task_from_routing", routing.pk) in body
    body = client_for(users.viewer).get(routing.document.get_absolute_url()).content.decode()
    assert url("task_from_routing", routing.pk) not in body


def test_the_routing_hook_is_404_out_of_scope_and_403_read_only(client_for, users, routing):
    assert client_for(users.outsider).get(url("task_from_routing", routing.pk)).status_code == 404
    assert client_for(users.outsider).post(url("task_from_routing", routing.pk)).status_code == 404
    assert client_for(users.viewer).get(url("task_from_routing", routing.pk)).status_code == 403
    assert (
        client_for(users.viewer).post(url("task_from_routing", routing.pk), {"title": "x"}).status_code == 403
    )
    assert not Task.objects.exists()
