"""The values the sampling API takes and returns: frozen, so a plan or a draw cannot drift."""
from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass


@dataclass(frozen=True)
class Stratum:
    """One stratum of the week's outputs.

    population: N_h, outputs in the stratum. weight: its risk weight r_h (>= 1 for riskier work;
    the ``risk`` allocation gives it sqrt(r_h) times the Neyman share). minimum: the fewest
    items it gets (capped at its population). expected_rate or sd: the planning value of its
    error rate p_h or its standard deviation S_h (default S_h = 0.5, the most conservative).
    """

    name: str
    population: int
    weight: float = 1.0
    minimum: int = 0
    expected_rate: float | None = None
    sd: float | None = None

    def __post_init__(self) -> None:
        if self.population < 0:
            raise ValueError(f"stratum {self.name!r}: population must be >= 0, not {self.population}")
        if not self.weight > 0:
            raise ValueError(f"stratum {self.name!r}: weight must be > 0, not {self.weight}")
        if self.minimum < 0:
            raise ValueError(f"stratum {self.name!r}: minimum must be >= 0, not {self.minimum}")
        if self.expected_rate is not None and not 0 <= self.expected_rate <= 1:
            raise ValueError(f"stratum {self.name!r}: expected_rate must be in [0, 1], not {self.expected_rate}")
        if self.sd is not None and self.sd < 0:
            raise ValueError(f"stratum {self.name!r}: sd must be >= 0, not {self.sd}")

    @property
    def spread(self) -> float:
        """S_h: the given sd, else sqrt(p(1-p)) of the expected rate, else 0.5."""
        if self.sd is not None:
            return self.sd
        if self.expected_rate is not None:
            return (self.expected_rate * (1 - self.expected_rate)) ** 0.5
        return 0.5


@dataclass(frozen=True)
class Draw:
    """A sampled unit, its stratum and its inclusion probability pi = n_h / N_h (weight 1/pi)."""

    unit: Hashable
    stratum: str
    inclusion_probability: float

    @property
    def weight(self) -> float:
        return 1.0 / self.inclusion_probability


@dataclass(frozen=True)
class Power:
    """What an exact one-sided binomial test on n items can detect.

    The test raises the alarm at ``critical_count`` or more errors; ``false_alarm_rate`` is its
    size at the baseline rate (<= alpha), ``power`` the chance of an alarm at the alert rate.
    """

    n: int
    critical_count: int
    false_alarm_rate: float
    power: float
