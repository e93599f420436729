"""Vietnamese text: NFC normalisation, search folding, tone canonicalisation, names and their sort key.

The one place that knows these rules (VIETNAMESE.md §1–2); forms, serializers, importers and search call it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Combining tone marks (dấu thanh) in Unicode, mapped to their rank as a secondary sort key:
# no mark 0, grave (huyền) 1, hook (hỏi) 2, tilde (ngã) 3, acute (sắc) 4, dot below (nặng) 5.
TONE_MARKS = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
# Marks that make a different letter (ă â ê ô ơ ư), not a tone.
LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}

_WS = re.compile(r"\s+")
_TOKEN = re.compile(r"[^\W_]+")  # runs of letters and digits

# Vietnamese alphabet order (CLDR vi), with f j w z for foreign names.
ALPHABET = "a ă â b c d đ e ê f g h i j k l m n o ô ơ p q r s t u ư v w x y z".split()
_LETTER_RANK = {letter: i for i, letter in enumerate(ALPHABET)}

# Compound family names that the default "first word is the family name" split would get wrong.
COMPOUND_FAMILY_NAMES = {
    "âu dương",
    "công tằng tôn nữ",
    "gia cát",
    "hoàng phủ",
    "tôn nữ",
    "tôn thất",
    "tư mã",
    "thượng quan",
}


def nfc(value: str | None) -> str:
    """NFC form of a string with outer whitespace stripped and runs of whitespace collapsed to one space."""
    if value is None:
        return ""
    return _WS.sub(" ", unicodedata.normalize("NFC", value)).strip()


def nfc_keep_lines(value: str | None) -> str:
    """NFC form of multi-line text: keeps line breaks, trims trailing spaces on each line."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def fold(value: str | None) -> str:
    """Search folding: lower-case, strip every diacritic, đ/Ð → d, collapse whitespace.

    `fold("Đảng ủy Hoà Bình") == "dang uy hoa binh"`.
    """
    if not value:
        return ""
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFC", value).lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("đ", "d").replace("ð", "d")  # 'Ð' (U+00D0) lower-cases to 'ð' (U+00F0)
    return _WS.sub(" ", text).strip()


def tokens(value: str | None) -> list[str]:
    """Folded tokens: the folded text split on anything that is not a letter or a digit."""
    return _TOKEN.findall(fold(value))


def _strip_tone(syllable: str) -> tuple[str, int]:
    """A lower-case syllable without its tone mark, and the tone's rank."""
    tone = 0
    out = []
    for ch in unicodedata.normalize("NFD", syllable):
        if ch in TONE_MARKS:
            tone = TONE_MARKS[ch]
        else:
            out.append(ch)
    return unicodedata.normalize("NFC", "".join(out)), tone


def tone_canonical(value: str | None) -> str:
    """A form where tone placement no longer matters: `hoà` and `hòa` both become `hoa` + tone 1.

    Used for equality checks (duplicates, matching names), never for display.
    """
    words = []
    for word in nfc(value).lower().split(" "):
        if not word:
            continue
        base, tone = _strip_tone(word)
        words.append(f"{base}{tone}" if tone else base)
    return " ".join(words)


@dataclass(frozen=True)
class NameParts:
    family: str
    middle: str
    given: str


def split_name(full_name: str) -> NameParts:
    """Split a Vietnamese full name into family, middle and given name.

    Family first, given name last (`Nguyễn Thị Minh Khai` → `Nguyễn` / `Thị Minh` / `Khai`); known compound
    family names (`Hoàng Phủ`, `Tôn Thất`, …) are kept whole. This is a default: users may correct the parts.
    """
    words = nfc(full_name).split(" ")
    words = [w for w in words if w]
    if not words:
        return NameParts("", "", "")
    if len(words) == 1:
        return NameParts("", "", words[0])
    family_len = 1
    for n in (4, 3, 2):
        if len(words) > n and tone_canonical(" ".join(words[:n])) in {
            tone_canonical(c) for c in COMPOUND_FAMILY_NAMES
        }:
            family_len = n
            break
    family = " ".join(words[:family_len])
    given = words[-1]
    middle = " ".join(words[family_len:-1])
    return NameParts(family, middle, given)


def _primary_and_tones(text: str) -> tuple[str, str]:
    """Primary key (letters in Vietnamese order, one char each) and tone digits of a lower-cased phrase."""
    primary = []
    tones = []
    for word in text.split(" "):
        if not word:
            continue
        base, tone = _strip_tone(word)
        letters = []
        for ch in base:
            if ch.isdigit():
                letters.append(ch)  # digits '0'..'9' sort before letters
            elif ch in _LETTER_RANK:
                letters.append(chr(0x41 + _LETTER_RANK[ch]))
            elif ch == "ð":
                letters.append(chr(0x41 + _LETTER_RANK["đ"]))
            else:
                # A foreign letter (é, ç, ñ…): sort it as its base letter.
                stripped = "".join(
                    c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c)
                )
                for c in stripped:
                    if c in _LETTER_RANK:
                        letters.append(chr(0x41 + _LETTER_RANK[c]))
        primary.append("".join(letters))
        tones.append(str(tone))
    return " ".join(primary), "".join(tones)


def name_sort_key(*, given: str, middle: str = "", family: str = "") -> str:
    """A string whose plain byte order is the Vietnamese order of people's names.

    Given name first, then middle, then family (VIETNAMESE.md §2); letters in the alphabet order
    `a ă â b c d đ …`; tones only break ties, in the order none, huyền, hỏi, ngã, sắc, nặng. The key is ASCII,
    so it sorts the same on SQLite and PostgreSQL (column with collation "C").
    """
    parts = [nfc(p).lower() for p in (given, middle, family)]
    primaries = []
    tone_parts = []
    for part in parts:
        primary, tone = _primary_and_tones(part)
        primaries.append(primary)
        tone_parts.append(tone)
    # Separators sort below digits (0x30) and letters (0x41…): end of names '!' < end of a part '#' < a space
    # between words '%', so a shorter name sorts before a longer one that starts the same way.
    return "#".join(p.replace(" ", "%") for p in primaries) + "!" + ".".join(tone_parts)


def full_name_sort_key(full_name: str) -> str:
    parts = split_name(full_name)
    return name_sort_key(given=parts.given, middle=parts.middle, family=parts.family)
