"""Query parameters with hostile values answer < 500 (ASVS V2.2), on every API endpoint (each parameter of the
OpenAPI schema) and on every page (the usual filter names at once). Found this way: huge numbers overflowed the
SQLite driver (`?committee=10**20`, `?limit=`), out-of-range years broke `?year=`, `"²".isdigit()` is true in
Python, and PostgreSQL refuses a NUL in text (`?number=%00`). Cheaper and more thorough on this one point than
the schemathesis run (tests/security/test_api_fuzz.py), which draws such values only rarely."""

from __future__ import annotations

import pytest

from .sweep import concrete_urls
from .test_mass_assignment import detail_path_for, schema

pytestmark = pytest.mark.django_db

HOSTILE = [
    "²",  # a digit to str.isdigit(), not to int()
    "٣",  # an Arabic-Indic digit
    "-1",
    "1.5",
    "9" * 19,  # just past a 64-bit integer
    "9" * 40,
    "2272525",  # a year no date can hold
    "nan",
    "\x00",  # PostgreSQL refuses NUL in text
    "2026-02-30",
    "'; --",
]


def test_no_query_parameter_value_causes_a_server_error(own_objects, users, client_for):
    client = client_for(users.admin)
    client.cookies["steerdesk_language"] = "en"
    failures, checked = [], 0
    for template, methods in schema()["paths"].items():
        operation = methods.get("get")
        if operation is None or template.endswith("/schema/"):
            continue
        if "{" in template:
            found = detail_path_for(template, own_objects)
            if found is None:
                continue
            path = found[0]
        else:
            path = template
        for parameter in operation.get("parameters", []):
            if parameter.get("in") != "query":
                continue
            for value in HOSTILE:
                response = client.get(path, {parameter["name"]: value})
                checked += 1
                if response.status_code >= 500:
                    failures.append(f"GET {path}?{parameter['name']}={value!r} → {response.status_code}")
    assert not failures, "\n".join(failures)
    assert checked > 200


# Filter names the pages use (and a few they might): all are sent at once with the same hostile value.
PAGE_PARAMETERS = [
    "q", "page", "unit", "status", "year", "number", "direction", "register", "doc_type", "type", "committee",
    "person", "plan", "task", "user", "action", "role", "date_from", "date_to", "from", "to", "due", "sort",
    "order", "open", "next", "format", "period", "kind", "month", "week", "lead", "overdue", "expired",
]  # fmt: skip
PAGE_VALUES = ["\x00", "9" * 40, "²", "2026-02-30"]


def test_no_page_parameter_value_causes_a_server_error(own_objects, users, client_for):
    client = client_for(users.superuser)
    failures, checked = [], 0
    for path, name, has_params in concrete_urls(own_objects):
        if name == "accounts:logout" or path.startswith("/api/") or has_params:  # filters live on list pages
            continue
        for value in PAGE_VALUES:
            response = client.get(path, dict.fromkeys(PAGE_PARAMETERS, value))
            checked += 1
            if response.status_code >= 500:
                failures.append(f"GET {path}?…={value!r} → {response.status_code}")
    assert not failures, "\n".join(failures)
    assert checked > 60
