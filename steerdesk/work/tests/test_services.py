"""The work services: plans, tasks, progress reports, bulk actions, splits, notifications — happy paths, the
permission rules (viewer / member / outsider / responsible member) and the error cases.

Bulk actions (bulk status change, cancel, due-date moves) write one audit entry per changed row with the true
previous values; unchanged rows get none."""

from __future__ import annotations

import datetime
import unicodedata

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from steerdesk.core.locking import ConflictError
from steerdesk.core.models import AuditEntry
from steerdesk.documents.tests.factories import DocumentFactory
from steerdesk.work import notifications, services
from steerdesk.work.models import (
    Assignment,
    Evidence,
    Notification,
    Plan,
    ProgressReport,
    Status,
    Task,
    WorkPreference,
)

from .work_fixtures import *  # noqa: F403
from .work_fixtures import add_units, link_person

D = datetime.date
DUE = D(2026, 6, 30)


def audit(instance, action: str | None = None):
    qs = AuditEntry.objects.filter(
        content_type__model=type(instance)._meta.model_name, object_id=str(instance.pk)
    ).order_by("id")
    return qs.filter(action=action) if action else qs


def task_of(user, unit, **data) -> Task:
    return services.task_create(
        actor=user, unit=unit, data={"title": "Rà soát văn bản", "due_date": DUE, **data}
    )


def last_audit_id() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def fresh(obj):
    obj.refresh_from_db()
    return obj


def report(actor, assignment, percent, **kwargs):
    assignment = Assignment.objects.select_related("task").get(pk=assignment.pk)
    return services.assignment_report(
        actor=actor, assignment=assignment, expected_version=assignment.version, percent=percent, **kwargs
    )


@pytest.fixture
def shares(tree, prov):
    """A province task cascaded to districts A and B (lead) and commune A1 (cooperating)."""
    task = task_of(prov.secretary, tree.province, title="Tổng kết 10 năm thực hiện Nghị quyết")
    services.task_cascade(actor=prov.secretary, task=task, units=[tree.district_a, tree.district_b])
    services.task_cascade(actor=prov.secretary, task=task, units=[tree.commune_a1], role="cooperate")
    return (
        task,
        Assignment.objects.get(task=task, unit=tree.district_a),
        Assignment.objects.get(task=task, unit=tree.district_b),
        Assignment.objects.get(task=task, unit=tree.commune_a1),
    )


# ---------------------------------------------------------------------------------------------------------
# Plans


def plan_data(**extra):
    return {"title": "Kế hoạch năm 2026", "period_kind": Plan.PeriodKind.YEAR, "year": 2026, **extra}


def test_a_secretary_creates_a_draft_plan(tree, users):
    nfd = unicodedata.normalize("NFD", "Kế hoạch thực hiện Nghị quyết 35")
    plan = services.plan_create(
        actor=users.owner, unit=tree.district_a, data=plan_data(title=nfd, committee=tree.committee_a)
    )
    plan = fresh(plan)
    assert (plan.title, plan.status, plan.unit_path, plan.committee) == (
        "Kế hoạch thực hiện Nghị quyết 35",
        Plan.PlanStatus.DRAFT,
        tree.district_a.path,
        tree.committee_a,
    )
    assert audit(plan, "create").count() == 1


@pytest.mark.parametrize("who", ["viewer", "member", "outsider"])
def test_only_secretaries_create_plans(tree, users, who):
    with pytest.raises(PermissionDenied):
        services.plan_create(actor=getattr(users, who), unit=tree.district_a, data=plan_data())
    assert not Plan.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"committee": "committee_b"}, "committee"),
        ({"start_date": D(2026, 12, 31), "end_date": D(2026, 1, 1)}, None),
        ({"period_kind": Plan.PeriodKind.QUARTER, "period_number": 5}, None),
        ({"period_kind": "decade"}, "period_kind"),
        ({"owner": "someone"}, None),
    ],
)
def test_plan_create_refuses_bad_data(tree, users, data, field):
    if data.get("committee") == "committee_b":
        data = {"committee": tree.committee_b}
    with pytest.raises(ValidationError) as exc:
        services.plan_create(actor=users.owner, unit=tree.district_a, data=plan_data(**data))
    if field:
        assert field in exc.value.message_dict
    assert not Plan.objects.exists()


def test_a_plan_is_adopted_by_a_visible_document_then_closed(tree, users):
    plan = services.plan_create(actor=users.owner, unit=tree.district_a, data=plan_data())
    own_document = DocumentFactory(unit=tree.district_a, number_text="12/KH-UBND")
    other_document = DocumentFactory(unit=tree.district_b, number_text="13/KH-UBND")

    with pytest.raises(Http404):
        services.plan_adopt(
            actor=users.owner, plan=plan, expected_version=plan.version, document=other_document
        )
    with pytest.raises(PermissionDenied):
        services.plan_adopt(actor=users.viewer, plan=plan, expected_version=plan.version)
    services.plan_adopt(actor=users.owner, plan=plan, expected_version=plan.version, document=own_document)
    assert (fresh(plan).status, plan.adopted_by) == (Plan.PlanStatus.ADOPTED, own_document)

    task = task_of(users.owner, tree.district_a, item_number="1")
    plan_task = services.task_create(
        actor=users.owner, unit=tree.district_a, data={"title": "Mục 2"}, plan=plan
    )
    assert (plan_task.plan, plan_task.source_kind, task.source_kind) == (
        plan,
        Task.SourceKind.PLAN_ITEM,
        Task.SourceKind.MANUAL,
    )

    services.plan_close(actor=users.owner, plan=plan, expected_version=plan.version)
    assert fresh(plan).status == Plan.PlanStatus.CLOSED
    with pytest.raises(ValidationError):
        services.plan_adopt(actor=users.owner, plan=plan, expected_version=plan.version)
    with pytest.raises(ValidationError) as exc:
        services.task_create(actor=users.owner, unit=tree.district_a, data={"title": "Mục 3"}, plan=plan)
    assert "plan" in exc.value.message_dict
    assert list(plan.tasks.all()) == [plan_task]


def test_plan_edits_use_the_version(tree, users):
    plan = services.plan_create(actor=users.owner, unit=tree.district_a, data=plan_data())
    stale = plan.version
    services.plan_update(actor=users.owner, plan=plan, expected_version=stale, data={"title": "Kế hoạch sửa"})
    with pytest.raises(ConflictError):
        services.plan_update(
            actor=users.admin,
            plan=Plan.objects.get(pk=plan.pk),
            expected_version=stale,
            data={"title": "Khác"},
        )
    assert fresh(plan).title == "Kế hoạch sửa"
    with pytest.raises(ValidationError):
        services.plan_update(
            actor=users.owner, plan=plan, expected_version=plan.version, data={"committee": tree.committee_b}
        )


def test_a_task_cannot_go_into_another_units_plan(tree, users):
    plan_b = services.plan_create(actor=users.outsider, unit=tree.district_b, data=plan_data())
    with pytest.raises(ValidationError) as exc:
        services.task_create(actor=users.owner, unit=tree.district_a, data={"title": "Mục 1"}, plan=plan_b)
    assert "plan" in exc.value.message_dict


# ---------------------------------------------------------------------------------------------------------
# Tasks


def test_a_task_without_lead_units_is_assigned_to_the_unit_itself(tree, users):
    task = task_of(
        users.owner, tree.district_a, title=unicodedata.normalize("NFD", "Kiểm tra việc thực hiện")
    )
    a = task.assignments.get()
    assert task.title == "Kiểm tra việc thực hiện"
    assert (a.unit, a.unit_path, a.task_unit_path, a.root_task, a.role, a.due_date) == (
        tree.district_a,
        tree.district_a.path,
        tree.district_a.path,
        task,
        Assignment.Role.LEAD,
        DUE,
    )
    assert (task.status, task.percent, task.source_kind) == (Status.NOT_STARTED, 0, Task.SourceKind.MANUAL)
    assert audit(task, "create").count() == 1
    assert audit(a, "create").get().changes["unit"] == [None, tree.district_a.name]


@pytest.mark.parametrize("who", ["viewer", "member", "outsider"])
def test_only_secretaries_create_tasks(tree, users, who):
    with pytest.raises(PermissionDenied):
        task_of(getattr(users, who), tree.district_a)
    assert not Task.objects.exists()


def test_an_admin_creates_tasks_with_lead_and_cooperating_units(tree, users):
    extra = add_units(tree.district_a, 1, kind="commune", name="Xã Tân Lập")[0]
    task = services.task_create(
        actor=users.admin,
        unit=tree.district_a,
        data={"title": "Phối hợp kiểm tra", "due_date": DUE},
        lead_units=[tree.commune_a1],
        cooperating_units=[tree.commune_a1, extra],  # a lead unit is not also cooperating
    )
    assert sorted(task.assignments.values_list("unit", "role")) == sorted(
        [(tree.commune_a1.pk, Assignment.Role.LEAD), (extra.pk, Assignment.Role.COOPERATE)]
    )


def test_task_create_refuses_units_outside_scope_and_bad_dates(tree, users):
    with pytest.raises(ValidationError) as exc:
        services.task_create(
            actor=users.owner, unit=tree.district_a, data={"title": "X"}, cooperating_units=[tree.district_b]
        )
    assert "units" in exc.value.message_dict
    with pytest.raises(ValidationError):
        task_of(users.owner, tree.district_a, start_date=D(2026, 7, 1))  # due 30/06 before start
    with pytest.raises(ValidationError):
        task_of(users.owner, tree.district_a, status=Status.DONE)  # status follows the assignments
    assert not Task.objects.exists()
    assert not Assignment.objects.exists()


def test_task_update_moves_the_due_date_of_assignments_that_kept_the_old_one(tree, users, prov, shares):
    task, share_a, share_b, coop = shares
    # B was given its own deadline; the cooperating commune already finished.
    other_due = D(2026, 5, 31)
    Assignment.objects.filter(pk=share_b.pk).update(due_date=other_due)
    report(users.owner, coop, 100, result="Đã phối hợp")
    before = {a.pk: a.version for a in Assignment.objects.filter(task=task)}

    new_due = D(2026, 7, 15)
    services.task_update(
        actor=prov.secretary, task=task, expected_version=task.version, data={"due_date": new_due}
    )

    dues = dict(Assignment.objects.filter(task=task).values_list("unit", "due_date"))
    assert dues == {tree.district_a.pk: new_due, tree.district_b.pk: other_due, tree.commune_a1.pk: DUE}
    assert audit(share_a, "update").get().changes == {"due_date": [DUE.isoformat(), new_due.isoformat()]}
    assert not audit(share_b, "update").exists()
    assert fresh(share_a).version == before[share_a.pk] + 1
    assert fresh(share_b).version == before[share_b.pk]
    assert audit(task, "update").get().changes["due_date"] == [DUE.isoformat(), new_due.isoformat()]


def test_task_update_rules(tree, users, prov):
    task = task_of(users.owner, tree.district_a)
    stale = task.version
    person = link_person(users.member, tree.district_a)
    services.task_update(
        actor=users.owner,
        task=task,
        expected_version=stale,
        data={"title": "Rà soát lại"},
        responsible=[person],
    )
    assert list(fresh(task).responsible.all()) == [person]
    assert audit(task, "update").filter(changes__has_key="responsible").count() == 1
    with pytest.raises(ConflictError):
        services.task_update(
            actor=users.owner,
            task=Task.objects.get(pk=task.pk),
            expected_version=stale,
            data={"title": "Khác"},
        )
    for who in (users.member, users.viewer, users.outsider):
        with pytest.raises(PermissionDenied):
            services.task_update(actor=who, task=task, expected_version=task.version, data={"title": "Khác"})
    with pytest.raises(ValidationError):
        services.task_update(
            actor=users.owner, task=task, expected_version=task.version, data={"status": "done"}
        )
    services.task_cancel(actor=users.owner, task=task, expected_version=task.version)
    with pytest.raises(ValidationError):
        services.task_update(
            actor=users.owner, task=fresh(task), expected_version=task.version, data={"title": "Y"}
        )
    assert fresh(task).title == "Rà soát lại"


def test_the_task_summary_follows_its_lead_assignments(tree, users, prov, shares):
    task, share_a, share_b, coop = shares

    def summary():
        return Task.objects.values_list("status", "percent").get(pk=task.pk)

    assert summary() == (Status.NOT_STARTED, 0)
    report(users.owner, share_a, 50)
    assert summary() == (Status.IN_PROGRESS, 25)
    report(users.owner, coop, 100, result="Đã phối hợp")  # cooperating work does not count
    assert summary() == (Status.IN_PROGRESS, 25)
    report(users.outsider, share_b, 100, result="Huyện Mai Châu đã tổng kết")
    assert summary() == (Status.IN_PROGRESS, 75)
    report(users.owner, share_a, 100, result="Huyện Lạc Sơn đã tổng kết")
    assert summary() == (Status.DONE, 100)
    # Reopening one lead share reopens the task.
    report(users.outsider, share_b, 80, status=Status.IN_PROGRESS, comment="Bổ sung số liệu")
    assert summary() == (Status.IN_PROGRESS, 90)
    assert fresh(share_b).completed_at is None


def test_a_cancelled_lead_share_leaves_the_summary(tree, users, prov, shares):
    task, share_a, share_b, _coop = shares
    report(users.owner, share_a, 100, result="Xong")
    services.assignments_bulk_status(
        actor=prov.secretary, assignment_ids=[share_b.pk], status=Status.CANCELLED
    )
    assert Task.objects.values_list("status", "percent").get(pk=task.pk) == (Status.DONE, 100)


def test_task_split_makes_a_child_task_of_the_assignee_below_the_same_root(tree, users, prov, shares):
    task, share_a, _share_b, _coop = shares
    with pytest.raises(PermissionDenied):
        services.task_split(
            actor=users.outsider, assignment=share_a, data={"title": "X"}, units=[tree.commune_a1]
        )
    with pytest.raises(PermissionDenied):
        services.task_split(
            actor=users.member, assignment=share_a, data={"title": "X"}, units=[tree.commune_a1]
        )

    child = services.task_split(
        actor=users.owner, assignment=share_a, data={"title": "Xã tổng kết"}, kind="commune"
    )

    child = Task.objects.get(pk=child.pk)
    assert (child.unit, child.parent_assignment, child.root_task, child.source_kind, child.due_date) == (
        tree.district_a,
        share_a,
        task,
        Task.SourceKind.SPLIT,
        DUE,
    )
    a1 = child.assignments.get()  # the district's own share of the child task was withdrawn
    assert (a1.unit, a1.root_task, a1.task_unit_path) == (tree.commune_a1, task, tree.district_a.path)
    # Finished work is not split.
    report(users.owner, share_a, 100, result="Xong")
    with pytest.raises(ValidationError):
        services.task_split(
            actor=users.owner, assignment=fresh(share_a), data={"title": "Y"}, units=[tree.commune_a1]
        )
    # A task cannot pose as the split of someone else's assignment.
    with pytest.raises(ValidationError):
        services.task_create(
            actor=users.outsider, unit=tree.district_b, data={"title": "Z"}, parent_assignment=share_a
        )


# ---------------------------------------------------------------------------------------------------------
# Progress reports


def test_a_secretary_of_the_assignee_reports_progress(tree, users, prov, shares):
    _task, share_a, _b, _coop = shares
    r = report(users.owner, share_a, 40, comment=unicodedata.normalize("NFD", "Đã họp triển khai"))
    a = fresh(share_a)
    assert (a.status, a.percent, a.version) == (Status.IN_PROGRESS, 40, 2)
    assert (r.percent, r.status, r.comment, r.created_by) == (
        40,
        Status.IN_PROGRESS,
        "Đã họp triển khai",
        users.owner,
    )
    assert audit(a, "update").get().changes == {
        "percent": [0, 40],
        "status": [Status.NOT_STARTED, Status.IN_PROGRESS],
    }


def test_who_may_report(tree, users, prov, shares):
    task, share_a, share_b, _coop = shares
    for who in (users.viewer, users.member, users.outsider, prov.viewer):
        with pytest.raises(PermissionDenied):
            report(who, share_a, 10)
    assert services.can_report(prov.secretary, share_a)  # a secretary above the assignee may
    assert not services.can_report(users.owner, share_b)
    # A member named responsible on the assignment reports on it.
    person = link_person(users.member, tree.district_a)
    share_a.responsible.add(person)
    assert services.can_report(users.member, share_a)
    report(users.member, share_a, 30)
    assert not ProgressReport.objects.exclude(created_by=users.member).exists()
    # Being named is not enough for a viewer (read-only role).
    viewer_person = link_person(users.viewer, tree.district_a)
    share_a.responsible.add(viewer_person)
    with pytest.raises(PermissionDenied):
        report(users.viewer, share_a, 40)


def test_a_member_named_responsible_on_the_task_reports_on_its_lead_assignment(tree, users):
    person = link_person(users.member, tree.district_a)
    task = services.task_create(
        actor=users.owner, unit=tree.district_a, data={"title": "X"}, responsible=[person]
    )
    a = task.assignments.get()
    assert list(a.responsible.all()) == [person]
    report(users.member, a, 20)
    assert fresh(a).percent == 20


def test_done_requires_a_result(tree, users, prov, shares):
    _task, share_a, _b, _coop = shares
    with pytest.raises(ValidationError) as exc:
        report(users.owner, share_a, 100)
    assert "result" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        report(users.owner, share_a, 60, status=Status.DONE, result="   ")
    assert "result" in exc.value.message_dict
    assert fresh(share_a).version == 1
    assert not ProgressReport.objects.exists()
    # A result given earlier counts; done means 100 %.
    report(users.owner, share_a, 70, result="Dự thảo báo cáo tổng kết")
    report(users.owner, share_a, 90, status=Status.DONE)
    a = fresh(share_a)
    assert (a.status, a.percent, a.result) == (Status.DONE, 100, "Dự thảo báo cáo tổng kết")
    assert a.completed_at is not None


@pytest.mark.parametrize("percent", [-1, 101, "nhiều", None])
def test_percent_must_be_0_to_100(tree, users, prov, shares, percent):
    _task, share_a, _b, _coop = shares
    with pytest.raises(ValidationError) as exc:
        report(users.owner, share_a, percent)
    assert "percent" in exc.value.message_dict
    assert fresh(share_a).version == 1


def test_reporters_cannot_cancel_and_cancelled_work_cannot_be_reported(tree, users, prov, shares):
    task, share_a, share_b, _coop = shares
    with pytest.raises(ValidationError) as exc:
        report(users.owner, share_a, 0, status=Status.CANCELLED)
    assert "status" in exc.value.message_dict
    services.assignments_bulk_status(
        actor=prov.secretary, assignment_ids=[share_a.pk], status=Status.CANCELLED
    )
    with pytest.raises(ValidationError):
        report(users.owner, share_a, 10)
    services.task_cancel(actor=prov.secretary, task=task, expected_version=task.version)
    with pytest.raises(ValidationError):
        report(users.outsider, share_b, 10)
    assert not ProgressReport.objects.exists()


def test_evidence_files_are_stored_with_the_report(tree, users, prov, shares, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _task, share_a, _b, _coop = shares
    pdf = SimpleUploadedFile("báo cáo.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
    r = report(users.owner, share_a, 50, files=[pdf])
    evidence = Evidence.objects.get()
    assert (evidence.assignment, evidence.report, evidence.content_type, evidence.original_name) == (
        share_a,
        r,
        "application/pdf",
        "báo cáo.pdf",
    )
    assert (tmp_path / evidence.storage_name).read_bytes().startswith(b"%PDF-1.4")
    with pytest.raises(PermissionDenied):
        services.evidence_add(
            actor=users.outsider, assignment=share_a, uploaded_file=SimpleUploadedFile("x.pdf", b"%PDF-1.4 x")
        )
    with pytest.raises(ValidationError):  # not a PDF/image/office file: refused, nothing stored
        report(users.owner, share_a, 60, files=[SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a pdf")])
    assert Evidence.objects.count() == 1
    assert fresh(share_a).percent == 50


def test_a_report_refused_for_its_second_file_leaves_no_file_behind(
    tree, users, prov, shares, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    _task, share_a, _b, _coop = shares
    good = SimpleUploadedFile("bao-cao.pdf", b"%PDF-1.4\n%%EOF\n")
    bad = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 not a pdf")
    with pytest.raises(ValidationError):
        report(users.owner, share_a, 60, files=[good, bad])
    assert not Evidence.objects.exists()
    assert not ProgressReport.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


# ---------------------------------------------------------------------------------------------------------
# Bulk actions: one audit entry per changed row, with the true previous values


def test_bulk_status_audits_each_changed_row_with_its_previous_status(tree, users):
    communes = add_units(tree.district_a, 4, kind="commune", name="Xã")
    task = task_of(users.owner, tree.district_a)
    services.task_cascade(actor=users.owner, task=task, units=communes)
    rows = list(Assignment.objects.filter(task=task).order_by("unit_path"))
    assert [a.unit for a in rows] == communes
    report(users.owner, rows[1], 30)
    report(users.owner, rows[2], 100, result="Đã xong từ trước")
    Assignment.objects.filter(pk=rows[3].pk).update(result="Kết quả đã ghi")
    before = {a.pk: (a.status, a.percent) for a in Assignment.objects.filter(task=task)}
    mark = last_audit_id()

    with pytest.raises(ValidationError) as exc:  # rows 0 and 1 have no result yet
        services.assignments_bulk_status(
            actor=users.owner, assignment_ids=[a.pk for a in rows], status=Status.DONE
        )
    assert "result" in exc.value.message_dict
    assert last_audit_id() == mark

    changed = services.assignments_bulk_status(
        actor=users.owner,
        assignment_ids=[a.pk for a in rows],
        status=Status.DONE,
        result="Đã hoàn thành đợt 1",
    )

    assert changed == 3
    assert AuditEntry.objects.filter(id__gt=mark).count() == 3
    for a in rows:
        after = Assignment.objects.get(pk=a.pk)
        assert (after.status, after.percent) == (Status.DONE, 100)
        entries = audit(a, "update").filter(id__gt=mark)
        old_status, old_percent = before[a.pk]
        if old_status == Status.DONE:  # unchanged: no entry, its result kept
            assert not entries.exists()
            assert after.result == "Đã xong từ trước"
            continue
        changes = entries.get().changes
        assert changes["status"] == [old_status, Status.DONE]
        assert changes["percent"] == [old_percent, 100]
        if a.pk == rows[3].pk:  # its own result was kept
            assert after.result == "Kết quả đã ghi"
            assert "result" not in changes
        else:
            assert after.result == "Đã hoàn thành đợt 1"
            assert changes["result"] == ["", "Đã hoàn thành đợt 1"]
    assert Task.objects.values_list("status", "percent").get(pk=task.pk) == (Status.DONE, 100)

    # Running it again changes nothing and writes nothing.
    assert (
        services.assignments_bulk_status(
            actor=users.owner, assignment_ids=[a.pk for a in rows], status="done"
        )
        == 0
    )
    assert AuditEntry.objects.filter(id__gt=mark).count() == 3


def test_bulk_status_permissions(tree, users, prov, shares):
    _task, share_a, share_b, _coop = shares
    with pytest.raises(PermissionDenied):  # not the reporter of B's share
        services.assignments_bulk_status(
            actor=users.owner, assignment_ids=[share_a.pk, share_b.pk], status="in_progress"
        )
    with pytest.raises(PermissionDenied):  # only the assigning unit cancels
        services.assignments_bulk_status(
            actor=users.owner, assignment_ids=[share_a.pk], status=Status.CANCELLED
        )
    with pytest.raises(ValidationError):
        services.assignments_bulk_status(actor=users.owner, assignment_ids=[share_a.pk], status="overdue")
    with pytest.raises(ValidationError):
        services.assignments_bulk_status(
            actor=users.owner, assignment_ids=[share_a.pk, 999_999], status="in_progress"
        )
    assert Assignment.objects.filter(status=Status.NOT_STARTED).count() == 3


def test_an_assignee_cannot_reopen_work_the_assigning_unit_cancelled(tree, users, prov, shares):
    _task, share_a, _b, _coop = shares
    services.assignments_bulk_status(
        actor=prov.secretary, assignment_ids=[share_a.pk], status=Status.CANCELLED
    )
    for status in (Status.IN_PROGRESS, Status.NOT_STARTED):
        with pytest.raises(ValidationError):
            services.assignments_bulk_status(actor=users.owner, assignment_ids=[share_a.pk], status=status)
    with pytest.raises(ValidationError):
        services.assignments_bulk_status(
            actor=users.owner, assignment_ids=[share_a.pk], status=Status.DONE, result="Xong"
        )
    assert fresh(share_a).status == Status.CANCELLED


def test_task_cancel_cancels_open_work_with_one_entry_per_changed_row(tree, users, prov, shares):
    task, share_a, share_b, coop = shares
    report(users.owner, share_a, 40)
    report(users.owner, coop, 100, result="Đã phối hợp")
    assert fresh(task).status == Status.IN_PROGRESS
    mark = last_audit_id()

    with pytest.raises(PermissionDenied):
        services.task_cancel(actor=users.owner, task=task, expected_version=task.version)
    services.task_cancel(
        actor=prov.secretary, task=task, expected_version=task.version, reason="Trùng nhiệm vụ"
    )

    assert dict(Assignment.objects.filter(task=task).values_list("unit", "status")) == {
        tree.district_a.pk: Status.CANCELLED,
        tree.district_b.pk: Status.CANCELLED,
        tree.commune_a1.pk: Status.DONE,
    }
    assert [e.changes for e in audit(share_a, "update").filter(id__gt=mark)] == [
        {"status": [Status.IN_PROGRESS, Status.CANCELLED]}
    ]
    assert [e.changes for e in audit(share_b, "update").filter(id__gt=mark)] == [
        {"status": [Status.NOT_STARTED, Status.CANCELLED]}
    ]
    assert not audit(coop).filter(id__gt=mark).exists()
    assert [e.changes for e in audit(task, "update").filter(id__gt=mark)] == [
        {"status": [Status.IN_PROGRESS, Status.CANCELLED]},
        {"reason": [None, "Trùng nhiệm vụ"]},
    ]
    assert AuditEntry.objects.filter(id__gt=mark).count() == 4
    assert fresh(task).status == Status.CANCELLED
    # Cancelling again is a no-op.
    services.task_cancel(actor=prov.secretary, task=task, expected_version=task.version)
    assert AuditEntry.objects.filter(id__gt=mark).count() == 4


# ---------------------------------------------------------------------------------------------------------
# Notifications (written after the transaction commits)


def test_assignee_secretaries_are_notified_of_new_work_but_not_muted_users(
    tree, users, prov, django_capture_on_commit_callbacks
):
    WorkPreference.objects.create(user=users.admin, in_app=False)
    task = task_of(prov.secretary, tree.province)
    users.outsider.language = "en"
    users.outsider.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        services.task_cascade(actor=prov.secretary, task=task, units=[tree.district_a, tree.district_b])

    got = {(n.user_id, n.kind) for n in Notification.objects.all()}
    assert got == {(users.owner.pk, "assigned"), (users.outsider.pk, "assigned")}
    share_b = Assignment.objects.get(task=task, unit=tree.district_b)
    note = Notification.objects.get(user=users.outsider)
    assert note.url == share_b.get_absolute_url()
    assert note.text == f"{tree.province.name} assigned you a task: {task.title}"  # in the user's language
    assert notifications.unread_count(users.owner) == 1
    assert services.notification_mark_read(user=users.owner) == 1
    assert notifications.unread_count(users.owner) == 0


def test_responsible_people_are_notified_and_the_actor_is_not(
    tree, users, django_capture_on_commit_callbacks
):
    person = link_person(users.member, tree.district_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.task_create(
            actor=users.owner, unit=tree.district_a, data={"title": "X"}, responsible=[person]
        )
    assert set(Notification.objects.values_list("user", flat=True)) == {users.member.pk, users.admin.pk}


def test_the_assigning_unit_hears_of_reports_and_nothing_is_sent_for_a_rolled_back_action(
    tree, users, prov, shares, django_capture_on_commit_callbacks
):
    _task, share_a, _b, _coop = shares
    with django_capture_on_commit_callbacks(execute=True):
        report(users.owner, share_a, 50)
        report(users.owner, share_a, 100, result="Xong")
    assert list(
        Notification.objects.filter(user=prov.secretary).values_list("kind", flat=True).order_by("id")
    ) == [
        "reported",
        "done",
    ]
    assert not Notification.objects.exclude(user=prov.secretary).exists()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(ConflictError):
            services.assignment_report(actor=users.owner, assignment=share_a, expected_version=1, percent=10)
    assert callbacks == []
    assert Notification.objects.count() == 2
