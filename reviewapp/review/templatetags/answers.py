"""Answers as the rubric's words: `{% load answers %}{{ label.answers|readable:label.schema }}`.

Every page that shows answers goes through here, so none prints the stored JSON (a dict's repr,
None, True) to a lead or a reviewer, and each reads them with the rubric version they were given under.
"""
from __future__ import annotations

import json
from typing import Any

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from ..models import LabelSchema
from ..rubric import Rubric

register = template.Library()


def _rubric(of: Rubric | LabelSchema) -> Rubric:
    return of.rubric if isinstance(of, LabelSchema) else of


@register.filter
def readable(answers: dict[str, Any] | None, rubric: Rubric | LabelSchema) -> SafeString:
    """The answers as a list of 'Question: answer' (escaped; line breaks kept), or a dash when none."""
    described = _rubric(rubric).describe(answers)
    if not described:
        return format_html('<span class="muted">{}</span>', "–")
    rows = format_html_join("", "<dt>{}</dt><dd>{}</dd>", ((label, linebreaksbr(text, autoescape=True))
                                                          for label, text in described))
    return format_html('<dl class="facts answers">{}</dl>', rows)


@register.simple_tag
def answer_to(answers: dict[str, Any] | None, key: str, rubric: Rubric | LabelSchema) -> str:
    """One question's answer in words ('' when not answered): a column per question, as on adjudication."""
    described = _rubric(rubric).describe({key: (answers or {}).get(key)})
    return described[0][1] if described else ""


@register.filter
def plain(value: Any) -> str:
    """A stored JSON value (a filter, a metadata field) in words: Yes/No, a list joined, a dash for
    nothing, anything nested as JSON (never a Python repr)."""
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (list, tuple)) and not any(isinstance(v, (dict, list, tuple)) for v in value):
        return ", ".join(plain(v) for v in value)
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
