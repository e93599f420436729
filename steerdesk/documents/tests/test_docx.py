"""DOCX generation: built-in State and Party templates, the sandbox for uploaded templates, package checks."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from datetime import date, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from steerdesk.documents import docx as gen
from steerdesk.documents.docx import (
    BUILTIN_KINDS,
    DocxContext,
    InvalidTemplateError,
    Member,
    OutputTooLargeError,
    TemplateRenderError,
    recipient_lines,
    render_builtin,
    render_uploaded,
    signing_authority_line,
    template_context,
    time_text,
)
from steerdesk.documents.management.commands.build_docx_templates import build_all

MEMBERS = [
    {"full_name": "Nguyễn Thị Minh Khai", "role_label": "Trưởng ban", "title": "Phó Chủ tịch UBND tỉnh"},
    {"full_name": "Đặng Văn Ơn", "role_label": "Phó Trưởng ban", "title": "Giám đốc Sở Nội vụ"},
]


@pytest.fixture(autouse=True)
def _english_messages():
    """The error messages are asserted in English; the UI shows them in the user's language."""
    from django.utils import translation

    with translation.override("en"):
        yield


def state_context(**overrides) -> dict:
    values = {
        "system": "state",
        "superior_body": "UBND tỉnh Hòa Bình",
        "issuer_name": "Ban Chỉ đạo 35",
        "issuer_code": "UBND",
        "number_text": "12/QĐ-UBND",
        "place": "Hà Nội",
        "date": date(2020, 2, 5),
        "summary": "Về việc thành lập Ban Chỉ đạo 35 tỉnh Hòa Bình",
        "body": ["Điều 1. Thành lập Ban Chỉ đạo 35 gồm các ông (bà) có tên sau:"],
        "body_after": ["Điều 2. Quyết định này có hiệu lực kể từ ngày ký./."],
        "members": MEMBERS,
        "sections": [{"heading": "Mục đích, yêu cầu", "paragraphs": ["Nâng cao nhận thức."]}],
        "signing_authority": "TM. Ủy ban nhân dân",
        "signer_title": "Chủ tịch",
        "signer_name": "Bùi Văn Khánh",
        "recipients": ["Như Điều 3", "Thường trực Tỉnh ủy"],
        "archive": "VT, NC",
        "invitee": "Đồng chí Giám đốc Sở Nội vụ",
        "time": datetime(2020, 2, 5, 8, 30),
        "venue": "Phòng họp số 1, trụ sở UBND tỉnh",
    }
    values.update(overrides)
    return values


def party_context(**overrides) -> dict:
    values = state_context(
        system="party",
        superior_body="Đảng bộ tỉnh Hòa Bình",
        issuer_name="Ban Chỉ đạo 35",
        number_text="35-NQ/TW",
        signing_authority="T/M Ban Chỉ đạo",
        signer_title="Trưởng ban",
    )
    values.update(overrides)
    return values


def _paragraphs(container):
    """Every paragraph of a document or cell, including those inside (nested) tables, in order."""
    for block in container.iter_inner_content():
        if hasattr(block, "rows"):
            for row in block.rows:
                for cell in row.cells:
                    yield from _paragraphs(cell)
        else:
            yield block


def open_docx(data: bytes):
    assert data[:2] == b"PK"
    return Document(io.BytesIO(data))


def texts(data: bytes) -> list[str]:
    return [p.text for p in _paragraphs(open_docx(data))]


def simple_template(*lines: str) -> bytes:
    """A one-paragraph-per-line DOCX made with python-docx, used as an uploaded template."""
    document = Document()
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------------------
# Built-in templates


@pytest.mark.parametrize("kind", list(BUILTIN_KINDS))
@pytest.mark.parametrize("system", ["state", "party"])
def test_every_builtin_kind_renders_in_both_systems(kind, system):
    context = state_context() if system == "state" else party_context()
    lines = texts(render_builtin(kind, context))
    assert BUILTIN_KINDS[kind] in lines
    assert "Hà Nội, ngày 05 tháng 02 năm 2020" in lines
    assert "Nơi nhận:" in lines
    assert "Bùi Văn Khánh" in lines
    assert "BAN CHỈ ĐẠO 35" in lines
    assert not any("{{" in line or "{%" in line for line in lines), "a template tag was left unrendered"
    if system == "state":
        assert "Số: 12/QĐ-UBND" in lines
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in lines
        assert "Độc lập - Tự do - Hạnh phúc" in lines
        assert "ĐẢNG CỘNG SẢN VIỆT NAM" not in lines
        assert "- Lưu: VT, NC." in lines
    else:
        assert "Số 35-NQ/TW" in lines
        assert "ĐẢNG CỘNG SẢN VIỆT NAM" in lines
        assert "*" in lines
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" not in lines


def test_state_decision_shows_header_number_members_and_signature_in_order():
    lines = texts(render_builtin("decision", state_context()))
    order = [
        "UBND TỈNH HÒA BÌNH",
        "BAN CHỈ ĐẠO 35",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 12/QĐ-UBND",
        "Hà Nội, ngày 05 tháng 02 năm 2020",
        "QUYẾT ĐỊNH",
        "Về việc thành lập Ban Chỉ đạo 35 tỉnh Hòa Bình",
        "QUYẾT ĐỊNH:",
        "STT",
        "1",
        "Nguyễn Thị Minh Khai",
        "Trưởng ban",
        "Phó Chủ tịch UBND tỉnh",
        "2",
        "Đặng Văn Ơn",
        "Điều 2. Quyết định này có hiệu lực kể từ ngày ký./.",
        "Nơi nhận:",
        "- Như Điều 3;",
        "- Thường trực Tỉnh ủy;",
        "- Lưu: VT, NC.",
        "TM. ỦY BAN NHÂN DÂN",
        "CHỦ TỊCH",
        "Bùi Văn Khánh",
    ]
    positions = [lines.index(line) for line in order]
    assert positions == sorted(positions)


def test_member_table_has_one_row_per_member_with_diacritics_in_nfc():
    decomposed = unicodedata.normalize("NFD", "Đặng Văn Ơn")
    members = [
        *MEMBERS[:1],
        {"full_name": decomposed, "role_label": "Thành viên", "title": "Chánh Văn phòng"},
    ]
    document = open_docx(render_builtin("decision", state_context(members=members)))
    member_table = next(t for t in document.tables if t.rows[0].cells[0].text == "STT")
    rows = [[c.text for c in row.cells] for row in member_table.rows]
    assert rows == [
        ["STT", "Họ và tên", "Chức danh trong Ban", "Chức vụ, đơn vị công tác"],
        ["1", "Nguyễn Thị Minh Khai", "Trưởng ban", "Phó Chủ tịch UBND tỉnh"],
        ["2", "Đặng Văn Ơn", "Thành viên", "Chánh Văn phòng"],
    ]
    assert rows[2][1] == unicodedata.normalize("NFC", "Đặng Văn Ơn")


def test_party_decision_places_number_under_the_issuer_and_the_star():
    document = open_docx(render_builtin("decision", party_context()))
    header = document.tables[0]
    left = [p.text for p in _paragraphs(header.cell(0, 0))] + [p.text for p in _paragraphs(header.cell(1, 0))]
    right = [p.text for p in _paragraphs(header.cell(0, 1))] + [
        p.text for p in _paragraphs(header.cell(1, 1))
    ]
    assert left == ["ĐẢNG BỘ TỈNH HÒA BÌNH", "BAN CHỈ ĐẠO 35", "*", "Số 35-NQ/TW"]
    assert right == ["ĐẢNG CỘNG SẢN VIỆT NAM", "Hà Nội, ngày 05 tháng 02 năm 2020"]
    party_line = next(p for p in _paragraphs(header.cell(0, 1)) if p.text)
    assert party_line.runs[0].bold and party_line.runs[0].underline


def test_state_header_is_a_borderless_two_column_table_with_bold_motto_and_italic_date():
    document = open_docx(render_builtin("decision", state_context()))
    header = document.tables[0]
    assert len(header.columns) == 2
    borders = header._tbl.tblPr.find(qn("w:tblBorders"))
    assert {b.get(qn("w:val")) for b in borders} == {"nil"}
    motto, slogan = (p for p in _paragraphs(header.cell(0, 1)) if p.text)
    assert motto.runs[0].bold and motto.runs[0].font.size.pt in (12, 13)
    assert slogan.runs[0].bold and slogan.runs[0].underline and slogan.runs[0].font.size.pt in (13, 14)
    issuer = [p for p in _paragraphs(header.cell(0, 0)) if p.text]
    assert issuer[1].text == "BAN CHỈ ĐẠO 35" and issuer[1].runs[0].bold
    assert not issuer[0].runs[0].bold
    date_para = next(p for p in _paragraphs(header.cell(1, 1)) if p.text)
    assert date_para.runs[0].italic
    assert date_para.alignment == WD_ALIGN_PARAGRAPH.CENTER


def test_recipients_heading_is_bold_italic_and_signer_name_bold():
    document = open_docx(render_builtin("report", state_context()))
    paragraphs = list(_paragraphs(document))
    heading = next(p for p in paragraphs if p.text == "Nơi nhận:")
    assert heading.runs[0].bold and heading.runs[0].italic
    signer = next(p for p in paragraphs if p.text == "Bùi Văn Khánh")
    assert signer.runs[0].bold


def test_times_new_roman_on_every_run_and_in_the_styles_including_east_asian_slot():
    document = open_docx(render_builtin("decision", state_context()))
    runs = [run for p in _paragraphs(document) for run in p.runs if run.text]
    assert runs
    for run in runs:
        fonts = run._r.rPr.rFonts
        assert run.font.name == "Times New Roman"
        assert fonts.get(qn("w:eastAsia")) == "Times New Roman"
        assert fonts.get(qn("w:cs")) == "Times New Roman"
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    default_fonts = defaults.find(qn("w:rFonts"))
    assert default_fonts.get(qn("w:eastAsia")) == "Times New Roman"
    assert default_fonts.get(qn("w:asciiTheme")) is None  # a theme font would override the explicit one


def test_page_is_a4_with_the_decree_margins():
    section = open_docx(render_builtin("plan", state_context())).sections[0]
    # Lengths are stored in twentieths of a point, so compare in whole millimetres.
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert 20 <= round(section.top_margin.mm) <= 25 and 20 <= round(section.bottom_margin.mm) <= 25
    assert 30 <= round(section.left_margin.mm) <= 35
    assert 15 <= round(section.right_margin.mm) <= 20


def test_body_text_is_13_to_14_point():
    document = open_docx(render_builtin("plan", state_context(body=["Thực hiện Kế hoạch số 10-KH/BCĐ."])))
    body = next(p for p in _paragraphs(document) if p.text == "Thực hiện Kế hoạch số 10-KH/BCĐ.")
    assert 13 <= body.runs[0].font.size.pt <= 14


def test_plan_numbers_its_sections_in_roman_numerals():
    sections = [
        {"heading": "Mục đích, yêu cầu", "paragraphs": ["Nâng cao nhận thức."]},
        {"heading": "Nhiệm vụ và giải pháp", "paragraphs": ["Tổ chức hội nghị.", "Kiểm tra, giám sát."]},
    ]
    lines = texts(render_builtin("plan", state_context(sections=sections, summary="Thực hiện Nghị quyết 35")))
    assert "KẾ HOẠCH" in lines
    assert "I. MỤC ĐÍCH, YÊU CẦU" in lines
    assert "II. NHIỆM VỤ VÀ GIẢI PHÁP" in lines
    assert lines.index("Tổ chức hội nghị.") < lines.index("Kiểm tra, giám sát.")


def test_invitation_shows_time_and_place():
    lines = texts(render_builtin("invitation", state_context()))
    assert "Thời gian: 08 giờ 30 phút, thứ Tư, ngày 05/02/2020" in lines
    assert "Địa điểm: Phòng họp số 1, trụ sở UBND tỉnh" in lines
    assert "Trân trọng kính mời: Đồng chí Giám đốc Sở Nội vụ" in lines


def test_without_authority_line_the_title_is_the_first_signature_line():
    lines = texts(render_builtin("report", state_context(signing_authority="", signer_title="Trưởng ban")))
    title = lines.index("TRƯỞNG BAN")
    assert lines[title - 1] != "TM. ỦY BAN NHÂN DÂN"
    assert "TM. ỦY BAN NHÂN DÂN" not in lines


def test_unnumbered_draft_leaves_the_number_and_date_blank():
    lines = texts(render_builtin("decision", state_context(number_text="", type_code="QĐ", date=None)))
    assert "Số:\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0/QĐ-UBND" in lines
    assert any(line.startswith("Hà Nội, ngày\u00a0") for line in lines)


def test_number_text_with_the_prefix_is_not_doubled():
    lines = texts(render_builtin("decision", state_context(number_text="Số: 12/QĐ-UBND")))
    assert "Số: 12/QĐ-UBND" in lines
    assert not any(line.startswith("Số: Số") for line in lines)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2020, 2, 5), "Hà Nội, ngày 05 tháng 02 năm 2020"),
        (date(2020, 1, 31), "Hà Nội, ngày 31 tháng 01 năm 2020"),
        (date(2020, 3, 25), "Hà Nội, ngày 25 tháng 3 năm 2020"),
        (date(2021, 12, 9), "Hà Nội, ngày 09 tháng 12 năm 2021"),
    ],
)
def test_date_line_follows_the_leading_zero_rule(day, expected):
    assert template_context(state_context(date=day))["date_line"] == expected
    assert expected in texts(render_builtin("report", state_context(date=day)))


def test_dataclass_context_renders_like_a_mapping():
    context = DocxContext(
        issuer_name="Ban Chỉ đạo 35",
        number_text="12/QĐ-UBND",
        place="Hà Nội",
        date=date(2020, 2, 5),
        members=[Member("Nguyễn Thị Minh Khai", "Trưởng ban", "Bí thư")],
        signer_name="Bùi Văn Khánh",
    )
    lines = texts(render_builtin("decision", context))
    assert "Nguyễn Thị Minh Khai" in lines and "Số: 12/QĐ-UBND" in lines


def test_unknown_context_field_kind_or_system_is_refused():
    with pytest.raises(ValueError, match="nonsense"):
        render_builtin("decision", state_context(nonsense="x"))
    with pytest.raises(ValueError, match="memo"):
        render_builtin("memo", state_context())
    with pytest.raises(ValueError, match="council"):
        render_builtin("decision", state_context(system="council"))


def test_xml_special_characters_in_values_are_escaped():
    lines = texts(render_builtin("report", state_context(summary='Về việc <b>R&D</b> & "đổi mới"')))
    assert 'Về việc <b>R&D</b> & "đổi mới"' in lines


def test_signing_authority_lines_for_both_systems():
    assert signing_authority_line("TM", "Ban Chỉ đạo") == "TM. BAN CHỈ ĐẠO"
    assert signing_authority_line("kt", "Trưởng ban") == "KT. TRƯỞNG BAN"
    assert signing_authority_line("TUQ", "Chủ tịch") == "TUQ. CHỦ TỊCH"
    assert signing_authority_line("TM", "Ban Thường vụ", "party") == "T/M BAN THƯỜNG VỤ"
    assert signing_authority_line("K/T", "Bí thư", "party") == "K/T BÍ THƯ"
    assert signing_authority_line("", "Trưởng ban") == ""
    with pytest.raises(ValueError):
        signing_authority_line("XX", "Trưởng ban")


def test_recipient_lines_end_with_the_archive_line():
    assert recipient_lines(["- Như Điều 3;", "Sở Nội vụ"], "VT, NC", "state") == [
        "- Như Điều 3;",
        "- Sở Nội vụ;",
        "- Lưu: VT, NC.",
    ]
    assert recipient_lines(["Sở Nội vụ", "Lưu: VT, TH"], "VT", "state")[-1] == "- Lưu: VT, TH."
    assert recipient_lines(["Các đảng ủy trực thuộc"], "VT", "party") == [
        "- Các đảng ủy trực thuộc,",
        "- Lưu VT.",
    ]


def test_time_text_formats_a_datetime_and_keeps_text():
    assert time_text(datetime(2024, 3, 3, 14, 0)) == "14 giờ 00 phút, Chủ nhật, ngày 03/03/2024"
    assert time_text("Sáng thứ Hai") == "Sáng thứ Hai"


def test_committed_templates_are_what_the_builder_produces():
    for name, data in build_all().items():
        assert (gen.TEMPLATE_DIR / name).read_bytes() == data, f"{name} is stale: run build_docx_templates"


def test_build_command_check_fails_on_a_stale_file(tmp_path):
    call_command("build_docx_templates", output_dir=tmp_path, verbosity=0)
    call_command("build_docx_templates", output_dir=tmp_path, check=True, verbosity=0)
    (tmp_path / "state_decision.docx").write_bytes(b"old")
    with pytest.raises(CommandError, match="state_decision.docx"):
        call_command("build_docx_templates", output_dir=tmp_path, check=True, verbosity=0)


# ---------------------------------------------------------------------------------------------------------------
# Uploaded templates and the sandbox


def test_uploaded_template_renders_the_fields():
    template = simple_template(
        "{{ number_line }}", "{{ date_line }}", "{% for m in members %}{{ m.full_name }};{% endfor %}"
    )
    lines = texts(render_uploaded(template, state_context()))
    assert lines == [
        "Số: 12/QĐ-UBND",
        "Hà Nội, ngày 05 tháng 02 năm 2020",
        "Nguyễn Thị Minh Khai;Đặng Văn Ơn;",
    ]


def test_uploaded_template_can_use_extra_fields():
    template = simple_template("Kính gửi: {{ extra.addressee }}")
    assert texts(render_uploaded(template, state_context(extra={"addressee": "Sở Nội vụ"}))) == [
        "Kính gửi: Sở Nội vụ"
    ]


@pytest.mark.parametrize(
    "expression",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ joiner.__init__.__globals__.os }}",
        "{{ members.__class__ }}",
        "{{ members[0]._private }}",
        "{{ ''|attr('__class__') }}",
        "{{ ''['__class__'] }}",
        "{{ '{0.__class__}'.format('') }}",
        "{{ range.__self__ }}",
        "{{ self.__init__.__globals__ }}",
    ],
)
def test_template_reaching_python_internals_fails_with_a_clear_error(expression):
    with pytest.raises(TemplateRenderError) as caught:
        render_uploaded(simple_template(expression), state_context())
    message = str(caught.value)
    assert "template" in message.lower()
    assert "Traceback" not in message


def test_dunder_access_error_names_the_forbidden_attribute():
    with pytest.raises(TemplateRenderError, match="__class__"):
        render_uploaded(simple_template("{{ ''.__class__ }}"), state_context())


def test_template_cannot_mutate_the_context():
    with pytest.raises(TemplateRenderError):
        render_uploaded(simple_template("{{ members.append(1) }}"), state_context())


@pytest.mark.parametrize(
    "expression",
    [
        "{{ 'x' * 1000000000 }}",
        "{{ 10 ** 10 ** 10 }}",
        "{{ '%999999999d' % 1 }}",
        "{{ 'x'.center(1000000000) }}",
        "{{ 'x'|center(1000000000) }}",
        "{{ range(1000000000)|list }}",
        "{% macro f(s) %}{{ f(s ~ s) }}{% endmacro %}{{ f('x') }}",
        "{% set ns = namespace(s='x') %}{{ ns.s }}",
        "{{ ('x' * 100000)|replace('x', 'x' * 100000) }}",
    ],
)
def test_template_that_would_exhaust_memory_is_refused(expression):
    with pytest.raises(TemplateRenderError):
        render_uploaded(simple_template(expression), state_context())


def test_output_is_capped_while_rendering(monkeypatch):
    monkeypatch.setattr(gen, "MAX_RENDERED_CHARS", 200_000)
    template = simple_template("{% for i in range(100000) %}{{ body }}{% endfor %}")
    with pytest.raises(OutputTooLargeError):
        render_uploaded(template, state_context())


def test_undefined_names_raise_a_clear_error():
    with pytest.raises(TemplateRenderError, match="does not exist.*signer_nam"):
        render_uploaded(simple_template("{{ signer_nam }}"), state_context())


def test_undefined_names_can_be_tested_with_is_defined():
    template = simple_template("{% if venue_room is defined %}x{% else %}none{% endif %}")
    assert texts(render_uploaded(template, state_context())) == ["none"]


def test_syntax_error_is_reported_as_such():
    with pytest.raises(TemplateRenderError, match="syntax error"):
        render_uploaded(simple_template("{% for m in members %}"), state_context())


# ---------------------------------------------------------------------------------------------------------------
# Package checks


def test_not_a_zip_is_refused():
    with pytest.raises(InvalidTemplateError, match="not a Word"):
        render_uploaded(b"%PDF-1.7 not a docx", state_context())


def test_zip_without_a_word_document_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    with pytest.raises(InvalidTemplateError, match="not a Word"):
        render_uploaded(buffer.getvalue(), state_context())


def test_truncated_docx_is_refused():
    data = simple_template("x")
    with pytest.raises(InvalidTemplateError):
        render_uploaded(data[: len(data) // 2], state_context())


def _with_extra_member(data: bytes, name: str, payload: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr(name, payload)
    return buffer.getvalue()


def test_zip_bomb_member_is_refused():
    bomb = _with_extra_member(simple_template("x"), "word/media/bomb.bin", b"\0" * (20 * 1024 * 1024))
    assert len(bomb) < 1024 * 1024  # small on disk, 20 MB inside
    with pytest.raises(InvalidTemplateError, match="zip bomb"):
        render_uploaded(bomb, state_context())


def test_too_large_once_unpacked_is_refused(monkeypatch):
    monkeypatch.setattr(gen, "MAX_UNCOMPRESSED_BYTES", 10_000)
    with pytest.raises(InvalidTemplateError, match="too large"):
        render_uploaded(simple_template("x"), state_context())


def test_dtd_in_a_part_is_refused():
    data = simple_template("x")
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "word/document.xml":
                content = content.replace(b"?>", b'?><!DOCTYPE w:document [<!ENTITY lol "lol">]>', 1)
            target.writestr(info, content)
    with pytest.raises(InvalidTemplateError, match="DTD"):
        render_uploaded(buffer.getvalue(), state_context())


def test_output_size_is_capped(monkeypatch):
    monkeypatch.setattr(gen, "MAX_OUTPUT_BYTES", 1000)
    with pytest.raises(OutputTooLargeError):
        render_builtin("report", state_context())


# ---------------------------------------------------------------------------------------------------------------
# The date line over a whole year, and more package checks.


def test_every_day_of_a_leap_year_has_the_leading_zero_rule():
    day = date(2024, 1, 1)
    while day.year == 2024:
        line = template_context(state_context(date=day))["date_line"]
        expected_month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
        assert line == f"Hà Nội, ngày {day.day:02d} tháng {expected_month} năm 2024"
        day = date.fromordinal(day.toordinal() + 1)


def test_member_with_an_unsafe_path_is_refused():
    data = _with_extra_member(simple_template("x"), "../../etc/evil.xml", b"<x/>")
    with pytest.raises(InvalidTemplateError, match="unsafe path"):
        render_uploaded(data, state_context())


def test_encrypted_member_is_refused():
    data = bytearray(simple_template("x"))
    # Set the "encrypted" flag on the first local header and its central-directory entry.
    data[6] |= 0x1
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 0x1
    with pytest.raises(InvalidTemplateError):
        render_uploaded(bytes(data), state_context())
