"""Exercise texts and worked solutions as HTML: CommonMark with raw HTML off, then an allow-list
(nh3, the Ammonia sanitizer)."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS = frozenset(
    {"p", "br", "em", "strong", "code", "pre", "ul", "ol", "li", "blockquote", "a", "hr"}
    | {"h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "sub", "sup"}
)
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
PROTOCOLS = frozenset({"http", "https", "mailto"})

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


def render(text: str) -> Markup:
    """Safe HTML for Markdown written by an instructor (or by the worked-solution writer)."""
    html = _markdown.render(text or "")
    clean = nh3.clean(html, tags=set(TAGS), attributes=ATTRIBUTES, url_schemes=set(PROTOCOLS))
    return Markup(clean)
