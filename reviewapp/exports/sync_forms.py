"""The lead's form for sending final labels back to Langfuse or LangSmith: keys are write-only."""
from __future__ import annotations

import uuid

from django import forms
from django.utils import timezone

from reviewapp.lib.sealing import SealError, hint, seal, unseal

from . import sync
from .models import SourceSync
from .sync_jobs import private_allowed

KEEP = "leave empty to keep the stored one"


class SourceSyncForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="Send final labels to the source traces")
    kind = forms.ChoiceField(choices=SourceSync.Kind.choices)
    base_url = forms.URLField(max_length=500, label="Base URL", assume_scheme="https",
                              help_text="Langfuse: the host, e.g. https://cloud.langfuse.com. "
                                        "LangSmith: the API URL, e.g. https://api.smith.langchain.com")
    public_key = forms.CharField(required=False, max_length=500, label="Langfuse public key",
                                 widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))
    secret = forms.CharField(required=False, max_length=500, label="Langfuse secret key, or LangSmith API key",
                             widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))
    source_project = forms.CharField(required=False, max_length=100, label="LangSmith tracing project id",
                                     help_text="the session_id of the project the runs were traced to (a UUID); "
                                               "LangSmith asks for it with run feedback")

    def __init__(self, *args, project, instance: SourceSync | None, **kwargs) -> None:
        self.project, self.instance = project, instance
        if instance is not None and not args:
            kwargs.setdefault("initial", {"enabled": instance.enabled, "kind": instance.kind,
                                          "base_url": instance.base_url, "source_project": instance.source_project})
        super().__init__(*args, **kwargs)
        if instance is not None:
            self.fields["public_key"].help_text = f"{hint(instance.public_key_sealed)}; {KEEP}"
            self.fields["secret"].help_text = f"{hint(instance.secret_sealed)}; {KEEP}"

    def _stored(self, field: str) -> str:
        """The stored key if it can still be opened ('' otherwise: then it must be entered again)."""
        if self.instance is None:
            return ""
        try:
            return unseal(getattr(self.instance, field))
        except SealError:
            return ""

    def clean_base_url(self) -> str:
        url = self.cleaned_data["base_url"]
        why = sync.refused_url(url, allow_private=private_allowed())
        if why:
            raise forms.ValidationError(f"Base URL: {why}")
        return url

    def clean_source_project(self) -> str:
        value = self.cleaned_data["source_project"].strip()
        if value:
            try:
                uuid.UUID(value)
            except ValueError:
                raise forms.ValidationError("LangSmith tracing project id: not a UUID") from None
        return value

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        kind = data.get("kind")
        secret = data.get("secret") or self._stored("secret_sealed")
        public = data.get("public_key") or self._stored("public_key_sealed")
        if not secret:
            self.add_error("secret", "Secret / API key: required (none stored that can be read)")
        if kind == SourceSync.Kind.LANGFUSE and not public:
            self.add_error("public_key", "Langfuse public key: required (none stored that can be read)")
        try:
            seal("check")  # a malformed SPOTCHECK_SECRET_KEY_FERNET is said here, not as a server error
        except SealError as exc:
            self.add_error(None, str(exc))
        return data

    def save(self, user) -> SourceSync:
        data = self.cleaned_data
        source = self.instance or SourceSync(project=self.project, created_by=user)
        source.enabled, source.kind, source.base_url = data["enabled"], data["kind"], data["base_url"]
        source.source_project = data["source_project"]
        if data.get("public_key"):
            source.public_key_sealed = seal(data["public_key"].strip())
        if data.get("secret"):
            source.secret_sealed = seal(data["secret"].strip())
        if source.kind == SourceSync.Kind.LANGSMITH:
            source.public_key_sealed = ""
        source.updated_at = timezone.now()
        source.save()
        return source
