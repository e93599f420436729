"""No SQL built by string formatting, and bandit's other checks, over the application code (ASVS V1.2):
`make lint` runs bandit with the configuration in pyproject.toml; these tests run the same so CI fails too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bandit(*targets: str) -> dict:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bandit",
            "-c",
            str(ROOT / "pyproject.toml"),
            "-f",
            "json",
            "-q",
            "-r",
            *targets,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return json.loads(result.stdout)


def test_bandit_finds_nothing_in_the_application_code():
    report = bandit("steerdesk")
    issues = [
        f"{i['filename']}:{i['line_number']} {i['test_id']} {i['issue_text']}" for i in report["results"]
    ]
    assert not issues, "bandit (make lint):\n" + "\n".join(issues)
    assert report["metrics"]["_totals"]["loc"] > 5000  # it did read the code


def test_bandit_flags_sql_built_from_strings(tmp_path):
    """The control: the configuration still catches the three ways of putting text into SQL."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "queries.py").write_text(
        "from django.db import connection\n"
        "from django.db.models.expressions import RawSQL\n\n\n"
        "def by_name(qs, name):\n"
        "    with connection.cursor() as cursor:\n"
        "        cursor.execute(f\"SELECT id FROM orgs_orgunit WHERE name = '{name}'\")\n"
        "    qs.extra(where=[\"name = '%s'\" % name])\n"
        '    return qs.annotate(x=RawSQL("SELECT %s" % name, []))\n'
    )
    found = {issue["test_id"] for issue in bandit(str(app))["results"]}
    assert {"B608", "B610", "B611"} <= found
