"""ISO weeks in a time zone: the audit period."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    def __post_init__(self) -> None:
        date.fromisocalendar(self.year, self.week, 1)  # raises ValueError for a week that does not exist

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        match = _WEEK.match(text.strip())
        if not match:
            raise ValueError(f"{text!r} is not an ISO week like 2026-W47")
        try:
            return cls(int(match[1]), int(match[2]))
        except ValueError:
            raise ValueError(f"{text!r} is not an ISO week: {match[1]} has no week {int(match[2])}") from None

    @classmethod
    def containing(cls, moment: datetime, time_zone: str = "UTC") -> IsoWeek:
        local = moment.astimezone(ZoneInfo(time_zone)).date()
        year, week, _ = local.isocalendar()
        return cls(year, week)

    def bounds(self, time_zone: str = "UTC") -> tuple[datetime, datetime]:
        """[Monday 00:00, next Monday 00:00) in the time zone, as UTC datetimes."""
        monday = date.fromisocalendar(self.year, self.week, 1)
        zone = ZoneInfo(time_zone)
        start = datetime(monday.year, monday.month, monday.day, tzinfo=zone)
        end_day = monday + timedelta(days=7)
        end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def shift(self, weeks: int) -> IsoWeek:
        monday = date.fromisocalendar(self.year, self.week, 1) + timedelta(weeks=weeks)
        year, week, _ = monday.isocalendar()
        return IsoWeek(year, week)
