"""`make fuzz`: a short coverage-guided fuzzing session of the reference extractor and the XLSX/CSV people
importer (not part of CI).

With atheris installed (the `fuzz` extra), each target of harnesses.py runs under libFuzzer for --seconds,
starting from seed inputs (the reference corpus of the documents tests, sample CSV/XLSX files); new inputs and any
crash are written under <data dir>/fuzz/. Where atheris cannot be installed (it builds native code and lags new
Pythons), the fallback is a long hypothesis run of tests/fuzz/ (STEERDESK_FUZZ_EXAMPLES examples per property,
the same targets through tests/fuzz/test_harnesses.py).

    python -m tests.fuzz.run [--seconds 60] [--target references|people_import]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    return Path(os.environ.get("STEERDESK_DATA_DIR") or ROOT / "var").resolve()


def seeds(target: str, corpus: Path) -> None:
    corpus.mkdir(parents=True, exist_ok=True)
    if any(corpus.iterdir()):
        return
    if target == "references":
        lines = (
            (ROOT / "steerdesk/documents/tests/corpus/refs.jsonl").read_text(encoding="utf-8").splitlines()
        )
        for i, line in enumerate(lines):
            (corpus / f"seed-{i:03d}").write_text(json.loads(line)["text"], encoding="utf-8")
    else:
        (corpus / "seed-csv").write_bytes(
            "Họ và tên;Chức vụ;Điện thoại\nNguyễn Thị Minh Khai;Chánh VP;0912345678\n".encode()
        )
        (corpus / "seed-xlsx").write_bytes(
            b'X<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>H\xe1\xbb\x8d v\xc3\xa0 t\xc3\xaan</t></is></c></row>'
            b'<row r="2"><c r="A2" t="inlineStr"><is><t>L\xc3\xaa V\xc4\x83n A</t></is></c><c r="B2"><v>912345678</v></c>'
            b"</row></sheetData></worksheet>"
        )


def run_atheris(targets: list[str], seconds: int) -> int:
    status = 0
    for target in targets:
        work = data_dir() / "fuzz" / target
        corpus = work / "corpus"
        seeds(target, corpus)
        print(f"== atheris: {target} for {seconds} s (corpus and crashes in {work})", flush=True)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.fuzz.atheris_main",
                target,
                f"-max_total_time={seconds}",
                f"-artifact_prefix={work}/",
                "-max_len=20000",
                "-timeout=20",
                "-rss_limit_mb=2048",
                str(corpus),
            ],
            cwd=ROOT,
            check=False,
        )
        status = status or result.returncode
    return status


def run_hypothesis(examples: int) -> int:
    print(
        f"== atheris is not installed: hypothesis, {examples} examples per property in tests/fuzz/",
        flush=True,
    )
    env = {**os.environ, "STEERDESK_FUZZ_EXAMPLES": str(examples)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "tests/fuzz"]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="per target (atheris)")
    parser.add_argument("--examples", type=int, default=5000, help="per property (hypothesis fallback)")
    parser.add_argument("--target", action="append", choices=["references", "people_import"])
    args = parser.parse_args()
    if importlib.util.find_spec("atheris") is None:
        return run_hypothesis(args.examples)
    return run_atheris(args.target or ["references", "people_import"], args.seconds)


if __name__ == "__main__":
    sys.exit(main())
