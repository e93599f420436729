"""Logs: JSON lines with the request id in production, the readable format in development, and
STEERDESK_LOG_FORMAT to choose."""

from __future__ import annotations

import datetime
import io
import json
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from steerdesk.core.middleware import RequestIdFilter

EMIT = """
import logging, django
from django.conf import settings
django.setup()
print(settings.LOGGING["handlers"]["console"]["formatter"])
logging.getLogger("steerdesk.test").warning("Đã sao lưu %s tệp", 3)
"""


def run_settings(tmp_path, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "STEERDESK_LOG_FORMAT")}
    base.update(
        STEERDESK_DATA_DIR=str(tmp_path),
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="example.vn",
        DJANGO_SETTINGS_MODULE="steerdesk.settings",
    )
    return subprocess.run(
        [sys.executable, "-c", EMIT], env={**base, **env}, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DEBUG": "1"}, "text"),
        ({"DEBUG": "0"}, "json"),
        ({"DEBUG": "1", "STEERDESK_LOG_FORMAT": "json"}, "json"),
        ({"DEBUG": "0", "STEERDESK_LOG_FORMAT": "TEXT"}, "text"),
    ],
)
def test_the_format_follows_debug_unless_steerdesk_log_format_says(tmp_path, env, expected):
    result = run_settings(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
    line = result.stderr.strip().splitlines()[-1]
    if expected == "json":
        record = json.loads(line)
        assert record["level"] == "WARNING"
        assert record["logger"] == "steerdesk.test"
        assert record["message"] == "Đã sao lưu 3 tệp"
        assert record["request_id"] == "-"
        assert datetime.datetime.fromisoformat(record["time"]).tzinfo is not None
    else:
        assert line.endswith("WARNING [-] steerdesk.test: Đã sao lưu 3 tệp")


def test_an_unknown_log_format_is_refused(tmp_path):
    result = run_settings(tmp_path, DEBUG="1", STEERDESK_LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "STEERDESK_LOG_FORMAT must be json or text" in result.stderr


@pytest.fixture
def json_lines():
    """The project's JSON formatter and request-id filter on django.request, writing into a buffer."""
    conf = dict(settings.LOGGING["formatters"]["json"])
    formatter = import_string(conf.pop("()"))(**conf)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)


def test_a_request_logs_one_json_object_with_its_request_id(db, client, json_lines):
    response = client.get("/khong-co-trang-nay/", HTTP_X_REQUEST_ID="req-0042")

    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-0042"
    [record] = json_lines()
    assert record["level"] == "WARNING"
    assert record["logger"] == "django.request"
    assert record["message"] == "Not Found: /khong-co-trang-nay/"
    assert record["request_id"] == "req-0042"
    assert record["status_code"] == 404


def test_a_record_logged_after_the_middleware_returned_takes_the_id_from_its_request():
    """Django logs responses with an error status after the middleware chain: the id comes from the request."""

    class Request:
        request_id = "abc123"

    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Forbidden", (), None)
    record.request = Request()
    RequestIdFilter().filter(record)
    assert record.request_id == "abc123"

    bare = logging.LogRecord("steerdesk", logging.INFO, __file__, 1, "no request", (), None)
    RequestIdFilter().filter(bare)
    assert bare.request_id == "-"
