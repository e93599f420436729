"""Bulk writing for the large demo scales: rows as tuples, ids chosen here, no ORM objects.

`BulkWriter.add(table, row)` buffers a tuple of Python values; every `flush_rows` buffered rows the buffers of
all tables are written in one transaction: `executemany` on SQLite (the sqlite3 module's C loop), `COPY … FROM
STDIN` on PostgreSQL. Ids are allocated by the generator (`IdAllocator`), so rows can point at each other before
they are written and nothing is read back. Foreign keys are checked at commit on both databases (Django creates
them DEFERRABLE INITIALLY DEFERRED), so the order of the tables inside one flush does not matter, but every
flush must be self-consistent: callers only reference rows they have already added.

Columns a table does not list get a constant: their field default (`""` for blank text, `True` for `is_active`,
`1` for `version`), the run's `now` for `created_at`/`updated_at`, the acting superuser for `created_by`/
`updated_by`, NULL where the column allows it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from django.core.management.color import no_style
from django.db import models, transaction


@dataclass
class TableStats:
    rows: int = 0
    seconds: float = 0.0


class IdAllocator:
    """Next primary key per model, starting after the largest existing one (tables may hold rows already, e.g.
    the superuser or the document types of the data migration)."""

    def __init__(self, connection):
        self.connection = connection
        self._next: dict[type[models.Model], int] = {}

    def next(self, model: type[models.Model]) -> int:
        value = self._next.get(model)
        if value is None:
            value = (model._base_manager.aggregate(m=models.Max("pk"))["m"] or 0) + 1
        self._next[model] = value + 1
        return value

    def used(self) -> list[type[models.Model]]:
        return list(self._next)


@dataclass
class _Table:
    model: type[models.Model]
    columns: list[str]  # attnames given by the rows
    sql_columns: list[str]  # db column names: given ones, then the constant tail
    tail: tuple
    convert: Callable[[tuple], tuple] | None  # SQLite: dates/datetimes to the strings Django stores
    pending: list[tuple] = field(default_factory=list)


class BulkWriter:
    def __init__(self, *, connection, now, actor_id: int | None, flush_rows: int = 50_000):
        self.connection = connection
        self.vendor = connection.vendor
        if self.vendor not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"Bulk demo data needs SQLite or PostgreSQL, not {self.vendor}.")
        self.now = now
        self.actor_id = actor_id
        self.flush_rows = flush_rows
        self.ids = IdAllocator(connection)
        self.stats: dict[str, TableStats] = {}
        self._tables: dict[tuple[type[models.Model], tuple[str, ...]], _Table] = {}
        self._pending = 0
        self._fk_checks_off = False

    # Tables

    def table(self, model: type[models.Model], columns: Sequence[str]) -> _Table:
        """A row layout for `model`: `columns` are attnames (`unit_id`, `path`…) in the order rows give them."""
        key = (model, tuple(columns))
        if key in self._tables:
            return self._tables[key]
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [c for c in columns if c not in fields]
        if unknown:
            raise ValueError(f"{model.__name__} has no column {unknown}")
        tail_fields = [f for name, f in fields.items() if name not in columns]
        tail = tuple(self._constant(model, f) for f in tail_fields)
        ordered = [fields[c] for c in columns] + tail_fields
        table = _Table(
            model=model,
            columns=list(columns),
            sql_columns=[f.column for f in ordered],
            tail=tail,
            convert=self._converter([fields[c] for c in columns]) if self.vendor == "sqlite" else None,
        )
        tail_convert = self._converter(tail_fields) if self.vendor == "sqlite" else None
        if tail_convert is not None:
            table.tail = tail_convert(tail)
        self._tables[key] = table
        self.stats.setdefault(model._meta.db_table, TableStats())
        return table

    def _constant(self, model, f: models.Field):
        if f.primary_key:
            raise ValueError(f"{model.__name__}: rows must give the primary key")
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            return self.now
        if f.attname in ("created_by_id", "updated_by_id"):
            return self.actor_id
        if f.has_default():
            value = f.get_default()
        elif f.null:
            value = None
        elif f.empty_strings_allowed and not f.null:
            value = ""
        else:
            raise ValueError(f"{model.__name__}.{f.attname} is required: give it in the rows")
        if isinstance(f, models.BinaryField | models.JSONField):
            raise ValueError(f"{model.__name__}.{f.attname}: give it in the rows")
        return value

    def _converter(self, fields: list[models.Field]) -> Callable[[tuple], tuple] | None:
        ops = self.connection.ops
        date_cols = [i for i, f in enumerate(fields) if type(f) is models.DateField]
        dt_cols = [i for i, f in enumerate(fields) if isinstance(f, models.DateTimeField)]
        if not date_cols and not dt_cols:
            return None

        @lru_cache(maxsize=4096)
        def d(value):
            return None if value is None else value.isoformat()

        @lru_cache(maxsize=65536)
        def dt(value):
            return ops.adapt_datetimefield_value(value)

        def convert(row: tuple) -> tuple:
            out = list(row)
            for i in date_cols:
                out[i] = d(out[i])
            for i in dt_cols:
                out[i] = dt(out[i])
            return tuple(out)

        return convert

    # Rows

    def add(self, table: _Table, row: tuple) -> None:
        table.pending.append(row)
        self._pending += 1
        if self._pending >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        """Write every buffered row, all tables in one transaction."""
        if not self._pending:
            return
        with transaction.atomic(using=self.connection.alias):
            for table in self._tables.values():
                if table.pending:
                    self._write(table)
        self._pending = 0

    def _write(self, table: _Table) -> None:
        started = time.monotonic()
        rows, table.pending = table.pending, []
        tail = table.tail
        if table.convert is not None:
            convert = table.convert
            rows = [convert(r) + tail for r in rows]
        elif tail:
            rows = [r + tail for r in rows]
        quote = self.connection.ops.quote_name
        name = quote(table.model._meta.db_table)
        cols = ", ".join(quote(c) for c in table.sql_columns)
        if self.vendor == "sqlite":
            raw = self.connection.connection
            marks = ", ".join("?" * len(table.sql_columns))
            # Table and column names come from the models, values are parameters.
            raw.executemany(f"INSERT INTO {name} ({cols}) VALUES ({marks})", rows)  # noqa: S608  # nosec
        else:
            with self.connection.cursor() as cursor:
                with cursor.cursor.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        stats = self.stats[table.model._meta.db_table]
        stats.rows += len(rows)
        stats.seconds += time.monotonic() - started

    # Indexes

    def _settle(self, cursor) -> None:
        """PostgreSQL refuses to create or drop an index of a table with pending deferred foreign-key checks:
        inside a surrounding transaction (the tests), run the pending checks now. Django's constraints are
        all INITIALLY DEFERRED, so they go back to that."""
        if self.vendor == "postgresql" and self.connection.in_atomic_block:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def drop_indexes(self, models_: Sequence[type[models.Model]]) -> list[str]:
        """Drop the secondary indexes of these tables (and SQLite's search triggers) for the load; returns the
        SQL that creates them again. Unique constraints stay: they check the generated rows as they come in.

        Building an index once over sorted data is several times cheaper than keeping it current through
        millions of random inserts (PostgreSQL's GIN search index most of all)."""
        from steerdesk.documents.search import uninstall_engine_index

        tables = [m._meta.db_table for m in models_]
        saved: list[tuple[str, str]] = []
        with self.connection.cursor() as cursor:
            if self.vendor == "sqlite":
                for table in tables:
                    cursor.execute(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                        "AND tbl_name = %s",
                        [table],
                    )
                    saved += cursor.fetchall()
            else:
                cursor.execute(
                    "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                    "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                    "WHERE t.relname = ANY(%s) AND NOT x.indisprimary "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
                    [tables],
                )
                saved = list(cursor.fetchall())
            self._settle(cursor)
            for name, _sql in saved:
                cursor.execute(f"DROP INDEX {self.connection.ops.quote_name(name)}")
        if self.vendor == "sqlite":
            uninstall_engine_index(self.connection)
            # Without the indexes on its foreign-key columns SQLite would scan a whole child table for every
            # parent row inserted while a deferred reference is pending: check the references once at the end
            # instead (`PRAGMA foreign_key_check`). A no-op inside a transaction (the tests), where the checks
            # stay on.
            self._fk_checks_off = self.connection.disable_constraint_checking()
        return [sql for _name, sql in saved]

    def create_indexes(self, statements: list[str]) -> None:
        """Create the dropped indexes again, then the search index (SQLite: the FTS5 table rebuilt from the
        column and its triggers; PostgreSQL: the GIN expression index, if it was not among them)."""
        from steerdesk.documents.search import install_engine_index

        with self.connection.cursor() as cursor:
            self._settle(cursor)
            for sql in statements:
                cursor.execute(sql)
        install_engine_index(self.connection)
        if self._fk_checks_off:
            self._fk_checks_off = False
            try:
                self.connection.check_constraints(table_names=list(self.stats))  # IntegrityError if any
            finally:
                self.connection.enable_constraint_checking()

    def finish(self) -> None:
        """Flush what is left; on PostgreSQL move the id sequences past the ids chosen here."""
        self.flush()
        if self.vendor == "postgresql":
            models_used = self.ids.used()
            statements = self.connection.ops.sequence_reset_sql(no_style(), models_used)
            with self.connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
