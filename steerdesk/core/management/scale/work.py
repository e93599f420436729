"""Plans, tasks and assignments of a generated scale, cascaded down the tree the way the work services do it.

Each unit has a plan per year (committee units: adopted by their plan document, linked to the plan of the unit
above). A plan item of a committee unit is cascaded to the units below it (`task_cascade`: lead assignments,
the owner's own assignment withdrawn) or given to its departments with cooperating ones (`task_create` with
`lead_units`/`cooperating_units`); assignee units split their share further down (`task_split`: a child task
of the assignee with `parent_assignment`, the same `root_task`). Units without a committee do their plan items
themselves (one assignment to their own unit). Every assignment carries the assignee's path (`unit_path`), the
owner's (`task_unit_path`) and the cascade's top task (`root_task`); a task's status and percent summarise its
lead assignments as `work.services._refresh_task` does.

Statuses follow the due dates relative to the seeding day: most past work is done, some is late (open past its
due date), a little was cancelled with its task; work due later is not started, in progress or already done.
"""

from __future__ import annotations

import datetime

from steerdesk.work.models import Assignment, Plan, Priority, Status, Task

from . import phrases
from .config import Run
from .documents import DocumentBuilder
from .tree import Unit

LEAD, COOPERATE = Assignment.Role.LEAD, Assignment.Role.COOPERATE
# Which children a unit of each level hands its work down to, and how often an assignee splits its share.
DOWN = {
    "central": ("province", "ministry", "bloc"),
    "province": ("district",),
    "district": ("commune",),
    "ministry": ("corporation",),
    "corporation": ("company",),
    "company": ("subsidiary",),
    "bloc": ("party",),
}
SPLIT = {"province": 0.85, "district": 0.7, "ministry": 0.5, "corporation": 0.7, "company": 0.5, "bloc": 0.8}
DEPARTMENTS = {"province": "province_dept", "ministry": "ministry_dept"}
PRIORITIES = [Priority.NORMAL] * 14 + [Priority.HIGH] * 4 + [Priority.LOW, Priority.URGENT]


class WorkBuilder:
    def __init__(self, run: Run, units: list[Unit], documents: DocumentBuilder):
        self.run = run
        self.rng = run.rng
        self.units = units
        self.documents = documents
        self.speller = documents.speller
        w = run.writer
        self.plan_table = w.table(
            Plan,
            ["id", "unit_id", "unit_path", "committee_id", "title", "period_kind", "year", "start_date",
             "end_date", "status", "adopted_by_id", "parent_plan_id"],
        )  # fmt: skip
        self.task_table = w.table(
            Task,
            ["id", "unit_id", "unit_path", "plan_id", "item_number", "parent_assignment_id", "root_task_id",
             "title", "description", "priority", "start_date", "due_date", "status", "percent",
             "result_required", "source_kind", "created_at", "updated_at"],
        )  # fmt: skip
        self.assignment_table = w.table(
            Assignment,
            ["id", "task_id", "root_task_id", "unit_id", "unit_path", "task_unit_path", "role", "status",
             "percent", "result", "due_date", "completed_at", "created_at", "updated_at"],
        )  # fmt: skip
        self.plans: dict[tuple[int, int], int] = {}
        self.counts = {"plans": 0, "tasks": 0, "assignments": 0}

    # --- Plans ---------------------------------------------------------------------------------------------

    def _plan(self, u: Unit, year: int) -> int:
        plan_id = self.run.writer.ids.next(Plan)
        self.plans[(u.id, year)] = plan_id
        parent = u.parent
        while parent is not None and (parent.id, year) not in self.plans:
            parent = parent.parent
        owner = u.committee_name or u.name
        status = Plan.PlanStatus.ADOPTED if year == self.run.today.year else Plan.PlanStatus.CLOSED
        self.run.writer.add(
            self.plan_table,
            (plan_id, u.id, u.path, u.committee_id, f"Kế hoạch công tác năm {year} của {owner}",
             Plan.PeriodKind.YEAR, year, datetime.date(year, 1, 1), datetime.date(year, 12, 31), status,
             self.documents.plan_documents.get((u.id, year)), self.plans[(parent.id, year)] if parent else None),
        )  # fmt: skip
        self.counts["plans"] += 1
        return plan_id

    # --- Tasks ---------------------------------------------------------------------------------------------

    def build(self) -> None:
        scale = self.run.scale
        for year in self.run.years:
            for u in self.units:  # tree order: a parent's plan exists before its children's
                items = scale.items.get(u.level, 0) if u.has_committee else scale.own_tasks.get(u.level, 0)
                if not items:
                    continue
                plan_id = self._plan(u, year)
                for number in range(1, items + 1):
                    self._item(u, plan_id, number, year)

    def _dates(self, year: int) -> tuple[datetime.date, datetime.date]:
        """Start and due date of a plan item. This year's items are spread around the seeding day (about a
        third still ahead, whatever the month), earlier years' over their year."""
        rng, today = self.rng, self.run.today
        if year == today.year:
            due = max(today + datetime.timedelta(days=rng.randint(-240, 110)), datetime.date(year, 1, 20))
            start = max(due - datetime.timedelta(days=rng.randint(30, 150)), datetime.date(year, 1, 2))
            return start, due
        start = datetime.date(year, 1, 10) + datetime.timedelta(days=rng.randint(0, 200))
        due = start + datetime.timedelta(days=rng.randint(30, 150))
        return start, min(due, datetime.date(year, 12, 31))

    def _item(self, u: Unit, plan_id: int, number: int, year: int) -> None:
        rng = self.rng
        start, due = self._dates(year)
        text = self._text(u, year)
        down_levels = DOWN.get(u.level, ())
        below = [c for c in u.children if c.level in down_levels]
        if u.level == "central":
            kinds = rng.choice([("province",), ("province",), ("ministry",), down_levels])
            below = [c for c in below if c.level in kinds]
        departments = [c for c in u.children if c.level == DEPARTMENTS.get(u.level)]
        if u.has_committee and below and (not departments or rng.random() < 0.75):
            leads, cooperating = below, []
        elif u.has_committee and departments:
            chosen = rng.sample(departments, min(len(departments), rng.randint(2, 3)))
            leads, cooperating = chosen[:1], chosen[1:]
        else:
            leads, cooperating = [u], []
        cancelled = rng.random() < 0.015 and due < self.run.today
        self._task(u, plan_id, str(number), None, None, text, start, due, leads, cooperating, cancelled)

    def _text(self, u: Unit, year: int) -> tuple[str, str, str]:
        rng = self.rng
        ctx = self.documents._context(u, year)
        style = self.speller.style()
        title = self.speller.apply(phrases.fill(rng, rng.choice(phrases.TASK_TITLES), ctx), style)
        description = self.speller.apply(rng.choice(phrases.TASK_DESCRIPTIONS), style, multiline=True)
        return title, description, "Báo cáo kết quả thực hiện, kèm tài liệu kiểm chứng"

    def _task(
        self, u, plan_id, item, parent_assignment, root_id, text, start, due, leads, cooperating, cancelled
    ):
        """One task of `u`, its assignments, and the splits of those assignments further down (recursively)."""
        rng, run = self.rng, self.run
        w = run.writer
        task_id = w.ids.next(Task)
        root = root_id or task_id
        title, description, result_required = text
        rows = []
        summary = []
        for unit, role in [(x, LEAD) for x in leads] + [(x, COOPERATE) for x in cooperating]:
            a_due = due - datetime.timedelta(days=rng.randint(0, 10)) if unit is not u else due
            a_due = max(a_due, start)
            status, percent, completed = self._progress(start, a_due, cancelled)
            a_id = w.ids.next(Assignment)
            result = self._result(status)
            created = run.at(min(start, run.today), 8)
            rows.append(
                (a_id, task_id, root, unit.id, unit.path, u.path, role, status, percent, result, a_due, completed,
                 created, completed or created)
            )  # fmt: skip
            if role == LEAD and status != Status.CANCELLED:
                summary.append((status, percent))
            # The assignee hands its share down when it receives it (while still open): whatever became of it
            # since, the split stays.
            if unit is not u and status != Status.CANCELLED:
                split_to = [c for c in unit.children if c.level in DOWN.get(unit.level, ())]
                if split_to and rng.random() < SPLIT.get(unit.level, 0):
                    rows.append(("split", unit, a_id, a_due, split_to))
        status, percent = self._summary(summary, cancelled)
        source = Task.SourceKind.PLAN_ITEM if plan_id else Task.SourceKind.SPLIT
        created = run.at(min(start, run.today), 8)
        w.add(
            self.task_table,
            (task_id, u.id, u.path, plan_id, item, parent_assignment, root_id, title, description,
             rng.choice(PRIORITIES), start, due, status, percent, result_required, source, created, created),
        )  # fmt: skip
        self.counts["tasks"] += 1
        for row in rows:
            if row[0] != "split":
                w.add(self.assignment_table, row)
                self.counts["assignments"] += 1
        for row in rows:
            if row[0] == "split":
                _marker, unit, a_id, a_due, split_to = row
                child_start = min(start + datetime.timedelta(days=rng.randint(0, 10)), a_due)
                self._task(unit, None, "", a_id, root, text, child_start, a_due, split_to, [], False)

    def _progress(self, start, due, cancelled) -> tuple[str, int, datetime.datetime | None]:
        rng, today = self.rng, self.run.today
        r = rng.random()
        if due < today:
            if r < 0.84:
                status = Status.DONE
            elif cancelled:
                return Status.CANCELLED, 0, None
            else:
                status = Status.IN_PROGRESS if r < 0.94 else Status.NOT_STARTED
        elif cancelled:
            return Status.CANCELLED, 0, None
        else:
            soon = (due - today).days < 60
            if r < (0.25 if soon else 0.1):
                status = Status.DONE
            elif r < 0.6:
                status = Status.IN_PROGRESS
            else:
                status = Status.NOT_STARTED
        if status == Status.DONE:
            finished = due + datetime.timedelta(days=rng.randint(-25, 8))
            finished = max(min(finished, today), start)
            return status, 100, self.run.at(finished, rng.randint(8, 17))
        if status == Status.IN_PROGRESS:
            return status, 5 * rng.randint(1, 18), None
        return status, 0, None

    def _result(self, status: str) -> str:
        if status != Status.DONE:
            return ""
        return self.rng.choice(phrases.RESULTS).format(n=self.rng.randint(12, 480))

    @staticmethod
    def _summary(leads: list[tuple[str, int]], cancelled: bool) -> tuple[str, int]:
        """As `work.services._refresh_task`: all done → done; all untouched → not started; else in progress."""
        if cancelled:
            return Status.CANCELLED, 0
        if not leads:
            return Status.NOT_STARTED, 0
        if all(s == Status.DONE for s, _p in leads):
            status = Status.DONE
        elif all(s == Status.NOT_STARTED and p == 0 for s, p in leads):
            status = Status.NOT_STARTED
        else:
            status = Status.IN_PROGRESS
        return status, round(sum(p for _s, p in leads) / len(leads))
