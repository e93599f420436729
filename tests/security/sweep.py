"""Shared pieces of the security sweeps: every URL pattern (from the scope sweep's walker), the strict-CSP
reading of a response header, and an HTML scan for anything a strict CSP would block.

The URL walking lives in tests/scope/test_sweep.py (`walk`, `concrete_urls`, PARAM_MODELS/NAME_MODELS): a new
URL whose parameters it cannot fill fails there first, and every sweep here picks the new URL up unchanged.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.scope.test_sweep import (  # noqa: F401  (re-exported for the sweeps)
    PUBLIC,
    SKIP_PREFIXES,
    SKIP_ROUTES,
    model_for,
    params_of,
    route_to_path,
    walk,
)


def concrete_urls(objects) -> list[tuple[str, str | None, bool]]:
    """(path, url name, has parameters) for every URL pattern the scope sweep walks, parameters filled with
    `objects` ({model: instance}). A pattern whose parameters cannot be filled is left out here: the scope sweep
    (tests/scope/test_sweep.py::concrete_urls) fails for it and says what to extend."""
    out = []
    for route, name, pattern in walk():
        if SKIP_ROUTES.match(route) or (name and name.startswith(SKIP_PREFIXES)) or name in PUBLIC:
            continue
        params = params_of(route)
        if "format" in params:
            continue
        values = {}
        for param in params:
            model = model_for(name, param, pattern)
            if model is None or model not in objects:
                break
            values[param] = str(objects[model].pk)
        else:
            path = route_to_path(route, values)
            if path is not None:
                out.append((path, name, bool(params)))
    return out


# Sources that would let injected markup run or load code: never allowed in script-src or style-src.
UNSAFE_SOURCES = {
    "'unsafe-inline'",
    "'unsafe-eval'",
    "'unsafe-hashes'",
    "*",
    "data:",
    "http:",
    "https:",
    "blob:",
}


def parse_csp(header: str) -> dict[str, list[str]]:
    """`default-src 'self'; img-src 'self' data:` → {"default-src": ["'self'"], "img-src": ["'self'", "data:"]}."""
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), [w for w in words[1:]])
    return directives


def csp_problems(header: str | None) -> list[str]:
    """What makes `header` weaker than SteerDesk's strict policy (empty list: strict)."""
    if not header:
        return ["no Content-Security-Policy header"]
    csp = parse_csp(header)
    problems = []
    default = csp.get("default-src")
    if default is None or default == [] or set(default) - {"'self'", "'none'"}:
        problems.append(f"default-src must be 'self' or 'none', not {default}")
    for directive in ("script-src", "style-src"):
        sources = csp.get(directive, default or [])
        bad = set(sources) & UNSAFE_SOURCES
        if bad:
            problems.append(f"{directive} allows {sorted(bad)}")
        if any(s.startswith("'nonce-") or s.startswith("'sha") for s in sources):
            problems.append(f"{directive} allows inline code by nonce or hash: {sources}")
    for directive, wanted in (("object-src", ["'none'"]), ("frame-ancestors", ["'none'"])):
        if csp.get(directive) != wanted:
            problems.append(f"{directive} must be {wanted}, not {csp.get(directive)}")
    if "base-uri" not in csp:
        problems.append("base-uri is missing (an injected <base> could redirect relative scripts)")
    if "form-action" not in csp:
        problems.append("form-action is missing")
    return problems


class InlineFinder(HTMLParser):
    """Collects what a strict CSP blocks in a page: inline <script> bodies, <style> blocks, `style=` attributes,
    `on*=` event handlers, htmx `hx-on` handlers and `javascript:` URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.loads_htmx = False
        self.htmx_indicator_styles_off = False
        self._in_script = False
        self._script_text: list[str] = []
        self._line = 0

    def handle_starttag(self, tag, attrs):
        where = f"line {self.getpos()[0]} <{tag}>"
        for name, value in attrs:
            name = name.lower()
            if name == "style":
                self.problems.append(f"{where}: style attribute {value!r}")
            elif name.startswith("on"):
                self.problems.append(f"{where}: event handler {name}={value!r}")
            elif name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"{where}: htmx inline handler {name}={value!r}")
            elif name in ("href", "src", "action", "formaction", "xlink:href") and value:
                if re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith(("javascript:", "vbscript:")):
                    self.problems.append(f"{where}: {name}={value!r}")
        if tag == "style":
            self.problems.append(f"{where}: <style> block")
        if tag == "script":
            src = dict(attrs).get("src")
            if src and "htmx" in src:
                self.loads_htmx = True
            self._in_script = True
            self._script_text = []
            self._line = self.getpos()[0]
        if tag == "meta" and dict(attrs).get("name") == "htmx-config":
            content = (dict(attrs).get("content") or "").replace(" ", "")
            self.htmx_indicator_styles_off = '"includeIndicatorStyles":false' in content

    def handle_endtag(self, tag):
        if tag == "script" and self._in_script:
            body = "".join(self._script_text).strip()
            if body:
                self.problems.append(f"line {self._line}: inline <script> body {body[:80]!r}")
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self._script_text.append(data)


def inline_problems(html: str) -> list[str]:
    """Everything in `html` that a strict CSP would block (empty list: nothing)."""
    finder = InlineFinder()
    finder.feed(html)
    finder.close()
    problems = list(finder.problems)
    if finder.loads_htmx and not finder.htmx_indicator_styles_off:
        problems.append("loads htmx without <meta name=htmx-config> turning includeIndicatorStyles off")
    return problems
