"""`steerdesk extract_refs [--json] FILE…|-`."""

import io
import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

TEXT = (
    "Thực hiện Nghị quyết số 35-NQ/TW ngày 22/10/2018 của Bộ Chính trị và Nghị định 30/2020/NĐ-CP,\n"
    "Công văn số 125/UBND-VP; Giấy xác nhận số 15/GXN-UBND.\n"
)
REPO = Path(__file__).resolve().parents[3]


def _run(*args, stdin=None):
    out, err = io.StringIO(), io.StringIO()
    call_command("extract_refs", *args, stdout=out, stderr=err, stdin=stdin)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "nghi-quyet.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def test_json_prints_one_object_per_reference_exactly_as_documented(text_file):
    out, err = _run("--json", str(text_file))
    lines = out.splitlines()
    assert err == ""
    assert len(lines) == 4
    objects = [json.loads(line) for line in lines]
    assert objects[0] == {
        "number": "35-NQ/TW",
        "system": "party",
        "type": "NQ",
        "type_known": True,
        "issuer": "TW",
        "year": 2018,
        "date": "2018-10-22",
        "span": [24, 32],
        "file": str(text_file),
    }
    assert (
        objects[1]["number"] == "30/2020/NĐ-CP" and objects[1]["year"] == 2020 and objects[1]["date"] is None
    )
    assert objects[2]["type"] is None and objects[2]["issuer"] == "UBND-VP"  # công văn
    assert objects[3]["type"] == "GXN" and objects[3]["type_known"] is False
    assert "35-NQ/TW" in lines[0] and "\\u" not in out  # UTF-8, not ASCII escapes
    for obj in objects:
        start, end = obj["span"]
        assert TEXT[start:end].replace(" ", "") == obj["number"]


def test_json_spans_refer_to_the_nfc_text_of_an_nfd_file(tmp_path):
    path = tmp_path / "nfd.txt"
    path.write_text(unicodedata.normalize("NFD", TEXT), encoding="utf-8")
    out, _ = _run("--json", str(path))
    first = json.loads(out.splitlines()[0])
    assert first["span"] == [24, 32]
    assert all(unicodedata.is_normalized("NFC", line) for line in out.splitlines())


def test_default_output_is_a_readable_table(text_file):
    out, _ = _run(str(text_file))
    lines = out.splitlines()
    assert lines[0].split() == ["NUMBER", "SYSTEM", "TYPE", "ISSUER", "YEAR", "DATE", "FILE"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    row = lines[2].split()
    assert row == ["35-NQ/TW", "party", "NQ", "TW", "2018", "22/10/2018", str(text_file)]
    assert lines[4].split()[:3] == ["125/UBND-VP", "state", "—"]
    assert lines[5].split()[2] == "GXN?"  # unknown type code marked, not guessed
    assert len(lines) == 6


def test_table_says_so_when_nothing_is_found(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("Cuộc họp lúc 14:30 ngày 05/02/2020, đạt 1/2 kế hoạch.", encoding="utf-8")
    out, _ = _run(str(path))
    assert "no document references found" in out
    out, _ = _run("--json", str(path))
    assert out == ""


def test_dash_reads_standard_input():
    out, _ = _run("--json", "-", stdin=io.BytesIO(TEXT.encode("utf-8")))
    objects = [json.loads(line) for line in out.splitlines()]
    assert [o["number"] for o in objects] == ["35-NQ/TW", "30/2020/NĐ-CP", "125/UBND-VP", "15/GXN-UBND"]
    assert {o["file"] for o in objects} == {"<stdin>"}


def test_a_utf8_bom_is_not_part_of_the_text(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    out, _ = _run("--json", str(path))
    assert json.loads(out.splitlines()[0])["span"] == [24, 32]


def test_missing_and_non_utf8_files_exit_2_but_the_others_are_still_processed(text_file, tmp_path):
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Quyết định số 12/QĐ-UBND".encode("utf-16"))  # Notepad "Unicode"
    missing = tmp_path / "missing.txt"
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command(
            "extract_refs", "--json", str(missing), str(latin), str(text_file), stdout=out, stderr=err
        )
    assert exc.value.returncode == 2
    assert "2 of 3 input(s) could not be read" in str(exc.value)
    assert f"{missing}: no such file" in err.getvalue()
    assert f"{latin}: not UTF-8 text" in err.getvalue()
    assert len(out.getvalue().splitlines()) == 4  # the good file was still processed


def test_a_directory_is_reported_not_crashed_on(tmp_path):
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("extract_refs", str(tmp_path), stdout=io.StringIO(), stderr=err)
    assert exc.value.returncode == 2
    assert "is a directory" in err.getvalue()


def _cli(*args, stdin=b""):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "steerdesk.settings", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "steerdesk.cli", "extract_refs", *args],
        input=stdin,
        capture_output=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )


def test_command_line_exit_codes_and_stdin(tmp_path):
    ok = _cli("--json", "-", stdin=TEXT.encode("utf-8"))
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout.decode("utf-8").splitlines()[0])["number"] == "35-NQ/TW"

    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00 Quy\xe9t")
    failed = _cli(str(bad))
    assert failed.returncode == 2
    assert b"not UTF-8 text" in failed.stderr
    assert b"Traceback" not in failed.stderr


def test_help_documents_the_exit_status():
    result = _cli("--help")
    assert result.returncode == 0
    assert b"exits with status 2" in result.stdout
