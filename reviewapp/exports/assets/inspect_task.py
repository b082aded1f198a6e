"""Spotcheck's ground truth as an Inspect task: the experts' reviews of production outputs.

    inspect eval spotcheck_task.py --model openai/gpt-4o-mini               # a model answers, scored
    inspect eval spotcheck_task.py --model mockllm/model -T replay=true      # replay the production outputs
    inspect eval spotcheck_task.py --model openai/gpt-4o-mini -T grader=openai/gpt-4o   # graded by a model

The scorer (expert_reference): an output equal to one the experts rejected (metadata.known_bad,
original_output; whitespace and case aside) is incorrect; against a reference (the expert's
correction, or the production output when it was a full success) it is correct when it contains
it, or, with a grader, when the grader finds it factually consistent (model_graded_fact); an item
with no reference (a known-bad output nobody corrected) cannot be judged without one: no answer.
Replayed, the production outputs score exactly as the experts judged them: every item they
accepted correct, every other one incorrect. Weights (metadata.weight) give design-weighted rates.
"""
from __future__ import annotations

from pathlib import Path

from inspect_ai import Task, task
from inspect_ai.dataset import json_dataset
from inspect_ai.model import ModelOutput
from inspect_ai.scorer import CORRECT, INCORRECT, NOANSWER, Score, Target, accuracy, model_graded_fact, scorer, stderr
from inspect_ai.solver import Generate, TaskState, generate, solver

HERE = Path(__file__).parent


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


@solver
def replay_output():
    """The production output as the model's answer: checks the set scores it as the experts did."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        state.output = ModelOutput.from_content(model="spotcheck/replay", content=state.metadata["original_output"])
        state.messages.append(state.output.message)
        return state

    return solve


@scorer(metrics=[accuracy(), stderr()])
def expert_reference(grader: str | None = None):
    graded = model_graded_fact(model=grader) if grader else None

    async def score(state: TaskState, target: Target) -> Score:
        answer = state.output.completion
        if state.metadata.get("known_bad") and _same(answer, state.metadata.get("original_output", "")):
            return Score(value=INCORRECT, answer=answer, explanation="the output the experts rejected")
        references = [t for t in target.target if t]
        if not references:
            return Score(value=NOANSWER, answer=answer,
                         explanation="no reference answer is known for this item: only the rejected output is")
        if graded is not None:
            judged = await graded(state, target)
            return judged if judged is not None else Score(value=NOANSWER, answer=answer, explanation="not graded")
        ok = any(_same(answer, t) or t.casefold() in answer.casefold() for t in references)
        return Score(value=CORRECT if ok else INCORRECT, answer=answer)

    return score


@task
def spotcheck(replay: bool = False, grader: str | None = None) -> Task:
    return Task(dataset=json_dataset(str(HERE / "inspect.jsonl")),
                solver=replay_output() if replay else generate(), scorer=expert_reference(grader))
