"""Vietnamese document numbers (số, ký hiệu) in both systems, place-and-date lines and numbering periods.

State administrative documents follow Decree 30/2020/NĐ-CP (Art. 15, Appendix III): `Số: 12/QĐ-UBND`,
normative legal documents with the year `Số: 30/2020/NĐ-CP`, an official letter (công văn) without a type code
`Số: 125/UBND-VP`. Party documents follow Guidance 36-HD/VPTW (2018): `Số 35-NQ/TW`. See VIETNAMESE.md §3–4.

Pure Python: no models are imported here; the models' data migration calls `seed_document_types()`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

STATE = "state"
PARTY = "party"
SYSTEMS = (STATE, PARTY)

# Type codes of State administrative documents (Decree 30/2020/NĐ-CP, Appendix III), exact case kept.
STATE_TYPES: dict[str, str] = {
    "NQ": "Nghị quyết",
    "QĐ": "Quyết định",
    "CT": "Chỉ thị",
    "QC": "Quy chế",
    "QyĐ": "Quy định",
    "TC": "Thông cáo",
    "TB": "Thông báo",
    "HD": "Hướng dẫn",
    "CTr": "Chương trình",
    "KH": "Kế hoạch",
    "PA": "Phương án",
    "ĐA": "Đề án",
    "DA": "Dự án",
    "BC": "Báo cáo",
    "BB": "Biên bản",
    "TTr": "Tờ trình",
    "HĐ": "Hợp đồng",
    "CĐ": "Công điện",
    "BGN": "Bản ghi nhớ",
    "BTT": "Bản thỏa thuận",
    "GUQ": "Giấy ủy quyền",
    "GM": "Giấy mời",
    "GGT": "Giấy giới thiệu",
    "GNP": "Giấy nghỉ phép",
    "PG": "Phiếu gửi",
    "PC": "Phiếu chuyển",
    "PB": "Phiếu báo",
    # Copies (bản sao).
    "SY": "Bản sao y",
    "TrS": "Bản trích sao",
    "SL": "Bản sao lục",
}

# Type codes of Party documents (Guidance 36-HD/VPTW, 2018), exact case kept.
PARTY_TYPES: dict[str, str] = {
    "NQ": "Nghị quyết",
    "QĐ": "Quyết định",  # older Party regulations (Quy định) were also numbered QĐ
    "CT": "Chỉ thị",
    "KL": "Kết luận",
    "QC": "Quy chế",
    "QĐi": "Quy định",
    "HD": "Hướng dẫn",
    "KH": "Kế hoạch",
    "CTr": "Chương trình",
    "BC": "Báo cáo",
    "TB": "Thông báo",
    "TTr": "Tờ trình",
    "ĐA": "Đề án",
    "BB": "Biên bản",
    "TT": "Thông tri",
    "CV": "Công văn",
    "BS": "Bản sao",
}

# Type codes that appear in the numbers of normative legal documents (văn bản quy phạm pháp luật), which carry
# the year: `30/2020/NĐ-CP`, `01/2011/TT-BNV`, `03/2014/TTLT-BNV-BTC`, `…/2020/QĐ-TTg`, `…/2020/NQ-HĐND`,
# `…/2020/QĐ-UBND`, `01/2020/L-CTN`. Laws and resolutions of the National Assembly and its Standing Committee
# carry no type code at all, only the issuer: `59/2020/QH14`, `…/2015/UBTVQH13` (see NORMATIVE_ISSUERS).
NORMATIVE_CODES: dict[str, str] = {
    "NĐ": "Nghị định",
    "TT": "Thông tư",
    "TTLT": "Thông tư liên tịch",
    "NQLT": "Nghị quyết liên tịch",
    "NQ": "Nghị quyết",
    "QĐ": "Quyết định",
    "L": "Lệnh",
}

# Issuer codes of normative legal documents. `QH` and `UBTVQH` take the legislature's number (QH14, UBTVQH14).
NORMATIVE_ISSUERS: dict[str, str] = {
    "QH": "Quốc hội",
    "UBTVQH": "Ủy ban Thường vụ Quốc hội",
    "CTN": "Chủ tịch nước",
    "CP": "Chính phủ",
    "TTg": "Thủ tướng Chính phủ",
    "HĐND": "Hội đồng nhân dân",
    "UBND": "Ủy ban nhân dân",
}

# The combinations recognised in normative numbers, for documentation and the admin's reference.
NORMATIVE_FORMS: dict[str, str] = {
    "QH": "Luật, Nghị quyết của Quốc hội (59/2020/QH14)",
    "UBTVQH": "Pháp lệnh, Nghị quyết của Ủy ban Thường vụ Quốc hội (…/2020/UBTVQH14)",
    "NĐ-CP": "Nghị định của Chính phủ (30/2020/NĐ-CP)",
    "NQ-CP": "Nghị quyết của Chính phủ (…/2020/NQ-CP)",
    "QĐ-TTg": "Quyết định của Thủ tướng Chính phủ (…/2020/QĐ-TTg)",
    "TT": "Thông tư của Bộ trưởng, Thủ trưởng cơ quan ngang bộ (01/2011/TT-BNV)",
    "TTLT": "Thông tư liên tịch (…/2014/TTLT-BNV-BTC)",
    "NQLT": "Nghị quyết liên tịch (…/2016/NQLT-UBTVQH-CP-ĐCTUBTWMTTQVN)",
    "L-CTN": "Lệnh của Chủ tịch nước (…/2020/L-CTN)",
    "NQ-HĐND": "Nghị quyết của Hội đồng nhân dân (…/2020/NQ-HĐND)",
    "QĐ-UBND": "Quyết định của Ủy ban nhân dân (…/2020/QĐ-UBND)",
}

# Issuer codes written in mixed case; every other issuer code is upper case.
MIXED_CASE_ISSUERS = {"ttg": "TTg"}

_STATE_LOOKUP = {code.lower(): code for code in {**STATE_TYPES, **NORMATIVE_CODES}}
_PARTY_LOOKUP = {code.lower(): code for code in PARTY_TYPES}

# Look-alikes of Đ/đ that pasted text carries: Ð/ð (U+00D0/U+00F0, Icelandic eth), Ɖ/ɖ (U+0189/U+0256).
_LOOKALIKES = str.maketrans({"\u00d0": "Đ", "\u00f0": "đ", "\u0189": "Đ", "\u0256": "đ"})
# Hyphen and slash variants found in Word/PDF text.
HYPHENS = "-\u2010\u2011\u2012\u2013\u2212"
SLASHES = "/\u2044\u2215"
_SEPARATORS = str.maketrans({**{h: "-" for h in HYPHENS}, **{s: "/" for s in SLASHES}})


def seed_document_types() -> list[dict]:
    """Document types for the models' data migration: name, State code, Party code, normative flag.

    An empty State code means the State number has no type code (công văn `125/UBND-VP`; laws `59/2020/QH14`).
    """
    rows = [
        ("Nghị quyết", "NQ", "NQ"),
        ("Quyết định", "QĐ", "QĐ"),
        ("Chỉ thị", "CT", "CT"),
        ("Kết luận", "", "KL"),
        ("Quy chế", "QC", "QC"),
        ("Quy định", "QyĐ", "QĐi"),
        ("Thông cáo", "TC", ""),
        ("Thông báo", "TB", "TB"),
        ("Thông tri", "", "TT"),
        ("Hướng dẫn", "HD", "HD"),
        ("Chương trình", "CTr", "CTr"),
        ("Kế hoạch", "KH", "KH"),
        ("Phương án", "PA", ""),
        ("Đề án", "ĐA", "ĐA"),
        ("Dự án", "DA", ""),
        ("Báo cáo", "BC", "BC"),
        ("Biên bản", "BB", "BB"),
        ("Tờ trình", "TTr", "TTr"),
        ("Hợp đồng", "HĐ", ""),
        ("Công văn", "", "CV"),
        ("Công điện", "CĐ", ""),
        ("Bản ghi nhớ", "BGN", ""),
        ("Bản thỏa thuận", "BTT", ""),
        ("Giấy ủy quyền", "GUQ", ""),
        ("Giấy mời", "GM", ""),
        ("Giấy giới thiệu", "GGT", ""),
        ("Giấy nghỉ phép", "GNP", ""),
        ("Phiếu gửi", "PG", ""),
        ("Phiếu chuyển", "PC", ""),
        ("Phiếu báo", "PB", ""),
        ("Bản sao y", "SY", ""),
        ("Bản trích sao", "TrS", ""),
        ("Bản sao lục", "SL", ""),
        ("Bản sao (Đảng)", "", "BS"),
    ]
    normative = [
        ("Luật", ""),
        ("Pháp lệnh", ""),
        ("Nghị quyết của Quốc hội", ""),
        ("Nghị quyết của Ủy ban Thường vụ Quốc hội", ""),
        ("Nghị định", "NĐ"),
        ("Thông tư", "TT"),
        ("Thông tư liên tịch", "TTLT"),
        ("Nghị quyết liên tịch", "NQLT"),
        ("Lệnh", "L"),
        ("Nghị quyết (quy phạm pháp luật)", "NQ"),
        ("Quyết định (quy phạm pháp luật)", "QĐ"),
    ]
    data = [
        {"name": name, "state_code": state, "party_code": party, "is_normative": False}
        for name, state, party in rows
    ]
    data += [
        {"name": name, "state_code": code, "party_code": "", "is_normative": True} for name, code in normative
    ]
    return data


# ---------------------------------------------------------------------------------------------------------------
# Formatting


def _pad(number: int) -> str:
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ValueError(f"A document number is a positive whole number, not {number!r}.")
    return f"{number:02d}"


def _code(value: str, what: str) -> str:
    value = unicodedata.normalize("NFC", value or "").translate(_LOOKALIKES).strip()
    if not value or not _CODE_RE.fullmatch(value):
        raise ValueError(f"Invalid {what}: {value!r} (letters, digits and hyphens only).")
    return value


def format_state_number(
    number: int,
    type_code: str | None,
    issuer_code: str,
    year: int | None = None,
    drafting_unit: str | None = None,
) -> str:
    """A State number (Decree 30/2020): `12/QĐ-UBND`, normative `30/2020/NĐ-CP`, công văn `125/UBND-VP`.

    `type_code` None or "" for a công văn (issuer – drafting unit) or a law (`59/2020/QH14`); `year` only for
    normative legal documents. Numbers below 10 take a leading zero.
    """
    parts = []
    if type_code:
        parts.append(_code(type_code, "type code"))
    parts.append(_code(issuer_code, "issuer code"))
    if drafting_unit:
        parts.append(_code(drafting_unit, "drafting unit code"))
    text = _pad(number) + "/"
    if year is not None:
        if not 1000 <= int(year) <= 9999:
            raise ValueError(f"Invalid year: {year!r}.")
        text += f"{int(year)}/"
    return text + "-".join(parts)


def format_party_number(number: int, type_code: str, issuer_code: str) -> str:
    """A Party number (Guidance 36-HD/VPTW): `35-NQ/TW`, công văn `125-CV/TU`."""
    return f"{_pad(number)}-{_code(type_code, 'type code')}/{_code(issuer_code, 'issuer code')}"


def display_number(system: str, text: str) -> str:
    """The number line: `Số: 12/QĐ-UBND` (State, with a colon) or `Số 35-NQ/TW` (Party, no colon)."""
    try:
        number = parse_number(text).canonical
    except ValueError:
        number = _strip_prefix(unicodedata.normalize("NFC", text or "").strip())
    if system == PARTY:
        return f"Số {number}"
    if system == STATE:
        return f"Số: {number}"
    raise ValueError(f"Unknown numbering system: {system!r}.")


# ---------------------------------------------------------------------------------------------------------------
# Parsing


@dataclass(frozen=True)
class ParsedNumber:
    system: str  # "state" or "party"
    number: str  # digits as written (leading zeros kept)
    year: int | None  # normative State numbers only
    type_code: str | None  # canonical case; None when the number has no type code (công văn, laws)
    type_known: bool  # False when type_code is not in the system's table
    issuer: str  # issuer code(s) joined by "-" in canonical case ("UBND", "BNV-BTC", "UBND-VP", "TW")
    raw: str  # the text as given

    @property
    def canonical(self) -> str:
        """The standard spelling: no spaces, codes in their standard case, digits as written."""
        if self.system == PARTY:
            return f"{self.number}-{self.type_code}/{self.issuer}"
        text = f"{self.number}/"
        if self.year is not None:
            text += f"{self.year}/"
        codes = [c for c in (self.type_code, self.issuer) if c]
        return text + "-".join(codes)


_PREFIX_RE = re.compile(r"^s[ốo]\s*(?:[:.]\s*)?(?=[0-9])", re.IGNORECASE)
_LETTERS = "A-Za-zĐđ"
_SEG = rf"[{_LETTERS}](?:[{_LETTERS}0-9]|&(?=[{_LETTERS}]))*"
_PARTY_RE = re.compile(rf"([0-9]{{1,6}})-([{_LETTERS}]+)/({_SEG}(?:-{_SEG})*)")
_STATE_RE = re.compile(rf"([0-9]{{1,6}})/(?:([0-9]{{4}})/)?({_SEG}(?:-{_SEG})*)")
_SPACE_RE = re.compile(r"[\s\u200b\u00ad]+")
_CODE_RE = re.compile(rf"{_SEG}(?:-{_SEG})*")


def _strip_prefix(text: str) -> str:
    return _PREFIX_RE.sub("", text, count=1)


def _clean(text: str) -> str:
    """NFC, look-alikes, separator variants, no whitespace, no `Số`/`Số:` prefix."""
    text = unicodedata.normalize("NFC", text).translate(_LOOKALIKES).translate(_SEPARATORS).strip()
    text = _strip_prefix(text)
    return _SPACE_RE.sub("", text)


def _canonical_issuer(code: str) -> str:
    key = code.lower()
    if key in MIXED_CASE_ISSUERS:
        return MIXED_CASE_ISSUERS[key]
    return code.upper()


def _canonical_unknown_type(code: str) -> str:
    # Upper-case codes typed all in one case; keep deliberate mixed case (`XyZ`) as written.
    if code.islower() or code.isupper():
        return code.upper()
    return code


# First codes of công văn numbers (issuer – drafting unit) that are not type codes: People's Committees and
# Councils, offices, ministries (B…), provincial departments (S…), steering committees, the Government.
_ISSUER_LIKE_RE = re.compile(
    r"(?:UBND|HĐND|UB|VP|VPCP|VPTW|BCĐ|BQL|BHXH|CA|CAT|CP|TTG|CTN|QH|UBTVQH|TCT|TCHQ|NHNN|KBNN|VKSND|TAND|"
    r"MTTQ|LĐLĐ|TU|HU|ĐU|B[A-ZĐ]{1,7}|S[A-ZĐ]{1,6})[0-9]*"
)


def _is_issuer_like(code: str) -> bool:
    return bool(_ISSUER_LIKE_RE.fullmatch(code.upper()))


def parse_number(text: str) -> ParsedNumber:
    """Parse a document number in either system.

    Accepts a `Số:`/`Số` prefix or none, stray spaces and line breaks around `-` and `/`, NFD text, any case,
    the look-alike `Ð` (U+00D0) for `Đ` and dash/slash variants. Raises ValueError for anything else.
    """
    if not isinstance(text, str):
        raise ValueError("A document number must be text.")
    raw = text
    cleaned = _clean(text)
    if not cleaned:
        raise ValueError("Empty document number.")
    m = _PARTY_RE.fullmatch(cleaned)
    if m:
        number, type_raw, issuer_raw = m.groups()
        known = _PARTY_LOOKUP.get(type_raw.lower())
        return ParsedNumber(
            system=PARTY,
            number=number,
            year=None,
            type_code=known or _canonical_unknown_type(type_raw),
            type_known=known is not None,
            issuer="-".join(_canonical_issuer(c) for c in issuer_raw.split("-")),
            raw=raw,
        )
    m = _STATE_RE.fullmatch(cleaned)
    if m:
        number, year, codes_raw = m.groups()
        codes = codes_raw.split("-")
        first = codes[0]
        known = _STATE_LOOKUP.get(first.lower())
        if known:
            type_code, type_known, issuers = known, True, codes[1:]
        elif len(codes) == 1 or _is_issuer_like(first):
            # Công văn (issuer – drafting unit), or a law numbered by its issuer only (59/2020/QH14).
            type_code, type_known, issuers = None, True, codes
        else:
            type_code, type_known, issuers = _canonical_unknown_type(first), False, codes[1:]
        return ParsedNumber(
            system=STATE,
            number=number,
            year=int(year) if year else None,
            type_code=type_code,
            type_known=type_known,
            issuer="-".join(_canonical_issuer(c) for c in issuers),
            raw=raw,
        )
    shown = raw if len(raw) <= 60 else raw[:57] + "…"
    raise ValueError(
        f"Not a document number: {shown!r}. Expected a State number like 12/QĐ-UBND, 30/2020/NĐ-CP or "
        "125/UBND-VP, or a Party number like 35-NQ/TW."
    )


def normalize_number(text: str) -> str:
    """The key for exact lookup: one string for every spelling of the same number.

    Canonical form, upper-cased, with the document number's leading zeros dropped (`01/QĐ-UBND` and
    `1/qđ-ubnd` match). Text that is not a number still gets a stable key (NFC, look-alikes, separators,
    no spaces, no `Số` prefix, upper case), so any search box input can be looked up.
    """
    try:
        parsed = parse_number(text)
    except ValueError:
        return _clean(text or "").upper()
    return (str(int(parsed.number)) + parsed.canonical[len(parsed.number) :]).upper()


# ---------------------------------------------------------------------------------------------------------------
# Dates and numbering periods


def date_line(place: str, d: date) -> str:
    """`Hà Nội, ngày 05 tháng 02 năm 2020`: a day below 10 and months 1 and 2 take a leading zero, other months
    do not (`ngày 25 tháng 3 năm 2020`) — Decree 30/2020/NĐ-CP, Appendix I."""
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    place = unicodedata.normalize("NFC", place or "").strip()
    line = f"ngày {d.day:02d} tháng {month} năm {d.year}"
    return f"{place}, {line}" if place else line[:1].upper() + line[1:]


PERIOD_YEAR = "year"
PERIOD_TERM = "term"


def period_key(policy: str, on: date, term_start: date | None) -> str:
    """The numbering period a date falls in: the year (`"2026"`) for per-year registers (State), the term's
    start date in ISO form for per-term registers (Party). ValueError when the date precedes the term."""
    policy = str(policy).lower().removeprefix("per_").removeprefix("per-")
    if policy == PERIOD_YEAR:
        return f"{on.year:04d}"
    if policy == PERIOD_TERM:
        if term_start is None:
            raise ValueError("A per-term numbering period needs the term's start date.")
        if on < term_start:
            raise ValueError(
                f"{on.strftime('%d/%m/%Y')} is before the start of the term ({term_start.strftime('%d/%m/%Y')})."
            )
        return term_start.isoformat()
    raise ValueError(f"Unknown numbering policy: {policy!r} (expected 'year' or 'term').")
