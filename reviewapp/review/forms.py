from __future__ import annotations

import json

from django import forms

from .rubric import Rubric, RubricError


def answers_from_post(questions: list[dict], post) -> dict:
    """Raw answers from a submitted label form (multi-choice questions send several values)."""
    data = {}
    for q in questions:
        data[q["key"]] = post.getlist(q["key"]) if q["type"] == "multi" else post.get(q["key"])
    return data


def time_on_task(post) -> int | None:
    try:
        value = int(post.get("time_on_task_ms", ""))
    except ValueError:
        return None
    return value if 0 <= value < 24 * 3600 * 1000 else None


class RubricForm(forms.Form):
    definition = forms.CharField(widget=forms.Textarea(attrs={"rows": 24, "class": "code", "spellcheck": "false"}))
    reveal_agreement = forms.BooleanField(required=False, label="After submitting, reviewers may see whether others agreed")
    guidelines = forms.CharField(
        required=False, label="Guidelines for reviewers (markdown)",
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Shown in the item page's guidelines panel (g); saved with the questions as the next rubric version.",
    )

    def clean_definition(self):
        try:
            data = json.loads(self.cleaned_data["definition"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
        try:
            Rubric.parse(data)
        except RubricError as exc:
            raise forms.ValidationError(str(exc)) from None
        return data
