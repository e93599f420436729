"""Crash test (issue 7): no acknowledged write is lost or duplicated when the app server or the database dies.

    python tests/reliability/crash_test.py --db sqlite|postgres [--writes 20000] [--kills 3] [--db-stops 1]

(`make crash-test` runs it on both databases.) It is a script, not a pytest module: pytest only collects
`test_*.py`, so the normal suite never runs it.

1. A fresh data dir; for PostgreSQL a throw-away server (initdb + pg_ctl, as `.ci/run` starts one).
2. `migrate`, then a unit, a secretary of that unit and an API token, made through the services.
3. gunicorn (DEBUG=0, 2 sync workers) on 127.0.0.1 and a random free port, in its own process group.
4. Writer threads create people through the real API (`POST /api/v1/people/`, token auth; the service writes
   the person and its audit entry in one transaction), each with a client-made unique marker in `title`.
   A write counts as acknowledged only when the server answered 201 with that marker; an attempt that got
   no answer (connection reset, refused, timed out) or an error status is "unacknowledged" and is never
   retried under the same marker.
5. At random moments gunicorn's whole process group gets SIGKILL (`--kills`), then is started again. On
   PostgreSQL `--db-stops` of those moments first stop the server with `pg_ctl stop -m immediate` (no
   checkpoint, like a power cut of the database), let the writers hit the dead database, then kill gunicorn
   too, and restart both.
6. When `--writes` writes are acknowledged, the writers stop and the database is read directly: every
   acknowledged marker must be present exactly once, with exactly one "create" audit entry; no marker may
   appear twice. Unacknowledged attempts that did commit ("in doubt") are reported, not counted as errors.

Exit code 0 when 0 lost and 0 duplicated, else 1. The traffic only goes to 127.0.0.1, and every loop is
bounded (writes, attempts, and a time limit).
"""

from __future__ import annotations

import argparse
import datetime
import glob
import http.client
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER_PREFIX = "crash-"


def log(message: str) -> None:
    stamp = datetime.datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------------------
# A throw-away PostgreSQL


class Postgres:
    """initdb + pg_ctl in `folder`, run as the `postgres` system user when we are root (as in .ci/run)."""

    def __init__(self, folder: Path):
        bins = sorted(
            glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
            key=lambda p: int(re.search(r"/(\d+)/bin/", p).group(1)),
        )
        if not bins:
            sys.exit("PostgreSQL server binaries not found (install postgresql-15).")
        self.bin = Path(bins[-1]).parent
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.root = os.geteuid() == 0
        folder.mkdir(parents=True, exist_ok=True)
        if self.root:
            shutil.chown(folder, "postgres", "postgres")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = (["runuser", "-u", "postgres", "--"] if self.root else []) + list(args)
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    def init(self) -> None:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "steerdesk",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        self.start()
        subprocess.run(
            [
                str(self.bin / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "steerdesk",
                "steerdesk",
            ],
            check=True,
        )

    def start(self) -> None:
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "server.log"),
            "-o",
            f"-k {self.folder} -c listen_addresses=127.0.0.1 -p {self.port}",
            "-w",
            "start",
        )

    def stop(self, mode: str) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    @property
    def url(self) -> str:
        return f"postgres://steerdesk@127.0.0.1:{self.port}/steerdesk"


# ---------------------------------------------------------------------------------------------------------
# The app server


class AppServer:
    def __init__(self, env: dict[str, str], folder: Path, workers: int):
        self.env = env
        self.port = free_port()
        self.folder = folder
        self.workers = workers
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self, timeout: float = 90) -> None:
        self.starts += 1
        logfile = open(self.folder / f"gunicorn-{self.starts}.log", "wb")  # the child keeps its own copy
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "steerdesk.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL reaches the master and every worker
        )
        logfile.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.folder}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not become healthy in time")

    def kill(self) -> None:
        """SIGKILL to the whole process group: no worker gets to finish or flush anything."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


# ---------------------------------------------------------------------------------------------------------
# Writers


class Tally:
    def __init__(self, target: int):
        self.lock = threading.Lock()
        self.target = target
        self.acked: list[str] = []
        self.unacked: list[str] = []
        self.statuses: dict[str, int] = {}
        self.stop = threading.Event()

    def record(self, marker: str, outcome: str) -> None:
        with self.lock:
            self.statuses[outcome] = self.statuses.get(outcome, 0) + 1
            if outcome == "201":
                self.acked.append(marker)
                if len(self.acked) >= self.target:
                    self.stop.set()
            else:
                self.unacked.append(marker)

    @property
    def acked_count(self) -> int:
        with self.lock:
            return len(self.acked)


def writer(number: int, server: AppServer, token: str, unit_id: int, run_id: str, tally: Tally) -> None:
    conn: http.client.HTTPConnection | None = None
    headers = {
        "Authorization": f"Token {token}",
        "Content-Type": "application/json",
        "Cookie": "steerdesk_language=en",
    }
    seq = 0
    max_attempts = tally.target * 3
    while not tally.stop.is_set() and seq < max_attempts:
        seq += 1
        marker = f"{MARKER_PREFIX}{run_id}-{number}-{seq}"
        body = json.dumps(
            {"home_unit": unit_id, "full_name": f"Nguyễn Văn Thử {number} {seq}", "title": marker}
        )
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            conn.request("POST", "/api/v1/people/", body=body.encode(), headers=headers)
            response = conn.getresponse()
            data = response.read()
            outcome = str(response.status)
            if response.status == 201 and json.loads(data).get("title") != marker:
                outcome = "201-wrong-body"
        except (OSError, http.client.HTTPException):
            outcome = "no answer"
            if conn is not None:
                conn.close()
            conn = None
            time.sleep(0.05)  # the server is down: do not spin
        tally.record(marker, outcome)
        if outcome not in ("201", "no answer"):
            time.sleep(0.05)  # 5xx while the database is down


# ---------------------------------------------------------------------------------------------------------
# Set-up and check, run in the project's Django (same settings as the server)

SETUP = """
import django, json
django.setup()
from rest_framework.authtoken.models import Token
from steerdesk.accounts.models import User
from steerdesk.accounts.services import grant_role
from steerdesk.orgs.services import unit_create
root = User.objects.create_superuser("crash-root", "root@example.vn", None)
unit = unit_create(actor=root, parent=None, name="Ủy ban nhân dân tỉnh Thử Nghiệm", kind="province", code="UBND")
writer = User.objects.create_user("crash-writer", "writer@example.vn", None)
grant_role(actor=root, user=writer, unit=unit, role="secretary")
print(json.dumps({"unit": unit.pk, "token": Token.objects.create(user=writer).key}))
"""

CHECK = """
import django, json, sys
django.setup()
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count
from steerdesk.core.models import AuditEntry
from steerdesk.orgs.models import Person
prefix = sys.argv[1]
people = Person.objects.filter(title__startswith=prefix)
rows = {t: n for t, n in people.values_list("title").annotate(n=Count("id")).values_list("title", "n")}
ids = dict(people.values_list("id", "title"))
ct = ContentType.objects.get_for_model(Person)
audit = {}
for object_id, n in (
    AuditEntry.objects.filter(content_type=ct, action="create")
    .values("object_id").annotate(n=Count("id")).values_list("object_id", "n")
):
    title = ids.get(int(object_id))
    if title is not None:
        audit[title] = audit.get(title, 0) + n
from django.db import connection
integrity = "not applicable"
if connection.vendor == "sqlite":
    with connection.cursor() as cursor:
        integrity = cursor.execute("PRAGMA integrity_check").fetchone()[0]
json.dump({"rows": rows, "audit": audit, "integrity": integrity}, sys.stdout)
"""


def django_python(env: dict[str, str], code: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return result.stdout


# ---------------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--writes", type=int, default=20000, help="acknowledged writes to reach")
    parser.add_argument("--kills", type=int, default=3, help="SIGKILLs of gunicorn (at least 1)")
    parser.add_argument(
        "--db-stops",
        type=int,
        default=1,
        help="PostgreSQL only: kills that also stop the database immediately",
    )
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--time-limit", type=int, default=3600, help="seconds; the run gives up after this")
    parser.add_argument("--keep", action="store_true", help="keep the data dir (for inspection)")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    rng = random.Random(seed)
    db_stops = min(args.db_stops, args.kills) if args.db == "postgres" else 0

    folder = Path(tempfile.mkdtemp(prefix="steerdesk-crash-"))
    os.chmod(folder, 0o755)
    started = time.monotonic()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "STEERDESK_DATA_DIR")},
        "STEERDESK_DATA_DIR": str(folder / "data"),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "STEERDESK_BEHIND_PROXY_TLS": "0",
        "STEERDESK_REQUIRE_2FA_FOR_ADMINS": "0",
        "STEERDESK_LOG_FORMAT": "json",
        "DJANGO_SETTINGS_MODULE": "steerdesk.settings",
        "PYTHONUNBUFFERED": "1",
    }
    pg = None
    server = None
    try:
        if args.db == "postgres":
            pg = Postgres(folder / "pg")
            pg.init()
            env["DATABASE_URL"] = pg.url
            log(f"PostgreSQL on 127.0.0.1:{pg.port} ({pg.bin})")
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
        )
        setup = json.loads(django_python(env, SETUP))
        server = AppServer(env, folder, args.workers)
        server.start()
        log(
            f"gunicorn on 127.0.0.1:{server.port}; {args.threads} writers; target {args.writes} writes; seed {seed}"
        )

        # Random moments, as acknowledged-write counts spread over the run (not in the first or last 5 %).
        points = sorted(rng.sample(range(args.writes // 20, args.writes * 19 // 20), args.kills))
        db_events = set(rng.sample(range(args.kills), db_stops))
        events = [(p, "app+db" if i in db_events else "app") for i, p in enumerate(points)]

        run_id = secrets.token_hex(3)
        tally = Tally(args.writes)
        threads = [
            threading.Thread(
                target=writer, args=(n, server, setup["token"], setup["unit"], run_id, tally), daemon=True
            )
            for n in range(args.threads)
        ]
        for t in threads:
            t.start()
        done_events = []
        for point, kind in events:
            while tally.acked_count < point and not tally.stop.is_set():
                if time.monotonic() - started > args.time_limit:
                    raise RuntimeError("time limit reached")
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.05))  # not exactly on a response boundary
            at = tally.acked_count
            if kind == "app+db":
                pg.stop("immediate")
                time.sleep(rng.uniform(0.2, 1.0))  # writers meet a dead database
                server.kill()
                pg.start()
            else:
                server.kill()
            log(
                f"{'SIGKILL gunicorn + PostgreSQL stop -m immediate' if kind == 'app+db' else 'SIGKILL gunicorn'} at {at} acknowledged writes"
            )
            time.sleep(rng.uniform(0, 0.5))
            server.start()
            done_events.append((at, kind))
        while not tally.stop.is_set():
            if time.monotonic() - started > args.time_limit:
                raise RuntimeError("time limit reached")
            if not any(t.is_alive() for t in threads):
                raise RuntimeError("every writer gave up before the target")
            time.sleep(0.1)
        for t in threads:
            t.join(timeout=60)
        server.stop()
        elapsed = time.monotonic() - started

        found = json.loads(django_python(env, CHECK, f"{MARKER_PREFIX}{run_id}-"))
        rows, audit = found["rows"], found["audit"]
        acked = tally.acked
        lost = [m for m in acked if rows.get(m, 0) == 0]
        duplicated = sorted(m for m, n in rows.items() if n > 1)
        acked_set, unacked_set = set(acked), set(tally.unacked)
        in_doubt = sum(1 for m in unacked_set if rows.get(m, 0) >= 1)
        unknown = [m for m in rows if m not in acked_set and m not in unacked_set]
        audit_bad = [m for m in acked if audit.get(m, 0) != 1]
        ok = (
            found["integrity"] in ("ok", "not applicable")
            and not lost
            and not duplicated
            and not unknown
            and not audit_bad
            and len(acked) == len(acked_set)
        )
        kills = len(done_events)
        stops = sum(1 for _a, k in done_events if k == "app+db")
        print()
        print(f"SteerDesk crash test — database {args.db}")
        print(
            f"  date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; machine: {platform.machine()}, "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}; seed {seed}"
        )
        print(
            f"  writers: {args.threads} threads → gunicorn ({args.workers} sync workers), POST /api/v1/people/"
        )
        print(
            f"  attempts: {len(acked) + len(tally.unacked)}; outcomes: {json.dumps(tally.statuses, sort_keys=True)}"
        )
        print(
            f"  gunicorn SIGKILLs: {kills} (at {', '.join(str(a) for a, _k in done_events)} acknowledged writes)"
            + (f"; PostgreSQL immediate stops: {stops}" if args.db == "postgres" else "")
        )
        print(
            f"  acknowledged: {len(acked)}; present exactly once: {sum(1 for m in acked if rows.get(m) == 1)}"
        )
        print(
            f"  lost: {len(lost)}; duplicated: {len(duplicated)}; acknowledged without exactly one audit entry: "
            f"{len(audit_bad)}; rows with an unknown marker: {len(unknown)}"
        )
        if args.db == "sqlite":
            print(f"  SQLite integrity_check: {found['integrity']}")
        print(f"  unacknowledged attempts that committed anyway (in doubt, not an error): {in_doubt}")
        print(f"  elapsed: {elapsed:.0f} s ({len(acked) / elapsed:.0f} acknowledged writes/s overall)")
        print(f"  RESULT: {'PASS' if ok else 'FAIL'}")
        for label, items in (("lost", lost), ("duplicated", duplicated), ("audit", audit_bad)):
            if items:
                print(f"  first {label}: {items[:5]}")
        return 0 if ok else 1
    finally:
        if server is not None:
            server.kill()
        if pg is not None:
            pg.stop("fast")
        if args.keep:
            log(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
