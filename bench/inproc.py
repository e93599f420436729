"""In-process parts of the benchmark: Django is set up in this process (the environment names the dataset).

    python bench/inproc.py prepare --out plan.json      bench attachments (once) + the load test's plan
    python bench/inproc.py measure --plan plan.json --out inproc.json [--quick]

`measure` first refreshes the roll-up summary table (what the minute job does), then runs, with nothing else
using the dataset:
- B2: `work.selectors.rollup` of a province counting live (the ORM) against one hand-written SQL query giving
  the same rows, interleaved, many repetitions; the ORM's own grouped query run as raw SQL as well (query shape
  vs ORM cost), and the selector reading the roll-up summary table (`work.summary`) when it applies.
- B3 and the other pages: server time of whole requests through Django's test client (middleware, views,
  templates; no network), query counts, and the rows each request reads (PostgreSQL: EXPLAIN ANALYZE of every
  SELECT it ran; SQLite: EXPLAIN QUERY PLAN, full scans listed).
- B4: `documents.search.search_documents` for every query of bench/search_queries.txt.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))
sys.path.insert(0, str(BENCH_DIR))

from common import summary_ms  # noqa: E402

BENCH_PREFIX = "bench-"  # file names of the attachments the benchmark adds to the dataset
LOAD_USERS = 50


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steerdesk.settings")
    import django

    django.setup()


def read_queries() -> list[str]:
    lines = (BENCH_DIR / "search_queries.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


# ---------------------------------------------------------------------------------------------------------
# The dataset's landmarks


def landmarks() -> dict:
    """The root of the tree, the province measured (Hòa Bình when present), one of its districts, and the
    secretary logins of those units (the generated `<unit>.thuky` users)."""
    from steerdesk.accounts.models import RoleGrant, User
    from steerdesk.orgs.models import OrgUnit
    from steerdesk.work.models import Assignment

    root = OrgUnit.objects.filter(parent__isnull=True).order_by("path").first()
    provinces = OrgUnit.objects.filter(kind=OrgUnit.Kind.PROVINCE)
    province = provinces.filter(name="Tỉnh Hòa Bình").first() or provinces.order_by("path").first()
    districts = OrgUnit.objects.filter(parent=province, kind=OrgUnit.Kind.DISTRICT).order_by("path")
    district = districts.first()

    def secretary(unit):
        grant = (
            RoleGrant.objects.filter(
                unit=unit, role="secretary", user__is_active=True, user__is_superuser=False
            )
            .select_related("user")
            .order_by("user__username")
            .first()
        )
        return grant.user if grant else None

    superuser = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    return {
        "root": root,
        "province": province,
        "district": district,
        "root_user": secretary(root) or superuser,
        "province_user": secretary(province) or superuser,
        "district_user": secretary(district) or superuser,
        "superuser": superuser,
        "assignments": Assignment.objects.count(),
    }


# ---------------------------------------------------------------------------------------------------------
# prepare


def _pdf(size: int, title: str) -> bytes:
    """A small valid PDF of about `size` bytes (a text page; padding in a comment)."""
    content = f"BT /F1 14 Tf 72 720 Td ({title}) Tj ET".encode("ascii", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    padding = max(0, size - 600)
    while padding > 0:  # comment lines: ignored by readers, make the file the size of a real scan
        line = min(padding, 120)
        out.write(b"%" + b"x" * (line - 2) + b"\n")
        padding -= line
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _load_logins(province):
    """Secretaries of the province and of every unit below it that has a login (districts, departments)."""
    from steerdesk.accounts.models import RoleGrant
    from steerdesk.core.scope import PATH_END

    grants = (
        RoleGrant.objects.filter(
            role="secretary",
            user__is_active=True,
            user__is_superuser=False,
            unit_path__gte=province.path,
            unit_path__lt=province.path + PATH_END,
        )
        .select_related("user", "unit")
        .order_by("unit_path", "user__username")
    )
    seen, logins = set(), []
    for grant in grants:
        if grant.user_id not in seen:
            seen.add(grant.user_id)
            logins.append(grant)
    return logins


def add_attachments(logins, actor, rng: random.Random, per_login: int = 6) -> int:
    """PDF attachments (20–400 kB) on documents of each login's own unit, through the documents service; once
    per dataset (recognised by their file names)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from steerdesk.documents.attachments import attachment_add
    from steerdesk.documents.models import Attachment, Document

    if Attachment.objects.filter(original_name__startswith=BENCH_PREFIX).exists():
        return 0
    added = 0
    for grant in logins:
        documents = list(
            Document.objects.filter(unit=grant.unit)
            .exclude(confidentiality=Document.Confidentiality.SECRET)
            .order_by("-pk")
            .values_list("pk", flat=True)[:200]
        )
        for pk in rng.sample(documents, min(per_login, len(documents))):
            document = Document.objects.get(pk=pk)
            size = rng.choice([20_000, 60_000, 120_000, 250_000, 400_000])
            upload = SimpleUploadedFile(
                f"{BENCH_PREFIX}{pk}.pdf", _pdf(size, f"SteerDesk bench {pk}"), content_type="application/pdf"
            )
            with transaction.atomic():
                attachment_add(actor=actor, document=document, uploaded_file=upload)
            added += 1
    return added


def prepare(out: Path) -> None:
    """Attachments for the load test (once), then the plan: who logs in and which objects each simulated user
    opens. Users sharing a login get disjoint sets of assignments to report on, so no two simulated users ever
    report on the same assignment (a stale version would be a real 409, counted as a failure)."""
    from django.db import connection

    from steerdesk.core.management.demo import DEMO_PASSWORD
    from steerdesk.core.scope import PATH_END
    from steerdesk.documents.models import Attachment, Document
    from steerdesk.work.models import OPEN_STATUSES, Assignment, Task

    rng = random.Random(2026)
    marks = landmarks()
    province = marks["province"]
    logins = _load_logins(province)
    if not logins:
        raise SystemExit("No secretary logins in the dataset: generate it with seed_demo --scale province.")
    added = add_attachments(logins, marks["superuser"], rng)
    # Fresh planner statistics before measuring: a restore (the previous run's B6) leaves PostgreSQL without any.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    shares = {g.user_id: [] for g in logins}
    users = []
    for i in range(LOAD_USERS):
        grant = logins[i % len(logins)]
        shares[grant.user_id].append(i)
        users.append({"username": grant.user.username, "unit": grant.unit_id, "unit_path": grant.unit_path})
    for grant in logins:
        sharers = shares[grant.user_id]
        if not sharers:
            continue
        user = grant.user
        in_subtree = {"unit_path__gte": grant.unit_path, "unit_path__lt": grant.unit_path + PATH_END}
        assignment_ids = list(
            Assignment.objects.filter(status__in=OPEN_STATUSES, **in_subtree)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        rng.shuffle(assignment_ids)
        task_ids = list(Task.objects.for_user(user).filter(**in_subtree).values_list("pk", flat=True)[:2000])
        document_ids = list(
            Document.objects.for_user(user).order_by("-pk").values_list("pk", flat=True)[:2000]
        )
        attachment_ids = list(
            Attachment.objects.filter(
                document__in=Document.objects.for_user(user), original_name__startswith=BENCH_PREFIX
            ).values_list("pk", flat=True)
        )
        for k, index in enumerate(sharers):
            mine = assignment_ids[k :: len(sharers)][:300]
            users[index].update(
                assignments=mine,
                tasks=rng.sample(task_ids, min(200, len(task_ids))),
                documents=rng.sample(document_ids, min(200, len(document_ids))),
                attachments=attachment_ids,
            )
    root, district = marks["root"], marks["district"]
    http_pages = {
        "rollup_province": {
            "login": marks["province_user"].username,
            "path": f"/work/rollup/?unit={province.pk}",
        },
        "rollup_district": {
            "login": marks["province_user"].username,
            "path": f"/work/rollup/?unit={district.pk}",
        },
    }
    if root.pk != province.pk:
        http_pages["rollup_national"] = {
            "login": marks["root_user"].username,
            "path": f"/work/rollup/?unit={root.pk}",
        }
    plan = {
        "password": DEMO_PASSWORD,
        "province": province.pk,
        "province_login": marks["province_user"].username,
        "http_pages": http_pages,
        "queries": read_queries(),
        "users": users,
        "attachments_added": added,
        "logins": len(logins),
    }
    out.write_text(json.dumps(plan, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"plan: {len(users)} simulated users over {len(logins)} logins; {added} attachments added")


# ---------------------------------------------------------------------------------------------------------
# Query capture and plans


class Capture:
    """Every statement a block runs (sql, params), through `connection.execute_wrapper`."""

    def __init__(self):
        self.statements: list[tuple[str, object]] = []
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        self.statements.append((sql, None if many else params))
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - t0


@contextmanager
def capture():
    from django.db import connection

    cap = Capture()
    with connection.execute_wrapper(cap):
        yield cap


def _pg_scan_rows(node: dict) -> tuple[int, list[str]]:
    """Rows read by the scans of a plan node and its children (rows returned + removed by filters, × loops)."""
    total, scans = 0, []
    if "Scan" in node.get("Node Type", ""):
        loops = node.get("Actual Loops", 1) or 1
        read = (
            node.get("Actual Rows", 0)
            + node.get("Rows Removed by Filter", 0)
            + node.get("Rows Removed by Index Recheck", 0)
        ) * loops
        total += int(read)
        target = node.get("Relation Name") or node.get("Index Name") or ""
        scans.append(f"{node['Node Type']} {target}: {int(read)}")
    for child in node.get("Plans", []):
        sub_total, sub_scans = _pg_scan_rows(child)
        total += sub_total
        scans += sub_scans
    return total, scans


def explain(statements) -> dict:
    """Rows read per request (PostgreSQL) or the full scans SQLite plans (SQLite), over its SELECTs."""
    from django.db import connection

    selects = [
        (sql, params) for sql, params in statements if sql.lstrip().upper().startswith(("SELECT", "WITH"))
    ]
    if connection.vendor == "postgresql":
        per_query = []
        with connection.cursor() as cursor:
            for sql, params in selects:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
                plan = cursor.fetchone()[0]
                if isinstance(plan, str):
                    plan = json.loads(plan)
                rows, scans = _pg_scan_rows(plan[0]["Plan"])
                per_query.append({"rows_read": rows, "scans": scans, "sql": sql[:1500]})
        per_query.sort(key=lambda q: -q["rows_read"])
        return {
            "rows_read": sum(q["rows_read"] for q in per_query),
            "max_query_rows_read": per_query[0]["rows_read"] if per_query else 0,
            "heaviest": per_query[:3],
        }
    full_scans = []
    with connection.cursor() as cursor:
        for sql, params in selects:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params or ())
            for row in cursor.fetchall():
                detail = row[-1]
                if detail.startswith("SCAN ") and "USING" not in detail and "CONSTANT" not in detail:
                    full_scans.append(detail)
    return {"sqlite_full_scans": sorted(set(full_scans))}


# ---------------------------------------------------------------------------------------------------------
# B2: roll-up, ORM against hand-written SQL

HAND_SQL = """
SELECT u.id, COALESCE(a.total, 0), COALESCE(a.done, 0), COALESCE(a.late, 0), COALESCE(a.not_started, 0),
       COALESCE(a.in_progress, 0), COALESCE(a.cancelled, 0), u.is_active, u.id = %s
FROM orgs_orgunit u
LEFT JOIN (
    SELECT substr(unit_path, 1, %s) AS prefix,
           COUNT(*) AS total,
           SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END) AS done,
           SUM(CASE WHEN status IN ('not_started', 'in_progress') AND due_date < %s THEN 1 ELSE 0 END) AS late,
           SUM(CASE WHEN status = 'not_started' THEN 1 ELSE 0 END) AS not_started,
           SUM(CASE WHEN status = 'in_progress' THEN 1 ELSE 0 END) AS in_progress,
           SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) AS cancelled
    FROM work_assignment
    WHERE unit_path >= %s AND unit_path < %s
    GROUP BY 1
) a ON a.prefix = u.path
WHERE u.parent_id = %s OR (u.id = %s AND a.total > 0)
ORDER BY u.id = %s DESC, u.path
"""


def hand_rollup(unit, today) -> dict[int, tuple]:
    """The roll-up rows of `unit` in one hand-written query: {unit id: (total, done, late, not started, in
    progress, cancelled)}; inactive children without work are left out, as the selector does."""
    from django.db import connection

    from steerdesk.core.scope import PATH_END

    step = len(unit.path) + 4
    params = [unit.pk, step, today, unit.path, unit.path + PATH_END, unit.pk, unit.pk, unit.pk]
    with connection.cursor() as cursor:
        cursor.execute(HAND_SQL, params)
        rows = cursor.fetchall()
    return {r[0]: tuple(int(x) for x in r[1:7]) for r in rows if r[7] or r[1] or r[8]}


def orm_rollup(user, unit, today, *, live: bool = True) -> dict[int, tuple]:
    """`selectors.rollup` of `unit`; `live` forces the live count (the summary table is not consulted)."""
    from unittest import mock

    from steerdesk.work import selectors

    if live:
        with mock.patch("steerdesk.work.summary.summary_rollup", return_value=None):
            result = selectors.rollup(user=user, unit=unit, today=today)
    else:
        result = selectors.rollup(user=user, unit=unit, today=today)
    return {
        row.unit.pk: (row.total, row.done, row.late, row.not_started, row.in_progress, row.cancelled)
        for row in result.rows
    }


def _grouped_sql(unit, today):
    """The selector's grouped query (SQL and params) as Django compiles it."""
    from django.db.models.functions import Substr

    from steerdesk.core.scope import PATH_END
    from steerdesk.work.models import Assignment
    from steerdesk.work.selectors import _count_annotations

    qs = (
        Assignment.objects.filter(unit_path__gte=unit.path, unit_path__lt=unit.path + PATH_END)
        .annotate(prefix=Substr("unit_path", 1, len(unit.path) + 4))
        .values("prefix")
        .annotate(**_count_annotations(today))
        .order_by()
    )
    return qs.query.sql_with_params()


def bench_rollup(marks, budget_s: float, min_reps: int = 10, max_reps: int = 200) -> dict:
    from django.db import connection

    from steerdesk.work.models import local_today

    unit, user, today = marks["province"], marks["province_user"], local_today()
    orm, hand = orm_rollup(user, unit, today), hand_rollup(unit, today)
    if orm != hand:
        raise SystemExit(f"B2: the hand-written SQL disagrees with the selector: {orm} != {hand}")
    sql, params = _grouped_sql(unit, today)

    def orm_call():
        orm_rollup(user, unit, today)

    def hand_call():
        hand_rollup(unit, today)

    def raw_grouped():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    def summary_call():
        orm_rollup(user, unit, today, live=False)

    from steerdesk.work import selectors

    uses_summary = selectors.rollup(user=user, unit=unit, today=today).as_of is not None
    calls = {"orm": orm_call, "hand_sql": hand_call, "orm_grouped_query_raw": raw_grouped}
    if uses_summary:
        calls["selector_from_summary_table"] = summary_call
    times: dict[str, list[float]] = {k: [] for k in calls}
    for fn in calls.values():  # warm the caches
        fn()
    started = time.perf_counter()
    reps = 0
    while reps < max_reps and (reps < min_reps or time.perf_counter() - started < budget_s):
        for name, fn in calls.items():  # interleaved: the same machine state for all three
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
        reps += 1
    with capture() as cap:
        orm_call()
    stats = {k: summary_ms(v) for k, v in times.items()}
    ratio = stats["orm"]["p50_ms"] / stats["hand_sql"]["p50_ms"]
    return {
        "unit": unit.name,
        "assignments_in_subtree": sum(v[0] for v in orm.values()),
        "rows": len(orm),
        "repetitions": reps,
        "orm_queries": len(cap.statements),
        "summary_table_used_by_selector": uses_summary,
        "stats": stats,
        "ratio_orm_to_hand_p50": round(ratio, 3),
        "target_ratio": 1.5,
        "met": ratio <= 1.5,
        "hand_sql": " ".join(HAND_SQL.split()),
        "orm_grouped_sql": " ".join(sql.split()),
        "plan": explain(cap.statements),
    }


# ---------------------------------------------------------------------------------------------------------
# B3 and the other pages: server time through the test client


def _client(user):
    from django.test import Client

    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    return client


def bench_page(client, url: str, reps: int, headers: dict | None = None) -> dict:
    headers = headers or {}
    for _ in range(2):
        response = client.get(url, **headers)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        client.get(url, **headers)
        times.append(time.perf_counter() - t0)
    with capture() as cap:
        response = client.get(url, **headers)
    return {
        "url": url,
        "bytes": len(response.content),
        "queries": len(cap.statements),
        "sql_ms_one_request": round(cap.seconds * 1000, 2),
        **summary_ms(times),
        "plan": explain(cap.statements),
    }


def bench_pages(marks, reps: int) -> dict:
    from steerdesk.documents.models import Document
    from steerdesk.work.models import Assignment, Task

    province, district, root = marks["province"], marks["district"], marks["root"]
    p_user, d_user, r_user = marks["province_user"], marks["district_user"], marks["root_user"]
    document = Document.objects.for_user(p_user).order_by("-pk").first()
    task = Task.objects.filter(unit=province).order_by("-pk").first()
    assignment = Assignment.objects.filter(unit=district).order_by("-pk").first()
    pages = [
        ("rollup_province", p_user, f"/work/rollup/?unit={province.pk}", 10),
        ("rollup_district", p_user, f"/work/rollup/?unit={district.pk}", None),
        ("my_tasks", d_user, "/work/", None),
        ("unit_tasks_province", p_user, "/work/unit/", None),
        ("task_detail", p_user, f"/work/tasks/{task.pk}/", None),
        ("assignment_detail", d_user, f"/work/assignments/{assignment.pk}/", None),
        ("document_list", p_user, "/documents/", None),
        ("document_detail", p_user, f"/documents/{document.pk}/", None),
        ("search_page", p_user, "/documents/search/?q=chuy%E1%BB%83n+%C4%91%E1%BB%95i+s%E1%BB%91", None),
        ("healthz", p_user, "/healthz", None),
    ]
    if root.pk != province.pk:
        pages.insert(1, ("rollup_national", r_user, f"/work/rollup/?unit={root.pk}", 5))
    results = {}
    clients = {}
    for name, user, url, target in pages:
        client = clients.setdefault(user.pk, _client(user))
        result = bench_page(client, url, reps)
        result["user"] = user.username
        if target is not None:
            result["target_p50_ms"] = target
            result["met"] = result["p50_ms"] <= target
        rows = result["plan"].get("rows_read")
        if rows is not None:
            result["rows_read_ok"] = rows <= 100_000
        results[name] = result
        print(f"  {name}: p50 {result['p50_ms']} ms, {result['queries']} queries", flush=True)
    if root.pk == province.pk:
        results["rollup_national"] = {
            "note": "province scale: the tree's root is the province itself (see rollup_province); "
            "the national roll-up is measured with SCALE=national"
        }
    return results


def bench_rollup_selector(marks, reps: int) -> dict:
    """`selectors.rollup` alone (no request, no template) for the tree's root and the province, as the pages
    call it: from the summary table when it applies, else live."""
    from steerdesk.work import selectors
    from steerdesk.work.models import local_today

    out = {}
    today = local_today()
    for name, unit, user in (("root", marks["root"], marks["root_user"]),
                             ("province", marks["province"], marks["province_user"])):  # fmt: skip
        first = selectors.rollup(user=user, unit=unit, today=today)
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            selectors.rollup(user=user, unit=unit, today=today)
            times.append(time.perf_counter() - t0)
        with capture() as cap:
            selectors.rollup(user=user, unit=unit, today=today)
        out[name] = {
            "unit": unit.name,
            "from_summary_table": first.as_of is not None,
            "queries": len(cap.statements),
            **summary_ms(times),
            "plan": explain(cap.statements),
        }
    return out


# ---------------------------------------------------------------------------------------------------------
# B4: search through the function


def bench_search(marks, reps: int) -> dict:
    from steerdesk.documents.search import RANK_LIMIT, search_documents

    user = marks["province_user"]
    per_query, all_times = [], []
    for query in read_queries():
        search_documents(user=user, query=query, limit=20)  # warm
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            result = search_documents(user=user, query=query, limit=20)
            times.append(time.perf_counter() - t0)
        all_times += times
        with capture() as cap:
            search_documents(user=user, query=query, limit=20)
        plan = explain(cap.statements)
        per_query.append(
            {
                "query": query,
                "total": result.total,
                "more_than_rank_limit": result.more,
                "hits": len(result.hits),
                "p50_ms": round(statistics.median(times) * 1000, 3),
                "max_ms": round(max(times) * 1000, 3),
                "queries": len(cap.statements),
                "rows_read": plan.get("rows_read"),
                "sqlite_full_scans": plan.get("sqlite_full_scans"),
            }
        )
        print(f"  search {query!r}: {result.total} hits, p50 {per_query[-1]['p50_ms']} ms", flush=True)
    from django.db import connection

    target = 100 if connection.vendor == "sqlite" else 300
    overall = summary_ms(all_times)
    return {
        "user": user.username,
        "rank_limit": RANK_LIMIT,
        "repetitions": reps,
        "overall": overall,
        "target_p95_ms": target,
        "met": overall["p95_ms"] <= target,
        "queries": per_query,
    }


def measure(out: Path, quick: bool) -> None:
    from django.db import connection

    from steerdesk.documents.models import Document
    from steerdesk.work.summary import refresh_unit_work_counts_now

    marks = landmarks()
    refreshed = refresh_unit_work_counts_now()  # as the minute job does: roll-ups of large subtrees read it
    result = {
        "summary_refresh": {
            "units": refreshed.units,
            "assignments": refreshed.assignments,
            "read_s": round(refreshed.read_seconds, 2),
            "write_s": round(refreshed.write_seconds, 2),
        },
        "vendor": connection.vendor,
        "dataset": {
            "root": marks["root"].name,
            "province": marks["province"].name,
            "district": marks["district"].name,
            "assignments": marks["assignments"],
            "documents": Document.objects.count(),
        },
    }
    print("B2 roll-up ORM vs SQL", flush=True)
    result["B2"] = bench_rollup(marks, budget_s=5 if quick else 20)
    print(f"  ratio {result['B2']['ratio_orm_to_hand_p50']}", flush=True)
    print("B3 pages (server time)", flush=True)
    result["pages"] = bench_pages(marks, reps=5 if quick else 20)
    result["rollup_selector"] = bench_rollup_selector(marks, reps=20 if quick else 100)
    print("B4 search (function)", flush=True)
    result["B4_function"] = bench_search(marks, reps=2 if quick else 5)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["prepare", "measure"])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    args = parser.parse_args()
    setup_django()
    if args.action == "prepare":
        prepare(args.out)
    else:
        measure(args.out, args.quick)


if __name__ == "__main__":
    main()
