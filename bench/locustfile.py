"""B5: 50 clerks on a realistic mix, driven by locust (headless, bounded time; started by bench/run.py).

Each simulated user logs in with a generated secretary login (`<unit>.thuky`, the demo password) and then, with
0.05–0.25 s of think time, browses their tasks (my tasks, the unit's tasks, the roll-up, task pages), reports
progress on assignments of their subtree (the assignment page, then a real POST with the CSRF token and the
version read from that page, as htmx sends it), searches documents (the fixed query set), opens documents,
their list, and downloads attachments. The plan (bench/inproc.py prepare) gives every simulated user its own
assignments, so no two users report on the same one: a 409 would be a real failure. The statistics are reset
once the last user has logged in (the burst of 50 password hashes is reported apart, as the login phase).

    BENCH_PLAN=plan.json locust -f bench/locustfile.py --headless -u 50 -r 10 -t 150s --host http://127.0.0.1:PORT
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from urllib.parse import quote

from locust import FastHttpUser, between, task

PLAN = json.loads(Path(os.environ["BENCH_PLAN"]).read_text(encoding="utf-8"))
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
COMMENTS = [
    "Đã tổ chức họp triển khai, phân công cán bộ theo dõi.",
    "Đang tổng hợp số liệu từ các xã, thị trấn.",
    "Đã ban hành văn bản hướng dẫn; đang đôn đốc thực hiện.",
    "Hoàn thành dự thảo báo cáo, chờ lãnh đạo cho ý kiến.",
]
_numbers = itertools.count()
_logged_in = itertools.count(1)
USERS = int(os.environ.get("BENCH_USERS", "50"))
_STARTED: list[float] = []


class LoopbackCookiePolicy(DefaultCookiePolicy):
    """Send the production `Secure` (`__Host-`) cookies over plain http: the benchmark runs on loopback without
    TLS, where a browser would be behind the TLS proxy. Everything else as the default policy."""

    def return_ok_secure(self, cookie, request):
        return True


class Clerk(FastHttpUser):
    wait_time = between(0.05, 0.25)

    def on_start(self):
        n = next(_numbers)
        if not _STARTED:
            _STARTED.append(time.monotonic())
        self.me = PLAN["users"][n % len(PLAN["users"])]
        self.rng = random.Random(n)
        self.assignments = list(self.me.get("assignments") or [])
        self.client.cookiejar.set_policy(LoopbackCookiePolicy())
        page = self.client.get("/accounts/login/", name="login")
        token = CSRF.search(page.text).group(1)
        with self.client.post(
            "/accounts/login/",
            data={
                "csrfmiddlewaretoken": token,
                "username": self.me["username"],
                "password": PLAN["password"],
            },
            name="login",
            catch_response=True,
        ) as r:
            if "/accounts/login/" in r.url:  # still on the login page: the login failed
                r.failure(f"login of {self.me['username']} failed")
        if next(_logged_in) == USERS:
            # Everyone is in: measure from here (50 logins at once are a burst of deliberately slow password
            # hashing, not the steady mix; they are counted apart in the report).
            self.environment.stats.reset_all()
            out = os.environ.get("BENCH_LOGIN_OUT")
            if out:
                Path(out).write_text(json.dumps({"login_phase_s": round(time.monotonic() - _STARTED[0], 2)}))

    def _pick(self, key):
        items = self.me.get(key) or []
        return self.rng.choice(items) if items else None

    @task(3)
    def my_tasks(self):
        self.client.get("/work/", name="/work/ (my tasks)")

    @task(2)
    def unit_tasks(self):
        self.client.get("/work/unit/", name="/work/unit/ (unit tasks)")

    @task(1)
    def rollup(self):
        self.client.get("/work/rollup/", name="/work/rollup/ (own unit)")

    @task(2)
    def task_detail(self):
        pk = self._pick("tasks")
        if pk:
            self.client.get(f"/work/tasks/{pk}/", name="/work/tasks/[id]/")

    @task(2)
    def report_progress(self):
        if not self.assignments:
            return
        pk = self.assignments[self.rng.randrange(len(self.assignments))]
        with self.client.get(
            f"/work/assignments/{pk}/", name="/work/assignments/[id]/", catch_response=True
        ) as r:
            form = r.text.find(f'action="/work/assignments/{pk}/report/"')
            version = VERSION.search(r.text, max(form, 0)) if form >= 0 else None
            token = CSRF.search(r.text, max(form, 0)) if form >= 0 else None
            if not (version and token):
                r.failure("no report form on the assignment page")
                return
        data = {
            "csrfmiddlewaretoken": token.group(1),
            "version": version.group(1),
            "percent": str(self.rng.randint(5, 95)),
            "status": "in_progress",
            "comment": self.rng.choice(COMMENTS),
            "result": "",
        }
        with self.client.post(
            f"/work/assignments/{pk}/report/",
            data=data,
            headers={"HX-Request": "true"},
            name="/work/assignments/[id]/report/",
            catch_response=True,
        ) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")

    @task(2)
    def search(self):
        query = self.rng.choice(PLAN["queries"])
        self.client.get(f"/documents/search/?q={quote(query)}", name="/documents/search/?q=…")

    @task(1)
    def document_list(self):
        self.client.get("/documents/", name="/documents/")

    @task(2)
    def document_detail(self):
        pk = self._pick("documents")
        if pk:
            self.client.get(f"/documents/{pk}/", name="/documents/[id]/")

    @task(1)
    def attachment(self):
        pk = self._pick("attachments")
        if pk:
            self.client.get(f"/documents/attachments/{pk}/", name="/documents/attachments/[id]/")
