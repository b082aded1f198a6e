from __future__ import annotations

from django import forms

from .models import Project


class TimeOnTaskForm(forms.ModelForm):
    """The lead's bar for a label read in earnest, set where the labels it flags are listed."""

    class Meta:
        model = Project
        fields = ["min_seconds_on_task"]
        widgets = {"min_seconds_on_task": forms.NumberInput(attrs={"min": 0, "max": 600})}

    def clean_min_seconds_on_task(self) -> int:
        seconds = self.cleaned_data["min_seconds_on_task"]
        if seconds > 600:
            raise forms.ValidationError("at most 600 seconds: a label takes minutes, not hours")
        return seconds
