"""The Vietnamese catalogue: complete, placeholders intact, compiled .mo in step with the .po, used by the pages."""

from __future__ import annotations

import gettext
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "steerdesk" / "locale" / "vi" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
_KEYWORD = re.compile(r"^(msgctxt|msgid|msgid_plural|msgstr(?:\[(\d+)\])?) \"(.*)\"$")
# %(name)s, %s, %d, %% and {name}: what Python formatting fills in, so a lost or renamed one breaks the page.
_PERCENT = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")
_BRACE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES[m.group(1)], text)


def parse_po(path: Path) -> list[Entry]:
    """A small .po reader (no polib): entries with their flags, continuation lines joined, escapes decoded."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None
    pending_flags: set[str] = set()
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            target = None
            continue
        if line.startswith("#,"):
            pending_flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, value = match.group(1), match.group(2), _unquote(match.group(3))
            if keyword in ("msgctxt", "msgid") and (entry is None or entry.msgstr):
                entry = Entry(flags=pending_flags, line=number)
                pending_flags = set()
                entries.append(entry)
            if keyword.startswith("msgstr"):
                target = ("msgstr", int(index or 0))
                entry.msgstr[target[1]] = value
            else:
                target = (keyword, 0)
                setattr(entry, keyword, value)
            continue
        assert line.startswith('"') and line.endswith('"'), f"{path}:{number}: unexpected line {raw!r}"
        value = _unquote(line[1:-1])
        if target[0] == "msgstr":
            entry.msgstr[target[1]] += value
        else:
            setattr(entry, target[0], getattr(entry, target[0]) + value)
    return entries


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return parse_po(PO_PATH)


@pytest.fixture(scope="module")
def messages(entries) -> list[Entry]:
    return [e for e in entries if e.msgid]


@pytest.fixture(scope="module")
def compiled() -> gettext.GNUTranslations:
    with MO_PATH.open("rb") as handle:
        return gettext.GNUTranslations(handle)


def _placeholders(text: str) -> list[str]:
    return sorted(_PERCENT.findall(text) + _BRACE.findall(text))


def test_the_header_declares_vietnamese_utf8_with_one_plural_form(entries):
    header = entries[0]
    assert header.msgid == ""
    assert "fuzzy" not in header.flags
    assert "Language: vi\n" in header.msgstr[0]
    assert "charset=UTF-8" in header.msgstr[0]
    assert "Plural-Forms: nplurals=1; plural=0;" in header.msgstr[0]


def test_the_catalogue_is_not_a_stub(messages):
    assert len(messages) > 300
    assert any(e.msgid == "Log in" for e in messages)


def test_every_message_is_translated_and_none_is_fuzzy(messages):
    untranslated = [
        e.msgid for e in messages if not all(s.strip() for s in e.msgstr.values()) or not e.msgstr
    ]
    fuzzy = [e.msgid for e in messages if "fuzzy" in e.flags]
    assert untranslated == []
    assert fuzzy == []


def test_plural_messages_have_exactly_the_one_vietnamese_form(messages):
    plurals = [e for e in messages if e.msgid_plural is not None]
    assert plurals, "the catalogue has plural messages"
    assert [e.msgid for e in plurals if sorted(e.msgstr) != [0]] == []


def test_placeholders_are_kept_exactly(messages):
    broken = []
    for e in messages:
        sources = [e.msgid] if e.msgid_plural is None else [e.msgid, e.msgid_plural]
        for source in sources:
            for text in e.msgstr.values():
                if _placeholders(source) != _placeholders(text):
                    broken.append((source, text))
    assert broken == []


def test_html_tags_and_line_breaks_are_kept(messages):
    assert [
        e.msgid for e in messages if sorted(_TAG.findall(e.msgid)) != sorted(_TAG.findall(e.msgstr[0]))
    ] == []
    assert [e.msgid for e in messages if e.msgid.count("\n") != e.msgstr[0].count("\n")] == []


def test_translations_are_nfc_and_have_no_stray_whitespace(messages):
    assert [e.msgid for e in messages if unicodedata.normalize("NFC", e.msgstr[0]) != e.msgstr[0]] == []
    assert [
        e.msgid for e in messages if e.msgstr[0] != e.msgstr[0].strip() and e.msgid == e.msgid.strip()
    ] == []


def test_the_established_terms_are_used(messages):
    by_id = {e.msgid: e.msgstr[0] for e in messages}
    expected = {
        "Log in": "Đăng nhập",
        "Log out": "Đăng xuất",
        "Dashboard": "Tổng quan",
        "History": "Lịch sử",
        "Head": "Trưởng ban",
        "Standing deputy head": "Phó Trưởng ban Thường trực",
        "Deputy head": "Phó Trưởng ban",
        "Secretariat": "Tổ giúp việc",
        "Standing agency": "Cơ quan thường trực",
        "Expert group": "Tổ chuyên gia",
        "Collaborator group": "Nhóm cộng tác viên",
        "Administrator": "Quản trị viên",
        "Secretary": "Thư ký",
        "Viewer": "Người xem",
        "Save": "Lưu",
        "Cancel": "Hủy",
        "Province": "Tỉnh",
        "Party committee": "Cấp ủy Đảng",
    }
    assert {key: by_id.get(key) for key in expected} == expected


def test_the_compiled_mo_matches_the_po(messages, compiled):
    """A .po edited without running compilemessages would leave the pages in the old words."""
    stale = []
    for e in messages:
        key = f"{e.msgctxt}\x04{e.msgid}" if e.msgctxt else e.msgid
        if e.msgid_plural is not None:
            got = compiled.ngettext(key, e.msgid_plural, 1)
        else:
            got = compiled.gettext(key)
        if got != e.msgstr[0]:
            stale.append(e.msgid)
    assert stale == []


def test_django_serves_the_vietnamese_words():
    with translation.override("vi"):
        assert translation.gettext("Log in") == "Đăng nhập"
        assert translation.ngettext("Show %(n)s sub-unit", "Show %(n)s sub-units", 3) % {"n": 3} == (
            "Hiện 3 đơn vị cấp dưới"
        )
    with translation.override("en"):
        assert translation.gettext("Log in") == "Log in"


@pytest.mark.django_db
def test_the_login_page_is_vietnamese_without_a_cookie(client):
    with translation.override("vi"):
        response = client.get("/accounts/login/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Đăng nhập" in page
    assert "Quên mật khẩu?" in page
    assert "Forgot your password?" not in page


@pytest.mark.django_db
def test_the_login_page_is_english_with_the_english_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/accounts/login/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Log in" in page
    assert "Đăng nhập" not in page


@pytest.mark.django_db
def test_the_dashboard_navigation_is_vietnamese(client_for, users):
    page = client_for(users.owner).get("/").content.decode()
    for word in ("Tổng quan", "Ban chỉ đạo", "Cán bộ", "Cây đơn vị", "Đăng xuất"):
        assert word in page
