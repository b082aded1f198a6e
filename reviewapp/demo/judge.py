"""The demo's hidden truth per output, and the automatic judge that guesses it.

Why one module for both: the judge's scores ride in the demo's records, made before any audit is
drawn, while the simulated reviewers (reviews.py) decide what they see much later. For the judge
to be right or wrong about what the reviewers will find, both read the same truth, drawn per
output from its external id (not from the order the queue serves items in).

The judge is good where a groundedness check is easy (billing: amounts and dates it can check
against the passages) and near random on medical answers, where a fluent answer can be wrong
without contradicting anything retrieved; moderate elsewhere. So the judge-assisted estimate
gains on billing, and its certification page shows a stratum where it cannot be trusted.

Pure standard library, like records.py: the truth and the judge depend on the seed and the
output only, so the same seed gives the same demo.
"""
from __future__ import annotations

import random
from typing import Any

JUDGE_NAME = "groundedness-judge"
JUDGE_VERSION = "3"

FAILURE_RATE = {"billing": 0.04, "account": 0.04, "medical": 0.11, "legal": 0.10, "general": 0.03}
PARTIAL_RATE = 0.09
REGRESSION = {"medical": 2.2}  # multiplier on the last simulated week (a new model version, say)

# (sensitivity, specificity) of the judge's "fail" for a true failure, per category.
QUALITY = {"billing": (0.90, 0.97), "account": (0.80, 0.93), "legal": (0.75, 0.90), "general": (0.80, 0.93),
           "medical": (0.55, 0.80)}


def true_verdict(seed: int, external_id: str, category: str, *, regression: bool) -> str:
    """The verdict a careful reviewer would give the output: failure at its category's rate (raised on
    the regression week), partial at PARTIAL_RATE, success otherwise."""
    failure = FAILURE_RATE.get(category, 0.04) * (REGRESSION.get(category, 1.0) if regression else 1.0)
    roll = random.Random(f"{seed}:truth:{external_id}").random()
    return "failure" if roll < failure else "partial" if roll < failure + PARTIAL_RATE else "success"


def judge_evaluation(seed: int, external_id: str, category: str, *, regression: bool) -> dict[str, Any]:
    """The judge's evaluation of the output, as a canonical record carries it: `label` "fail" or
    "pass", and `value` its probability of failure (above 0.5 exactly when it says "fail"), so a
    lead can map it by label or by score."""
    sensitivity, specificity = QUALITY.get(category, (0.75, 0.9))
    failed = true_verdict(seed, external_id, category, regression=regression) == "failure"
    rng = random.Random(f"{seed}:judge:{external_id}")
    says_fail = rng.random() < (sensitivity if failed else 1 - specificity)
    value = rng.uniform(0.52, 0.99) if says_fail else rng.uniform(0.01, 0.48)
    return {"name": JUDGE_NAME, "version": JUDGE_VERSION, "value": round(value, 3),
            "label": "fail" if says_fail else "pass", "metric": "failure"}
