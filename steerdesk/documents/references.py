"""Find document references (`Nghị quyết số 35-NQ/TW ngày 22/10/2018`) in running text (VIETNAMESE.md §4–5).

`extract_refs(text)` NFC-normalises the text and returns every State or Party document number it finds, with
its canonical form, type, issuer, year and the date that follows it, and the span of the number in the NFC text.

Rules, in the order they are applied:
- a number is digits, then `/` (State) or `-` (Party) and letter codes; stray spaces, one line break, zero-width
  spaces and soft hyphens are allowed around `-` and `/`, dash and slash look-alikes are accepted;
- it must not be glued to other characters on either side (so `1/2`, dates, phone numbers, money, times, `Điều 5`
  and `km/h` are not numbers) nor lie inside a URL, a domain path or an e-mail address;
- a form code (`Mẫu số 01/VT`, `Biểu số 02/BC`) is not a reference;
- a State number with one code and no year (`125/UBND`) counts only right after `số`/`Số:` and in upper case;
  an all-lower-case number with no known type code counts only right after `số`;
- unknown type codes are reported with `type_known: false`, never dropped or guessed;
- the date is taken only when it FOLLOWS the number: right after it (`ngày 22/10/2018`, `, 21-01-2020`,
  `ngày 22 tháng 10 năm 2018`) or after a few words that name the issuer or place (`của Bộ Chính trị ngày …`,
  `Hà Nội, ngày …`), never across a sentence end, another reference or a word such as `và`.

Every regular expression is linear (possessive quantifiers, bounded repeats): any input returns quickly.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from steerdesk.documents.numbering import HYPHENS, SLASHES, STATE, parse_number

_L = "A-Za-zĐđ\u00d0\u00f0\u0189\u0256"  # letters of codes, with the look-alikes of Đ/đ
_SP = r"[\s\u200b\u00ad]{0,4}+"  # stray spaces, a line break, zero-width spaces, soft hyphens
_HY = f"[{re.escape(HYPHENS)}]"
_SL = f"[{re.escape(SLASHES)}]"
_SEG = rf"[{_L}](?:[{_L}0-9]|&(?=[{_L}]))*+(?![^\W_])"
_NUM = (
    r"(?:(?<=[Ss][ốỐoO])|(?<![\w.,/+%:\-\u2010-\u2013\u2212\u2044\u2215])|(?<=[Ss][ốỐoO]:))"
    r"(?P<num>[0-9]{1,6}+)(?![0-9])"
)
_REF_RE = re.compile(
    rf"{_NUM}{_SP}(?:"
    rf"{_HY}{_SP}(?P<ptype>[{_L}]++){_SP}{_SL}{_SP}(?P<piss>{_SEG}(?:{_SP}{_HY}{_SP}{_SEG}){{0,4}})"
    rf"|{_SL}{_SP}(?:(?P<year>(?:19|20)[0-9][0-9])(?![0-9]){_SP}{_SL}{_SP})?"
    rf"(?P<codes>{_SEG}(?:{_SP}{_HY}{_SP}{_SEG}){{0,5}})"
    r")"
)
# `số`/`Số:` right before the number.
_SO_BEFORE = re.compile(r"(?<![^\W\d_])s[ốo]\s{0,3}+(?:[:.]\s{0,3}+)?$", re.IGNORECASE)
# Form codes (`Mẫu số 01/VT`, `Biểu số 02/BC`) name a template, not a document.
_FORM_BEFORE = re.compile(r"(?<![^\W\d_])(?:mẫu|biểu)\s{0,3}+(?:s[ốo]\s{0,3}+)?:?\s{0,3}+$", re.IGNORECASE)

# URLs, e-mail addresses and bare domain paths (`thuvienphapluat.vn/…`): numbers inside them are not references.
# Every branch starts only where the previous character cannot continue it, and consumes possessively, so a
# failed attempt is never retried from inside the same run (no quadratic time on long runs).
_URL_RE = re.compile(
    r"(?:https?://|ftp://|www\.)[^\s<>\"']*+"
    r"|(?<![A-Za-z0-9_%+.-])[A-Za-z0-9_%+-]++(?:\.[A-Za-z0-9_%+-]++)*+@[A-Za-z0-9-]++(?:\.[A-Za-z0-9-]++)++"
    r"|(?<![\w.-])(?P<host>[A-Za-z0-9-]++(?:\.[A-Za-z0-9-]++)++)(?![\w-])(?P<path>/[^\s<>\"']*+)?",
    re.IGNORECASE,
)
_TLDS = {"vn", "com", "net", "org", "gov", "edu", "info", "int", "io", "biz"}

_DATE = (
    r"(?:(?P<d>[0-9]{1,2})[ ]?[/.\-\u2013][ ]?(?P<m>[0-9]{1,2})[ ]?[/.\-\u2013][ ]?(?P<y>(?:19|20)[0-9]{2})"
    r"|(?P<d2>[0-9]{1,2})\s{1,3}+th[áa]ng\s{1,3}+(?P<m2>[0-9]{1,2}),?\s{1,3}+n[ăa]m\s{1,3}+"
    r"(?P<y2>(?:19|20)[0-9]{2}))(?![0-9])"
)
_WORD = r"[^\s0-9,;.:()\[\]/\"“”]++"
_DATE_AFTER = re.compile(
    r"[\s,(\u2013\u2014-]{0,16}+"
    # A few words naming the issuer or the place (`của Bộ Chính trị`, `Hà Nội,`) only when `ngày` follows.
    rf"(?:(?P<between>(?:{_WORD}[\s,]{{1,4}}+){{1,9}}?)(?:vào\s{{1,3}}+)?(?=ng[àa]y))?"
    rf"(?:ng[àa]y\s{{0,3}}+:?\s{{0,3}}+)?{_DATE}",
    re.IGNORECASE,
)
# Words that introduce something else: a date after them belongs to that, not to the reference.
_STOP_WORDS = {"và", "hoặc", "với", "cùng", "nhưng", "còn", "sau", "trước", "đến", "từ", "kể", "thay", "hết"}
_DATE_WINDOW = 160


@dataclass(frozen=True)
class Ref:
    number: str  # canonical: no `Số`, no spaces, digits as written, codes in standard case
    system: str  # "state" or "party"
    type: str | None  # type code; None for a State công văn (and laws numbered by issuer only)
    type_known: bool
    issuer: str
    year: int | None  # from the number, else from the date
    date: date | None  # the date that follows the reference
    span: tuple[int, int]  # offsets of the number in the NFC-normalised input
    file: str | None = None

    def as_json(self) -> dict:
        """The JSON object of `extract_refs --json` (VIETNAMESE.md §5)."""
        return {
            "number": self.number,
            "system": self.system,
            "type": self.type,
            "type_known": self.type_known,
            "issuer": self.issuer,
            "year": self.year,
            "date": self.date.isoformat() if self.date else None,
            "span": [self.span[0], self.span[1]],
            "file": self.file,
        }


def _blocked_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _URL_RE.finditer(text):
        host = m.group("host")
        if host and host.rsplit(".", 1)[-1].lower() not in _TLDS:
            continue  # `v.v.` or `1.000.000`: not a domain
        spans.append(m.span())
    return spans


def _inside(spans: list[tuple[int, int]], starts: list[int], start: int, end: int) -> bool:
    """Whether [start, end) overlaps one of the sorted, disjoint spans."""
    i = bisect.bisect_right(starts, end - 1) - 1
    return i >= 0 and spans[i][1] > start


def _date_after(text: str, end: int, limit: int) -> date | None:
    window = text[end : min(limit, end + _DATE_WINDOW)]
    m = _DATE_AFTER.match(window)
    if not m:
        return None
    between = m.group("between")
    if between:
        words = re.findall(r"[^\s,]+", between.lower())
        if any(w in _STOP_WORDS for w in words):
            return None
    if m.group("d"):
        d, mo, y = m.group("d"), m.group("m"), m.group("y")
    else:
        d, mo, y = m.group("d2"), m.group("m2"), m.group("y2")
    try:
        return date(int(y), int(mo), int(d))
    except ValueError:
        return None


def _acceptable(text: str, m: re.Match, parsed) -> bool:
    start = m.start("num")
    after_so = bool(_SO_BEFORE.search(text, max(0, start - 10), start))
    if _FORM_BEFORE.search(text, max(0, start - 16), start):
        return False
    codes = m.group("piss") or m.group("codes")
    if m.group("ptype"):
        codes = m.group("ptype") + codes
    if parsed.system == STATE and m.group("year") is None and "-" not in parsed.canonical.split("/")[-1]:
        # One code and no year (`125/UBND`): only right after `số`, written in upper case, two letters or more.
        letters = [c for c in codes if c.isalpha()]
        if not after_so or len(letters) < 2 or any(c.islower() for c in letters):
            return False
    if not any(c.isupper() for c in codes) and not (parsed.type_known and parsed.type_code) and not after_so:
        return False
    return True


def extract_refs(text: str, file: str | None = None) -> list[Ref]:
    """Every document reference in `text`, in order. Spans are offsets in `unicodedata.normalize("NFC", text)`."""
    if not text:
        return []
    text = unicodedata.normalize("NFC", text)
    blocked = _blocked_spans(text)
    starts = [s for s, _ in blocked]
    matches = []
    for m in _REF_RE.finditer(text):
        start, end = m.start("num"), m.end()
        if blocked and _inside(blocked, starts, start, end):
            continue
        try:
            parsed = parse_number(text[start:end])
        except ValueError:  # pragma: no cover - the two grammars agree; never report what does not parse
            continue
        if not _acceptable(text, m, parsed):
            continue
        matches.append((start, end, parsed))
    refs = []
    for i, (start, end, parsed) in enumerate(matches):
        limit = matches[i + 1][0] if i + 1 < len(matches) else len(text)
        when = _date_after(text, end, limit)
        refs.append(
            Ref(
                number=parsed.canonical,
                system=parsed.system,
                type=parsed.type_code,
                type_known=parsed.type_known,
                issuer=parsed.issuer,
                year=parsed.year if parsed.year is not None else (when.year if when else None),
                date=when,
                span=(start, end),
                file=file,
            )
        )
    return refs
