"""Property-based tests (hypothesis) of the parsers that read what users type or upload, where the apps' own tests
give examples only: dates after a reference, document numbers as fixed points, Vietnamese folding and tone
placement, and the XLSX/CSV importers on arbitrary and on well-formed files.

The apps' tests hold the rest (steerdesk/documents/tests/test_numbering.py: number round trips and messy
spellings; test_references.py: arbitrary text never raises, spans; steerdesk/core/tests/test_text.py: folding is
idempotent and ASCII, sort keys). In CI these run with the "ci" profile (60 examples each); `make fuzz` runs them
with many more (see tests/fuzz/conftest.py) when atheris cannot be used.
"""

from __future__ import annotations

import csv
import datetime
import io
import string
import unicodedata
import zipfile

import pytest
from django.db import transaction
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from steerdesk.core.text import fold, nfc, split_name, tokens, tone_canonical
from steerdesk.documents.numbering import date_line, normalize_number, parse_number
from steerdesk.documents.references import extract_refs
from steerdesk.orgs import importing

# -- dates after a reference --------------------------------------------------------------------------------

# References are read with years 19xx and 20xx (documents/references.py), which covers every real document.
dates = st.dates(min_value=datetime.date(1945, 9, 2), max_value=datetime.date(2099, 12, 31))
REFERENCES = [
    "Kế hoạch số 10-KH/BCĐ",
    "Nghị quyết số 35-NQ/TW",
    "Quyết định số 12/QĐ-UBND",
    "Công văn số 125/UBND-VP",
]


def spellings(d: datetime.date) -> list[str]:
    return [
        f"{d.day:02d}/{d.month:02d}/{d.year}",  # administrative, leading zeros
        f"{d.day}/{d.month}/{d.year}",  # administrative as often typed (`06/6/2012`)
        f"{d.day:02d}-{d.month:02d}-{d.year}",  # Party style
        f"{d.day}-{d.month}-{d.year}",
        f"{d.day:02d}.{d.month:02d}.{d.year}",
        f"{d.day} tháng {d.month} năm {d.year}",
        f"{d.day:02d} tháng {d.month:02d} năm {d.year}",
    ]


@given(dates, st.sampled_from(REFERENCES), st.integers(0, 6), st.sampled_from(["", ",", " ,"]))
def test_a_date_after_a_reference_is_read_in_every_spelling(d, reference, which, comma):
    text = f"Thực hiện {reference}{comma} ngày {spellings(d)[which]} của cấp trên."
    refs = extract_refs(text)
    assert [r.date for r in refs] == [d], (text, refs)


@given(dates, st.sampled_from(REFERENCES))
def test_the_date_line_of_a_document_round_trips_through_the_reference_reader(d, reference):
    """`Hà Nội, ngày 05 tháng 02 năm 2020` (numbering.date_line) is read back as the same date."""
    refs = extract_refs(f"{reference} {date_line('Hà Nội', d)}")
    assert [r.date for r in refs] == [d]


@given(
    st.integers(1900, 2100),
    st.sampled_from(
        [(2, 30), (2, 31), (4, 31), (6, 31), (9, 31), (11, 31), (13, 1), (0, 5), (5, 0), (12, 32)]
    ),
    st.sampled_from(REFERENCES),
)
def test_an_impossible_date_is_never_invented_or_guessed(year, month_day, reference):
    month, day = month_day
    refs = extract_refs(f"{reference} ngày {day:02d}/{month:02d}/{year} về việc")
    assert len(refs) == 1 and refs[0].date is None


@given(st.integers(2015, 2030), st.integers(1, 28))
def test_february_29_only_in_leap_years(year, _any):
    refs = extract_refs(f"Kế hoạch số 10-KH/BCĐ ngày 29/02/{year}")
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    assert refs[0].date == (datetime.date(year, 2, 29) if leap else None)


# -- document numbers -------------------------------------------------------------------------------------


@given(st.text(max_size=60))
def test_parse_number_either_parses_or_says_why(text):
    try:
        parsed = parse_number(text)
    except ValueError as exc:
        assert str(exc)
        return
    # What it returns is a fixed point: parsing the canonical number gives it back.
    again = parse_number(parsed.canonical)
    assert again.canonical == parsed.canonical
    assert normalize_number(parsed.canonical) == normalize_number(text)


@given(
    st.lists(st.sampled_from(["12", "/", "-", "QĐ", "qđ", "UBND", " ", "2020", "NĐ", "CP", "Số:", "\n", "Ð"]))
)
def test_number_normalisation_is_idempotent_on_number_like_text(parts):
    text = "".join(parts)
    try:
        key = normalize_number(text)
    except ValueError:
        return
    assert normalize_number(key) == key or parse_number(key)


# -- Vietnamese text ----------------------------------------------------------------------------------------

VOWELS = "aăâeêioôơuưy"
TONES = ["", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"]  # huyền, hỏi, ngã, sắc, nặng
vietnamese = st.text(
    alphabet=st.sampled_from(list("abcdđeghiklmnopqrstuvxyĐ ") + [nfc(v + t) for v in VOWELS for t in TONES]),
    max_size=40,
)


@given(st.text(max_size=60))
def test_folding_ignores_normal_form_and_tone_placement(text):
    assert fold(unicodedata.normalize("NFD", text)) == fold(text)
    assert tone_canonical(unicodedata.normalize("NFD", text)) == tone_canonical(text)


@given(vietnamese)
def test_folding_ignores_case_and_gives_plain_tokens(text):
    assert fold(text.upper()) == fold(text.lower()) == fold(text)
    assert tone_canonical(text.upper()) == tone_canonical(text)
    for token in tokens(text):
        assert token and token == fold(token) and token.isalnum() and token.isascii()
    assert tokens(fold(text)) == tokens(text)


@given(
    st.sampled_from(["ho", "ko", "th", "kh", "x", "t", "h"]),
    st.sampled_from(["oa", "oe", "uy"]),
    st.sampled_from(TONES[1:]),
)
def test_old_and_new_tone_placement_are_one_word(onset, glide, tone):
    """`hoà`/`hòa`, `thuỷ`/`thủy`: the mark on the first or on the second vowel of the glide."""
    old = nfc(onset + glide[0] + glide[1] + tone)
    new = nfc(onset + glide[0] + tone + glide[1])
    assert old != new
    assert tone_canonical(old) == tone_canonical(new)
    assert tone_canonical(unicodedata.normalize("NFD", old)) == tone_canonical(new)


@given(
    st.lists(
        st.text(alphabet=string.ascii_letters + "Đđăâêôơưàáảãạềếểễệìíỉĩịòóỏõọ", min_size=1, max_size=8),
        min_size=1,
        max_size=5,
    )
)
def test_name_parts_put_back_together_give_the_name(words):
    full = " ".join(words)
    parts = split_name(full)
    joined = " ".join(p for p in (parts.family, parts.middle, parts.given) if p)
    assert joined == nfc(full)


# -- importers ----------------------------------------------------------------------------------------------

db_settings = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def attempt_import(actor, unit, data: bytes):
    """Import inside a savepoint that is always rolled back: each example starts from the same database."""
    with transaction.atomic():
        try:
            result = importing.import_people(actor=actor, unit=unit, data=data)
        except importing.ImportRejected as exc:
            assert exc.errors and exc.report()
            assert not unit.people.exists(), "a rejected file wrote something"
            result = None
        transaction.set_rollback(True)
    return result


@pytest.mark.django_db
@db_settings
@given(data=st.binary(max_size=2000))
def test_people_import_of_arbitrary_bytes_is_refused_with_a_report(tree, users, data):
    attempt_import(users.owner, tree.district_a, data)


cell = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30)
header = st.lists(
    st.sampled_from(["Họ và tên", "Họ tên", "Chức vụ", "Email", "Điện thoại", "Vị trí", "Ngày bắt đầu", "x"]),
    min_size=1,
    max_size=6,
)


@pytest.mark.django_db
@db_settings
@given(
    header=header,
    rows=st.lists(st.lists(cell, max_size=7), max_size=12),
    delimiter=st.sampled_from([",", ";"]),
)
def test_people_import_of_any_csv_table_imports_or_reports(tree, users, header, rows, delimiter):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows([header, *rows])
    attempt_import(users.owner, tree.district_a, buffer.getvalue().encode("utf-8"))


names = st.tuples(
    st.sampled_from(["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng Phủ", "Đặng", "Bùi"]),
    st.sampled_from(["Thị", "Văn", "Minh", "Thị Minh", "Hữu", "Đức"]),
    st.sampled_from(["Khai", "Hòa", "Hoà", "Thủy", "Quỳnh", "Đạt", "Ánh", "Ý"]),
).map(" ".join)


@pytest.mark.django_db
@db_settings
@given(
    people=st.lists(
        st.tuples(names, st.sampled_from(["", "Chuyên viên", "Phó Chánh Văn phòng"])),
        min_size=1,
        max_size=8,
        unique_by=lambda p: tone_canonical(p[0]),
    ),
    nfd=st.booleans(),
    xlsx=st.booleans(),
)
def test_well_formed_lists_are_imported_exactly(tree, users, people, nfd, xlsx):
    rows = [["Họ và tên", "Chức vụ"], *[[name, title] for name, title in people]]
    if nfd:
        rows = [[unicodedata.normalize("NFD", c) for c in row] for row in rows]
    data = xlsx_bytes(rows) if xlsx else "\n".join(";".join(r) for r in rows).encode("utf-8-sig")
    with transaction.atomic():
        result = importing.import_people(actor=users.owner, unit=tree.district_a, data=data)
        stored = sorted(tree.district_a.people.values_list("full_name", "title"))
        transaction.set_rollback(True)
    assert result is not None
    assert stored == sorted((nfc(n), nfc(t)) for n, t in people)


@pytest.mark.django_db
@db_settings
@given(
    rows=st.lists(
        st.lists(
            st.one_of(
                cell, st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.dates(), st.none()
            ),
            max_size=6,
        ),
        min_size=1,
        max_size=8,
    )
)
def test_people_import_of_any_xlsx_sheet_imports_or_reports(tree, users, rows):
    assume(any(any(c not in (None, "") for c in row) for row in rows))
    attempt_import(
        users.owner, tree.district_a, xlsx_bytes([["Họ và tên", "Ngày bắt đầu", "Điện thoại"], *rows])
    )


SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
xml_text = st.lists(
    st.sampled_from(list("0123456789abcxyzAZ.-+eE:/ ") + ["&amp;", "&lt;", "ệ"]), max_size=12
).map("".join)
cells_xml = st.builds(
    '<c r="{}"{}{}><v>{}</v></c>'.format,
    st.one_of(st.sampled_from(["A1", "B2", "C3", "XFD1048576", "A0", "1A", "ZZZZZZ9"]), xml_text),
    st.sampled_from(["", ' t="s"', ' t="n"', ' t="b"', ' t="e"', ' t="str"', ' t="d"', ' t="x"']),
    st.sampled_from(["", ' s="0"', ' s="1"', ' s="99"']),
    xml_text,
)
rows_xml = st.builds(
    '<row r="{}">{}</row>'.format,
    st.one_of(st.integers(-2, 5).map(str), xml_text),
    st.lists(cells_xml, max_size=4).map("".join),
)


@given(st.lists(rows_xml, max_size=5).map("".join), st.booleans())
def test_xlsx_with_a_crafted_sheet_is_read_or_refused(rows, truncate):
    """Read-only openpyxl parses a sheet lazily: whatever the sheet XML holds, the readers of the people import,
    the register import and the plan import answer rows or ImportRejected, never another exception."""
    from steerdesk.work import xlsx as work_xlsx

    sheet = f'<worksheet xmlns="{SHEET_NS}"><sheetData>{rows}</sheetData></worksheet>'
    data = xlsx_with_sheet((sheet[: len(sheet) // 2] if truncate else sheet).encode())
    for reader in (importing.read_table, work_xlsx.read_workbook):
        try:
            reader(data)
        except importing.ImportRejected as exc:
            assert exc.report()


def xlsx_with_sheet(sheet_xml: bytes) -> bytes:
    """A valid workbook whose first sheet's XML is replaced by `sheet_xml`."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["Họ và tên"], ["Nguyễn Văn A"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(
                info, sheet_xml if info.filename.endswith("sheet1.xml") else source.read(info.filename)
            )
    return out.getvalue()


def xlsx_bytes(rows) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append([_xlsx_safe(c) for c in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_safe(value):
    """openpyxl refuses control characters in cells, as Excel does."""
    if isinstance(value, str):
        return "".join(ch for ch in value if ch >= " " or ch in "\t\n")
    return value
