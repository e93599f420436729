"""Synthetic data at province and national scale for `seed_demo --scale province|national` (issue 6).

The generators build rows as tuples and write them in bulk (`writer.BulkWriter`: executemany on SQLite, COPY on
PostgreSQL), filling every derived column the services would (materialised paths, copied unit paths, name parts
and sort keys, document number keys and search tokens, task summaries). They do not go through the services, so
no audit entries are written for generated rows. The output is deterministic: a seeded random generator, ids
allocated in generation order, and dates relative to the seeding day (`today`), so the roll-ups always show
done, late and open work.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection as default_connection
from django.utils import timezone

from steerdesk.documents.models import Document, NumberCounter, Recipient, Register
from steerdesk.orgs.models import Membership, Person
from steerdesk.work.models import Assignment, Plan, Task

from .config import SCALES, Run, Scale
from .documents import DocumentBuilder
from .tree import PeopleBuilder, TreeBuilder, write_logins
from .work import WorkBuilder
from .writer import BulkWriter, TableStats

__all__ = ["SCALES", "Report", "Scale", "generate"]

# The big tables, loaded without their secondary indexes (built once at the end).
LOADED = [Person, Membership, Document, Recipient, Register, NumberCounter, Plan, Task, Assignment]


@dataclass
class Report:
    scale: str
    vendor: str
    phases: list[tuple[str, float]] = field(default_factory=list)
    tables: dict[str, TableStats] = field(default_factory=dict)
    logins: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        w = 34
        out = [f"{'phase':<{w}}{'seconds':>10}"]
        out += [f"{name:<{w}}{seconds:>10.1f}" for name, seconds in self.phases]
        out.append("")
        out.append(f"{'table':<{w}}{'rows':>12}{'insert s':>10}")
        for name, stats in sorted(self.tables.items(), key=lambda kv: -kv[1].rows):
            if stats.rows:
                out.append(f"{name:<{w}}{stats.rows:>12,}{stats.seconds:>10.1f}")
        out.append(f"{'total':<{w}}{sum(s.rows for s in self.tables.values()):>12,}{self.seconds:>10.1f}")
        return out


def generate(
    scale: str | Scale,
    *,
    actor_id: int,
    today: datetime.date | None = None,
    connection=None,
    log: Callable[[str], None] | None = None,
) -> Report:
    """Fill an empty database with the network of `scale`; returns the timings and row counts.

    Rows are committed in batches (`Scale.flush_rows`): a run that fails half-way leaves a partly filled
    database, to be dropped and created again."""
    scale = SCALES[scale] if isinstance(scale, str) else scale
    connection = connection or default_connection
    log = log or (lambda message: None)
    now = timezone.now()
    today = today or timezone.localdate()
    writer = BulkWriter(connection=connection, now=now, actor_id=actor_id, flush_rows=scale.flush_rows)
    run = Run(scale=scale, writer=writer, today=today, now=now, actor_id=actor_id)
    report = Report(scale=scale.name, vendor=connection.vendor, tables=writer.stats)
    started = time.monotonic()
    _tune(connection)

    def phase(name: str, step: Callable[[], object]):
        t0 = time.monotonic()
        result = step()
        writer.flush()
        seconds = time.monotonic() - t0
        report.phases.append((name, seconds))
        log(f"  {name}: {seconds:.1f} s")
        return result

    indexes = phase("drop indexes", lambda: writer.drop_indexes(LOADED))
    try:
        tree = TreeBuilder(run)
        units = phase("units", lambda: (tree.build(), tree.write_units())[0])
        people = PeopleBuilder(run, units)
        phase("committees, people, rosters", people.build)
        report.logins = phase("logins", lambda: write_logins(run, units, people))
        documents = DocumentBuilder(run, units, people)
        phase("registers, documents", documents.build)
        work = WorkBuilder(run, units, documents)
        phase("plans, tasks, assignments", work.build)
        phase("sequences", writer.finish)
    finally:
        # Even after a failure: the (partly filled) database keeps its indexes and search triggers.
        phase("indexes, search index, FK check", lambda: writer.create_indexes(indexes))
    phase("statistics (ANALYZE)", lambda: _analyze(connection))
    report.seconds = time.monotonic() - started
    return report


def _tune(connection) -> None:
    """More memory for this connection while it builds big indexes (session settings only)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB of page cache
        else:
            cursor.execute("SET maintenance_work_mem = '512MB'")


def _analyze(connection) -> None:
    """Fresh planner statistics: the generated tables went from empty to large in one go."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
