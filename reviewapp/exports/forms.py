from __future__ import annotations

from typing import cast

from django import forms

from reviewapp.audits.models import AuditRun
from reviewapp.review.models import LabelSchema
from reviewapp.review.rubric import ERRORS

from .formats import FORMATS
from .selection import Filters, SelectionError
from .wording import NO_FINAL, SETTLED


class ExportForm(forms.Form):
    """The snapshot's filters, with choices from the project's runs and rubric."""

    weeks = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple,
                                      help_text="none ticked: every audited week")
    strata = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    verdicts = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    error_categories = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple,
                                                 help_text="items with any of these")
    agreement = forms.ChoiceField(widget=forms.RadioSelect, initial="any", help_text=NO_FINAL,
                                  choices=[("any", "Every item with a final label"),
                                           ("settled", f"Settled only: {SETTLED}")])
    min_agreement = forms.FloatField(required=False, min_value=0, max_value=1,
                                     help_text="share of reviewers whose verdict is the final one, e.g. 1.0")
    corrected_only = forms.BooleanField(required=False, label="Only items with a corrected output")
    pseudonymise = forms.BooleanField(required=False, label="Reviewers as pseudonyms")
    formats = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, initial=list(FORMATS),
                                        choices=[(key, label) for key, (label, _) in FORMATS.items()])

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        runs = AuditRun.objects.filter(project=project).order_by("-week_start")
        fields = cast(dict[str, forms.ChoiceField], self.fields)  # the four set here are all choice fields
        fields["weeks"].choices = [(str(run.week), str(run.week)) for run in runs]
        fields["strata"].choices = [(name, name) for name in sorted({s for run in runs for s in run.allocation})]
        rubric = LabelSchema.current(project).rubric
        fields["verdicts"].choices = rubric.verdict_options
        self.verdict_values = rubric.verdict_values
        fields["error_categories"].choices = rubric.options_of(ERRORS)

    def filters(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "formats"}

    def selection(self) -> Filters | None:
        """The filters as the snapshot would parse them, for the count shown before cutting; None while
        a filter field has an error (the formats do not change what is selected). Unbound: the defaults."""
        if not self.is_bound:
            return Filters()
        self.is_valid()
        if any(name in self.fields and name != "formats" for name in self.errors):
            return None
        try:
            return Filters.parse(self.filters(), verdicts=self.verdict_values)
        except SelectionError:
            return None
