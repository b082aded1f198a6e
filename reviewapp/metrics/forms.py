from __future__ import annotations

from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from .alerts import refused_target
from .catalogue import HIGHER_IS_BETTER
from .models import NotificationChannel, ScorecardMetric


class ScorecardLineForm(forms.ModelForm):
    metric = forms.ChoiceField()

    class Meta:
        model = ScorecardMetric
        fields = ["metric", "threshold", "guardrail", "baseline"]
        help_texts = {"threshold": "a rate, e.g. 0.05 for 5 %", "baseline": "empty: the first four weeks' mean"}

    def __init__(self, *args, choices, project, **kwargs):
        super().__init__(*args, **kwargs)
        metric = cast(forms.ChoiceField, self.fields["metric"])  # declared a ChoiceField above
        metric.choices = [("", "—"), *choices]
        self.instance.project = project

    def has_changed(self) -> bool:
        # A suggested line (the default scorecard, shown before any is saved) is saved as shown.
        return super().has_changed() or (self.instance.pk is None and bool(self.initial.get("metric")))

    def clean(self):
        super().clean()
        data = self.cleaned_data
        threshold, guardrail = data.get("threshold"), data.get("guardrail")
        if threshold is not None and guardrail is not None:
            better = data.get("metric") in HIGHER_IS_BETTER
            if (guardrail < threshold) if better else (guardrail > threshold):
                self.add_error("guardrail", "the guardrail warns before the threshold: "
                               + ("at or above it" if better else "at or under it"))
        return data


class ScorecardLines(forms.BaseModelFormSet):
    """Each metric once; lines keep the order they are given in."""

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            untouched = not form.has_changed() and not form.instance.pk
            # _should_delete_form is Django's own test of the DELETE box; django-stubs leave it out.
            if untouched or self._should_delete_form(form):  # type: ignore[attr-defined]
                continue
            metric = form.cleaned_data.get("metric")
            if metric in seen:
                form.add_error("metric", "this metric is already on the scorecard")
            seen.add(metric)

    def save(self, commit=True):
        for position, form in enumerate(self.forms):
            form.instance.position = position
        return super().save(commit)


class ChannelForm(forms.ModelForm):
    """A notification channel: e-mail addresses, or a webhook's URL and the secret it is signed with."""

    url = forms.URLField(max_length=500, required=False, assume_scheme="https", label="Webhook URL",
                         help_text="http(s); a Slack incoming webhook works as is")

    class Meta:
        model = NotificationChannel
        fields = ["kind", "addresses", "url", "secret"]
        labels = {"kind": "Kind", "addresses": "E-mail addresses", "secret": "Webhook secret"}
        help_texts = {"addresses": "one per line or comma-separated",
                      "secret": "the receiver checks X-Spotcheck-Signature: sha256=HMAC-SHA256 of the body with it"}
        widgets = {"addresses": forms.Textarea(attrs={"rows": 2}), "secret": forms.PasswordInput(render_value=True)}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.project = project
        kind = cast(forms.ChoiceField, self.fields["kind"])  # a model field's choices: a ChoiceField
        kind.choices = NotificationChannel.Kind.choices  # no blank "---------": one of the two
        kind.initial = NotificationChannel.Kind.EMAIL

    def clean(self):
        super().clean()
        data = self.cleaned_data
        kind = data.get("kind")
        if kind == NotificationChannel.Kind.EMAIL:
            addresses = [a.strip() for a in (data.get("addresses") or "").replace(",", "\n").splitlines() if a.strip()]
            if not addresses:
                self.add_error("addresses", "an e-mail channel needs at least one address")
            for address in addresses:
                try:
                    validate_email(address)
                except ValidationError:
                    self.add_error("addresses", f"{address!s} is not an e-mail address")
            data["addresses"] = "\n".join(addresses)
            data["url"], data["secret"] = "", ""
        elif kind == NotificationChannel.Kind.WEBHOOK:
            if not data.get("url") and "url" not in self.errors:
                self.add_error("url", "a webhook channel needs its URL")
            if not data.get("secret"):
                self.add_error("secret", "a webhook channel needs a secret to sign its messages with")
            if data.get("url") and (refused := refused_target(data["url"])):
                self.add_error("url", refused)
            data["addresses"] = ""
        return data
