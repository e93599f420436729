"""factory-boy factories for plans, tasks, assignments, progress reports and evidence, written straight to the
ORM with the same derived columns the services keep (unit_path, task_unit_path, root_task); the services have
their own tests.

- `TaskFactory(unit=u)` creates the task and, like `services.task_create`, one lead assignment to the task's
  own unit. Pass `assign_to=[unit, ...]` for lead assignments to those units instead, or `assign_to=[]` for
  none. The assignments are on `task.assignment_list` (created order).
- `AssignmentFactory(task=t, unit=u)` copies the paths and the root task from the task.
- `split_task(assignment, ...)` builds a child task of an assignment (source "split", same root task).
"""

import factory

from steerdesk.orgs.tests.factories import OrgUnitFactory
from steerdesk.work.models import Assignment, Evidence, Plan, ProgressReport, Status, Task


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    unit = factory.SubFactory(OrgUnitFactory)
    unit_path = factory.LazyAttribute(lambda o: o.unit.path)
    title = factory.Sequence(lambda n: f"Kế hoạch thực hiện Nghị quyết số {n}")
    period_kind = Plan.PeriodKind.YEAR
    year = 2026
    status = Plan.PlanStatus.DRAFT


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task
        skip_postgeneration_save = True

    unit = factory.SubFactory(OrgUnitFactory)
    unit_path = factory.LazyAttribute(lambda o: o.unit.path)
    title = factory.Sequence(lambda n: f"Nhiệm vụ số {n}")
    source_kind = factory.LazyAttribute(
        lambda o: Task.SourceKind.PLAN_ITEM if o.plan is not None else Task.SourceKind.MANUAL
    )
    plan = None

    @factory.post_generation
    def assign_to(obj, create, extracted, **kwargs):
        """Lead assignments: to the task's own unit by default, to `extracted` units when given."""
        units = [obj.unit] if extracted is None else list(extracted)
        obj.assignment_list = [
            AssignmentFactory(task=obj, unit=unit, due_date=obj.due_date) if create else None
            for unit in units
        ]


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    task = factory.SubFactory(TaskFactory, assign_to=[])
    unit = factory.SubFactory(OrgUnitFactory)
    unit_path = factory.LazyAttribute(lambda o: o.unit.path)
    task_unit_path = factory.LazyAttribute(lambda o: o.task.unit_path)
    root_task = factory.LazyAttribute(lambda o: o.task.root_task or o.task)
    role = Assignment.Role.LEAD
    status = Status.NOT_STARTED
    percent = 0
    due_date = factory.LazyAttribute(lambda o: o.task.due_date)
    result = factory.LazyAttribute(lambda o: "Đã hoàn thành theo kế hoạch" if o.status == Status.DONE else "")


def split_task(assignment: Assignment, *, assign_to=(), **kwargs) -> Task:
    """A child task of `assignment` owned by the assignee unit (what `services.task_split` creates)."""
    return TaskFactory(
        unit=assignment.unit,
        parent_assignment=assignment,
        root_task=assignment.root_task,
        source_kind=Task.SourceKind.SPLIT,
        due_date=kwargs.pop("due_date", assignment.due_date),
        assign_to=list(assign_to),
        **kwargs,
    )


class ProgressReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressReport

    assignment = factory.SubFactory(AssignmentFactory)
    percent = 50
    status = Status.IN_PROGRESS
    comment = "Đang triển khai"


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evidence

    assignment = factory.SubFactory(AssignmentFactory)
    report = None
    original_name = "bao-cao-ket-qua.pdf"
    storage_name = factory.Sequence(lambda n: f"evidence/test-{n:08d}.bin")
    content_type = "application/pdf"
    size = 100
    sha256 = "0" * 64
