"""The scope sweep: every URL pattern and every API endpoint, walked as an anonymous user and as a user of a
sibling unit. New URLs are covered automatically; a parameterised URL whose parameters the sweep cannot fill
fails the test, so whoever adds it extends PARAM_MODELS.

- anonymous → a redirect to the login page (pages) or 401 (API), except the few public pages;
- a secretary of district A → 404 for every object of the sibling district B, on GET and POST (or 405 where the
  URL refuses that method for an id that does not exist too: that reveals nothing);
- nothing of district B appears in any list page or list endpoint seen by district A.
"""

from __future__ import annotations

import hashlib
import re
from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from steerdesk.accounts.models import RoleGrant, User
from steerdesk.accounts.tests.factories import RoleGrantFactory, UserFactory
from steerdesk.documents.models import (
    Attachment,
    Document,
    DocumentType,
    DocxTemplate,
    Reference,
    Register,
    Routing,
)
from steerdesk.orgs.models import Committee, Membership, OrgUnit, Person
from steerdesk.orgs.tests.factories import CommitteeFactory, MembershipFactory, OrgUnitFactory, PersonFactory
from steerdesk.work.models import (
    Assignment,
    CalendarFeed,
    Evidence,
    ImportJob,
    Notification,
    Plan,
    ProgressReport,
    Task,
)

pytestmark = pytest.mark.django_db

MARKER = "Bí-mật-Mai-Châu"  # appears in every name in district B

# URL names that anonymous users may open (login, password reset, health, language switch).
PUBLIC = {
    "healthz",
    "set_language",
    "accounts:login",
    "accounts:logout",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
}
# Pages whose URL carries a secret token instead of a login (calendar feeds): the sweep fills the token with an
# unknown one, so everyone, anonymous included, gets 404.
TOKEN_URLS = {"work:feed_ics"}
# Values of URL parameters that are not object ids.
PARAM_VALUES = {"token": "not-a-feed-token-0123456789abcdef"}
# Django's own admin has its own login; static assets are not pages.
SKIP_PREFIXES = ("admin:",)
SKIP_ROUTES = re.compile(r"^(admin/|static/|media)")

# Which model an URL keyword refers to. `pk` means "the view's own model".
PARAM_MODELS = {
    "unit_pk": OrgUnit,
    "unit_id": OrgUnit,
    "committee_pk": Committee,
    "committee_id": Committee,
    "person_pk": Person,
    "person_id": Person,
    "membership_pk": Membership,
    "membership_id": Membership,
    "user_pk": User,
    "user_id": User,
    "grant_pk": RoleGrant,
    "grant_id": RoleGrant,
    "routing_pk": Routing,
    "plan_pk": Plan,
    "task_pk": Task,
    "assignment_pk": Assignment,
    "evidence_pk": Evidence,
}
# URL-name prefix → model, for `pk` when the view does not declare a model.
NAME_MODELS = [
    ("orgs:unit", OrgUnit),
    ("orgs:committee", Committee),
    ("orgs:person", Person),
    ("orgs:membership", Membership),
    ("accounts:user", User),
    ("accounts:grant", RoleGrant),
    ("documents:attachment_list", Document),
    ("documents:attachment_upload", Document),
    ("documents:attachment", Attachment),
    ("documents:reference_add", Document),
    ("documents:reference", Reference),
    ("documents:register", Register),
    ("documents:type", DocumentType),
    ("documents:docx_template", DocxTemplate),
    ("documents:document", Document),
    ("api:documenttype", DocumentType),
    ("api:document", Document),
    ("api:register", Register),
    ("api:reference", Reference),
    ("api:unit", OrgUnit),
    ("api:committee", Committee),
    ("api:person", Person),
    ("api:membership", Membership),
    ("work:plan", Plan),
    ("work:task", Task),
    ("work:assignment", Assignment),
    ("work:evidence", Evidence),
    ("work:import", ImportJob),
    ("work:notification", Notification),
    ("work:feed", CalendarFeed),
    ("api:plan", Plan),
    ("api:task", Task),
    ("api:assignment", Assignment),
    ("api:notification", Notification),
]


def walk(resolver=None, prefix="", namespace=""):
    """(full route, url name with namespace, pattern) of every URL pattern."""
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from walk(p, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}{p.name}" if p.name else None
            yield prefix + str(p.pattern), name, p


def route_to_path(route: str, values: dict[str, str]) -> str | None:
    """Turn a route (`orgs/units/<int:pk>/` or a regex `^units/(?P<pk>[^/.]+)/$`) into a concrete path."""
    path = route.replace("^", "").replace("$", "").replace("\\.", ".")
    path = re.sub(r"\(\?P<format>[^)]*\)", "", path)
    path = re.sub(r"\.\(\?P<format>[^)]*\)/?", "", path)

    def sub(match):
        name = match.group("name")
        return values.get(name, "\0")

    path = re.sub(r"\(\?P<(?P<name>\w+)>[^)]*\)", sub, path)
    path = re.sub(r"<(?:\w+:)?(?P<name>\w+)>", sub, path)
    if "\0" in path or "(" in path or "[" in path:
        return None
    return "/" + path.lstrip("/")


def params_of(route: str) -> list[str]:
    """Parameters of a `path()` route (`<int:pk>`) or of a `re_path()` one (`(?P<token>…)`)."""
    return sorted(
        set(re.findall(r"(?<!\?P)<(?:\w+:)?(\w+)>", route)) | set(re.findall(r"\(\?P<(\w+)>", route))
    )


def model_for(name: str | None, param: str, pattern) -> type | None:
    if param in PARAM_MODELS:
        return PARAM_MODELS[param]
    if param != "pk":
        return None
    view_class = getattr(pattern.callback, "view_class", None)
    if view_class is not None and getattr(view_class, "model", None) is not None:
        return view_class.model
    cls = getattr(pattern.callback, "cls", None)  # DRF viewsets
    if cls is not None and getattr(cls, "queryset", None) is not None:
        return cls.queryset.model
    for prefix, model in NAME_MODELS:
        if name and name.startswith(prefix):
            return model
    return None


@pytest.fixture
def world(tree, users):
    """District B gets one of everything, each name carrying MARKER."""
    b = tree.district_b
    OrgUnit.objects.filter(pk=b.pk).update(name=f"Huyện {MARKER}")
    Committee.objects.filter(pk=tree.committee_b.pk).update(name=f"Ban {MARKER}")
    child = OrgUnitFactory(parent=b, name=f"Xã {MARKER}")
    committee = CommitteeFactory(unit=child, name=f"Ban xã {MARKER}")
    person = PersonFactory(home_unit=b, full_name=f"Trần Văn {MARKER}")
    membership = MembershipFactory(committee=committee, person=person, role="member")
    b_user = UserFactory(username="maichau-user", first_name=MARKER, home_unit=b)
    grant = RoleGrantFactory(user=b_user, unit=b, role="viewer")
    objects = {
        OrgUnit: b,
        Committee: tree.committee_b,
        Person: person,
        Membership: membership,
        User: b_user,
        RoleGrant: grant,
        **_documents_of(b, users.superuser, MARKER),
    }
    objects.update(_work_of(b, child, users.superuser, b_user, MARKER))
    _province_task_to_both_districts(tree, users.superuser)
    return objects


def _documents_of(unit, actor, label):
    """A register, an issued document referring to a received one, and a file, in `unit` (documents app)."""
    from steerdesk.documents import services

    services.document_types_ensure()
    doc_type = DocumentType.objects.get(name="Kế hoạch")
    outgoing = services.register_create(actor=actor, unit=unit, name=f"Sổ đi {label}", direction="outgoing")
    incoming = services.register_create(actor=actor, unit=unit, name=f"Sổ đến {label}", direction="incoming")
    received = services.document_register_incoming(
        actor=actor,
        register=incoming,
        doc_type=doc_type,
        number_text="35-NQ/TW",
        summary=f"Nhận {label}",
        issuer_name=f"Ban {label}",
    )
    document = services.document_create_draft(
        actor=actor, register=outgoing, doc_type=doc_type, summary=f"Kế hoạch {label}"
    )
    reference = services.reference_add(actor=actor, source=document, target=received, kind="implements")
    attachment = Attachment.objects.create(
        document=document,
        original_name=f"{label}.pdf",
        storage_name=f"attachments/x/{unit.pk}-{label}",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
    )
    # Templates are global (superusers only): everyone else gets 404 on their pages.
    docx_template = DocxTemplate.objects.create(
        name=f"Mẫu {label}", kind="decision", original_name="mau.docx", content=b"PK", size=2, sha256="0" * 64
    )
    return {
        DocxTemplate: docx_template,
        Register: outgoing,
        Document: document,
        Reference: reference,
        Attachment: attachment,
        DocumentType: doc_type,
    }


def _work_of(unit, child, actor, user, label):
    """A plan of `unit` with a task cascaded to `child`, a progress report with an evidence file, a routing of
    the unit's received document (to make a task from), an import job, and a notification and a calendar feed
    of `user` (work app)."""
    from steerdesk.documents import services as document_services
    from steerdesk.work import services

    plan = services.plan_create(
        actor=actor, unit=unit, data={"title": f"Kế hoạch {label}", "period_kind": "year", "year": 2026}
    )
    task = services.task_create(actor=actor, unit=unit, plan=plan, data={"title": f"Nhiệm vụ {label}"})
    services.task_cascade(actor=actor, task=task, units=[child])
    assignment = task.assignments.get(unit=child)
    report = services.assignment_report(
        actor=actor, assignment=assignment, expected_version=assignment.version, percent=40, comment=label
    )
    evidence = Evidence.objects.create(
        assignment=assignment,
        report=report,
        original_name=f"{label}.pdf",
        storage_name=f"evidence/x/{unit.pk}-{label}",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
    )
    received = Document.objects.get(unit=unit, direction=Document.Direction.INCOMING)
    routing = document_services.document_route(
        actor=actor, document=received, to_unit=child, instruction=f"Triển khai {label}"
    )
    import_job = ImportJob.objects.create(
        unit_path=unit.path,
        plan=plan,
        original_name=f"{label}.xlsx",
        storage_name=f"imports/x/{unit.pk}-{label}",
    )
    notification = Notification.objects.create(user=user, kind="assigned", text=f"Nhiệm vụ {label}")
    token = f"feed-token-{unit.pk}"
    feed = CalendarFeed.objects.create(user=user, token_hash=hashlib.sha256(token.encode()).hexdigest())
    return {
        Plan: plan,
        Task: task,
        Assignment: assignment,
        ProgressReport: report,
        Evidence: evidence,
        Routing: routing,
        ImportJob: import_job,
        Notification: notification,
        CalendarFeed: feed,
    }


def _province_task_to_both_districts(tree, actor):
    """A provincial task assigned to both districts: district A sees the task and its own assignment only,
    never district B's (whose unit name carries MARKER)."""
    from steerdesk.work import services

    task = services.task_create(actor=actor, unit=tree.province, data={"title": "Nhiệm vụ của tỉnh"})
    services.task_cascade(actor=actor, task=task, units=[tree.district_a, tree.district_b])
    b_assignment = task.assignments.get(unit=tree.district_b)
    services.assignment_report(
        actor=actor,
        assignment=b_assignment,
        expected_version=b_assignment.version,
        percent=100,
        result=f"Kết quả {MARKER}",
    )


def concrete_urls(objects):
    """(path, name, has_params) for every sweepable URL, parameters filled with district B's objects."""
    out = []
    missing = []
    for route, name, pattern in walk():
        if SKIP_ROUTES.match(route) or (name and name.startswith(SKIP_PREFIXES)) or name in PUBLIC:
            continue
        params = params_of(route)
        if "format" in params:  # DRF's `.json`/`.api` suffix variants of the same views
            continue
        values = {}
        for param in params:
            if param in PARAM_VALUES:
                values[param] = PARAM_VALUES[param]
                continue
            model = model_for(name, param, pattern)
            if model is None:
                missing.append(f"{route} ({name}): parameter {param!r}")
                break
            values[param] = str(objects[model].pk)
        else:
            path = route_to_path(route, values)
            if path is None:
                missing.append(f"{route} ({name}): cannot build a path")
                continue
            out.append((path, name, bool(params)))
    assert not missing, "Extend PARAM_MODELS/NAME_MODELS in the scope sweep for:\n" + "\n".join(missing)
    return out


def test_anonymous_users_are_sent_to_login_or_get_401(world, client):
    checked = 0
    for path, name, _has_params in concrete_urls(world):
        if name in PUBLIC:
            continue
        response = client.get(path)
        checked += 1
        if name in TOKEN_URLS:
            assert response.status_code == 404, f"{path} answered {response.status_code}"
        elif path.startswith("/api/"):
            assert response.status_code in (401, 403), f"{path} answered {response.status_code}"
            assert response.status_code == 401 or "credentials" in response.content.decode(), path
        else:
            assert response.status_code == 302, f"{path} answered {response.status_code} to an anonymous user"
            assert response["Location"].startswith("/accounts/login/"), f"{path} → {response['Location']}"
    assert checked > 15


@pytest.mark.parametrize("who", ["owner", "admin"])
def test_a_sibling_district_gets_404_for_every_object(world, users, client_for, who):
    client = client_for(getattr(users, who))
    checked = 0
    missing = {name: path for path, name, _has_params in concrete_urls(_MissingObjects())}
    for path, name, has_params in concrete_urls(world):
        if not has_params or name in PUBLIC:
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if response.status_code == 405:
                # A POST-only action (or a read-only page) refuses the method whether or not the object
                # exists: that reveals nothing, as long as a missing id gets the same answer.
                other = getattr(client, method)(missing[name]).status_code
                assert other == 405, f"{method.upper()} {path} ({name}) → 405, but {other} for a missing id"
            else:
                assert response.status_code == 404, (
                    f"{method.upper()} {path} ({name}) → {response.status_code}"
                )
        checked += 1
    assert checked > 10


class _MissingObjects(dict):
    """Stands in for `world`: every model's object is an id that does not exist."""

    def __missing__(self, model):
        return SimpleNamespace(pk=2_147_483_000)


def _text(response) -> str:
    """The response as text; an XLSX export as the text of all its cells."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in response.get("Content-Type", ""):
        import io

        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            str(value)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    return content.decode()


@pytest.mark.parametrize("who", ["owner", "admin", "viewer"])
def test_nothing_of_a_sibling_subtree_appears_in_any_list(world, users, client_for, who):
    client = client_for(getattr(users, who))
    checked = 0
    for path, name, has_params in concrete_urls(world):
        if has_params or name in PUBLIC or path.startswith(("/api/v1/schema", "/api/v1/docs")):
            continue
        response = client.get(path)
        if response.status_code != 200:
            continue
        body = _text(response)
        assert MARKER not in body, f"{path} ({name}) shows something of district B"
        checked += 1
    assert checked > 5


@pytest.fixture
def own_objects(tree, users):
    """One object of every kind in district A, the owner's own subtree."""
    person = PersonFactory(home_unit=tree.district_a, full_name="Lê Thị Hồng")
    membership = MembershipFactory(committee=tree.committee_a, person=person, role="member")
    objects = {
        OrgUnit: tree.commune_a1,
        Committee: tree.committee_a,
        Person: person,
        Membership: membership,
        User: users.member,
        RoleGrant: users.member.grants.get(),
        **_documents_of(tree.district_a, users.superuser, "Lạc Sơn"),
    }
    objects.update(_work_of(tree.district_a, tree.commune_a1, users.superuser, users.owner, "Lạc Sơn"))
    return objects


@pytest.mark.parametrize("who", ["owner", "admin", "viewer"])
def test_no_url_answers_500_to_empty_or_garbage_input(own_objects, users, client_for, who):
    """Every page and endpoint, with the user's own objects: empty and nonsense bodies get a clear 4xx (or the
    page again with form errors), never a server error."""
    client = client_for(getattr(users, who))
    garbage = {
        "name": "x" * 5000,
        "version": "abc",
        "start_date": "31/02/2026",
        "role": "king",
        "unit": "-1",
        "person": "9999999",
        "parent": "abc",
        "full_name": "",
        "file": "not a file",
    }
    for path, name, _has_params in concrete_urls(own_objects):
        if name in ("accounts:logout",):
            continue
        for method, data in (("get", {"page": "-1", "q": "'\"<>%"}), ("post", {}), ("post", garbage)):
            response = getattr(client, method)(path, data)
            assert response.status_code < 500, f"{method.upper()} {path} ({name}) → {response.status_code}"
