"""Secrets Spotcheck must send on later (an API key for a lead's Langfuse or LangSmith) stored sealed.

A database dump or a read-only SQL slip should not hand out the keys to another system, so they
are stored as Fernet tokens (AES-128-CBC with HMAC-SHA256, from `cryptography`), never in clear.
The key: ``SPOTCHECK_SECRET_KEY_FERNET`` from the environment, one or more Fernet keys separated
by commas (the first seals, all open: add a new key in front to rotate, drop the old one once
every secret was saved again); unset, a key derived from Django's SECRET_KEY with HKDF-SHA256, so
an install works without another setting (changing SECRET_KEY then makes the stored secrets
unreadable: the page that shows them says so and asks for them again).
"""
from __future__ import annotations

import base64
import os
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

ENV_KEY = "SPOTCHECK_SECRET_KEY_FERNET"
HKDF_INFO = b"spotcheck sealed secrets v1"


class SealError(Exception):
    """A sealed value the configured keys cannot open (another key, or not a token at all)."""


def _keys() -> list[bytes]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    configured = [k.strip() for k in os.environ.get(ENV_KEY, "").split(",") if k.strip()]
    if configured:
        return [k.encode() for k in configured]
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(settings.SECRET_KEY.encode())
    return [base64.urlsafe_b64encode(derived)]


def _fernet() -> MultiFernet:
    """Imported here, as the vendors' clients are in sync_jobs: only sealing and sending need them."""
    from cryptography.fernet import Fernet, MultiFernet

    try:
        return MultiFernet([Fernet(key) for key in _keys()])
    except ValueError as exc:  # a malformed key in the environment: say which setting
        raise SealError(f"{ENV_KEY}: each key must be a Fernet key (32 url-safe base64-encoded bytes): {exc}") from exc


def seal(text: str) -> str:
    """The text as a Fernet token ('' stays '': nothing to hide)."""
    return _fernet().encrypt(text.encode()).decode() if text else ""


def unseal(token: str) -> str:
    """The text a token was sealed from; SealError if none of the keys opens it."""
    from cryptography.fernet import InvalidToken

    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SealError(f"cannot be opened with the current key ({ENV_KEY} or SECRET_KEY changed?)") from exc


def hint(token: str) -> str:
    """What a page may show of a sealed secret: "not set", "set, ends with …xy", or why it cannot be read."""
    if not token:
        return "not set"
    try:
        text = unseal(token)
    except SealError as exc:
        return f"set, but {exc}: enter it again"
    return f"set, ends with …{text[-2:]}" if len(text) >= 8 else "set"
