from __future__ import annotations

from django import forms

from .models import Membership, Project


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


def time_zones() -> list[str]:
    """The names a time zone may take (the datalist of the new-project form)."""
    from zoneinfo import available_timezones

    return sorted(available_timezones())


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="What people call the AI workflow under audit, e.g. Support assistant")
    slug = forms.SlugField(max_length=64, required=False, label="Short name",
                           help_text="Used in URLs and by the API and CLI; lower-case letters, digits and hyphens. "
                                     "Empty: made from the name")
    time_zone = forms.CharField(max_length=64, initial="UTC",
                                help_text="Where the ISO weeks that audits cover start (Monday 00:00), e.g. Europe/Paris",
                                widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}))
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RoleChoiceMixin:
    """Only admins may hand out the admin role: the choice is not even offered to a QA lead."""

    def limit_roles(self, may_grant_admin: bool) -> None:
        if not may_grant_admin:
            field = self.fields["role"]  # type: ignore[attr-defined]
            field.choices = [(v, label) for v, label in field.choices if v != Membership.Role.ADMIN]


class AddMemberForm(RoleChoiceMixin, forms.Form):
    who = forms.CharField(label="User name or e-mail", max_length=254,
                          help_text="Someone who already has a Spotcheck login; invite anyone else by e-mail below")
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.REVIEWER)


class InviteForm(RoleChoiceMixin, forms.Form):
    email = forms.EmailField(label="E-mail address")
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.REVIEWER)


class RoleForm(RoleChoiceMixin, forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, required=False, label="What it is for", help_text="e.g. production ingest")


class SignUpForm(forms.Form):
    username = forms.CharField(max_length=150, label="User name")
    password = forms.CharField(widget=forms.PasswordInput, label="Password")
    password_again = forms.CharField(widget=forms.PasswordInput, label="Password, again")

    def clean(self):
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            raise forms.ValidationError("The two passwords differ; type the same password twice.")
        return data
