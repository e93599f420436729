"""The fuzz targets of `make fuzz` (harnesses.py), run by hypothesis: in CI a few dozen inputs each, so the targets
stay working; with STEERDESK_FUZZ_EXAMPLES (make fuzz without atheris) as many as asked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from . import harnesses

CORPUS = Path(__file__).resolve().parents[2] / "steerdesk/documents/tests/corpus/refs.jsonl"
corpus_texts = [json.loads(line)["text"] for line in CORPUS.read_text(encoding="utf-8").splitlines()]
pieces = st.sampled_from(
    [
        "Số",
        ":",
        " ",
        "12",
        "/",
        "-",
        "QĐ",
        "NQ",
        "TW",
        "UBND",
        "2020",
        "ngày",
        "tháng",
        "năm",
        "05",
        "\n",
        "Ð",
    ]
)


@pytest.mark.parametrize("text", corpus_texts[:20])
def test_the_reference_target_accepts_the_corpus(text):
    harnesses.references(text.encode())


@given(st.one_of(st.binary(max_size=300), st.lists(pieces, max_size=40).map(lambda p: "".join(p).encode())))
def test_the_reference_target_on_generated_input(data):
    harnesses.references(data)


@example(b"H\xe1\xbb\x8d v\xc3\xa0 t\xc3\xaan;\xc4\x90i\xe1\xbb\x87n tho\xe1\xba\xa1i\nL\xc3\xaa A;0912\n")
@example(b'X<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
@given(st.binary(max_size=400))
def test_the_import_target_on_generated_input(data):
    harnesses.people_import(data)
