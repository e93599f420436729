"""API robustness (issue 7, part 2): schemathesis against our own /api/v1/schema/ → 0 server errors and 0 responses
that break the schema.

One test walks every operation of the live schema (so later endpoints are covered as they appear) as a token user
who is admin of district A, with data in scope (the scope sweep's `own_objects`: one object of every kind). Cases
come from schemathesis' positive generation; half of the time the `{id}` in the path, the ids in the body and the
`version` are swapped for real ones of objects the user can see, so the cases reach the services instead of
stopping at 404/400. Requests go in-process through Django's WSGI handler inside the test's transaction.

Bounded: STEERDESK_API_FUZZ_CALLS (default 600) requests in total, spread over the operations (at least 4 each);
derandomised, so CI runs the same cases every time. Raise the budget locally to search harder,
`STEERDESK_API_FUZZ_CALLS=20000 pytest tests/security/test_api_fuzz.py`, or narrow it to some operations with
`STEERDESK_API_FUZZ_ONLY='POST /api/v1/units/'` (a regular expression over "METHOD /path").
"""

from __future__ import annotations

import os
import re
import traceback

import pytest
import schemathesis
from django.apps import apps
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, models, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

pytestmark = pytest.mark.django_db

TOTAL_CALLS = int(os.environ.get("STEERDESK_API_FUZZ_CALLS", "600"))
ONLY = re.compile(os.environ.get("STEERDESK_API_FUZZ_ONLY", ""))  # e.g. "POST /api/v1/units/" while debugging
MIN_PER_OPERATION = 4
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
SKIP = {
    "GET /api/v1/schema/",  # the schema itself: validated by drf-spectacular in steerdesk/api/tests/test_schema.py
}


@pytest.fixture
def wsgi_app():
    """Django's WSGI handler, minus the per-request connection closing that would end the test's transaction
    (Django's test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def relation_targets() -> dict[str, type[models.Model]]:
    """Body field name → the model its ids point to, from every SteerDesk model's relations."""
    targets: dict[str, type[models.Model]] = {}
    for app in apps.get_app_configs():
        if not app.name.startswith("steerdesk."):
            continue
        for model in app.get_models():
            for f in model._meta.get_fields():
                if (f.many_to_one or f.many_to_many) and f.concrete and f.related_model is not None:
                    targets.setdefault(f.name, f.related_model)
    return targets


def visible_ids(model, user) -> list[int]:
    manager = model._default_manager
    queryset = manager.for_user(user) if hasattr(manager, "for_user") else manager.all()
    return list(queryset.order_by("pk").values_list("pk", flat=True)[:20])


class RealIds:
    """Strategies that put real, visible ids and current versions into generated cases."""

    def __init__(self, user):
        self.user = user
        self.targets = relation_targets()
        self._ids: dict[type, list[int]] = {}

    def ids(self, model) -> list[int]:
        if model not in self._ids:
            self._ids[model] = visible_ids(model, self.user) or [1]
        return self._ids[model]

    def model_of(self, operation) -> type[models.Model] | None:
        from django.urls import resolve

        try:
            match = resolve(operation.path.replace("{id}", "1"))
        except Exception:
            return None
        cls = getattr(match.func, "cls", None)
        return getattr(cls, "model", None) or getattr(getattr(cls, "queryset", None), "model", None)

    def apply(self, case, data, model) -> None:
        if model is not None and "id" in (case.path_parameters or {}) and data.draw(st.booleans()):
            pk = data.draw(st.sampled_from(self.ids(model)))
            case.path_parameters["id"] = pk
            if isinstance(case.body, dict) and "version" in case.body and data.draw(st.booleans()):
                case.body["version"] = (
                    model._default_manager.filter(pk=pk).values_list("version", flat=True).first()
                )
        if isinstance(case.body, dict):
            for name, value in list(case.body.items()):
                target = self.targets.get(name)
                if target is None or not data.draw(st.booleans()):
                    continue
                choice = st.sampled_from(self.ids(target))
                case.body[name] = data.draw(
                    st.lists(choice, max_size=3) if isinstance(value, list) else choice
                )


def fuzz(operation, real: RealIds, auth: dict, examples: int, counter: dict):
    """A hypothesis test of one operation: `examples` cases, each called and checked."""
    model = real.model_of(operation)

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), data=st.data())
    def run(case, data):
        real.apply(case, data, model)
        counter["calls"] += 1
        # A savepoint per call, as each request has its own transaction in production: a failed query in one
        # call must not poison the test's transaction for the next.
        with transaction.atomic():
            case.call_and_validate(headers=auth, checks=CHECKS)

    return run


def test_every_operation_answers_without_server_errors_or_schema_violations(wsgi_app, users, own_objects):
    token = Token.objects.create(user=users.admin).key
    auth = {"Authorization": f"Token {token}", "Accept-Language": "en"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", wsgi_app, headers=auth)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if op.label not in SKIP and ONLY.search(op.label)]
    assert len(operations) > 30 or ONLY.pattern, [op.label for op in operations]
    per_operation = max(MIN_PER_OPERATION, TOTAL_CALLS // len(operations))
    real = RealIds(users.admin)
    failures: dict[str, str] = {}
    counter = {"calls": 0}

    for operation in operations:
        try:
            fuzz(operation, real, auth, per_operation, counter)()
        except (
            Exception,
            BaseExceptionGroup,
        ) as exc:  # collect every operation's failure, then report them all
            failures[operation.label] = "".join(traceback.format_exception_only(exc))[-3000:]

    report = "\n\n".join(f"== {label}\n{text}" for label, text in failures.items())
    assert not failures, f"{len(failures)} operations failed:\n{report}"
    assert counter["calls"] >= len(operations) * 2
