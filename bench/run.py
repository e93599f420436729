"""`make bench`: the benchmark suite of issue 6 (B1–B6), unattended, bounded in time.

    python bench/run.py [--scale province|national] [--db sqlite|postgres] [--workers N] [--quick]

1. The dataset: `var/bench/<scale>[-postgres]/` (git-ignored). Reused when present; otherwise migrated and
   generated with `steerdesk seed_demo --scale <scale>` (the generation time is recorded). PostgreSQL runs in a
   throw-away cluster of its own in that folder (initdb/pg_ctl as the `postgres` user, a free loopback port),
   kept between runs so the dataset is reused, stopped at the end.
2. `bench/inproc.py prepare`: PDF attachments added once through the documents service, and the load plan.
3. `bench/inproc.py measure`: B2 (roll-up ORM vs hand-written SQL), the pages' server time (B3), query counts
   and plans (rows read), B4 through the search function — in one Django process, nothing else running.
4. gunicorn on 127.0.0.1 (a free port, production settings: DEBUG=0, a SECRET_KEY, ALLOWED_HOSTS=127.0.0.1,
   STEERDESK_BEHIND_PROXY_TLS=0 so plain http on loopback is not redirected to https; the Secure `__Host-`
   cookies are kept by the load tools themselves). Load from other processes on loopback: wrk (B1
   saturation), bench/http_load.py (B1 at a fixed rate; B3/B4 over HTTP), locust (B5).
5. B6: `steerdesk backup` and `steerdesk restore` of the dataset, timed; on PostgreSQL the additive-migration
   demonstration (bench/migration_demo.py).
6. `bench/results/<timestamp>.json`, and bench/RESULTS.md regenerated (bench/report.py).
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH, ROOT, Postgres, free_port, load_average, machine  # noqa: E402

PY = sys.executable
RESULTS = BENCH / "results"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(cmd: list[str], env: dict, *, timeout: float, capture: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(  # noqa: S603 - argument lists only
        cmd, cwd=ROOT, env=env, timeout=timeout, capture_output=capture, text=True
    )
    if result.returncode != 0:
        sys.stderr.write((result.stdout or "")[-4000:] + (result.stderr or "")[-4000:])
        raise SystemExit(f"failed ({result.returncode}): {' '.join(cmd)}")
    return result


class Dataset:
    """The dataset's folder, its environment, and (PostgreSQL) its cluster."""

    def __init__(self, scale: str, db: str):
        self.scale, self.db = scale, db
        self.folder = ROOT / "var" / "bench" / (scale if db == "sqlite" else f"{scale}-postgres")
        self.data_dir = self.folder / "data" if db == "postgres" else self.folder
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.pg = Postgres(self.folder / "pg") if db == "postgres" else None
        self.marker = self.data_dir / "bench-dataset.json"
        key_file = self.data_dir / "bench-secret-key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(50))
            key_file.chmod(0o600)
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env.update(
            STEERDESK_DATA_DIR=str(self.data_dir),
            DEBUG="0",
            SECRET_KEY=key_file.read_text().strip(),
            ALLOWED_HOSTS="127.0.0.1",
            STEERDESK_BEHIND_PROXY_TLS="0",
            PYTHONUNBUFFERED="1",
        )

    def start(self) -> None:
        if self.pg is not None:
            created = self.pg.start()
            if created and self.marker.exists():
                self.marker.unlink()
            self.env["DATABASE_URL"] = self.pg.url

    def stop(self) -> None:
        if self.pg is not None:
            self.pg.stop()

    def ensure(self) -> dict:
        """Migrate; generate the dataset unless a complete one is there. Returns the marker's contents."""
        steerdesk = [PY, "-m", "steerdesk.cli"]
        if not self.marker.exists() and self.db == "sqlite":
            for name in ("steerdesk.sqlite3", "steerdesk.sqlite3-wal", "steerdesk.sqlite3-shm"):
                (self.data_dir / name).unlink(missing_ok=True)  # a partly generated database: start again
            shutil.rmtree(self.data_dir / "media", ignore_errors=True)
        log("migrate")
        run([*steerdesk, "migrate", "--noinput"], self.env, timeout=1800)
        if self.marker.exists():
            info = json.loads(self.marker.read_text())
            log(f"reusing the {self.scale} dataset generated {info['generated_at']}")
            return info
        if self.db == "postgres":  # a partly generated database: start from an empty schema
            run([*steerdesk, "flush", "--noinput"], self.env, timeout=600)
        log(f"generating the {self.scale} dataset (seed_demo --scale {self.scale})")
        t0 = time.monotonic()
        out = run([*steerdesk, "seed_demo", "--scale", self.scale], self.env, timeout=6 * 3600).stdout
        info = {
            "scale": self.scale,
            "generated_at": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "generation_seconds": round(time.monotonic() - t0, 1),
            "seed_demo_output": [line for line in out.splitlines() if line.strip()][:40],
        }
        self.marker.write_text(json.dumps(info, ensure_ascii=False, indent=1))
        return info


class Refresher(threading.Thread):
    """`steerdesk refresh_rollups` every minute while the app is measured, as the worker's scheduler (or cron)
    does in production: roll-ups of large subtrees read the summary table only while it is under 2 minutes old.
    """

    def __init__(self, env: dict):
        super().__init__(daemon=True)
        self.env = env
        self.stop = threading.Event()
        self.runs: list[float] = []
        self.errors: list[str] = []

    def run(self):
        while True:
            t0 = time.monotonic()
            result = subprocess.run(  # noqa: S603
                [PY, "-m", "steerdesk.cli", "refresh_rollups"],
                cwd=ROOT,
                env=self.env,
                capture_output=True,
                text=True,
            )
            self.runs.append(round(time.monotonic() - t0, 2))
            if result.returncode:
                self.errors.append(result.stderr[-500:])
            if self.stop.wait(60):
                return

    def summary(self) -> dict:
        return {"runs": len(self.runs), "seconds": self.runs, "errors": self.errors[:3]}


class AppServer:
    def __init__(self, env: dict, folder: Path, workers: int, worker_class: str, threads: int):
        self.env, self.folder = env, folder
        self.workers, self.worker_class, self.threads = workers, worker_class, threads
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        cmd = [PY, "-m", "gunicorn", "steerdesk.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
               "--workers", str(self.workers), "--worker-class", self.worker_class, "--timeout", "120",
               "--graceful-timeout", "5", "--backlog", "2048"]  # fmt: skip
        if self.worker_class == "gthread":
            cmd += ["--threads", str(self.threads)]
        logfile = open(self.folder / "gunicorn.log", "ab")  # noqa: SIM115 - the child keeps its own copy
        self.proc = subprocess.Popen(  # noqa: S603
            cmd, cwd=ROOT, env=self.env, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True
        )
        logfile.close()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(
                    f"gunicorn exited with {self.proc.returncode}: see {self.folder / 'gunicorn.log'}"
                )
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit("gunicorn did not become healthy in time")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


# ---------------------------------------------------------------------------------------------------------
# The measurements that use the app server


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def b1_saturation(base: str, seconds: int, connections: int, threads: int) -> dict:
    out = subprocess.run(  # noqa: S603
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s",
         f"{base}/healthz"],
        capture_output=True, text=True, timeout=seconds + 60,
    ).stdout  # fmt: skip
    result = {"tool": "wrk", "seconds": seconds, "connections": connections, "threads": threads}
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    result["requests_per_s"] = float(match.group(1)) if match else None
    for pct in ("50", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        result[f"p{pct}_ms"] = round(_ms(*match.groups()), 3) if match else None
    match = re.search(r"(\d+) requests in", out)
    result["requests"] = int(match.group(1)) if match else None
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non_2xx"] = int(match.group(1)) if match else 0
    match = re.search(r"Socket errors: (.+)", out)
    result["socket_errors"] = match.group(1).strip() if match else None
    result["target_requests_per_s"] = 3000
    result["met"] = bool(result["requests_per_s"] and result["requests_per_s"] >= 3000)
    result["raw"] = out.strip().splitlines()
    return result


def http_load(args: list[str], env: dict, timeout: float) -> dict:
    out = run([PY, str(BENCH / "http_load.py"), *args], env, timeout=timeout).stdout
    return json.loads(out.strip().splitlines()[-1])


def b5_locust(base: str, plan: Path, folder: Path, env: dict, users: int, seconds: int) -> dict:
    prefix = folder / "locust"
    for old in folder.glob("locust_*.csv"):
        old.unlink()
    cmd = [PY, "-m", "locust", "-f", str(BENCH / "locustfile.py"), "--headless", "--users", str(users),
           "--spawn-rate", "10", "--run-time", f"{seconds}s", "--host", base, "--csv", str(prefix),
           "--reset-stats", "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"]  # fmt: skip
    login_out = folder / "locust-login.json"
    login_out.unlink(missing_ok=True)
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    result = subprocess.run(  # noqa: S603
        cmd,
        cwd=ROOT,
        env={**env, "BENCH_PLAN": str(plan), "BENCH_USERS": str(users), "BENCH_LOGIN_OUT": str(login_out)},
        capture_output=True,
        text=True,
        timeout=seconds + 180,
    )
    wall = time.monotonic() - t0
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    locust_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    stats_file = Path(f"{prefix}_stats.csv")
    if not stats_file.exists():
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit("locust wrote no statistics")
    import csv

    rows = list(csv.DictReader(stats_file.open(encoding="utf-8")))
    failures_file = Path(f"{prefix}_failures.csv")
    failures = list(csv.DictReader(failures_file.open(encoding="utf-8"))) if failures_file.exists() else []

    def row_summary(row: dict) -> dict:
        def num(key):
            value = row.get(key)
            try:
                return float(value)
            except (TypeError, ValueError):
                return None

        return {
            "name": f"{row['Type']} {row['Name']}".strip(),
            "requests": int(num("Request Count") or 0),
            "failures": int(num("Failure Count") or 0),
            "requests_per_s": round(num("Requests/s") or 0, 1),
            "p50_ms": num("50%"),
            "p95_ms": num("95%"),
            "p99_ms": num("99%"),
            "max_ms": num("Max Response Time"),
        }

    total = next((row_summary(r) for r in rows if r["Name"] == "Aggregated"), None)
    per_request = [row_summary(r) for r in rows if r["Name"] != "Aggregated"]
    met = bool(total and total["requests_per_s"] >= 150 and total["p95_ms"] <= 300 and total["failures"] == 0)
    login = json.loads(login_out.read_text()) if login_out.exists() else {}
    return {
        "tool": "locust (FastHttpUser)",
        "login_phase_s": login.get("login_phase_s"),
        "locust_cpu_share_of_one_core": round(locust_cpu / wall, 2),
        "users": users,
        "seconds": seconds,
        "think_time_s": [0.05, 0.25],
        "total": total,
        "requests": sorted(per_request, key=lambda r: -r["requests"]),
        "failures": [
            {k: f[k] for k in ("Method", "Name", "Error", "Occurrences") if k in f} for f in failures[:10]
        ],
        "targets": {"requests_per_s": 150, "p95_ms": 300, "failures": 0},
        "met": met,
    }


def b6_backup_restore(ds: Dataset) -> dict:
    archive = ds.folder / "bench-backup.tar.gz"
    archive.unlink(missing_ok=True)
    steerdesk = [PY, "-m", "steerdesk.cli"]
    t0 = time.monotonic()
    run([*steerdesk, "backup", "--output", str(archive)], ds.env, timeout=3600)
    backup_s = time.monotonic() - t0
    size = archive.stat().st_size
    t0 = time.monotonic()
    out = run([*steerdesk, "restore", str(archive), "--yes"], ds.env, timeout=3600).stdout
    restore_s = time.monotonic() - t0
    archive.unlink()
    target = 60 if ds.db == "sqlite" else 300
    db_size = None
    if ds.db == "sqlite":
        db_size = (ds.data_dir / "steerdesk.sqlite3").stat().st_size
    return {
        "backup_seconds": round(backup_s, 1),
        "restore_seconds": round(restore_s, 1),
        "total_seconds": round(backup_s + restore_s, 1),
        "archive_bytes": size,
        "database_file_bytes": db_size,
        "restore_output": out.strip().splitlines()[-1:],
        "target_seconds_at_national": target,
        "met": backup_s + restore_s <= target,
        "note": ""
        if ds.scale == "national"
        else "targets are for the national dataset; this is province scale",
    }


# ---------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", default="province", choices=["province", "national", "tiny"])
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread)")
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke test of the suite)")
    parser.add_argument("--skip", default="", help="comma-separated stages to skip: inproc,b1,http,b5,b6")
    args = parser.parse_args()
    skip = {s.strip().lower() for s in args.skip.split(",") if s.strip()}
    quick = args.quick
    started = time.monotonic()
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    ds = Dataset(args.scale, args.db)
    result: dict = {"started_at": stamp, "scale": args.scale, "database": args.db, "quick": quick}
    git = ["git", "-C", str(ROOT)]
    revision = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    changed = subprocess.run(
        [*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
    )
    result["code"] = {"commit": revision, "uncommitted_files": len(changed.stdout.splitlines())}
    server = refresher = None
    try:
        ds.start()
        result["machine"] = machine(ds.pg.version if ds.pg else None)
        result["dataset"] = ds.ensure()
        plan = ds.data_dir / "bench-plan.json"
        log("prepare (attachments, load plan)")
        run([PY, str(BENCH / "inproc.py"), "prepare", "--out", str(plan)], ds.env, timeout=1800)
        refresher = Refresher(ds.env)
        if "inproc" not in skip:
            log("in-process: B2 roll-up ORM vs SQL, pages' server time (B3), B4 search function")
            inproc_out = ds.data_dir / "bench-inproc.json"
            cmd = [PY, str(BENCH / "inproc.py"), "measure", "--out", str(inproc_out)] + (
                ["--quick"] if quick else []
            )
            run(cmd, ds.env, timeout=3600, capture=False)
            result["inproc"] = json.loads(inproc_out.read_text())
            result["load_average_after_inproc"] = load_average()
        refresher.start()  # the summary job, every minute from now on (the in-process stage refreshed it itself)
        server = AppServer(ds.env, ds.data_dir, args.workers, args.worker_class, args.threads)
        server.start()
        result["app_server"] = {
            "gunicorn_workers": args.workers,
            "worker_class": args.worker_class,
            "threads": args.threads if args.worker_class == "gthread" else 1,
            "settings": "DEBUG=0, STEERDESK_BEHIND_PROXY_TLS=0 (no https redirect on loopback), "
            "ALLOWED_HOSTS=127.0.0.1",
        }
        if "b1" not in skip:
            seconds = 10 if quick else 30
            log(f"B1 /healthz saturation: wrk {seconds} s")
            result["B1_saturation"] = b1_saturation(server.base, seconds, connections=8, threads=2)
            log(f"  {result['B1_saturation']['requests_per_s']} req/s")
            # "Moderate": a quarter of the saturation throughput just measured, at most 200 req/s.
            rate = max(20, min(200, round((result["B1_saturation"]["requests_per_s"] or 80) / 4)))
            log(f"B1 /healthz at a fixed {rate} req/s for {seconds} s")
            fixed = http_load(["fixed-rate", "--url", f"{server.base}/healthz", "--rate", str(rate),
                               "--seconds", str(seconds)], ds.env, timeout=seconds + 120)  # fmt: skip
            fixed["target_p99_ms"] = 5
            fixed["met"] = (fixed["latency_from_due_time"]["p99_ms"] or 1e9) <= 5 and fixed["errors"] == 0
            result["B1_fixed_rate"] = fixed
            log(f"  p99 {fixed['latency_from_due_time']['p99_ms']} ms")
        if "http" not in skip:
            log("B3/B4 over HTTP (one client, sequential)")
            reps = 8 if quick else 20
            result["http_pages"] = http_load(
                ["pages", "--base", server.base, "--plan", str(plan), "--reps", str(reps)],
                ds.env,
                timeout=1800,
            )
        if "b5" not in skip:
            seconds = 30 if quick else 150
            log(f"B5 locust: 50 users for {seconds} s")
            result["B5"] = b5_locust(server.base, plan, ds.data_dir, ds.env, 50, seconds)
            total = result["B5"]["total"] or {}
            log(
                f"  {total.get('requests_per_s')} req/s, p95 {total.get('p95_ms')} ms, {total.get('failures')} failures"
            )
        result["load_average_after_load"] = load_average()
        server.stop()
        server = None
        refresher.stop.set()
        refresher.join()
        result["summary_refresh_job"] = refresher.summary()
        if "b6" not in skip:
            log("B6 backup + restore")
            result["B6"] = b6_backup_restore(ds)
            log(f"  backup {result['B6']['backup_seconds']} s, restore {result['B6']['restore_seconds']} s")
            if ds.db == "postgres":
                log("B6 additive migrations on PostgreSQL: lock_timeout, nullable column, index CONCURRENTLY")
                out_file = ds.data_dir / "bench-migration.json"
                run([PY, str(BENCH / "migration_demo.py"), "--out", str(out_file)], ds.env, timeout=1800)
                result["B6_migrations"] = json.loads(out_file.read_text())
    finally:
        if refresher is not None:
            refresher.stop.set()
        if server is not None:
            server.stop()
        ds.stop()
    result["duration_seconds"] = round(time.monotonic() - started, 1)
    folder = RESULTS if not quick else ds.folder / "results"  # smoke runs stay out of the repository
    folder.mkdir(exist_ok=True)
    out = folder / f"{stamp}-{args.scale}-{args.db}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    log(f"results: {out} ({result['duration_seconds']} s)")
    subprocess.run([PY, str(BENCH / "report.py")], cwd=ROOT, check=True)  # noqa: S603


if __name__ == "__main__":
    main()
