"""The mid-week alert rule (sampling.sequential_rise): Wald's boundaries, its exact false-alarm
bound under looks after every label, and a seeded simulation on a risk-allocated design."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sampling import SPRT, Stratum, StratumCount, allocate, sequential_rise


def boundaries(population: int, n: int, baseline: float, alert_rate: float, alpha: float, tested: int) -> list[int]:
    """The fewest errors among t = 0..n reviewed items that alert (n + 1: none), read off the rule."""
    found = []
    for t in range(n + 1):
        b = sequential_rise([StratumCount("s", population, t, 0)], baseline, alert_rate, alpha=alpha,
                            tested=tested).strata[0].boundary
        found.append(n + 1 if b is None else b)
    return found


def crossing_chance(population: int, errors: int, n: int, bounds: list[int]) -> float:
    """Exactly: the chance that errors among the first t of n items, drawn without replacement from a
    stratum holding `errors` errors, reach bounds[t] at some t (looking after every item)."""
    alive = np.zeros(n + 2)
    alive[0] = 1.0  # P(S_t = s and no alert so far)
    crossed = 0.0
    for t in range(n):
        s = np.arange(n + 2)
        p_error = np.clip((errors - s) / (population - t), 0, 1)
        nxt = alive * (1 - p_error)
        nxt[1:] += (alive * p_error)[:-1]
        crossed += nxt[bounds[t + 1]:].sum()
        nxt[bounds[t + 1]:] = 0
        alive = nxt
    return crossed


class TestWaldBoundaries:
    def test_large_stratum_is_walds_linear_rule(self):
        """NIST/SEMATECH e-Handbook 6.2.3.1 and Wald (1947): reject when d >= h2 + s n, with
        s = ln(q0/q1) / k and h2 = ln((1 - beta)/alpha) / k, k = ln(p1 q0 / (p0 q1)). For budget 0.5%
        against alarm 2% s = 0.01084 (sampling.SPRT's docstring: h2 1.978 at beta 0.2). With beta -> 0,
        h2 = ln(1/alpha) / k = ln 20 / 1.40141 = 2.1375; a stratum of ten million is binomial."""
        k = math.log(0.02 * 0.995 / (0.005 * 0.98))
        assert math.log(0.995 / 0.98) / k == pytest.approx(0.01084, abs=5e-6)
        assert math.log(20) / k == pytest.approx(2.1375, abs=5e-5)
        wald = SPRT(0.005, 0.02, alpha=0.05, beta=1e-12)
        for n in (0, 1, 9, 10, 50, 100, 171, 200, 500, 1000):
            rule = sequential_rise([StratumCount("s", 10_000_000, n, 0)], 0.005, 0.02, alpha=0.05)
            assert rule.strata[0].boundary == wald.rejection_number(n)
            assert rule.strata[0].boundary == (math.ceil(2.1375 + 0.01084 * n) if n >= 3 else None)

    def test_alpha_is_split_over_the_strata(self):
        """Three strata at 5% test each at 5%/3: the boundary is ln(3/0.05)/k + s n."""
        k = math.log(0.02 * 0.995 / (0.005 * 0.98))
        counts = [StratumCount(name, 10_000_000, 300, 0) for name in "abc"]
        rule = sequential_rise(counts, 0.005, 0.02, alpha=0.05)
        assert rule.tested == 3 and rule.per_stratum_alpha == pytest.approx(0.05 / 3)
        assert {s.boundary for s in rule.strata} == {math.ceil(math.log(60) / k + 0.01084 * 300)}

    def test_ratio_is_the_hypergeometric_likelihood_ratio(self):
        """For a stratum of 200 at baseline 5% (10 errors) and alert 10% (20 errors), the ratio of the
        reviewed sequence's probabilities is the ratio of the hypergeometric pmfs (the orderings cancel)."""
        rule = sequential_rise([StratumCount("s", 200, 40, 5)], 0.05, 0.10, alpha=0.05)
        expected = stats.hypergeom(200, 20, 40).logpmf(5) - stats.hypergeom(200, 10, 40).logpmf(5)
        assert rule.strata[0].log_ratio == pytest.approx(expected, rel=1e-9)

    def test_more_errors_than_the_baseline_allows_decides(self):
        """A stratum of 100 at baseline 2% holds at most 2 errors in an in-control week: a third proves the rise."""
        rule = sequential_rise([StratumCount("small", 100, 3, 3), StratumCount("big", 5000, 10, 0)], 0.02, 0.05)
        assert rule.decided and rule.stratum == "small" and (rule.n, rule.errors) == (3, 3)
        assert rule.strata[0].log_ratio == math.inf

    def test_nothing_decided_reports_totals(self):
        rule = sequential_rise([StratumCount("a", 1000, 50, 1), StratumCount("b", 1000, 20, 0)], 0.01, 0.03)
        assert not rule.decided and rule.stratum is None and rule.boundary is None
        assert (rule.n, rule.errors) == (70, 1)

    def test_decided_names_the_stratum_and_its_boundary(self):
        counts = [StratumCount("bulk", 6000, 100, 1), StratumCount("medical", 1000, 60, 6)]
        rule = sequential_rise(counts, 0.01, 0.03, alpha=0.05)
        assert rule.decided and rule.stratum == "medical" and (rule.n, rule.errors) == (60, 6)
        assert rule.boundary is not None and rule.boundary <= 6
        assert not sequential_rise([StratumCount("bulk", 6000, 100, 1),
                                    StratumCount("medical", 1000, 60, rule.boundary - 1)], 0.01, 0.03).decided

    @pytest.mark.parametrize(("kwargs", "message"), [
        ({"baseline": 0.03, "alert_rate": 0.01}, "must be above baseline"),
        ({"baseline": 0.0, "alert_rate": 0.01}, "baseline"),
        ({"baseline": 0.01, "alert_rate": 0.03, "alpha": 1.5}, "alpha"),
        ({"baseline": 0.01, "alert_rate": 0.03, "tested": 0}, "tested"),
    ])
    def test_bad_input_is_refused_in_words(self, kwargs, message):
        with pytest.raises(ValueError, match=message):
            sequential_rise([StratumCount("a", 100, 10, 0)], **kwargs)


class TestFalseAlarms:
    @pytest.mark.parametrize(("population", "n", "baseline", "alert_rate"), [
        (1000, 54, 0.01, 0.03), (6000, 132, 0.01, 0.03), (3000, 300, 0.02, 0.05), (400, 400, 0.05, 0.10),
    ])
    def test_exact_chance_of_any_alert_is_at_most_alpha_over_k(self, population, n, baseline, alert_rate):
        """Ville's inequality, computed exactly: looking after every item of a stratum at its baseline
        (and below it), the chance of ever alerting is at most alpha / K (here 5% / 3); a census included."""
        bounds = boundaries(population, n, baseline, alert_rate, 0.05, 3)
        d0 = math.floor(baseline * population + 1e-9)
        for errors in (d0, d0 // 2):
            assert crossing_chance(population, errors, n, bounds) <= 0.05 / 3
        d1 = math.ceil(alert_rate * population)  # and it is a test: at the alert rate it can fire
        assert crossing_chance(population, d1, n, bounds) > crossing_chance(population, d0, n, bounds)

    def test_seeded_simulation_on_a_risk_allocated_design(self):
        """300 reviews a week over strata of 6000/3000/1000 with risk weights 1/3/6 (sampling.allocate,
        "risk": the bulk is under-sampled, the risky stratum over-sampled), looked at after every label.
        In control, with every stratum's errors at the baseline or all the week's budget of errors placed
        in the bulk or in the risky stratum, any-alert weeks stay within alpha plus simulation error;
        a rise to 10% in either the under- or the over-sampled stratum is caught in most weeks, naming that stratum."""
        strata = [Stratum("bulk", 6000, 1.0), Stratum("mid", 3000, 3.0), Stratum("risky", 1000, 6.0)]
        sizes = allocate(300, strata, method="risk")
        assert sizes["bulk"] / 6000 < sizes["risky"] / 1000
        baseline, alert_rate, alpha, weeks = 0.01, 0.03, 0.05, 3000
        bounds = {s.name: np.array(boundaries(s.population, sizes[s.name], baseline, alert_rate, alpha, 3))
                  for s in strata}
        rng = np.random.default_rng(20261216)

        def alerts(errors: dict[str, int]) -> dict[str, np.ndarray]:
            """Per stratum, per week: did the rule alert at some look?"""
            found = {}
            for s in strata:
                n = sizes[s.name]
                order = rng.random((weeks, s.population)).argsort(axis=1)[:, :n]
                cumulative = np.cumsum(order < errors[s.name], axis=1)
                found[s.name] = (cumulative >= bounds[s.name][1:]).any(axis=1)
            return found

        in_control = [{"bulk": 60, "mid": 30, "risky": 10}, {"bulk": 60, "mid": 0, "risky": 0},
                      {"bulk": 0, "mid": 0, "risky": 10}, {"bulk": 30, "mid": 30, "risky": 10}]
        se = math.sqrt(alpha * (1 - alpha) / weeks)
        for errors in in_control:
            any_alert = np.any(list(alerts(errors).values()), axis=0)
            assert any_alert.mean() <= alpha + 3 * se, errors
        for risen in ("bulk", "risky"):
            errors = {"bulk": 60, "mid": 30, "risky": 10}
            errors[risen] = round(0.10 * next(s.population for s in strata if s.name == risen))
            found = alerts(errors)
            assert found[risen].mean() > 0.5, risen
            others = [name for name in found if name != risen]
            assert all(found[name].mean() <= alpha for name in others)

    def test_the_rule_read_at_every_look_matches_its_boundaries(self):
        """sequential_rise on the running counts decides at the first look its boundary is reached."""
        rng = np.random.default_rng(7)
        population, n = 1000, 80
        bounds = boundaries(population, n, 0.01, 0.03, 0.05, 1)
        for _ in range(20):
            seq = rng.random(n) < 0.06
            errors, first = 0, None
            for t in range(1, n + 1):
                errors += int(seq[t - 1])
                if sequential_rise([StratumCount("s", population, t, errors)], 0.01, 0.03).decided:
                    first = t
                    break
            expected = next((t for t in range(1, n + 1) if seq[:t].sum() >= bounds[t]), None)
            assert first == expected
