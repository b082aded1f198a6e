from __future__ import annotations

import json

from django import forms

from reviewapp.lib.weeks import IsoWeek

from .models import DEFAULT_GRACE_HOURS, MAX_GRACE_HOURS, SamplingPlan
from .strata import StrataError, parse_rules


class StrataField(forms.CharField):
    """Stratum rules as JSON text; the error names the stratum and the field at fault."""

    widget = forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "class": "code"})

    def prepare_value(self, value):
        return value if isinstance(value, str) else json.dumps(value, indent=2)

    def to_python(self, value):
        text = super().to_python(value) or "[]"
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
        try:
            return [rule.as_json() for rule in parse_rules(data)]
        except StrataError as exc:
            raise forms.ValidationError(str(exc)) from None


class SamplingPlanForm(forms.ModelForm):
    strata = StrataField(required=False, help_text="First match wins; outputs no rule matches form the stratum 'other'.")
    grace_hours = forms.IntegerField(
        required=False, min_value=0, max_value=MAX_GRACE_HOURS, label="Grace period for late arrivals (hours)",
        help_text=f"A week is drawn this long after it ends, so late outputs are still audited (empty: {DEFAULT_GRACE_HOURS})",
    )

    class Meta:
        model = SamplingPlan
        fields = [
            "goal", "confidence", "margin", "expected_rate", "max_rate", "good_rate", "baseline_rate",
            "alert_rate", "power", "strata", "allocation_method", "overlap_share", "overlap_reviewers", "capacity",
            "time_zone", "grace_hours",
        ]
        widgets = {name: forms.NumberInput(attrs={"step": "any"}) for name in
                   ("confidence", "margin", "expected_rate", "max_rate", "good_rate", "baseline_rate", "alert_rate", "power",
                    "overlap_share")}

    def clean_grace_hours(self) -> int:
        value = self.cleaned_data.get("grace_hours")
        return DEFAULT_GRACE_HOURS if value is None else value


class IsoWeekField(forms.Field):
    """An ISO week such as 2026-W47, cleaned to an IsoWeek: a week that does not exist (2026-W99)
    is a form error here rather than a failed draw job. The draw form is shown only as a button,
    so its errors reach the lead as messages: each names the field."""

    default_error_messages = {"required": "Week: say which ISO week to draw, like 2026-W47."}

    def to_python(self, value) -> IsoWeek | None:
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        try:
            return IsoWeek.parse(text)
        except ValueError as exc:
            raise forms.ValidationError(f"Week: {exc}", code="invalid") from None


class DrawForm(forms.Form):
    week = IsoWeekField(label="Week")
    early = forms.BooleanField(
        required=False, label="Draw before the week's outputs are all in: outputs arriving later will not be audited",
    )
