"""Document numbers in both systems, date lines and numbering periods (VIETNAMESE.md §3–4)."""

import re
import unicodedata
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steerdesk.documents import numbering
from steerdesk.documents.numbering import (
    NORMATIVE_CODES,
    PARTY,
    PARTY_TYPES,
    STATE,
    STATE_TYPES,
    date_line,
    display_number,
    format_party_number,
    format_state_number,
    normalize_number,
    parse_number,
    period_key,
    seed_document_types,
)

# Issuer codes used in the property tests; none of them is also a type code, so a công văn stays a công văn.
STATE_ISSUERS = ["UBND", "BCĐ", "HĐND", "CP", "TTg", "BNV", "BTNMT-BNV", "QH14", "UBTVQH14", "SNV", "BCĐ389"]
PARTY_ISSUERS = ["TW", "VPTW", "TU", "HU", "ĐU", "BCSĐ", "BCĐ", "ĐĐ", "UBKTTU", "UBND", "BTCTW-BTGTW"]
DRAFTING_UNITS = ["VP", "KGVX", "NC", "TH"]

numbers = st.integers(min_value=1, max_value=99999)


# --- tables and seed data -------------------------------------------------------------------------------------


def test_type_tables_keep_the_exact_case_of_their_codes():
    assert STATE_TYPES["QyĐ"] == "Quy định"
    assert STATE_TYPES["CTr"] == "Chương trình"
    assert STATE_TYPES["TTr"] == "Tờ trình"
    assert STATE_TYPES["TrS"] == "Bản trích sao"
    assert PARTY_TYPES["QĐi"] == "Quy định"
    assert PARTY_TYPES["KL"] == "Kết luận"
    assert PARTY_TYPES["TT"] == "Thông tri"
    assert NORMATIVE_CODES["NĐ"] == "Nghị định"
    assert NORMATIVE_CODES["TT"] == "Thông tư"
    assert NORMATIVE_CODES["TTLT"] == "Thông tư liên tịch"
    assert "QH" in numbering.NORMATIVE_ISSUERS and "UBTVQH" in numbering.NORMATIVE_ISSUERS
    assert {"QĐ-TTg", "NQ-HĐND", "QĐ-UBND", "UBTVQH"} <= set(numbering.NORMATIVE_FORMS)


def test_all_table_names_and_codes_are_nfc():
    for table in (STATE_TYPES, PARTY_TYPES, NORMATIVE_CODES):
        for code, name in table.items():
            assert unicodedata.is_normalized("NFC", code) and unicodedata.is_normalized("NFC", name)


def test_seed_document_types_covers_every_code_with_unique_names():
    rows = seed_document_types()
    names = [r["name"] for r in rows]
    assert len(names) == len(set(names))
    assert all(set(r) == {"name", "state_code", "party_code", "is_normative"} for r in rows)
    by_name = {r["name"]: r for r in rows}
    assert by_name["Quyết định"] == {
        "name": "Quyết định",
        "state_code": "QĐ",
        "party_code": "QĐ",
        "is_normative": False,
    }
    assert by_name["Công văn"]["state_code"] == "" and by_name["Công văn"]["party_code"] == "CV"
    assert by_name["Nghị định"] == {
        "name": "Nghị định",
        "state_code": "NĐ",
        "party_code": "",
        "is_normative": True,
    }
    assert by_name["Quy định"]["state_code"] == "QyĐ" and by_name["Quy định"]["party_code"] == "QĐi"
    assert by_name["Luật"]["is_normative"] and by_name["Luật"]["state_code"] == ""
    state_codes = {r["state_code"] for r in rows}
    party_codes = {r["party_code"] for r in rows}
    assert set(STATE_TYPES) <= state_codes
    assert set(NORMATIVE_CODES) <= state_codes
    assert set(PARTY_TYPES) <= party_codes
    assert all(len(r["name"]) <= 100 and len(r["state_code"]) <= 20 for r in rows)


# --- formatting -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        ((12, "QĐ", "UBND"), {}, "12/QĐ-UBND"),
        ((1, "QĐ", "UBND"), {}, "01/QĐ-UBND"),
        ((30, "NĐ", "CP"), {"year": 2020}, "30/2020/NĐ-CP"),
        ((1, "TT", "BNV"), {"year": 2011}, "01/2011/TT-BNV"),
        ((59, None, "QH14"), {"year": 2020}, "59/2020/QH14"),
        ((125, None, "UBND"), {"drafting_unit": "VP"}, "125/UBND-VP"),
        ((125, "", "UBND"), {"drafting_unit": "VP"}, "125/UBND-VP"),
        ((7, "KH", "BCĐ"), {}, "07/KH-BCĐ"),
        ((3, "QyĐ", "BCĐ"), {}, "03/QyĐ-BCĐ"),
    ],
)
def test_format_state_number(args, kwargs, expected):
    assert format_state_number(*args, **kwargs) == expected


def test_format_party_number():
    assert format_party_number(35, "NQ", "TW") == "35-NQ/TW"
    assert format_party_number(8, "QĐi", "TW") == "08-QĐi/TW"
    assert format_party_number(125, "CV", "TU") == "125-CV/TU"


@pytest.mark.parametrize("bad", [0, -3, True, 1.5, "12"])
def test_format_rejects_numbers_that_are_not_positive_integers(bad):
    with pytest.raises(ValueError, match="positive whole number"):
        format_state_number(bad, "QĐ", "UBND")
    with pytest.raises(ValueError, match="positive whole number"):
        format_party_number(bad, "NQ", "TW")


@pytest.mark.parametrize("issuer", ["", "UB ND", "UBND/VP", "Bộ", "-UBND"])
def test_format_rejects_codes_that_could_not_be_parsed_back(issuer):
    with pytest.raises(ValueError, match="issuer code"):
        format_state_number(1, "QĐ", issuer)


def test_display_number_puts_a_colon_only_in_state_numbers():
    assert display_number(STATE, "12/QĐ-UBND") == "Số: 12/QĐ-UBND"
    assert display_number(PARTY, "35-NQ/TW") == "Số 35-NQ/TW"
    assert display_number(STATE, "Số: 12 / qđ-ubnd") == "Số: 12/QĐ-UBND"
    assert display_number(PARTY, "Số: 35-NQ/TW") == "Số 35-NQ/TW"
    with pytest.raises(ValueError):
        display_number("church", "1/QĐ-X")


# --- parsing --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "system", "number", "year", "type_code", "type_known", "issuer", "canonical"),
    [
        ("Số: 12/QĐ-UBND", STATE, "12", None, "QĐ", True, "UBND", "12/QĐ-UBND"),
        ("30/2020/NĐ-CP", STATE, "30", 2020, "NĐ", True, "CP", "30/2020/NĐ-CP"),
        ("Số: 125/UBND-VP", STATE, "125", None, None, True, "UBND-VP", "125/UBND-VP"),
        ("59/2020/QH14", STATE, "59", 2020, None, True, "QH14", "59/2020/QH14"),
        ("01/2011/TT-BNV", STATE, "01", 2011, "TT", True, "BNV", "01/2011/TT-BNV"),
        ("50/2014/TTLT-BTNMT-BNV", STATE, "50", 2014, "TTLT", True, "BTNMT-BNV", "50/2014/TTLT-BTNMT-BNV"),
        ("28/2018/qđ-ttg", STATE, "28", 2018, "QĐ", True, "TTg", "28/2018/QĐ-TTg"),
        ("15/gxn-ubnd", STATE, "15", None, "GXN", False, "UBND", "15/GXN-UBND"),
        ("Số 35-NQ/TW", PARTY, "35", None, "NQ", True, "TW", "35-NQ/TW"),
        ("Số: 35-NQ/TW", PARTY, "35", None, "NQ", True, "TW", "35-NQ/TW"),
        ("45 - KH/TU", PARTY, "45", None, "KH", True, "TU", "45-KH/TU"),
        ("08-QĐI/TW", PARTY, "08", None, "QĐi", True, "TW", "08-QĐi/TW"),
        ("07-hdlt/btctw-btgtw", PARTY, "07", None, "HDLT", False, "BTCTW-BTGTW", "07-HDLT/BTCTW-BTGTW"),
        ("12 /QÐ-UBND", STATE, "12", None, "QĐ", True, "UBND", "12/QĐ-UBND"),
        ("10–KH/BCĐ", PARTY, "10", None, "KH", True, "BCĐ", "10-KH/BCĐ"),
        ("30/2020/\nNĐ-CP", STATE, "30", 2020, "NĐ", True, "CP", "30/2020/NĐ-CP"),
        ("SỐ: 0012/TTr-SNV", STATE, "0012", None, "TTr", True, "SNV", "0012/TTr-SNV"),
    ],
)
def test_parse_number(text, system, number, year, type_code, type_known, issuer, canonical):
    parsed = parse_number(text)
    assert (parsed.system, parsed.number, parsed.year) == (system, number, year)
    assert (parsed.type_code, parsed.type_known, parsed.issuer) == (type_code, type_known, issuer)
    assert parsed.canonical == canonical
    assert parsed.raw == text


def test_parse_number_accepts_nfd_input():
    nfd = unicodedata.normalize("NFD", "Số: 12/QĐ-HĐND")
    assert nfd != unicodedata.normalize("NFC", nfd)
    assert parse_number(nfd).canonical == "12/QĐ-HĐND"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "Số:",
        "abc",
        "12",
        "22/10/2018",
        "1/2",
        "12/QĐ-UBND thêm chữ",
        "QĐ-UBND",
        "12/-UBND",
        "12/QĐ--UBND",
        "12/Bộ-VP",
        "1234567/QĐ-UBND",
        "12-NQ",
        "Điều 5",
        "12/QĐ-UBND/",
    ],
)
def test_parse_number_rejects_anything_else_with_a_clear_message(text):
    with pytest.raises(ValueError, match="Not a document number|Empty document number"):
        parse_number(text)


def test_parse_number_rejects_non_text():
    with pytest.raises(ValueError, match="must be text"):
        parse_number(12)


def test_normalize_number_is_one_key_for_every_spelling():
    spellings = [
        "01/QĐ-UBND",
        "Số: 1/qđ-ubnd",
        "1 / QÐ - UBND",
        unicodedata.normalize("NFD", "số 01/QĐ-UBND"),
    ]
    assert {normalize_number(s) for s in spellings} == {"1/QĐ-UBND"}
    assert normalize_number("35-NQ/TW") != normalize_number("35/NQ-TW")
    assert normalize_number("30/2020/NĐ-CP") != normalize_number("30/2021/NĐ-CP")
    # Text that is not a number still gets a stable key, so a search box can look anything up.
    odd = ["Số: 12/QĐ-UBND.VP", "12 / qÐ-ubnd.vp", "12/QĐ-UBND.VP"]
    assert {normalize_number(s) for s in odd} == {"12/QĐ-UBND.VP"}


# --- property tests: format ↔ parse ---------------------------------------------------------------------------

state_type_codes = st.sampled_from(sorted({*STATE_TYPES, *NORMATIVE_CODES}))
party_type_codes = st.sampled_from(sorted(PARTY_TYPES))


@st.composite
def state_numbers(draw):
    n = draw(numbers)
    kind = draw(st.sampled_from(["typed", "normative", "cong_van", "law"]))
    issuer = draw(st.sampled_from(STATE_ISSUERS))
    if kind == "typed":
        return dict(number=n, type_code=draw(state_type_codes), issuer_code=issuer)
    if kind == "normative":
        return dict(
            number=n, type_code=draw(state_type_codes), issuer_code=issuer, year=draw(st.integers(1945, 2099))
        )
    if kind == "cong_van":
        return dict(
            number=n, type_code=None, issuer_code=issuer, drafting_unit=draw(st.sampled_from(DRAFTING_UNITS))
        )
    return dict(number=n, type_code=None, issuer_code=issuer, year=draw(st.integers(1945, 2099)))


@given(state_numbers())
def test_state_numbers_round_trip(spec):
    text = format_state_number(**spec)
    parsed = parse_number(text)
    assert parsed.system == STATE
    assert parsed.canonical == text
    assert int(parsed.number) == spec["number"]
    assert len(parsed.number) >= 2
    assert parsed.year == spec.get("year")
    assert parsed.type_code == (spec["type_code"] or None)
    assert parsed.type_known
    issuer = spec["issuer_code"] + (f"-{spec['drafting_unit']}" if spec.get("drafting_unit") else "")
    assert parsed.issuer == issuer


@given(numbers, party_type_codes, st.sampled_from(PARTY_ISSUERS))
def test_party_numbers_round_trip(n, type_code, issuer):
    text = format_party_number(n, type_code, issuer)
    parsed = parse_number(text)
    assert (parsed.system, parsed.type_code, parsed.type_known, parsed.issuer) == (
        PARTY,
        type_code,
        True,
        issuer,
    )
    assert int(parsed.number) == n
    assert parsed.canonical == text


def _mangle(draw, text: str) -> str:
    """A messy spelling of a number: prefix, spaces/line breaks around separators, dash variants, any case,
    the look-alike Ð, NFD."""
    out = []
    for ch in text:
        if ch in "-/":
            sep = ch if ch == "/" else draw(st.sampled_from(["-", "–", "‑", "−"]))
            out.append(
                draw(st.sampled_from(["", " ", "  ", "\n", " \n "]))
                + sep
                + draw(st.sampled_from(["", " ", "\n"]))
            )
        elif ch == "Đ":
            out.append(draw(st.sampled_from(["Đ", "Ð", "đ", "ð"])))
        else:
            out.append(draw(st.sampled_from([ch, ch.lower(), ch.upper()])))
    mangled = draw(st.sampled_from(["", "Số: ", "Số ", "số ", "SỐ:", "  "])) + "".join(out)
    return unicodedata.normalize(draw(st.sampled_from(["NFC", "NFD"])), mangled)


@settings(max_examples=300)
@given(st.data())
def test_messy_spellings_parse_to_the_same_number(data):
    if data.draw(st.booleans()):
        text = format_state_number(**data.draw(state_numbers()))
    else:
        text = format_party_number(
            data.draw(numbers), data.draw(party_type_codes), data.draw(st.sampled_from(PARTY_ISSUERS))
        )
    messy = _mangle(data.draw, text)
    assert normalize_number(messy) == normalize_number(text)
    assert parse_number(messy).canonical == text


# --- dates and periods ----------------------------------------------------------------------------------------

_LINE = re.compile(r"^Hà Nội, ngày (\d+) tháng (\d+) năm (\d{4})$")


@pytest.mark.parametrize("year", [2020, 2021, 2024, 2100])  # leap, common, leap, common (century)
@pytest.mark.parametrize("func", [date_line])  # Party documents use the same rule and the same function
def test_date_line_leading_zero_rule_for_every_day_of_the_year(func, year):
    day = date(year, 1, 1)
    seen = 0
    while day.year == year:
        m = _LINE.match(func("Hà Nội", day))
        assert m, func("Hà Nội", day)
        d_text, m_text, y_text = m.groups()
        assert (int(d_text), int(m_text), int(y_text)) == (day.day, day.month, day.year)
        assert d_text == (f"0{day.day}" if day.day < 10 else str(day.day))
        assert m_text == (f"0{day.month}" if day.month in (1, 2) else str(day.month))
        day += timedelta(days=1)
        seen += 1
    assert seen == (366 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 365)


def test_date_line_examples():
    assert date_line("Hà Nội", date(2020, 2, 5)) == "Hà Nội, ngày 05 tháng 02 năm 2020"
    assert date_line("Hà Nội", date(2020, 3, 25)) == "Hà Nội, ngày 25 tháng 3 năm 2020"
    assert date_line("Hòa Bình", date(2020, 12, 1)) == "Hòa Bình, ngày 01 tháng 12 năm 2020"
    assert date_line(unicodedata.normalize("NFD", "Hà Nội"), date(2020, 1, 1)).startswith(
        "Hà Nội, ngày 01 tháng 01"
    )


def test_period_key_per_year_and_per_term():
    assert period_key("year", date(2026, 12, 31), None) == "2026"
    assert period_key("year", date(2027, 1, 1), date(2020, 10, 16)) == "2027"
    assert period_key("term", date(2026, 1, 1), date(2020, 10, 16)) == "2020-10-16"
    assert period_key("term", date(2020, 10, 16), date(2020, 10, 16)) == "2020-10-16"
    assert period_key("per_term", date(2021, 5, 1), date(2020, 10, 16)) == "2020-10-16"


def test_period_key_rejects_dates_before_the_term_and_unknown_policies():
    with pytest.raises(ValueError, match="before the start of the term"):
        period_key("term", date(2020, 10, 15), date(2020, 10, 16))
    with pytest.raises(ValueError, match="needs the term's start date"):
        period_key("term", date(2020, 10, 15), None)
    with pytest.raises(ValueError, match="Unknown numbering policy"):
        period_key("month", date(2020, 10, 15), None)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)), st.integers(0, 3000))
def test_period_key_term_is_stable_within_a_term(start, offset):
    assert period_key("term", start + timedelta(days=offset), start) == start.isoformat()
