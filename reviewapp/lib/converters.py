"""URL path converters."""
from __future__ import annotations

MAX_ID = 2**63 - 1  # the largest value a BIGINT column holds


class IdConverter:
    """A positive integer that fits a database id: `<int:...>` would take any number of digits, and
    a number past 64 bits fails in the database (a 500) instead of matching no URL (a 404)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
