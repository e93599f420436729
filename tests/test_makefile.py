"""The Makefile's contract (DESIGN §5), checked with `make -n` (prints the commands, runs none): fast."""

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")

# Variables the caller may have set (CI runs `PYTEST_ARGS=... make test`, which also exports MAKEFLAGS): the
# dry runs must see the Makefile's own defaults.
CLEAN_ENV = {
    k: v
    for k, v in os.environ.items()
    if k not in {"PYTEST_ARGS", "HOST", "PORT", "PYTHON", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}
}


def dry_run(*args: str) -> list[str]:
    """The commands `make` would run, as lines. `-B` pretends nothing is built yet (a fresh machine)."""
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-B", *args],
        cwd=ROOT,
        env=CLEAN_ENV,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.splitlines()


def index_of(lines: list[str], pattern: str) -> int:
    for i, line in enumerate(lines):
        if re.search(pattern, line):
            return i
    raise AssertionError(f"no line matches {pattern!r} in:\n" + "\n".join(lines))


def test_run_sets_up_migrates_seeds_once_and_serves_in_that_order():
    lines = dry_run("run")
    steps = [
        index_of(lines, r" -m venv \.venv"),
        index_of(lines, r"pip install .*-e \"?\.\[dev\]"),
        index_of(lines, r"steerdesk migrate --noinput"),
        index_of(lines, r"steerdesk seed_demo --scale small --if-empty"),
        index_of(lines, r"steerdesk demo_logins"),
        index_of(lines, r"steerdesk runserver 127\.0\.0\.1:8000$"),
    ]
    assert steps == sorted(steps)


def test_run_honours_host_and_port():
    lines = dry_run("run", "PORT=9123", "HOST=0.0.0.0")
    assert lines[-1].endswith("steerdesk runserver 0.0.0.0:9123")
    assert not any("8000" in line for line in lines)


def test_the_venv_is_made_with_a_python_of_at_least_3_11():
    line = dry_run("install")[index_of(dry_run("install"), r" -m venv \.venv")]
    python = shlex.split(line.split("||")[1])[0]
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version_info[:2] >= (3, 11))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == "True"


def test_test_runs_the_whole_suite_and_passes_pytest_args():
    assert dry_run("test")[-1].rstrip() == ".venv/bin/python -m pytest -q"
    assert dry_run("test", "PYTEST_ARGS=-m 'not e2e'")[-1] == ".venv/bin/python -m pytest -q -m 'not e2e'"


def test_lint_checks_format_and_rules_and_worker_runs_the_worker_with_its_scheduler():
    lint = dry_run("lint")
    assert index_of(lint, r"ruff format --check") < index_of(lint, r"ruff check")
    # `steerdesk worker` = django-tasks-db's db_worker plus the daily reminder scheduler thread.
    assert dry_run("worker")[-1] == ".venv/bin/steerdesk worker"
