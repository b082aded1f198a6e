"""A snapshot's filters in words, for the pages that list and show snapshots: a lead reads what was
cut ("weeks 2026-W45 to W47 · strata: medical, legal · settled items only") instead of stored keys."""
from __future__ import annotations

from typing import Any

from reviewapp.lib.weeks import IsoWeek
from reviewapp.review.rubric import ERRORS, Rubric

from .selection import Filters, SelectionError

# What 'settled' keeps and leaves out, as review/actions.settle and adjudicate record final labels:
# an item gets one once its required reviews agree (one review: 'single', two or more: 'agreed') or a
# lead rules on it ('adjudicated'); disputed items and items short of reviews have none and are in no export.
SETTLED = ("keeps items whose final label two or more reviewers gave alike, or a QA lead adjudicated; "
           "leaves out items whose final label is a single reviewer's")
NO_FINAL = "Disputed items and items still waiting for reviews have no final label: no export holds them."


def week_ranges(names: list[str]) -> str:
    """ISO weeks with consecutive runs joined: 2026-W45, 2026-W46, 2026-W47 -> 2026-W45 to W47."""
    weeks = sorted(IsoWeek.parse(name) for name in names)
    runs: list[list[IsoWeek]] = []
    for week in weeks:
        if runs and runs[-1][-1].shift(1) == week:
            runs[-1].append(week)
        else:
            runs.append([week])
    parts = []
    for run in runs:
        first, last = run[0], run[-1]
        if first == last:
            parts.append(str(first))
        else:
            parts.append(f"{first} to " + (f"W{last.week:02d}" if last.year == first.year else str(last)))
    return ", ".join(parts)


def _labels(values: list[str], options: list[tuple[str, str]]) -> str:
    names = dict(options)
    return ", ".join(names.get(value, value) for value in values)


def in_words(filters: Filters | dict[str, Any], rubric: Rubric) -> str:
    """The filters as one line, the rubric's words for verdicts and error categories (a value the
    rubric no longer has reads as stored)."""
    if not isinstance(filters, Filters):
        stored = filters
        try:
            filters = Filters.from_stored(stored)
        except SelectionError:
            return ", ".join(f"{key}: {value}" for key, value in sorted(stored.items()))
    parts = []
    if filters.weeks:
        parts.append(("week " if len(filters.weeks) == 1 else "weeks ") + week_ranges(filters.weeks))
    else:
        parts.append("every audited week")
    if filters.strata:
        parts.append(("stratum: " if len(filters.strata) == 1 else "strata: ") + ", ".join(filters.strata))
    if filters.verdicts:
        parts.append("verdicts: " + _labels(filters.verdicts, rubric.verdict_options))
    if filters.error_categories:
        parts.append("errors: any of " + _labels(filters.error_categories, rubric.options_of(ERRORS)))
    parts.append("settled items only" if filters.agreement == "settled" else "every item with a final label")
    if filters.min_agreement is not None:
        parts.append(f"at least {filters.min_agreement:.0%} of reviewers gave the final verdict")
    if filters.corrected_only:
        parts.append("corrected outputs only")
    if filters.pseudonymise:
        parts.append("reviewers as pseudonyms")
    return " · ".join(parts)
