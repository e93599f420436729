"""User HTML: the one way rich text from users (an editor's output, text pasted from Word) becomes markup.

Nothing in SteerDesk stores user HTML yet: every user text is plain and the templates escape it. The first
feature that needs formatted text (news articles, minutes) stores `clean_html(value)` and only that may be shown
with `|safe`. The allow-list keeps document structure and links, and nothing that runs or restyles: no scripts, no
event handlers, no `style` (the strict CSP would block it anyway), no `javascript:`/`data:` URLs, no comments.
"""

from __future__ import annotations

import nh3

from .text import nfc_keep_lines

ALLOWED_TAGS = frozenset(
    {
        "a", "b", "blockquote", "br", "caption", "em", "h2", "h3", "h4", "hr", "i", "li", "ol", "p", "s",
        "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Removed with everything inside them, not just unwrapped.
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "template", "noscript", "iframe", "object", "svg", "math"}
)


def clean_html(value: str | None) -> str:
    """`value` (NFC) reduced to the allowed tags and attributes; links get rel="noopener noreferrer nofollow".
    Cleaning cleaned HTML changes nothing."""
    return nh3.clean(
        nfc_keep_lines(value),
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()
