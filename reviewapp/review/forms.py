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
    """The next rubric version. The builder (static/reviewapp/rubric_builder.js) writes the same
    `definition` JSON a lead may also edit by hand, so one check (Rubric.parse) and its messages serve both."""

    definition = forms.CharField(label="Rubric (JSON)",
                                 widget=forms.Textarea(attrs={"rows": 24, "class": "code", "spellcheck": "false"}))
    reveal_agreement = forms.BooleanField(required=False, label="After submitting, reviewers may see whether others agreed")
    guidelines = forms.CharField(
        required=False, label="Guidelines for reviewers (markdown)",
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Shown in the item page's guidelines panel (g); saved with the questions as the next rubric version.",
    )
    confirm_changes = forms.BooleanField(
        required=False, label="Save it anyway: the labels listed keep their answers under the version they were given under")

    rubric: Rubric  # the parsed definition, once the form is valid

    @staticmethod
    def read_definition(text: str) -> tuple[dict, Rubric]:
        """The definition and its rubric; RubricError in words (the JSON's fault, or the question's)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RubricError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
        return data, Rubric.parse(data)

    def clean_definition(self):
        try:
            data, self.rubric = self.read_definition(self.cleaned_data["definition"])
        except RubricError as exc:
            raise forms.ValidationError(str(exc)) from None
        return data
