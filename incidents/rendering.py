"""Markdown for public text: rendered with `markdown`, then sanitised with an allow-list.

Updates are written in a hurry by tired people and may be pasted from anywhere; whatever
they contain, no script, event handler, frame or `javascript:` link reaches a page, a feed
or an API response.
"""

from __future__ import annotations

import html

import markdown as md
import nh3

_TAGS = {
    "a",
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
_URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> str:
    # Markdown passes raw HTML through untouched; nh3 then keeps only the allow-list.
    html = md.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    )


def plain_text(sanitised_html: str) -> str:
    """The text of sanitised HTML as plain text (v2 JSON `body`, calendars): every tag
    dropped, entities decoded, so "AT&T <-> DB" reads as typed. Not HTML: whoever puts it
    in a page escapes it, like any other string."""
    return html.unescape(nh3.clean(sanitised_html, tags=set())).strip()
