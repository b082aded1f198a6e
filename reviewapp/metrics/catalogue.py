"""The rates a rubric makes measurable, each a yes/no question about an item's final label.

Derived from the rubric, so a lead's own questions get rates too: one per option of a single or
multiple choice question, one per boolean question, one per corrected-output question (an
answer given counts as an override / rework). The default rubric's rates get the names QA
leads use.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reviewapp.review.rubric import Question, Rubric

NAMES = {
    "verdict:failure": "Error rate (failure)",
    "verdict:partial": "Partial success",
    "verdict:success": "Full success",
    "corrected_output": "Override / rework",
    "escalate": "Escalation",
    "harm:incident": "Harm incidents",
    "harm:near_miss": "Near-misses",
}
HIGHER_IS_BETTER = {"verdict:success", "harm:none"}
# The scorecard a project starts with, until its lead sets one: (metric, threshold, guardrail).
DEFAULT_SCORECARD = [
    ("verdict:failure", 0.05, 0.03), ("corrected_output", 0.15, 0.10), ("escalate", 0.05, 0.03),
    ("harm:incident", 0.005, 0.002), ("harm:near_miss", 0.02, 0.01), ("verdict:success", 0.80, 0.85),
]


@dataclass(frozen=True)
class Rate:
    key: str
    label: str
    question: str
    test: Callable[[dict[str, Any]], bool]
    higher_is_better: bool = False


def _option_test(key: str, value: str, multi: bool) -> Callable[[dict], bool]:
    if multi:
        return lambda answers: value in (answers.get(key) or ())
    return lambda answers: answers.get(key) == value


def _flag_test(key: str) -> Callable[[dict], bool]:
    return lambda answers: answers.get(key) is True


def _given_test(key: str) -> Callable[[dict], bool]:
    return lambda answers: bool((answers.get(key) or "").strip())


def rates(rubric: Rubric) -> dict[str, Rate]:
    found: dict[str, Rate] = {}
    for q in rubric.questions:
        key, kind = q.key, q.type
        if kind in ("single", "multi"):
            for option in q.options:
                name = f"{key}:{option.value}"
                found[name] = Rate(name, NAMES.get(name, f"{q.label}: {option.title}"), key,
                                   _option_test(key, option.value, kind == "multi"), name in HIGHER_IS_BETTER)
        elif kind == "boolean":
            found[key] = Rate(key, NAMES.get(key, q.label), key, _flag_test(key))
        elif kind == "corrected_output":
            found[key] = Rate(key, NAMES.get(key, f"{q.label} given"), key, _given_test(key))
    return found


def default_scorecard(rubric: Rubric) -> list[tuple[str, float, float]]:
    """The default scorecard's lines that the rubric can measure: a lead's own rubric (other
    verdicts, no harm question) starts with fewer lines rather than with lines that stay empty."""
    measured = rates(rubric)
    return [line for line in DEFAULT_SCORECARD if line[0] in measured]


def agreement_value(question: Question, answers: dict[str, Any]) -> Any:
    """A reviewer's answer to one question as a value agreement coefficients compare, or None.

    Multiple choice compares the whole set chosen (nominal); a corrected output compares whether
    one was given; free text is not compared."""
    if question.key not in answers:  # a label made before the question was added to the rubric
        return None
    value = answers[question.key]
    kind = question.type
    if kind == "multi":
        return "|".join(sorted(value or ())) or "(none)"
    if kind == "corrected_output":
        return bool((value or "").strip())
    if kind == "boolean":
        return bool(value)
    return value


def agreement_level(question: Question) -> str | None:
    """The Krippendorff level of a question's answers; None for questions not compared."""
    return {"single": "nominal", "multi": "nominal", "boolean": "nominal", "corrected_output": "nominal",
            "rating": "ordinal"}.get(question.type)
