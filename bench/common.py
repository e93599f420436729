"""Helpers shared by the benchmark scripts: percentiles, free ports, the machine description, a throw-away
PostgreSQL (initdb + pg_ctl as the `postgres` user, as `.ci/run` does)."""

from __future__ import annotations

import glob
import math
import os
import platform
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


def percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile (0–100) by the nearest-rank method; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summary_ms(seconds: list[float]) -> dict:
    """n, p50, p95, p99, max and mean of durations given in seconds, in milliseconds (3 decimals)."""

    def ms(value):
        return None if value is None else round(value * 1000, 3)

    return {
        "n": len(seconds),
        "p50_ms": ms(percentile(seconds, 50)),
        "p95_ms": ms(percentile(seconds, 95)),
        "p99_ms": ms(percentile(seconds, 99)),
        "max_ms": ms(max(seconds) if seconds else None),
        "mean_ms": ms(sum(seconds) / len(seconds) if seconds else None),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _first(pattern: str, text: str) -> str | None:
    match = re.search(pattern, text, re.MULTILINE)
    return match.group(1).strip() if match else None


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def machine(pg_version: str | None = None) -> dict:
    """CPU model, cores, RAM, OS, kernel, Python and database versions, the load when the run started."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    os_release = Path("/etc/os-release").read_text() if Path("/etc/os-release").exists() else ""
    mem_kb = _first(r"^MemTotal:\s+(\d+)", meminfo)
    versions = {}
    for module in ("django", "gunicorn", "psycopg", "locust"):
        try:
            from importlib.metadata import version

            versions[module] = version(module)
        except Exception:  # noqa: BLE001 - a missing package is reported as missing
            versions[module] = None
    wrk = shutil.which("wrk")
    wrk_version = None
    if wrk:
        out = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout  # noqa: S603
        wrk_version = _first(r"^wrk (\S+)", out)
    return {
        "cpu_model": _first(r"^model name\s*:\s*(.+)$", cpuinfo) or platform.processor() or None,
        "cores": os.cpu_count(),
        "ram_gib": round(int(mem_kb) / 1024 / 1024, 1) if mem_kb else None,
        "os": _first(r'^PRETTY_NAME="?([^"\n]+)"?', os_release) or platform.platform(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version,
        "packages": versions,
        "wrk": wrk_version,
        "load_average_at_start": load_average(),
    }


class Postgres:
    """A throw-away PostgreSQL cluster in `folder` on a free loopback port; kept between runs so a generated
    dataset can be reused (`start` on an existing cluster just starts it)."""

    def __init__(self, folder: Path):
        bins = sorted(
            glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
            key=lambda p: int(re.search(r"/(\d+)/bin/", p).group(1)),
        )
        if not bins:
            raise SystemExit("PostgreSQL server binaries not found (apt-get install postgresql-15).")
        self.bin = Path(bins[-1]).parent
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.root = os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = (["runuser", "-u", "postgres", "--"] if self.root else []) + list(args)
        return subprocess.run(cmd, check=check, capture_output=True, text=True)  # noqa: S603

    @property
    def version(self) -> str:
        out = subprocess.run([str(self.bin / "postgres"), "--version"], capture_output=True, text=True)  # noqa: S603
        match = re.search(r"\) (\d+(?:\.\d+)*)", out.stdout)
        return match.group(1) if match else out.stdout.strip()

    def start(self) -> bool:
        """Start the cluster (initdb first when there is none). True when a new cluster was created."""
        created = False
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.root:
            shutil.chown(self.folder, "postgres", "postgres")
        if not (self.data / "PG_VERSION").exists():
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "steerdesk",
                      "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip
            created = True
        stale = self.data / "postmaster.pid"
        if stale.exists():  # a previous run was killed: make sure nothing is left running
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"),
            "-o", f"-k {self.folder} -c listen_addresses=127.0.0.1 -p {self.port} -c shared_buffers=512MB "
            "-c work_mem=32MB -c maintenance_work_mem=256MB -c max_connections=200",
            "-w", "start",
        )  # fmt: skip
        if created:
            subprocess.run(  # noqa: S603
                [str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "steerdesk",
                 "steerdesk"],
                check=True,
            )  # fmt: skip
        return created

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    @property
    def url(self) -> str:
        return f"postgres://steerdesk@127.0.0.1:{self.port}/steerdesk"
