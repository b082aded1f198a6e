from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from reviewapp.lib.charts import stacked_bars

from .models import Output, OutputVolume


@dataclass
class WeeklyVolume:
    weeks: list[str]  # ISO week labels, oldest first, e.g. "2026-W47"
    by_category: dict[str, list[int]]
    total: int

    @property
    def chart(self) -> str:
        return stacked_bars(self.weeks, self.by_category, title="Outputs ingested per ISO week, by category")


def weekly_volume(project, *, weeks: int) -> WeeklyVolume:
    """Outputs per ISO week and category over the last `weeks` weeks (UTC, Monday-based), read from
    the hourly rollup (OutputVolume): a few hundred rows a week whatever the outputs number."""
    today = timezone.now().date()
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    rows = (
        OutputVolume.objects.filter(project=project, hour__gte=datetime.combine(starts[0], datetime.min.time(), UTC))
        .annotate(week=TruncWeek("hour", tzinfo=UTC))
        .values("week", "category")
        .annotate(n=Sum("n"))
    )
    index = {start: i for i, start in enumerate(starts)}
    by_category: dict[str, list[int]] = {}
    for row in rows:
        i = index.get(row["week"].date() if hasattr(row["week"], "date") else row["week"])
        if i is not None:
            by_category.setdefault(row["category"] or "(none)", [0] * weeks)[i] += row["n"]
    labels = [f"{s.isocalendar().year}-W{s.isocalendar().week:02d}" for s in starts]
    totals = [sum(values[i] for values in by_category.values()) for i in range(weeks)]
    first = next((i for i, total in enumerate(totals) if total), weeks - 1)  # no leading empty weeks
    trimmed = {name: values[first:] for name, values in sorted(by_category.items())}
    return WeeklyVolume(labels[first:], trimmed, sum(totals))


def outputs_between(project_id: int, start: datetime, end: datetime) -> int:
    """How many outputs of a project occurred in [start, end), exactly, without counting the outputs:
    the rollup's whole UTC hours inside the range, plus a count of the outputs themselves only in
    the part-hours at its edges (a week in a zone off UTC by a half hour), an index range of at most
    two hours. The rollup is kept in the outputs' own transactions, so this is as exact as a COUNT."""
    first = _ceil_hour(start)
    last = end.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if first >= last:  # less than one whole hour: count them
        return Output.objects.filter(project_id=project_id, occurred_at__gte=start, occurred_at__lt=end).count()
    whole = OutputVolume.objects.filter(project_id=project_id, hour__gte=first, hour__lt=last).aggregate(n=Sum("n"))
    edges = 0
    if start < first:
        edges += Output.objects.filter(project_id=project_id, occurred_at__gte=start, occurred_at__lt=first).count()
    if last < end:
        edges += Output.objects.filter(project_id=project_id, occurred_at__gte=last, occurred_at__lt=end).count()
    return int(whole["n"] or 0) + edges


def _ceil_hour(moment: datetime) -> datetime:
    floor = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(hours=1)
