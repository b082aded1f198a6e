"""Guidance written by leads (rubric help, examples, project guidelines) as HTML reviewers can read.

Leads write markdown, but it reaches every reviewer's page, so it is rendered with raw HTML off
(tags are shown as text) and markdown-it's link check (no `javascript:`, `vbscript:`, `data:` or
`file:` links). Images are off too: a page must not load anything from elsewhere.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from .rubric import Rubric

_MARKDOWN = MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False}).disable("image")


def markdown_html(text: str | None) -> SafeString:
    """Markdown as sanitised HTML; empty for no text."""
    if not text or not text.strip():
        return mark_safe("")
    return mark_safe(_MARKDOWN.render(text))  # safe: html off, links checked (above)


@dataclass(frozen=True)
class Guidance:
    """One rubric version's guidance as HTML, rendered once: the form's questions with the hints
    shown beside each question and option (on hover and focus), and the whole guidelines panel (`g`)."""

    form_questions: list[dict]  # LabelSchema.questions, copied, each question and option with its `hint`
    panel: SafeString
    shortcut_keys: SafeString  # the rubric's rows of the item page's shortcut list (`?`)


_RENDERED: dict[tuple, Guidance] = {}
_KEEP = 256  # rubric versions kept rendered per process; a rubric version never changes once stored


def guidance_for(schema) -> Guidance:
    """The rendered guidance of a stored rubric version (a LabelSchema). Markdown and the panel's
    template cost more than the rest of the item page, and a version is immutable, so each process
    renders it once."""
    key = (schema.pk, schema.project_id, schema.version, schema.created_at)
    found = _RENDERED.get(key)
    if found is None:
        if len(_RENDERED) >= _KEEP:
            _RENDERED.clear()
        found = _RENDERED[key] = _render(schema)
    return found


def _hint(help_text: str | None, examples: tuple[str, ...]) -> SafeString:
    if not help_text and not examples:
        return mark_safe("")
    html = markdown_html(help_text)
    if examples:
        items = "".join(f"<li>{markdown_html(e)}</li>" for e in examples)
        html += mark_safe(f'<p class="muted small">Examples</p><ul class="examples">{items}</ul>')
    return mark_safe(html)  # safe: every piece comes from markdown_html


def form_questions_of(rubric: Rubric, definition: list[dict] | None = None) -> list[dict]:
    """The form's questions of a rubric, stored or not: the rubric page previews a definition a lead
    has not saved with the same form the item page shows. `definition`, the questions as written
    (a stored version's JSON), is what each form question copies; without it, the parsed question's fields."""
    written = definition if definition is not None else [q.model_dump(exclude={"options"}) for q in rubric.questions]
    parsed = {q.key: q for q in rubric.questions}
    form_questions = []
    for raw in written:  # copies: the definition is never touched
        q = parsed[raw["key"]]
        form_questions.append({**raw, "hint": _hint(q.help, q.examples),
                               "options": [_option(q, n, o) for n, o in enumerate(q.options, start=1)]})
    return form_questions


def _render(schema) -> Guidance:
    from django.template.loader import render_to_string

    form_questions = form_questions_of(schema.rubric, schema.questions)
    panel = render_to_string("review/_guidelines.html", {"schema": schema, "questions": schema.rubric.questions})
    keys = render_to_string("review/_shortcut_keys.html", {"questions": schema.rubric.questions})
    # safe: both rendered by the template engine, which escapes
    return Guidance(form_questions=form_questions, panel=mark_safe(panel), shortcut_keys=mark_safe(keys))


def _option(q, n: int, o) -> dict:
    """An option of the form with the parts that never change pre-built (the form renders on every
    item): `attrs`, the input's attributes after its value, and `caption`, what follows the input."""
    hint = _hint(o.help, o.examples)
    hint_id = f"q-{q.key}-o{n}-hint"
    attrs = format_html(' data-shortcut="{}"', o.shortcut or "")
    if q.type == "single" and q.required:
        attrs = format_html(" required{}", attrs)
    caption = format_html("{}{}", format_html("<kbd>{}</kbd> ", o.shortcut) if o.shortcut else "", o.title)
    if hint:
        attrs = format_html('{} aria-describedby="{}"', attrs, hint_id)
        caption = format_html('{}<span class="hint" role="tooltip" id="{}">{}</span>', caption, hint_id, hint)
    return {"value": o.value, "label": o.label, "shortcut": o.shortcut, "hint": hint, "attrs": attrs, "caption": caption}
