"""Guidance written by leads (rubric help, examples, project guidelines) as HTML reviewers can read.

Leads write markdown, but it reaches every reviewer's page, so it is rendered with raw HTML off
(tags are shown as text) and markdown-it's link check (no `javascript:`, `vbscript:`, `data:` or
`file:` links). Images are off too: a page must not load anything from elsewhere.
"""
from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_MARKDOWN = MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False}).disable("image")


def markdown_html(text: str | None) -> SafeString:
    """Markdown as sanitised HTML; empty for no text."""
    if not text or not text.strip():
        return mark_safe("")
    return mark_safe(_MARKDOWN.render(text))  # safe: html off, links checked (above)
