"""What a new rubric version drops that labels already given use, said before it is saved.

Saving never rewrites a label: each keeps the version it was given under, and exports and metrics
read it with that version. But a lead who removes an option or a question, or changes a question's
type, should know how many labels answered it before the new version becomes the one reviewers see.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .models import Label
from .rubric import Question, Rubric

TYPE_NAMES = {"single": "single choice", "multi": "multiple choice", "boolean": "yes/no", "rating": "rating",
              "text": "free text", "corrected_output": "corrected output"}


@dataclass(frozen=True)
class Dropped:
    """One question or option the new version removes (or a question whose type it changes), and the
    number of labels given under earlier versions that answered with it."""

    question: str  # the question's label, in the version being replaced
    labels: int
    option: str | None = None  # the option's label, when one option goes
    new_type: str | None = None  # when the question stays with another type

    def __str__(self) -> str:
        if self.option is not None:
            change = f"Removing '{self.option}' from {self.question}"
        elif self.new_type is not None:
            change = f"Changing {self.question} to {TYPE_NAMES.get(self.new_type, self.new_type)}"
        else:
            change = f"Removing the question {self.question}"
        given = (f"{self.labels} labels given under earlier versions keep their answer; they are not rewritten"
                 if self.labels != 1 else
                 "1 label given under an earlier version keeps its answer; it is not rewritten")
        return f"{change}: {given}. Exports and metrics read each label with the version it was given under."


def dropped(project, current: Rubric, new: Rubric) -> list[Dropped]:
    """What `new` drops from `current` that labels of the project use, in `current`'s order; a drop no
    label used is not listed (nothing to explain). Labels are read only when something is dropped."""
    # (question, option or None, new type or None) for every change that can orphan an answer
    changes: list[tuple[Question, Any, str | None]] = []
    for q in current.questions:
        kept = new.question(q.key)
        if kept is None:
            changes.append((q, None, None))
        elif kept.type != q.type:
            changes.append((q, None, kept.type))
        elif q.type in ("single", "multi"):
            values = {o.value for o in kept.options}
            changes += [(q, o, None) for o in q.options if o.value not in values]
    if not changes:
        return []
    counts = [0] * len(changes)
    keys = {q.key for q, _, _ in changes}
    for answers in Label.objects.filter(schema__project=project).values_list("answers", flat=True).iterator():
        if not isinstance(answers, dict) or keys.isdisjoint(answers):
            continue
        for n, (q, option, _) in enumerate(changes):
            if _uses(answers.get(q.key), option.value if option is not None else None):
                counts[n] += 1
    return [Dropped(question=q.label, labels=count, option=option.title if option is not None else None, new_type=new_type)
            for (q, option, new_type), count in zip(changes, counts, strict=True) if count]


def _uses(answer: Any, value: str | None) -> bool:
    """Whether an answer is given (value None) or chooses this option."""
    if value is None:
        return answer not in (None, "", [])
    return answer == value or (isinstance(answer, list) and value in answer)
