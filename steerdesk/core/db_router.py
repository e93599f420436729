"""Read replicas for read-heavy pages (README, "Scaling"): a database router that sends reads to the `replica`
alias only where a page asked for it, and never where a stale row could do harm.

Active only when `STEERDESK_REPLICA_DATABASE_URL` is set (settings add the `replica` alias and this router).

- Every write goes to `default` (the primary).
- A read goes to `replica` only inside `use_replica` — a decorator on read-heavy views (roll-ups, dashboards,
  report exports) or a `with use_replica():` block — and only when
  - no transaction is open on `default` (inside `atomic()` a read belongs with the writes around it), and
  - nothing was written through the ORM earlier in the same request (read-your-writes: a page that changed
    something and then reads it must see the change, not the replica's lagging copy).
- Anything else reads `default`, so pages that were not opted in behave as if there were no replica.

The opt-in flag and the "written" mark live in context variables, so threads and async tasks each keep their
own; the mark is cleared when a request starts (`request_started`).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools

from django.core.signals import request_started
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

_replica_wanted: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "steerdesk_replica_wanted", default=False
)
_wrote: contextvars.ContextVar[bool] = contextvars.ContextVar("steerdesk_wrote", default=False)


def _request_started(**kwargs) -> None:
    _wrote.set(False)


request_started.connect(_request_started, dispatch_uid="steerdesk.core.db_router.request_started")


@contextlib.contextmanager
def _replica_reads():
    token = _replica_wanted.set(True)
    try:
        yield
    finally:
        _replica_wanted.reset(token)


def use_replica(target=None):
    """Let the reads of a view (or of a block) go to the read replica when one is configured.

    `@use_replica` on a view function or a class-based view (its `dispatch`), or `with use_replica():`. Without a
    replica (no `DATABASE_ROUTERS`), it changes nothing."""
    if target is None:
        return _replica_reads()
    if isinstance(target, type):
        dispatch = target.dispatch

        @functools.wraps(dispatch)
        def replica_dispatch(self, *args, **kwargs):
            with _replica_reads():
                return dispatch(self, *args, **kwargs)

        target.dispatch = replica_dispatch
        return target

    @functools.wraps(target)
    def wrapper(*args, **kwargs):
        with _replica_reads():
            return target(*args, **kwargs)

    return wrapper


def replica_wanted() -> bool:
    """Whether the code running now opted in to replica reads (for tests and diagnostics)."""
    return _replica_wanted.get()


class ReplicaRouter:
    """`DATABASE_ROUTERS = ["steerdesk.core.db_router.ReplicaRouter"]` (set by the settings with a replica)."""

    def db_for_read(self, model, **hints):
        if not _replica_wanted.get() or _wrote.get():
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model, **hints):
        _wrote.set(True)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary: objects read from either may be related.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica follows the primary by streaming replication: migrations run on the primary only.
        return False if db == REPLICA else None
