"""A rubric version's answers as a JSON Schema, for clients that label over the API.

Rubrics vary by project and version, so the label body cannot be typed in the OpenAPI document;
the API serves this schema per version instead (GET /api/v1/projects/{project}/rubric/{version}),
and a client validates its answers, or generates a type, from it. It describes the canonical form
Rubric.clean keeps: one option value for a single choice (null when optional), a list of distinct
option values for a multiple choice, true/false, a whole number in range for a rating, text for text
and corrected outputs. Rubric.clean stays the judge: it is a little more lenient (a lone string
for a multiple choice, "on" for true) and ignores unknown keys, which this schema refuses so a
typo'd question key is caught by the client.
"""
from __future__ import annotations

from typing import Any

from .rubric import Question, Rubric

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def answers_schema(rubric: Rubric, *, title: str = "Answers") -> dict[str, Any]:
    """The JSON Schema of a label's `answers` under `rubric`: one property per question."""
    return {
        "$schema": DRAFT,
        "title": title,
        "type": "object",
        "properties": {q.key: question_schema(q) for q in rubric.questions},
        "required": [q.key for q in rubric.questions if q.required],
        "additionalProperties": False,
    }


def question_schema(q: Question) -> dict[str, Any]:
    """One question's answer: its type, and its options as an enum."""
    values = [o.value for o in q.options]
    schema: dict[str, Any]
    if q.type == "single":
        schema = {"type": "string", "enum": values} if q.required else {"type": ["string", "null"],
                                                                         "enum": [*values, None]}
    elif q.type == "multi":
        schema = {"type": "array", "items": {"type": "string", "enum": values}, "uniqueItems": True}
        if q.required:
            schema["minItems"] = 1
    elif q.type == "boolean":
        schema = {"type": "boolean"}
    elif q.type == "rating":
        schema = {"type": "integer" if q.required else ["integer", "null"], "minimum": q.min, "maximum": q.max}
    else:  # text, corrected_output
        schema = {"type": "string"}
        if q.required:
            schema["pattern"] = r"\S"  # Rubric.clean strips the text: blanks alone are no answer
    schema["title"] = q.label
    if q.help:
        schema["description"] = q.help
    if q.options:
        schema["x-option-labels"] = {o.value: o.title for o in q.options}
    return schema
