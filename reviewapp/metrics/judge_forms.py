"""The lead's form that maps an evaluator to a rate (judge_actions.map_judge does the checking)."""
from __future__ import annotations

from typing import cast

from django import forms

from .models import JudgeMapping


class JudgeMappingForm(forms.Form):
    """One evaluator's mapping. ``seen``: the labels the evaluator has sent (offered as yes-labels);
    ``other_labels`` takes labels not seen yet, comma-separated."""

    rate = forms.ChoiceField(label="Rate")
    reading = forms.ChoiceField(label="Reading", choices=JudgeMapping.Reading.choices)
    labels = forms.MultipleChoiceField(label="Labels that mean yes", required=False,
                                       widget=forms.CheckboxSelectMultiple)
    other_labels = forms.CharField(label="Other labels that mean yes", required=False, max_length=500,
                                   help_text="Comma-separated, for labels not seen yet")
    threshold = forms.FloatField(label="Threshold", required=False, initial=0.5,
                                 help_text="Score readings: the judge says yes at this value or above (0 to 1)")

    def __init__(self, *args, rates: list[tuple[str, str]], seen: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["rate"]).choices = rates  # declared ChoiceFields above
        cast(forms.MultipleChoiceField, self.fields["labels"]).choices = [(label, label) for label in seen]

    def yes_labels(self) -> list[str]:
        typed = [part.strip() for part in self.cleaned_data.get("other_labels", "").split(",")]
        return [*self.cleaned_data.get("labels", []), *(t for t in typed if t)]
