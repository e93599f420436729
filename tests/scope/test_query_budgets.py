"""Query-count budgets of every page (NetBox's `query_counts.json`, Zulip's `queries_captured`).

Every GET page and API endpoint, found by walking the URL patterns as the scope sweep does — lists, roll-ups,
search, boards, calendars, exports and forms without path parameters (plus VARIANTS with filters), and the pages
of one object (detail pages with their lists: a plan's items, a task's assignments and roll-up, a document's
files and routings, a committee's roster…) filled with "hub" objects — is opened as a superuser and as a district
secretary, first in a small world and then after every kind of row (units, people, users, documents, routings,
attachments, plans, tasks, assignments, splits, reports, evidence, notifications, audit entries…), the hub
objects' own rows included, was multiplied by ten:

- the number of queries must not grow with the rows (a page may need `GROWTH_ALLOWANCE` more, for the second
  page of a paginator or a cache filled on first use) — that is "bounded whatever the number of rows";
- and it must stay within the budget recorded in `query_budgets.json` (the larger of the two counts).

When a page legitimately needs more or fewer queries, or a new page appears, record the new numbers with

    STEERDESK_UPDATE_QUERY_BUDGETS=1 pytest tests/scope/test_query_budgets.py

and commit the file with the change that explains it. The counts were the same on SQLite and PostgreSQL when the file
was recorded; should they ever differ, record the larger.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from steerdesk.accounts.models import RoleGrant, User
from steerdesk.accounts.tests.factories import RoleGrantFactory, UserFactory
from steerdesk.core.audit import audit_record
from steerdesk.documents.models import (
    Attachment,
    Document,
    DocumentType,
    DocxTemplate,
    Recipient,
    Reference,
    Register,
    Routing,
)
from steerdesk.documents.tests.factories import (
    AttachmentFactory,
    DocumentFactory,
    DocumentTypeFactory,
    RegisterFactory,
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
    Status,
    Task,
    WorkdayOverride,
    local_today,
)
from steerdesk.work.tests.factories import (
    AssignmentFactory,
    EvidenceFactory,
    PlanFactory,
    ProgressReportFactory,
    TaskFactory,
    split_task,
)

from .test_sweep import PUBLIC, SKIP_PREFIXES, SKIP_ROUTES, TOKEN_URLS, concrete_urls, params_of, walk

pytestmark = pytest.mark.django_db

BUDGETS_FILE = Path(__file__).with_name("query_budgets.json")
UPDATE = os.environ.get("STEERDESK_UPDATE_QUERY_BUDGETS") == "1"
GROWTH_ALLOWANCE = 2
SMALL, BIG = 2, 20  # rows of every kind before and after growing the world (×10)

# Not lists: the OpenAPI schema and Swagger UI are generated from code, the same whatever the data.
SKIP_NAMES = {"schema", "swagger-ui", "accounts:logout"}
# More views of the same pages, with the query parameters that change what they list ({district_a} and
# {province} are filled with those units' ids).
VARIANTS = {
    "work:unit_tasks": [
        "?subtree=1",
        "?direction=by",
        "?unit={district_a}&subtree=1&status=overdue&order=unit",
    ],
    "work:unit_tasks_export": ["?subtree=1"],
    "work:board": ["?direction=by", "?unit={district_a}"],
    "work:calendar": ["?direction=by", "?unit={district_a}"],
    "work:timeline": ["?unit={district_a}"],
    "work:rollup": ["?unit={district_a}"],
    "work:my_tasks": ["?status=in_progress"],
    "orgs:unit_tree": ["?open={district_a}"],
    "orgs:person_list": ["?q=H%E1%BA%A1nh"],
    "documents:search": ["?q=k%E1%BA%BF+ho%E1%BA%A1ch", "?q=35-NQ%2FTW"],
    "documents:document_list": ["?direction=incoming", "?direction=outgoing"],
    "api:assignment-list": ["?direction=by", "?subtree=1"],
    "api:task-list": ["?status=overdue"],
    "api:rollup-list": ["?unit={district_a}", "?unit={province}"],
}
# Pages that must show more after the world grew: proof that the rows reach the lists being counted.
SHOW_MORE = {
    "orgs:person_list",
    "orgs:committee_list",
    "orgs:unit_tree?open={district_a}",
    "documents:document_list",
    "documents:search?q=k%E1%BA%BF+ho%E1%BA%A1ch",
    "work:unit_tasks?subtree=1",
    "work:board",
    "work:timeline?unit={district_a}",
    "work:rollup?unit={district_a}",
    "work:plan_list",
    "work:notification_list",
    "work:feed_list",
    "api:assignment-list?subtree=1",
    "api:task-list",
    "api:document-list",
    "api:person-list",
    "api:task-rollup",
    "api:assignment-reports",
    "work:task_detail",
    "work:plan_detail",
    "work:assignment_detail",
    "documents:document_detail",
    "documents:register_detail",
    "orgs:committee_detail",
    "orgs:person_detail",
}


def page_urls(world) -> list[tuple[str, str]]:
    """(budget key, path) of every GET page and endpoint: those without path parameters, with their VARIANTS,
    and those of one object, filled with the world's hub objects (the scope sweep's mapping of URL parameters
    to models); the budget key is the URL name."""
    ids = {"district_a": world.tree.district_a.pk, "province": world.tree.province.pk}
    out = []
    for route, name, _pattern in walk():
        if SKIP_ROUTES.match(route) or not name or name.startswith(SKIP_PREFIXES):
            continue
        if name in PUBLIC or name in SKIP_NAMES or params_of(route):
            continue
        path = "/" + route.lstrip("^").rstrip("$").lstrip("/")
        out.append((name, path))
        out.extend((f"{name}{query}", path + query.format(**ids)) for query in VARIANTS.get(name, ()))
    for path, name, has_params in concrete_urls(world.objects):
        if has_params and name not in TOKEN_URLS and name not in SKIP_NAMES:
            out.append((name, path))
    return out


# ---------------------------------------------------------------------------------------------------------
# The world


@dataclass
class World:
    """The tree and users of the fixtures, and one "hub" object of every kind in district A whose own lists
    grow with the world: the plan gets tasks, the task assignments and splits, the assignment reports and
    evidence, the document files, routings, recipients and references, the person memberships…"""

    tree: SimpleNamespace
    users: SimpleNamespace
    objects: dict
    in_register: Register
    province_register: Register
    received: Document

    def obj(self, model):
        return self.objects[model]


def make_world(tree, users) -> World:
    district_a = tree.district_a
    plan_type = DocumentTypeFactory(name="Kế hoạch", state_code="KH", party_code="KH")
    register = RegisterFactory(unit=district_a, name="Sổ văn bản đi của huyện")
    document = DocumentFactory(
        unit=district_a, register=register, doc_type=plan_type, number=1, number_text="01/KH-UBND"
    )
    in_register = RegisterFactory(unit=district_a, name="Sổ văn bản đến của huyện", direction="incoming")
    received = DocumentFactory(
        unit=district_a, register=in_register, direction=Document.Direction.INCOMING, doc_type=plan_type
    )
    person = PersonFactory(home_unit=district_a, full_name="Lê Thị Hồng")
    plan = PlanFactory(unit=district_a, committee=tree.committee_a, title="Kế hoạch trọng tâm của huyện")
    task = TaskFactory(unit=district_a, plan=plan, title="Nhiệm vụ trọng tâm", due_date=local_today())
    assignment = task.assignment_list[0]
    report = ProgressReportFactory(assignment=assignment, created_by=users.owner)
    objects = {
        OrgUnit: district_a,
        Committee: tree.committee_a,
        Person: person,
        Membership: MembershipFactory(committee=tree.committee_a, person=person, role="deputy"),
        User: users.member,
        RoleGrant: users.member.grants.get(),
        DocumentType: plan_type,
        Register: register,
        Document: document,
        Reference: Reference.objects.create(source=document, target=received, kind="implements"),
        Attachment: AttachmentFactory(document=document),
        DocxTemplate: DocxTemplate.objects.create(
            name="Mẫu quyết định",
            kind="decision",
            original_name="mau.docx",
            content=b"PK",
            size=2,
            sha256="0" * 64,
        ),
        Routing: Routing.objects.create(
            document=received,
            to_unit=tree.commune_a1,
            unit_path=tree.commune_a1.path,
            instruction="Triển khai",
        ),
        Plan: plan,
        Task: task,
        Assignment: assignment,
        ProgressReport: report,
        Evidence: EvidenceFactory(assignment=assignment, report=report, created_by=users.owner),
        ImportJob: ImportJob.objects.create(
            unit_path=district_a.path,
            plan=plan,
            original_name="nhiem-vu.xlsx",
            storage_name="imports/budget-hub",
        ),
        Notification: Notification.objects.create(user=users.owner, kind="assigned", text="Nhiệm vụ mới"),
        CalendarFeed: CalendarFeed.objects.create(
            user=users.owner, token_hash=hashlib.sha256(b"budget-hub").hexdigest()
        ),
    }
    return World(
        tree=tree,
        users=users,
        objects=objects,
        in_register=in_register,
        province_register=RegisterFactory(unit=tree.province, name="Sổ văn bản đi của tỉnh"),
        received=received,
    )


def grow(world: World, start: int, stop: int) -> None:
    """Rows numbered start..stop-1 of every kind, in district A's subtree and the province's work given to it
    (so that both the superuser and district A's secretary see them), many hung on the hub objects."""
    tree, users = world.tree, world.users
    today = local_today()
    province, district_a, commune_a1 = tree.province, tree.district_a, tree.commune_a1
    plan_type, plan = world.obj(DocumentType), world.obj(Plan)
    hub_document, hub_task, hub_assignment = world.obj(Document), world.obj(Task), world.obj(Assignment)
    for i in range(start, stop):
        # units, committees, people, memberships, users and grants
        commune = OrgUnitFactory(parent=district_a, kind="commune", name=f"Xã Thử Nghiệm {i}")
        committee = CommitteeFactory(unit=commune, name=f"Ban Chỉ đạo xã {i}")
        person = PersonFactory(home_unit=district_a, full_name=f"Nguyễn Thị Hạnh {i}")
        MembershipFactory(committee=tree.committee_a, person=person, role="member")
        MembershipFactory(committee=committee, person=person, role="deputy")
        MembershipFactory(committee=committee, person=world.obj(Person), role="member")
        user = UserFactory(username=f"nguoi-dung-{i}", person=person, home_unit=district_a)
        RoleGrantFactory(user=user, unit=commune, role="member")
        # documents: issued, received and routed, sent by the province to district A, with files and references
        DocumentTypeFactory(name=f"Loại văn bản {i}", state_code=f"L{i}", party_code=f"L{i}")
        outgoing = DocumentFactory(
            unit=district_a,
            register=world.obj(Register),
            doc_type=plan_type,
            number=i + 2,
            number_text=f"{i + 2:02d}/KH-UBND",
            summary=f"Kế hoạch triển khai nhiệm vụ số {i}",
        )
        incoming = DocumentFactory(
            unit=district_a,
            register=world.in_register,
            direction=Document.Direction.INCOMING,
            doc_type=plan_type,
            number_text=f"{i + 35}-NQ/TW",
            issuer_name="Ban Chấp hành Trung ương",
            summary=f"Nghị quyết về công tác dân vận số {i}",
        )
        sent = DocumentFactory(
            unit=province,
            register=world.province_register,
            doc_type=plan_type,
            number=i + 1,
            number_text=f"{i + 1:02d}/KH-UBND",
            summary=f"Kế hoạch của tỉnh số {i}",
        )
        Recipient.objects.create(document=sent, unit=district_a, unit_path=district_a.path)
        Recipient.objects.create(document=hub_document, unit=commune, unit_path=commune.path)
        for document in (incoming, world.received):
            Routing.objects.create(
                document=document,
                to_unit=commune,
                unit_path=commune.path,
                instruction=f"Xã {i} chủ trì triển khai",
                deadline=today,
            )
        Routing.objects.create(document=incoming, to_user=users.owner, instruction="Theo dõi, tổng hợp")
        Reference.objects.create(source=outgoing, target=incoming, kind="implements")
        Reference.objects.create(source=hub_document, target=incoming, kind="implements")
        for document in (outgoing, incoming, hub_document):
            AttachmentFactory(document=document, original_name=f"tep-{i}.pdf")
        DocxTemplate.objects.create(
            name=f"Mẫu quyết định {i}",
            kind="decision",
            original_name="mau.docx",
            content=b"PK",
            size=2,
            sha256="0" * 64,
        )
        # plans, tasks cascaded down two levels, cooperation, splits, reports and evidence
        province_plan = PlanFactory(unit=province, title=f"Kế hoạch của tỉnh năm 2026 số {i}")
        PlanFactory(unit=district_a, committee=tree.committee_a, title=f"Kế hoạch của huyện số {i}")
        from_province = TaskFactory(
            unit=province,
            plan=province_plan,
            title=f"Nhiệm vụ tỉnh giao số {i}",
            due_date=today,
            assign_to=[province, district_a, tree.district_b],
        )
        from_province.responsible.add(person)
        own = TaskFactory(
            unit=district_a,
            plan=plan,
            item_number=str(i + 1),
            title=f"Nhiệm vụ của huyện số {i}",
            start_date=today - datetime.timedelta(days=30),
            due_date=today - datetime.timedelta(days=i % 3),
            assign_to=[district_a, commune, commune_a1],
        )
        own.responsible.add(person)
        AssignmentFactory(task=own, unit=tree.district_b, role=Assignment.Role.COOPERATE, due_date=today)
        to_district = from_province.assignment_list[1]
        to_district.responsible.add(person)
        split = split_task(to_district, assign_to=[commune_a1, commune], title=f"Nhiệm vụ tách số {i}")
        hub_share = AssignmentFactory(task=hub_task, unit=commune, due_date=today)
        split_task(hub_share, assign_to=[commune], title=f"Nhiệm vụ trọng tâm của xã {i}")
        for assignment in [*own.assignment_list, *split.assignment_list, hub_share]:
            assignment.responsible.add(person)
        working = own.assignment_list[1]
        Assignment.objects.filter(pk=working.pk).update(status=Status.IN_PROGRESS, percent=40)
        for assignment in (working, hub_assignment):
            report = ProgressReportFactory(assignment=assignment, created_by=user)
            EvidenceFactory(assignment=assignment, report=report, created_by=user)
        Assignment.objects.filter(pk=own.assignment_list[2].pk).update(
            status=Status.DONE,
            percent=100,
            result="Đã hoàn thành",
            completed_at=datetime.datetime.now(datetime.UTC),
        )
        ImportJob.objects.create(
            unit_path=district_a.path,
            plan=plan,
            original_name=f"nhiem-vu-{i}.xlsx",
            storage_name=f"imports/budget-{i}",
        )
        WorkdayOverride.objects.create(
            date=datetime.date(today.year, 1, 1) + datetime.timedelta(days=i),
            is_working_day=False,
            note=f"Nghỉ {i}",
        )
        for who in (users.owner, users.superuser):
            Notification.objects.create(user=who, kind="assigned", text=f"Nhiệm vụ mới số {i}", url="/work/")
            CalendarFeed.objects.create(
                user=who, token_hash=hashlib.sha256(f"budget-{who.pk}-{i}".encode()).hexdigest()
            )
        for instance in (hub_task, hub_assignment, hub_document, own):
            audit_record(
                actor=user, instance=instance, action="update", changes={"title": ["cũ", f"mới {i}"]}
            )


@pytest.fixture
def world(tree, users):
    world = make_world(tree, users)
    grow(world, 0, SMALL)
    return world


# ---------------------------------------------------------------------------------------------------------
# Counting


def count_queries(client, path: str) -> tuple[int, int, int]:
    """(status, queries, body size) of a GET, a streamed export read to its end (it runs its queries while it
    streams)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, len(captured), len(body)


def measure(client, urls, *, warm: bool = False) -> tuple[dict[str, int], dict[str, int]]:
    """(queries, body sizes) of every page that answers 200; with `warm`, each page is opened once before it
    is counted, so per-process caches (content types, the holiday calendar…) are filled as on a running server."""
    counts, sizes = {}, {}
    for key, path in urls:
        if warm:
            count_queries(client, path)
        status, queries, size = count_queries(client, path)
        if status == 200:
            counts[key], sizes[key] = queries, size
    return counts, sizes


def _load() -> dict:
    return json.loads(BUDGETS_FILE.read_text()) if BUDGETS_FILE.exists() else {}


def _save(who: str, measured: dict[str, int]) -> None:
    budgets = _load()
    budgets[who] = dict(sorted(measured.items()))
    BUDGETS_FILE.write_text(json.dumps(budgets, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


HOW_TO_UPDATE = (
    "When the change is intended (a new page, a page that legitimately needs another query, or fewer now), "
    "record the new numbers with STEERDESK_UPDATE_QUERY_BUDGETS=1 pytest tests/scope/test_query_budgets.py and "
    f"commit tests/scope/{BUDGETS_FILE.name} with the change; otherwise find the extra query (CaptureQueriesContext "
    "around the request lists them) and remove it."
)


@pytest.mark.parametrize("who", ["superuser", "owner"])
def test_every_page_runs_a_bounded_number_of_queries_within_its_budget(world, users, client_for, who):
    client = client_for(getattr(users, who))
    urls = page_urls(world)
    small, small_sizes = measure(client, urls, warm=True)
    grow(world, SMALL, BIG)
    # Warm again: the rows added may invalidate per-process caches (the working-day overrides' stamp…), whose
    # one-off refill is not an N+1.
    big, big_sizes = measure(client, urls, warm=True)

    assert len(big) > 40, f"only {len(big)} pages answered 200: {sorted(big)}"
    assert set(small) == set(big), f"pages that answer only in one world: {set(small) ^ set(big)}"
    same = sorted(key for key in SHOW_MORE if big_sizes[key] <= small_sizes[key])
    assert not same, f"these lists do not show the rows added (the test would prove nothing): {same}"
    grew = {
        key: f"{small[key]} → {big[key]} queries" for key in big if big[key] > small[key] + GROWTH_ALLOWANCE
    }
    assert not grew, (
        f"As {who}, these pages run more queries as rows are added (N+1: use select_related/prefetch_related "
        f"or an annotation in the selector): {grew}"
    )

    measured = {key: max(small[key], big[key]) for key in big}
    if UPDATE:
        _save(who, measured)
        return
    budgets = _load().get(who, {})
    problems = [
        *(
            f"{key}: no budget recorded ({count} queries)"
            for key, count in sorted(measured.items())
            if key not in budgets
        ),
        *(
            f"{key}: {count} queries, over its budget of {budgets[key]}"
            for key, count in sorted(measured.items())
            if key in budgets and count > budgets[key]
        ),
        *(f"{key}: has a budget but no longer answers 200" for key in sorted(set(budgets) - set(measured))),
    ]
    assert not problems, f"Query budgets as {who}:\n  " + "\n  ".join(problems) + f"\n{HOW_TO_UPDATE}"
