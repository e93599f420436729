"""Build the built-in DOCX templates (`documents/docx_templates/<system>_<kind>.docx`) with python-docx.

The files are committed; this command regenerates them byte for byte (fixed zip timestamps and document
properties), and `--check` fails when the committed files differ from what the code would build.

Layout: Decree 30/2020/NĐ-CP Appendix I (State) and Guidance 36-HD/VPTW (Party): A4, margins top/bottom 20 mm,
left 30 mm, right 15 mm; Times New Roman everywhere (ASCII, high-ANSI, East Asian and complex-script slots, so Word
does not substitute a theme font); a borderless two-column header; type name, summary, body, signature block with
the recipients ("Nơi nhận:") on the left; page numbers centred at the top from page 2.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from steerdesk.documents.docx import BUILTIN_KINDS, SYSTEMS, TEMPLATE_DIR

FONT = "Times New Roman"
BODY_PT = 14
CONTENT_WIDTH = Mm(210 - 30 - 15)
HEADER_LEFT = Cm(6.5)
SIGN_LEFT = Cm(7.5)
FIXED_TIME = datetime(2020, 1, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


# ---------------------------------------------------------------------------------------------------------------
# Low-level helpers

# Elements that follow w:szCs in w:rPr (ECMA-376 order; Word rejects out-of-order properties).
_AFTER_SZCS = (
    "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em",
    "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath",
)  # fmt: skip


def _set_fonts(rpr) -> None:
    """Times New Roman in every font slot, and no theme font attribute that would override it."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)


def _run(paragraph, text: str, *, size: float = BODY_PT, bold=False, italic=False, underline=False):
    run = paragraph.add_run(text)
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    run.font.underline = underline
    _set_fonts(run._r.get_or_add_rPr())
    size_cs = OxmlElement("w:szCs")
    size_cs.set(qn("w:val"), str(int(size * 2)))
    run._r.get_or_add_rPr().insert_element_before(size_cs, *_AFTER_SZCS)
    return run


def _mark(paragraph, size: float) -> None:
    """Font and size of the paragraph mark, which sets the height of an empty paragraph."""
    rpr = OxmlElement("w:rPr")
    _set_fonts(rpr)
    for name in ("w:sz", "w:szCs"):
        element = OxmlElement(name)
        element.set(qn("w:val"), str(int(size * 2)))
        rpr.append(element)
    paragraph._p.get_or_add_pPr().append(rpr)


def _para(container, text: str = "", *, align="center", size: float = BODY_PT, bold=False, italic=False,
          underline=False, indent_first=None, before=0, after=0, line=1.0, keep_next=False):  # fmt: skip
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.alignment = {
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    }[align]
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.line_spacing = line
    fmt.keep_with_next = keep_next
    if indent_first is not None:
        fmt.first_line_indent = indent_first
    _mark(paragraph, size)
    if text:
        _run(paragraph, text, size=size, bold=bold, italic=italic, underline=underline)
    return paragraph


def _rule(container, width, available) -> None:
    """A short horizontal line (đường kẻ ngang, nét liền) centred under the line above: the bottom border of a
    tiny paragraph indented so that only `width` of it remains."""
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    side = int((available - width) / 2)
    fmt.left_indent = side
    fmt.right_indent = side
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(6)
    fmt.line_spacing = Pt(2)
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    ppr.insert_element_before(
        borders, "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:spacing", "w:ind", "w:jc", "w:rPr"
    )
    _mark(paragraph, 2)


def _table(document, widths, rows: int = 1, borders: bool = False):
    table = document.add_table(rows=rows, cols=len(widths))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    if borders:
        table.style = document.styles["Table Grid"]
    else:
        edges = OxmlElement("w:tblBorders")
        for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
            element = OxmlElement(f"w:{edge}")
            element.set(qn("w:val"), "nil")
            edges.append(element)
        # ECMA-376 fixes the order of table properties; Word reports a damaged file otherwise.
        tbl_pr.insert_element_before(
            edges, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription"
        )
    for col, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
        col.w = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    return table


def _cell(table, row: int, col: int):
    """A table cell emptied of its default paragraph, so that `_para` adds the first one."""
    cell = table.cell(row, col)
    for paragraph in list(cell.paragraphs):
        paragraph._p.getparent().remove(paragraph._p)
    return cell


def _tag(container, tag: str) -> None:
    """A paragraph holding only a docxtpl paragraph tag (`{%p for … %}`); it disappears when rendered."""
    _para(container, tag, align="left", size=2)


# ---------------------------------------------------------------------------------------------------------------
# Document parts


def _setup(document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = section.footer_distance = Mm(10)
    section.start_type = WD_SECTION.NEW_PAGE

    styles = document.styles.element
    rpr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr_default)
    lang = rpr_default.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr_default.append(lang)
    for attr in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attr), "vi-VN")
    for style in document.styles:
        element = style.element
        rpr = element.find(qn("w:rPr"))
        if rpr is not None and rpr.find(qn("w:rFonts")) is not None:
            _set_fonts(rpr)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    _set_fonts(normal.element.get_or_add_rPr())
    normal.paragraph_format.space_after = Pt(0)

    # Page numbers: centred at the top, from the second page (Appendix I §III.11).
    section.different_first_page_header_footer = True
    header = section.header
    header.is_linked_to_previous = False
    paragraph = header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = _run(paragraph, "", size=BODY_PT)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "2"), ("end", None)):
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            t = OxmlElement("w:t")
            t.text = text
            run._r.append(t)

    props = document.core_properties
    props.author = props.last_modified_by = "SteerDesk"
    props.title = ""
    props.comments = ""
    props.keywords = ""
    props.subject = ""
    props.category = ""
    props.revision = 1
    props.created = props.modified = FIXED_TIME
    props.last_printed = FIXED_TIME


def _state_header(document) -> None:
    table = _table(document, [HEADER_LEFT, CONTENT_WIDTH - HEADER_LEFT], rows=2)
    left = _cell(table, 0, 0)
    _para(left, "{{ superior_body|upper }}", size=13)
    _para(left, "{{ issuer_name|upper }}", size=13, bold=True)
    _rule(left, Cm(2.2), HEADER_LEFT - Cm(0.4))
    right = _cell(table, 0, 1)
    _para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=13, bold=True)
    # "Độc lập - Tự do - Hạnh phúc" with a line under it as long as the words.
    _para(right, "Độc lập - Tự do - Hạnh phúc", size=14, bold=True, underline=True, after=6)
    _para(_cell(table, 1, 0), "{{ number_line }}", size=13)
    _para(_cell(table, 1, 1), "{{ date_line }}", size=14, italic=True)


def _party_header(document) -> None:
    table = _table(document, [HEADER_LEFT, CONTENT_WIDTH - HEADER_LEFT], rows=2)
    left = _cell(table, 0, 0)
    _para(left, "{{ superior_body|upper }}", size=14)
    _para(left, "{{ issuer_name|upper }}", size=14, bold=True)
    _para(left, "*", size=14)
    right = _cell(table, 0, 1)
    _para(right, "ĐẢNG CỘNG SẢN VIỆT NAM", size=15, bold=True, underline=True, after=6)
    _para(_cell(table, 1, 0), "{{ number_line }}", size=14)
    _para(_cell(table, 1, 1), "{{ date_line }}", size=14, italic=True)


def _title(document, system: str) -> None:
    _para(
        document,
        "{{ type_name }}",
        size=15 if system == "party" else 14,
        bold=True,
        before=18,
        keep_next=True,
    )
    _para(document, "{{ summary }}", size=14, bold=True, keep_next=True)
    if system == "party":
        _para(document, "-----", size=14, after=6)
    else:
        _rule(document, Cm(4), CONTENT_WIDTH)


def _body(document, variable: str = "body") -> None:
    _tag(document, f"{{%p for para in {variable} %}}")
    _para(document, "{{ para }}", align="justify", indent_first=Cm(1.27), before=6, line=1.15)
    _tag(document, "{%p endfor %}")


def _sections(document) -> None:
    _tag(document, "{%p for s in sections %}")
    _para(document, "{{ s.number }}. {{ s.heading|upper }}", align="justify", indent_first=Cm(1.27), bold=True,
          before=6, line=1.15, keep_next=True)  # fmt: skip
    _tag(document, "{%p for para in s.paragraphs %}")
    _para(document, "{{ para }}", align="justify", indent_first=Cm(1.27), before=6, line=1.15)
    _tag(document, "{%p endfor %}")
    _tag(document, "{%p endfor %}")


def _members(document) -> None:
    widths = [Cm(1.5), Cm(5.0), Cm(3.8), CONTENT_WIDTH - Cm(10.3)]
    table = _table(document, widths, rows=4, borders=True)
    for col, label in enumerate(("STT", "Họ và tên", "Chức danh trong Ban", "Chức vụ, đơn vị công tác")):
        _para(_cell(table, 0, col), label, size=13, bold=True, before=3, after=3)
    _para(_cell(table, 1, 0), "{%tr for m in members %}", size=2)
    for col in range(1, 4):
        _cell(table, 1, col).add_paragraph()
    for col, (value, align) in enumerate(
        (
            ("{{ m.index }}", "center"),
            ("{{ m.full_name }}", "left"),
            ("{{ m.role_label }}", "left"),
            ("{{ m.title }}", "left"),
        )  # fmt: skip
    ):
        _para(_cell(table, 2, col), value, align=align, size=13, before=3, after=3)
    _para(_cell(table, 3, 0), "{%tr endfor %}", size=2)
    for col in range(1, 4):
        _cell(table, 3, col).add_paragraph()
    # Repeat the header row on each page.
    header_pr = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    header_pr.append(repeat)
    _para(document, "", size=6)


def _signature(document, system: str) -> None:
    table = _table(document, [SIGN_LEFT, CONTENT_WIDTH - SIGN_LEFT])
    # The signature block never breaks across pages.
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    left = _cell(table, 0, 0)
    _para(left, "Nơi nhận:", align="left", size=12, bold=True, italic=True, before=12)
    _tag(left, "{%p for line in recipient_lines %}")
    _para(left, "{{ line }}", align="left", size=11)
    _tag(left, "{%p endfor %}")
    right = _cell(table, 0, 1)
    _tag(right, "{%p if signing_authority %}")
    _para(right, "{{ signing_authority }}", size=14, bold=True, before=12)
    _tag(right, "{%p endif %}")
    _para(right, "{{ signer_title }}", size=14, bold=True)
    for _ in range(4):
        _para(right, "", size=14)
    _para(right, "{{ signer_name }}", size=14, bold=True)


def _decision(document, system: str) -> None:
    _tag(document, "{%p if authority_title %}")
    _para(document, "{{ authority_title|upper }}", size=14, bold=True, before=6, after=6)
    _tag(document, "{%p endif %}")
    _tag(document, "{%p for line in legal_bases %}")
    _para(document, "{{ line }}", align="justify", indent_first=Cm(1.27), italic=True, before=6, line=1.15)
    _tag(document, "{%p endfor %}")
    _para(document, "QUYẾT ĐỊNH:", size=14, bold=True, before=12, after=6, keep_next=True)
    _body(document)
    _members(document)
    _body(document, "body_after")


def _invitation(document, system: str) -> None:
    _tag(document, "{%p if invitee %}")
    _para(document, "Trân trọng kính mời: {{ invitee }}", align="justify", indent_first=Cm(1.27), before=6)
    _tag(document, "{%p endif %}")
    _body(document)
    _para(document, "", size=4)
    time_para = _para(document, "", align="justify", indent_first=Cm(1.27), before=6)
    _run(time_para, "Thời gian: ", bold=True)
    _run(time_para, "{{ time }}")
    venue_para = _para(document, "", align="justify", indent_first=Cm(1.27), before=6)
    _run(venue_para, "Địa điểm: ", bold=True)
    _run(venue_para, "{{ venue }}")
    _body(document, "body_after")


def _plan_or_report(document, system: str) -> None:
    _body(document)
    _sections(document)
    _body(document, "body_after")


_CONTENT = {
    "decision": _decision,
    "plan": _plan_or_report,
    "report": _plan_or_report,
    "invitation": _invitation,
}


def _deterministic_zip(data: bytes) -> bytes:
    """The same package with fixed timestamps and attributes, so a rebuild gives identical bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            entry.create_system = 3
            target.writestr(entry, source.read(info))
    return out.getvalue()


def build_template(system: str, kind: str) -> bytes:
    """The bytes of one built-in template."""
    document = Document()
    # python-docx's default document starts empty; remove any stray paragraph to control the first block.
    for paragraph in list(document.paragraphs):
        paragraph._p.getparent().remove(paragraph._p)
    _setup(document)
    (_party_header if system == "party" else _state_header)(document)
    _title(document, system)
    _CONTENT[kind](document, system)
    _signature(document, system)
    buffer = io.BytesIO()
    document.save(buffer)
    return _deterministic_zip(buffer.getvalue())


def build_all() -> dict[str, bytes]:
    return {
        f"{system}_{kind}.docx": build_template(system, kind) for system in SYSTEMS for kind in BUILTIN_KINDS
    }


class Command(BaseCommand):
    help = "Build the built-in DOCX templates (decision, plan, report, invitation; State and Party)."

    def add_arguments(self, parser):
        parser.add_argument("--output-dir", type=Path, default=TEMPLATE_DIR)
        parser.add_argument(
            "--check", action="store_true", help="Fail if the files on disk differ from what would be built."
        )

    def handle(self, *args, output_dir: Path, check: bool, **options):
        built = build_all()
        if check:
            stale = [name for name, data in built.items() if _read(output_dir / name) != data]
            if stale:
                raise CommandError(f"Out of date: {', '.join(stale)}. Run build_docx_templates.")
            self.stdout.write(f"{len(built)} templates up to date.")
            return
        output_dir.mkdir(parents=True, exist_ok=True)
        for name, data in built.items():
            (output_dir / name).write_bytes(data)
            self.stdout.write(f"wrote {output_dir / name}")


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None
