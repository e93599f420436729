"""A routed incoming document becomes a task (the documents app's hook), and what each unit then sees.

The province registers Resolution 35-NQ/TW, routes it to district A with a deadline and turns the routing into a
task led by district A. District A sees that task and its own assignment (addressed rows, DESIGN §3) and nothing
else of the province; a sibling assignee never sees another sibling's assignment."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from steerdesk.documents import services as documents_services
from steerdesk.documents.models import DocumentType, Register, Routing
from steerdesk.work import selectors, services
from steerdesk.work.models import Assignment, Status, Task

from .work_fixtures import *  # noqa: F403
from .work_fixtures import make_user

D = datetime.date


@pytest.fixture
def routing(tree, prov):
    documents_services.document_types_ensure()
    admin = make_user("prov_admin", tree.province, "admin")
    register = documents_services.register_create(
        actor=admin, unit=tree.province, name="Sổ văn bản đến", direction=Register.Direction.INCOMING
    )
    document = documents_services.document_register_incoming(
        actor=prov.secretary,
        register=register,
        doc_type=DocumentType.objects.get(name="Nghị quyết"),
        number_text="35-NQ/TW",
        summary="Về tăng cường bảo vệ nền tảng tư tưởng của Đảng trong tình hình mới",
        issuer_name="Ban Chấp hành Trung ương",
        incoming_date=D(2026, 3, 2),
    )
    return documents_services.document_route(
        actor=prov.secretary,
        document=document,
        to_unit=tree.district_a,
        instruction="Huyện Lạc Sơn chủ trì triển khai, báo cáo kết quả",
        deadline=D(2026, 4, 15),
    )


def test_a_routed_document_becomes_a_task_led_by_the_routed_unit(tree, users, prov, routing):
    task = services.task_create_from_routing(actor=prov.secretary, routing_pk=routing.pk, data={})

    document = routing.document
    assert (task.unit, task.unit_path, task.title, task.due_date) == (
        tree.province,
        tree.province.path,
        document.summary,
        D(2026, 4, 15),
    )
    assert (task.source_kind, task.source_document, task.source_routing_id) == (
        Task.SourceKind.DOCUMENT,
        document,
        routing.pk,
    )
    assert list(task.assignments.values_list("unit", "role", "due_date")) == [
        (tree.district_a.pk, Assignment.Role.LEAD, D(2026, 4, 15))
    ]
    assert Routing.objects.get(pk=routing.pk).task_id == task.pk
    # The link both ways: the document lists the task.
    assert list(selectors.tasks_from_document(user=prov.secretary, document_id=document.pk)) == [task]
    assert list(selectors.tasks_from_document(user=users.owner, document_id=document.pk)) == [task]


def test_the_routing_hook_keeps_explicit_choices(tree, users, prov, routing):
    task = services.task_create_from_routing(
        actor=prov.secretary,
        routing_pk=routing.pk,
        data={"title": "Triển khai Nghị quyết 35", "due_date": D(2026, 3, 31)},
        lead_units=[tree.district_b],
        cooperating_units=[tree.district_a],
    )
    assert (task.title, task.due_date) == ("Triển khai Nghị quyết 35", D(2026, 3, 31))
    assert set(task.assignments.values_list("unit", "role")) == {
        (tree.district_b.pk, Assignment.Role.LEAD),
        (tree.district_a.pk, Assignment.Role.COOPERATE),
    }


def test_a_routing_becomes_at_most_one_task(prov, routing):
    services.task_create_from_routing(actor=prov.secretary, routing_pk=routing.pk, data={})
    with pytest.raises(ValidationError):
        services.task_create_from_routing(
            actor=prov.secretary, routing_pk=routing.pk, data={"title": "Lần hai"}
        )
    assert Task.objects.count() == 1


def test_an_outsider_gets_404_and_a_routed_unit_cannot_create_the_provinces_task(users, routing):
    with pytest.raises(Http404):
        services.task_create_from_routing(actor=users.outsider, routing_pk=routing.pk, data={})
    with pytest.raises(Http404):
        services.task_create_from_routing(actor=users.outsider, routing_pk=999_999, data={})
    # District A sees the routed document, but the task would be the province's: not theirs to create.
    with pytest.raises(PermissionDenied):
        services.task_create_from_routing(actor=users.owner, routing_pk=routing.pk, data={})
    assert not Task.objects.exists()
    assert Routing.objects.get(pk=routing.pk).task_id is None


def test_the_assignee_sees_the_task_and_nothing_else_of_the_province(tree, users, prov, routing):
    task = services.task_create_from_routing(actor=prov.secretary, routing_pk=routing.pk, data={})
    other = services.task_create(
        actor=prov.secretary, unit=tree.province, data={"title": "Việc riêng của tỉnh"}
    )

    for user in (users.owner, users.member, users.viewer):
        assert selectors.task_get(user=user, pk=task.pk) == task
        assert list(selectors.task_list(user=user)) == [task]
        with pytest.raises(Http404):
            selectors.task_get(user=user, pk=other.pk)
    assert [a.unit for a in selectors.task_assignments(user=users.owner, task=task)] == [tree.district_a]
    # District B (not addressed) sees neither task.
    assert list(selectors.task_list(user=users.outsider)) == []
    with pytest.raises(Http404):
        selectors.task_get(user=users.outsider, pk=task.pk)
    # The province sees both.
    assert set(selectors.task_list(user=prov.secretary)) == {task, other}


def test_a_sibling_assignee_does_not_see_the_other_siblings_assignment(tree, users, prov):
    task = services.task_create(actor=prov.secretary, unit=tree.province, data={"title": "Sơ kết 6 tháng"})
    services.task_cascade(actor=prov.secretary, task=task, units=[tree.district_a, tree.district_b])
    share_a = Assignment.objects.get(task=task, unit=tree.district_a)
    share_b = Assignment.objects.get(task=task, unit=tree.district_b)

    assert list(selectors.task_assignments(user=users.owner, task=task)) == [share_a]
    assert list(selectors.task_assignments(user=users.outsider, task=task)) == [share_b]
    assert set(selectors.task_assignments(user=prov.viewer, task=task)) == {share_a, share_b}
    with pytest.raises(Http404):
        selectors.assignment_get(user=users.owner, pk=share_b.pk)
    with pytest.raises(Http404):
        selectors.assignment_get(user=users.outsider, pk=share_a.pk)
    assert list(selectors.assignment_list(user=users.owner)) == [share_a]
    # The roll-up of the province is the province's: a district asking for it gets 404.
    with pytest.raises(Http404):
        selectors.rollup(user=users.owner, unit=tree.province)
    # Reporting: only on one's own share.
    with pytest.raises(Http404):
        selectors.assignment_get_for_report(user=users.owner, pk=share_b.pk)
    with pytest.raises(PermissionDenied):
        services.assignment_report(actor=users.owner, assignment=share_b, expected_version=1, percent=10)
    assert selectors.assignment_get_for_report(user=users.owner, pk=share_a.pk) == share_a
    with pytest.raises(PermissionDenied):
        selectors.assignment_get_for_report(user=users.viewer, pk=share_a.pk)


def test_a_split_task_is_seen_by_the_commune_and_the_province_but_not_by_the_sibling(tree, users, prov):
    task = services.task_create(actor=prov.secretary, unit=tree.province, data={"title": "Sơ kết 6 tháng"})
    services.task_cascade(actor=prov.secretary, task=task, units=[tree.district_a, tree.district_b])
    share_a = Assignment.objects.get(task=task, unit=tree.district_a)
    child = services.task_split(
        actor=users.owner, assignment=share_a, data={"title": "Xã sơ kết"}, units=[tree.commune_a1]
    )
    commune_user = make_user("commune", tree.commune_a1, "secretary")

    assert selectors.task_get(user=commune_user, pk=child.pk) == child
    with pytest.raises(Http404):  # the province's task was not addressed to the commune
        selectors.task_get(user=commune_user, pk=task.pk)
    assert selectors.task_get(user=prov.viewer, pk=child.pk) == child
    with pytest.raises(Http404):
        selectors.task_get(user=users.outsider, pk=child.pk)
    a1 = Assignment.objects.get(task=child)
    assert a1.status == Status.NOT_STARTED
    assert selectors.assignment_get(user=prov.viewer, pk=a1.pk) == a1
    with pytest.raises(Http404):
        selectors.assignment_get(user=users.outsider, pk=a1.pk)
