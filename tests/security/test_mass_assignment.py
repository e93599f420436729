"""No mass assignment through the API (ASVS V15.3): a sweep over every endpoint of the OpenAPI schema.

1. No request body of any endpoint declares a system column: ids, copied unit paths, materialised paths, the
   created/updated stamps, or any column the models mark non-editable (the `version` of optimistic locking is the
   one exception: it is read, never stored from the body).
2. PATCH on every object a superuser can change, with the current version and junk in every field the endpoint
   shows but does not take: the stored values of those fields do not change (only version/updated_* may move).
3. POST on every list endpoint, with a body built from an existing object plus junk system fields: the new row
   gets its own id, its unit's path, the caller as creator and version 1.

Specific cases are tested per app too (steerdesk/api/tests/test_writes.py, documents and work API tests).
"""

from __future__ import annotations

import datetime
import functools
import re

import pytest
from django.apps import apps
from django.db import models
from django.urls import resolve
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from steerdesk.core.models import PathField

from .sweep import concrete_urls

pytestmark = pytest.mark.django_db

LOCKING = {"version"}
JUNK_ID = 987654


@functools.cache
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def resolve_ref(node: dict) -> dict:
    while "$ref" in node:
        node = schema()["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    for combined in ("allOf", "oneOf", "anyOf"):
        if combined in node:
            merged: dict = {"properties": {}}
            for part in node[combined]:
                merged["properties"].update(resolve_ref(part).get("properties", {}))
            return merged
    return node


def request_properties(operation: dict) -> dict[str, dict]:
    properties: dict[str, dict] = {}
    for media in operation.get("requestBody", {}).get("content", {}).values():
        properties.update(resolve_ref(media["schema"]).get("properties", {}))
    return properties


def response_properties(operation: dict) -> dict[str, dict]:
    for status in ("200", "201"):
        for media in operation.get("responses", {}).get(status, {}).get("content", {}).values():
            return resolve_ref(media["schema"]).get("properties", {})
    return {}


@functools.cache
def system_columns() -> frozenset[str]:
    """Names of the columns that only the application sets, in every SteerDesk model."""
    names = set()
    for model in apps.get_app_config("core").get_models():
        names |= {f.name for f in model._meta.concrete_fields if f.name in ("created_at", "created_by")}
    for app in apps.get_app_configs():
        if not app.name.startswith("steerdesk."):
            continue
        for model in app.get_models():
            for f in model._meta.concrete_fields:
                if f.primary_key or isinstance(f, PathField) or not f.editable:
                    names.add(f.name)
                if f.name in ("created_at", "created_by", "updated_at", "updated_by"):
                    names.add(f.name)
    return frozenset(names - LOCKING)


def operations():
    for path, methods in schema()["paths"].items():
        for method, operation in methods.items():
            if method in ("post", "put", "patch"):
                yield path, method, operation


def test_no_request_body_declares_a_system_column():
    protected = system_columns()
    assert {"id", "unit_path", "created_by", "updated_at"} <= protected
    offending = []
    checked = 0
    for path, method, operation in operations():
        props = request_properties(operation)
        checked += bool(props)
        for name, prop in props.items():
            if name in protected and not prop.get("readOnly"):
                offending.append(f"{method.upper()} {path}: {name}")
    assert not offending, "request bodies that let a client set system columns:\n" + "\n".join(offending)
    assert checked > 20


def junk_for(prop: dict, current):
    prop = resolve_ref(prop)
    kind, fmt = prop.get("type"), prop.get("format")
    if prop.get("enum"):
        return next((v for v in prop["enum"] if v not in (current, None, "")), current)
    if kind == "integer":
        return JUNK_ID
    if kind == "number":
        return 12.5
    if kind == "boolean":
        return not current if isinstance(current, bool) else True
    if kind == "array":
        return []
    if fmt == "date-time":
        return "2001-01-01T00:00:00Z"
    if fmt == "date":
        return "2001-01-01"
    return "ZZZ-junk"


def column_junk(field):
    if isinstance(field, PathField):
        return "ZZZZ"
    if isinstance(field, (models.DateTimeField, models.DateField)):
        return "2001-01-01T00:00:00Z"
    if isinstance(field, models.BooleanField):
        return True
    if isinstance(field, (models.ForeignKey, models.IntegerField, models.AutoField)):
        return JUNK_ID
    return "ZZZ-junk"


def detail_path_for(template: str, objects) -> tuple[str, object] | None:
    """`/api/v1/units/{id}/` → (`/api/v1/units/7/`, the own object), using the view's model."""
    if template.count("{") != 1 or not template.endswith("{id}/"):
        return None
    match = resolve(template.replace("{id}", "1"))
    cls = getattr(match.func, "cls", None)
    model = getattr(cls, "model", None) or getattr(getattr(cls, "queryset", None), "model", None)
    if model not in objects:
        return None
    obj = objects[model]
    return template.replace("{id}", str(obj.pk)), obj


def stored(obj, names):
    obj.refresh_from_db()
    return {name: getattr(obj, name + "_id", getattr(obj, name, None)) for name in names}


def test_patch_ignores_every_field_the_endpoint_only_shows(own_objects, users, client_for):
    client = client_for(users.superuser)
    client.cookies["steerdesk_language"] = "en"
    checked, failures = [], []
    for template, method, operation in operations():
        if method != "patch":
            continue
        found = detail_path_for(template, own_objects)
        if found is None:
            continue
        path, obj = found
        shown = response_properties(operation)
        taken = set(request_properties(operation))
        columns = {f.name for f in obj._meta.concrete_fields}
        only_shown = [
            n for n in shown if n not in taken and n in columns and n not in ("updated_at", "updated_by")
        ]
        only_shown = [n for n in only_shown if n not in LOCKING]
        current = client.get(path).json()
        body = {name: junk_for(shown[name], current.get(name)) for name in only_shown}
        # System columns the endpoint does not even show (copied unit paths, creator): junk for them too.
        for f in obj._meta.concrete_fields:
            moving = ("updated_at", "updated_by")  # an accepted PATCH moves these
            if (
                f.name in system_columns()
                and f.name not in body
                and f.name not in taken
                and f.name not in moving
            ):
                body[f.name] = column_junk(f)
                only_shown.append(f.name)
        body["version"] = obj.version
        before = stored(obj, only_shown)
        response = client.patch(path, body, content_type="application/json")
        after = stored(obj, only_shown)
        if response.status_code >= 500:
            failures.append(f"PATCH {path} → {response.status_code}")
        changed = {n: (before[n], after[n]) for n in only_shown if before[n] != after[n]}
        if changed:
            failures.append(f"PATCH {path} changed {changed}")
        obj.refresh_from_db()
        if obj.version not in (body["version"], body["version"] + 1):
            failures.append(f"PATCH {path} set version {obj.version}")
        checked.append(path)
    assert not failures, "\n".join(failures)
    assert len(checked) >= 5, checked


def body_from(obj_json: dict, properties: dict[str, dict]) -> dict:
    """A create body from an existing object's representation: the fields the endpoint takes, names made new."""
    body = {}
    for name, prop in properties.items():
        if name in obj_json and obj_json[name] not in (None, ""):
            value = obj_json[name]
            if (
                isinstance(value, str)
                and resolve_ref(prop).get("type") == "string"
                and not prop.get("format")
            ):
                if not resolve_ref(prop).get("enum") and re.search(r"[a-zà-ỹ]", value, re.I):
                    value = f"{value} (bản sao)"[: resolve_ref(prop).get("maxLength", 200)]
            body[name] = value
    return body


def test_create_ignores_system_columns_in_the_body(own_objects, users, client_for, tree):
    client = client_for(users.superuser)
    client.cookies["steerdesk_language"] = "en"
    started = timezone.now() - datetime.timedelta(minutes=1)
    created, failures = [], []
    list_paths = {path for path, _name, has_params in concrete_urls(own_objects) if not has_params}
    for template, method, operation in operations():
        if method != "post" or template not in list_paths:
            continue
        model = getattr(getattr(resolve(template).func, "cls", None), "model", None)
        if model not in own_objects:
            continue
        example = own_objects[model]
        detail = client.get(f"{template}{example.pk}/")
        if detail.status_code != 200:
            continue
        body = body_from(detail.json(), request_properties(operation))
        body.update(
            id=JUNK_ID,
            pk=JUNK_ID,
            unit_path=tree.district_b.path,
            path="ZZZZ",
            created_by=users.outsider.pk,
            created_at="2001-01-01T00:00:00Z",
            updated_by=users.outsider.pk,
            version=42,
        )
        response = client.post(template, body, content_type="application/json")
        if response.status_code >= 500:
            failures.append(f"POST {template} → {response.status_code}")
        if response.status_code != 201:
            continue
        row = model.objects.get(pk=response.json()["id"])
        problems = []
        if row.pk == JUNK_ID:
            problems.append("took the id")
        if (
            getattr(row, "unit_path", None) == tree.district_b.path
            and example.unit_path != tree.district_b.path
        ):
            problems.append("took the unit path")
        if getattr(row, "created_by_id", users.superuser.pk) != users.superuser.pk:
            problems.append("took created_by")
        if getattr(row, "version", 1) != 1:
            problems.append(f"version {row.version}")
        if getattr(row, "created_at", timezone.now()) < started:
            problems.append("took created_at")
        if problems:
            failures.append(f"POST {template}: {', '.join(problems)}")
        created.append(template)
    assert not failures, "\n".join(failures)
    assert len(created) >= 4, f"only {created} could be created from an example: the sweep tested too little"
