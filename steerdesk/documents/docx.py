"""DOCX generation (soạn thảo văn bản) from built-in and uploaded templates, rendered with docxtpl.

Built-in templates follow Decree 30/2020/NĐ-CP Appendix I (State) and Guidance 36-HD/VPTW (Party); they live in
`docx_templates/` as `<system>_<kind>.docx` and are produced by `manage.py build_docx_templates`.

Every template, built-in or uploaded by an admin, is rendered in a sandboxed Jinja environment: attribute access to
`_`-prefixed names or Python internals, macros and huge repetitions fail with `TemplateRenderError`. Undefined
names are an error too (not an empty string), so a mistyped field in an uploaded template is caught at once. The
template package is checked first (ZIP magic bytes, size, zip-bomb ratio, no DTDs) and the output size is capped.

This module takes plain data (`DocxContext` or a mapping with the same keys) so that it does not depend on the
document models.
"""

from __future__ import annotations

import functools
import io
import math
import types
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from docx.opc.exceptions import PackageNotFoundError
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, UndefinedError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from lxml import etree

from steerdesk.core.text import nfc, nfc_keep_lines
from steerdesk.documents.attachments import check_zip
from steerdesk.documents.numbering import date_line, display_number

TEMPLATE_DIR = Path(__file__).with_name("docx_templates")

STATE = "state"
PARTY = "party"
SYSTEMS = (STATE, PARTY)

# Built-in kinds and their type names (tên loại văn bản).
BUILTIN_KINDS = {
    "decision": "QUYẾT ĐỊNH",
    "plan": "KẾ HOẠCH",
    "report": "BÁO CÁO",
    "invitation": "GIẤY MỜI",
}

# Limits for uploaded templates and for what any template may produce.
MAX_TEMPLATE_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024  # sum over all members
MAX_MEMBERS = 2000
MAX_RENDERED_CHARS = 50 * 1024 * 1024  # per rendered XML part, counted while rendering
MAX_OUTPUT_BYTES = 50 * 1024 * 1024
MAX_REPEAT = 100_000  # longest string or list that `*` may build

ZIP_MAGIC = b"PK\x03\x04"

# Signing authority (thẩm quyền ký): State `TM. BAN CHỈ ĐẠO`, Party `T/M BAN THƯỜNG VỤ`.
_AUTHORITY_PREFIX = {
    STATE: {"TM": "TM.", "KT": "KT.", "TL": "TL.", "TUQ": "TUQ."},
    PARTY: {"TM": "T/M", "KT": "K/T", "TL": "T/L", "TUQ": "T/UQ"},
}

_WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
_ROMAN = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)


class TemplateRenderError(Exception):
    """A template could not be rendered; the message is meant for the person who uploaded or used it."""


class InvalidTemplateError(TemplateRenderError):
    """The uploaded file is not a usable Word (.docx) template."""


class OutputTooLargeError(TemplateRenderError):
    """The rendered document would exceed the output limit."""


@dataclass
class Member:
    """One line of a committee's member list: full name, position in the committee, job title."""

    full_name: str
    role_label: str = ""
    title: str = ""


@dataclass
class Section:
    """A numbered section of a plan or report (`I. MỤC ĐÍCH, YÊU CẦU`) and its paragraphs."""

    heading: str
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class DocxContext:
    """Everything a template may show. Strings are NFC-normalised when the context is prepared."""

    system: str = STATE
    superior_body: str = ""  # cơ quan chủ quản, e.g. "UBND TỈNH HÒA BÌNH" / "ĐẢNG BỘ TỈNH HÒA BÌNH"
    issuer_name: str = ""  # cơ quan ban hành, e.g. "BAN CHỈ ĐẠO 35"
    issuer_code: str = ""
    type_code: str = ""  # used only to show `Số:     /QĐ-UBND` on an unnumbered draft
    number_text: str = ""  # from the numbering module, with or without "Số"
    place: str = ""
    date: date | None = None
    type_name: str = ""  # defaults to the kind's name (QUYẾT ĐỊNH, …)
    summary: str = ""  # trích yếu
    authority_title: str = ""  # decision: the body that decides ("TRƯỞNG BAN CHỈ ĐẠO …")
    legal_bases: list[str] = field(default_factory=list)  # "Căn cứ …;"
    body: list[str] = field(default_factory=list)
    body_after: list[str] = field(default_factory=list)  # decision: articles after the member list
    sections: list[Section] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    signing_authority: str = ""  # "TM. BAN CHỈ ĐẠO", "KT. TRƯỞNG BAN", … or empty
    signer_title: str = ""
    signer_name: str = ""
    recipients: list[str] = field(default_factory=list)
    archive: str = "VT"  # the "Lưu: VT, …" line
    invitee: str = ""
    time: datetime | str | None = None
    venue: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # free fields for uploaded templates


# ---------------------------------------------------------------------------------------------------------------
# Formatting helpers


def signing_authority_line(mode: str, holder: str, system: str = STATE) -> str:
    """The authority line above the signer's title: `TM. BAN CHỈ ĐẠO`, `KT. TRƯỞNG BAN` (State) or `T/M …`,
    `K/T …` (Party). `mode` is one of "", TM, KT, TL, TUQ; empty means the head signs in their own right."""
    mode = (mode or "").strip().upper().replace(".", "").replace("/", "")
    if not mode:
        return ""
    try:
        prefix = _AUTHORITY_PREFIX[system][mode]
    except KeyError:
        raise ValueError(f"Unknown signing authority {mode!r} for system {system!r}.") from None
    return f"{prefix} {nfc(holder).upper()}"


def roman(number: int) -> str:
    out = []
    for value, letters in _ROMAN:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)


def time_text(value: datetime | str | None) -> str:
    """A meeting time: `08 giờ 30 phút, thứ Hai, ngày 05/02/2020` for a datetime; text is kept as written."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            f"{value.hour:02d} giờ {value.minute:02d} phút, {_WEEKDAYS[value.weekday()]}, "
            f"ngày {value.day:02d}/{value.month:02d}/{value.year}"
        )
    return nfc(str(value))


def number_line(system: str, number_text: str, type_code: str = "", issuer_code: str = "") -> str:
    """`Số: 12/QĐ-UBND` / `Số 35-NQ/TW`; an unnumbered draft shows the blank the clerk fills in after signing."""
    if nfc(number_text):
        return display_number(system, nfc(number_text))
    blank = "\u00a0" * 6
    if system == PARTY:
        return f"Số{blank}-{nfc(type_code)}/{nfc(issuer_code)}" if type_code else f"Số{blank}"
    code = "-".join(c for c in (nfc(type_code), nfc(issuer_code)) if c)
    return f"Số:{blank}/{code}" if code else f"Số:{blank}"


def blank_date_line(place: str) -> str:
    gap = "\u00a0" * 4
    line = f"ngày{gap}tháng{gap}năm{gap}"
    return f"{nfc(place)}, {line}" if nfc(place) else line


def recipient_lines(recipients: Iterable[str], archive: str, system: str) -> list[str]:
    """The lines under "Nơi nhận:": `- X;` each (Party: `- X,`), the last one `- Lưu: VT, …` ending with a
    full stop (Decree 30/2020 Appendix I §III.9). A recipient already starting with "Lưu" is used as the last line."""
    sep = "," if system == PARTY else ";"
    items = [nfc(r).lstrip("-–+ ").rstrip(";,. ") for r in recipients]
    items = [r for r in items if r]
    archive_items = [r for r in items if r.lower().startswith("lưu")]
    items = [r for r in items if not r.lower().startswith("lưu")]
    if archive_items:
        last = archive_items[-1]
    elif system == PARTY:
        last = f"Lưu {nfc(archive) or 'VT'}"
    else:
        last = f"Lưu: {nfc(archive) or 'VT'}"
    return [f"- {r}{sep}" for r in items] + [f"- {last}."]


def _lines(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [line for line in nfc_keep_lines(value).split("\n") if line.strip()]
    return [nfc(str(v)) for v in value if nfc(str(v))]


def _get(item: Any, key: str, default: Any = "") -> Any:
    if isinstance(item, Mapping):
        return item.get(key, default)
    return getattr(item, key, default)


def coerce_context(context: DocxContext | Mapping[str, Any]) -> DocxContext:
    """A `DocxContext` from itself or from a mapping with its field names (unknown keys are an error)."""
    if isinstance(context, DocxContext):
        return context
    names = {f.name for f in fields(DocxContext)}
    unknown = sorted(set(context) - names)
    if unknown:
        raise ValueError(f"Unknown DOCX context fields: {', '.join(unknown)}.")
    return DocxContext(**dict(context))


def template_context(context: DocxContext | Mapping[str, Any], kind: str | None = None) -> dict[str, Any]:
    """The plain dict (strings, lists, dicts only) that templates see, with derived lines already formatted."""
    ctx = coerce_context(context)
    system = (ctx.system or STATE).lower()
    if system not in SYSTEMS:
        raise ValueError(f"Unknown system {ctx.system!r}; expected 'state' or 'party'.")
    if ctx.date is not None and not isinstance(ctx.date, date):
        raise ValueError("date must be a datetime.date.")
    the_date = ctx.date.date() if isinstance(ctx.date, datetime) else ctx.date
    members = [
        {
            "index": str(i),
            "full_name": nfc(_get(m, "full_name")),
            "role_label": nfc(_get(m, "role_label")),
            "title": nfc(_get(m, "title")),
        }
        for i, m in enumerate(ctx.members, start=1)
    ]
    sections = [
        {
            "number": roman(i),
            "heading": nfc(_get(s, "heading")),
            "paragraphs": _lines(_get(s, "paragraphs", [])),
        }
        for i, s in enumerate(ctx.sections, start=1)
    ]
    type_name = nfc(ctx.type_name) or BUILTIN_KINDS.get(kind or "", "")
    return {
        "system": system,
        "is_party": system == PARTY,
        "is_state": system == STATE,
        "superior_body": nfc(ctx.superior_body),
        "issuer_name": nfc(ctx.issuer_name),
        "issuer_code": nfc(ctx.issuer_code),
        "type_code": nfc(ctx.type_code),
        "number_text": nfc(ctx.number_text),
        "number_line": number_line(system, ctx.number_text, ctx.type_code, ctx.issuer_code),
        "place": nfc(ctx.place),
        "date": the_date.strftime("%d/%m/%Y") if the_date else "",
        "date_iso": the_date.isoformat() if the_date else "",
        "date_line": date_line(nfc(ctx.place), the_date) if the_date else blank_date_line(ctx.place),
        "type_name": type_name.upper(),
        "summary": nfc(ctx.summary),
        "authority_title": nfc(ctx.authority_title),
        "legal_bases": _lines(ctx.legal_bases),
        "body": _lines(ctx.body),
        "body_after": _lines(ctx.body_after),
        "sections": sections,
        "members": members,
        "signing_authority": nfc(ctx.signing_authority).upper(),
        "signer_title": nfc(ctx.signer_title).upper(),
        "signer_name": nfc(ctx.signer_name),
        "recipients": _lines(ctx.recipients),
        "recipient_lines": recipient_lines(ctx.recipients, ctx.archive, system),
        "invitee": nfc(ctx.invitee),
        "time": time_text(ctx.time),
        "venue": nfc(ctx.venue),
        "extra": {nfc(str(k)): nfc(str(v)) for k, v in (ctx.extra or {}).items()},
    }


# ---------------------------------------------------------------------------------------------------------------
# Sandbox


class _CappedTemplate(Template):
    """Counts what a template produces while it renders and stops past `MAX_RENDERED_CHARS`."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        ctx = self.new_context(dict(*args, **kwargs))
        parts: list[str] = []
        size = 0
        try:
            for chunk in self.root_render_func(ctx):
                size += len(chunk)
                if size > MAX_RENDERED_CHARS:
                    raise OutputTooLargeError(_("The generated document is too large."))
                parts.append(chunk)
        except OutputTooLargeError:
            raise
        except Exception:
            self.environment.handle_exception()
        return "".join(parts)


def _too_big(values: Iterable[Any]) -> bool:
    return any(isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_REPEAT for v in values)


def _capped_filter(func: Any) -> Any:
    """A filter that refuses numeric arguments past `MAX_REPEAT` (`center(10**9)`, `slice(10**9)`, …)."""
    skip = 2 if getattr(func, "jinja_pass_arg", None) else 1  # context/env + the piped value

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _too_big(args[skip:]) or _too_big(kwargs.values()):
            raise SecurityError("a filter argument is too large.")
        return func(*args, **kwargs)

    return wrapper


def _safe_replace(value: Any, old: Any, new: Any, count: int | None = None) -> str:
    text, old, new = str(value), str(old), str(new)
    if (text.count(old) if old else len(text) + 1) * len(new) > MAX_RENDERED_CHARS:
        raise SecurityError("the replacement is too long.")
    return text.replace(old, new, -1 if count is None else count)


class DocxSandbox(ImmutableSandboxedEnvironment):
    """Jinja for templates nobody reviewed.

    Jinja's immutable sandbox already refuses `_` attributes, Python internals and mutation of lists/dicts.
    On top of that, because a template could otherwise exhaust memory: no macros (recursion grows output
    exponentially), no `namespace`, no `str.format`/`%` formatting (unbounded widths), numeric arguments of calls
    and filters capped, `*` and `**` capped, output counted while it is produced. Undefined names raise.
    CPU time is not limited here (deeply nested loops): run generation in the worker with a time limit.
    """

    template_class = _CappedTemplate
    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self) -> None:
        super().__init__(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
        for name in ("namespace", "lipsum"):
            self.globals.pop(name, None)
        for name in ("format", "pprint", "xmlattr", "filesizeformat"):
            self.filters.pop(name, None)
        self.filters = {name: _capped_filter(func) for name, func in self.filters.items()}
        self.filters["replace"] = _safe_replace

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if not all(isinstance(v, int | float) for v in (left, right)):
                raise SecurityError("'**' works on numbers only.")
            if abs(right) > 64 or (abs(left) > 1 and abs(right) * math.log2(abs(left)) > 256):
                raise SecurityError("the power is too large.")
        elif operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int):
                    if len(seq) * max(times, 0) > MAX_REPEAT:
                        raise SecurityError("the repetition is too long.")
        elif operator == "%" and isinstance(left, str):
            raise SecurityError("'%' string formatting is not available in document templates.")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        if _too_big(args) or _too_big(kwargs.values()):
            raise SecurityError("a call argument is too large.")
        if getattr(__obj, "__name__", "") == "replace" and isinstance(getattr(__obj, "__self__", None), str):
            return _safe_replace(__obj.__self__, *args, **kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Any:
        if isinstance(value, types.MethodType | types.BuiltinMethodType) and value.__name__ in (
            "format",
            "format_map",
        ):

            def refuse(*args: Any, **kwargs: Any) -> str:
                raise SecurityError("str.format is not available in document templates.")

            return refuse
        return None

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        node = tree.find(nodes.Macro) or tree.find(nodes.CallBlock)
        if node is not None:
            raise TemplateSyntaxError(
                "macros are not allowed in document templates", node.lineno, name, filename
            )
        return tree


# ---------------------------------------------------------------------------------------------------------------
# Package checks and rendering


def check_template_package(data: bytes) -> None:
    """Refuse what is not a plausible DOCX before any parser sees it: magic bytes, member count and sizes, a
    compression ratio that betrays a zip bomb, encrypted members, DTDs (entity expansion)."""
    if not isinstance(data, bytes | bytearray) or not data.startswith(ZIP_MAGIC):
        raise InvalidTemplateError(_("The file is not a Word (.docx) document."))
    if len(data) > MAX_TEMPLATE_BYTES:
        raise InvalidTemplateError(_("The template file is too large."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise InvalidTemplateError(_("The file is not a Word (.docx) document.")) from None
    try:
        check_zip(archive)  # the attachments' guard: member count, unsafe paths, total size, zip-bomb ratio
    except ValidationError as exc:
        raise InvalidTemplateError(exc.messages[0]) from None
    if len(infos) > MAX_MEMBERS:
        raise InvalidTemplateError(_("The template has too many parts."))
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or "word/document.xml" not in names:
        raise InvalidTemplateError(_("The file is not a Word (.docx) document."))
    if any(info.flag_bits & 0x1 for info in infos):
        raise InvalidTemplateError(_("The template is encrypted."))
    # Templates get a tighter total than attachments: they are rendered in memory.
    if sum(info.file_size for info in infos) > MAX_UNCOMPRESSED_BYTES:
        raise InvalidTemplateError(_("The template is too large once unpacked."))
    with archive:
        for info in infos:
            if not info.filename.endswith((".xml", ".rels")):
                continue
            try:
                # zipfile never inflates past the declared size, which was bounded above.
                head = archive.read(info)
            except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError):
                raise InvalidTemplateError(_("The file is not a Word (.docx) document.")) from None
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise InvalidTemplateError(_("The template contains a DTD, which Word documents never need."))


def _detail(exc: TemplateError) -> str:
    return str(exc.message or exc).strip().rstrip(".")


def _render(template_bytes: bytes, context: dict[str, Any]) -> bytes:
    check_template_package(template_bytes)
    try:
        template = DocxTemplate(io.BytesIO(template_bytes))
        template.render(context, jinja_env=DocxSandbox())
        out = io.BytesIO()
        template.save(out)
    except OutputTooLargeError:
        raise
    except SecurityError as exc:
        raise TemplateRenderError(
            _(
                "The template tried to use something templates may not use (%(detail)s). Templates can only show the document's fields."
            )
            % {"detail": _detail(exc)}
        ) from None
    except UndefinedError as exc:
        raise TemplateRenderError(
            _("The template uses a field that does not exist: %(detail)s.") % {"detail": _detail(exc)}
        ) from None
    except TemplateSyntaxError as exc:
        raise TemplateRenderError(
            _("The template has a syntax error: %(detail)s.") % {"detail": _detail(exc)}
        ) from None
    except TemplateError as exc:
        raise TemplateRenderError(
            _("The template could not be rendered: %(detail)s.") % {"detail": _detail(exc)}
        ) from None
    except etree.XMLSyntaxError:
        raise TemplateRenderError(
            _("The template produced a broken document; check that each tag sits in one piece of text.")
        ) from None
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError):
        raise InvalidTemplateError(_("The file is not a usable Word (.docx) template.")) from None
    data = out.getvalue()
    if len(data) > MAX_OUTPUT_BYTES:
        raise OutputTooLargeError(_("The generated document is too large."))
    return data


def builtin_template_path(kind: str, system: str) -> Path:
    if kind not in BUILTIN_KINDS:
        raise ValueError(f"Unknown built-in template {kind!r}; expected one of {', '.join(BUILTIN_KINDS)}.")
    if system not in SYSTEMS:
        raise ValueError(f"Unknown system {system!r}; expected 'state' or 'party'.")
    return TEMPLATE_DIR / f"{system}_{kind}.docx"


def render_builtin(kind: str, context: DocxContext | Mapping[str, Any]) -> bytes:
    """A built-in document (`decision`, `plan`, `report`, `invitation`) in the layout of its system."""
    values = template_context(context, kind)
    path = builtin_template_path(kind, values["system"])
    return _render(path.read_bytes(), values)


def render_uploaded(template_bytes: bytes, context: DocxContext | Mapping[str, Any]) -> bytes:
    """An admin-uploaded template rendered in the sandbox. Raises `InvalidTemplateError` for a file that is not a
    safe DOCX and `TemplateRenderError` (clear message) for a template that misbehaves."""
    return _render(bytes(template_bytes), template_context(context))
