"""A project's outputs list: newest first, a page at a time by keyset, with its size from the rollup.

Nothing here counts or offsets over the outputs table: a page is one index range read (occurred_at
and id below the previous page's last row), and "about 9.8 million outputs" is a sum over the
hourly rollup (OutputVolume) for the filters it can answer. Issue 19: at ten million outputs the
paginator's COUNT(*) alone took 2.3 s.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet, Sum

from .models import Evaluation, Output, OutputVolume

PER_PAGE = 50
ROLLUP_KEYS = ("category", "risk_tier", "kind", "model", "model_version")  # the filters the rollup answers
LIST_FIELDS = ("id", "project__slug", "external_id", "occurred_at", "category", "risk_tier", "kind", "model_version",
               "output")


@dataclass(frozen=True)
class OutputsPage:
    rows: list[Output]
    older: str | None  # the cursor of the next, older page; None on the last
    newest: bool  # this is the first page
    total: int  # outputs matching, from the rollup
    exact: bool  # False: a filter the rollup cannot answer exactly is set, `total` is an upper bound or near

    @property
    def total_words(self) -> str:
        return in_words(self.total, exact=self.exact)


def in_words(n: int, *, exact: bool = True) -> str:
    """"1,234 outputs" while a number is read whole; "about 9.8 million outputs" beyond."""
    if n < 10_000:
        return f"{'' if exact else 'about '}{n:,} output{'s' if n != 1 else ''}"
    for size, word in ((1_000_000_000, "billion"), (1_000_000, "million"), (1_000, "thousand")):
        if n >= size:
            return f"about {n / size:.1f} {word} outputs".replace(".0 ", " ")
    return f"about {n:,} outputs"


def cursor_of(row: Output) -> str:
    return f"{int(row.occurred_at.timestamp() * 1_000_000)}.{row.pk}"


def _parse(cursor: str | None) -> tuple[datetime, int] | None:
    try:
        micros, pk = (int(part) for part in (cursor or "").split("."))
        return datetime.fromtimestamp(micros / 1_000_000, tz=UTC), pk
    except (ValueError, OverflowError, OSError):
        return None  # a cursor that does not read starts at the newest page


def outputs_page(outputs: QuerySet[Output], cursor: str | None, *, project, filters: dict[str, Any],
                 per_page: int = PER_PAGE) -> OutputsPage:
    """One page of `outputs` (already filtered) older than the cursor, newest first."""
    after = _parse(cursor)
    page = outputs.order_by("-occurred_at", "-pk").select_related("project").only(*LIST_FIELDS)
    if after is not None:
        at, pk = after
        page = page.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, pk__lt=pk))
    rows = list(page[:per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    total, exact = rollup_total(project, filters)
    return OutputsPage(rows, cursor_of(rows[-1]) if more and rows else None, after is None, total, exact)


# An evaluator's evaluations are counted up to this many: a bounded read (13 ms on PostgreSQL for an
# evaluator of 100,000 evaluations, joined to their outputs), where counting them all grows with them.
EVALUATIONS_COUNTED = 10_000


def rollup_total(project, filters: dict[str, Any]) -> tuple[int, bool]:
    """The outputs matching the list's filters, summed from the rollup: exact for category, risk tier,
    kind, model, model version and time bounds on the hour; a prefix of external id or a bound inside
    an hour makes it approximate.

    The rollup knows nothing of evaluations. With an evaluator set, its evaluations are counted up to
    EVALUATIONS_COUNTED (of outputs still stored): one per output and evaluator, so with no other
    filter that count is the answer, exactly; with others, the smaller of the two is an upper bound,
    said as "about"; past the cap, the rollup's total is that bound."""
    volume = OutputVolume.objects.filter(project=project)
    exact = not filters.get("external_id")
    for name in ROLLUP_KEYS:
        if filters.get(name):
            volume = volume.filter(**{name: filters[name]})
    for name, lookup in (("occurred_after", "hour__gte"), ("occurred_before", "hour__lt")):
        bound = filters.get(name)
        if bound:
            volume = volume.filter(**{lookup: bound})
            exact = exact and bound.minute == bound.second == bound.microsecond == 0
    total = int(volume.aggregate(n=Sum("n"))["n"] or 0)
    evaluator = filters.get("evaluator")
    if not evaluator:
        return total, exact
    # Joined to the outputs: an evaluation can outlive its output (retention keeps the drawn ones').
    evaluations = Evaluation.objects.filter(evaluator_id=evaluator, output__project=project)
    scored = evaluations[:EVALUATIONS_COUNTED + 1].count()
    if scored > EVALUATIONS_COUNTED:
        return total, False
    alone = not any(value for name, value in filters.items() if name != "evaluator")
    return min(total, scored), alone
