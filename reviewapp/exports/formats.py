"""The formats eval tools read, each rendered from the snapshot's canonical rows.

Every renderer streams: it reads rows one at a time and writes as it goes, so memory stays flat.
Output is deterministic: keys sorted, compact separators, UTF-8, rows in the snapshot's order, so
rendering the same snapshot twice gives byte-identical files. Field mappings are documented in
docs/export.md, with where each shape is specified (OpenAI Evals API and fine-tuning, Inspect AI,
promptfoo, Hugging Face datasets, Langfuse, LangSmith).
"""
from __future__ import annotations

import csv
import json
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewapp.lib.messages import content_text

from .rows import (
    CSV_COLUMNS,
    ExportRow,
    csv_cells,
    dumps,
    flat_metadata,
    hf_record,
    hf_schema,
    judge_cells,
    judge_columns,
)


@dataclass
class Context:
    """What renderers know besides the rows: the snapshot's name, its project, its rubric."""

    name: str
    project: str
    version: int
    description: str = ""
    counts: dict[str, Any] = field(default_factory=dict)

    @property
    def evaluators(self) -> list[tuple[str, str]]:
        """(name, version) of every judge that scored an exported output, sorted (the manifest's counts;
        none for a snapshot cut before judge values were exported)."""
        return [(e["name"], e["version"]) for e in self.counts.get("evaluators", [])]


def _jsonl(path: Path, lines: Iterable[Any]) -> int:
    n = 0
    with path.open("wb") as out:
        for line in lines:
            out.write(dumps(line) + b"\n")
            n += 1
    return n


# --- canonical JSONL and CSV ----------------------------------------------------------------

def render_jsonl(rows: Iterable[ExportRow], out: Path, ctx: Context) -> list[Path]:
    path = out / "evalset.jsonl"
    _jsonl(path, (row.to_json() for row in rows))
    return [path]


def render_csv(rows: Iterable[ExportRow], out: Path, ctx: Context) -> list[Path]:
    path = out / "evalset.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        judges = ctx.evaluators
        writer.writerow(CSV_COLUMNS + judge_columns(judges))
        for row in rows:
            writer.writerow(csv_cells(row) + judge_cells(row, judges))
    return [path]


# --- Hugging Face dataset folder ---------------------------------------------------------------

def render_hf(rows: Iterable[ExportRow], out: Path, ctx: Context, *, batch_rows: int = 5000) -> list[Path]:
    """data/<split>.parquet (pyarrow, written in row groups as rows arrive), jsonl/<split>.jsonl and a
    dataset card README.md whose YAML maps each split (one per audited week) to its Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = hf_schema()
    (out / "data").mkdir()
    (out / "jsonl").mkdir()
    written: list[Path] = []
    splits: dict[str, int] = {}
    writer: Any = None  # the split's Parquet and JSONL files, open while its rows arrive
    jsonl: Any = None
    current = None
    batch: list[dict] = []

    def flush() -> None:
        if batch:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema), row_group_size=batch_rows)
            batch.clear()

    def close() -> None:
        if writer is not None:
            flush()
            writer.close()
            jsonl.close()

    for row in rows:
        split = row.sampling.split
        if split != current:  # rows come week by week: one split's files at a time
            close()
            current = split
            parquet_path, jsonl_path = out / "data" / f"{split}.parquet", out / "jsonl" / f"{split}.jsonl"
            writer = pq.ParquetWriter(parquet_path, schema, compression="zstd", write_statistics=True)
            jsonl = jsonl_path.open("wb")
            written += [parquet_path, jsonl_path]
            splits[split] = 0
        record = hf_record(row)
        batch.append(record)
        jsonl.write(dumps(record) + b"\n")
        splits[split] += 1
        if len(batch) >= batch_rows:
            flush()
    close()
    card = out / "README.md"
    card.write_text(_dataset_card(ctx, splits), encoding="utf-8")
    return [card, *written]


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "1M<n<10M"


def _dataset_card(ctx: Context, splits: dict[str, int]) -> str:
    configs = "\n".join(f"  - split: {split}\n    path: data/{split}.parquet" for split in splits)
    total = sum(splits.values())
    table = "\n".join(f"| {split} | {n} |" for split, n in splits.items())
    return f"""---
pretty_name: {ctx.name}
annotations_creators:
- expert-generated
language_creators:
- machine-generated
size_categories:
- {_size_category(total)}
task_categories:
- text-generation
tags:
- human-review
- ground-truth
- spotcheck
configs:
- config_name: default
  data_files:
{configs}
  default: true
---

# {ctx.name}

Ground truth from Spotcheck: production outputs of project `{ctx.project}`, drawn into weekly
risk-weighted audits and labelled by domain experts against a rubric (snapshot v{ctx.version}).
{ctx.description}

## Splits

One split per audited ISO week.

| split | rows |
|---|---|
{table}

## Data fields

- `input`: the conversation (chat messages; system instructions as `system`).
- `output`: the production output that was reviewed.
- `expected_output`: the expert's corrected output when one was given; the original output when
  the verdict was a full success; empty otherwise (a known-bad example).
- `context`: the retrieved passages.
- `verdict` (`success` / `partial` / `failure`), `error_categories`, `harm`, `needs_escalation`,
  `corrected_output`, `notes`: the final label (the single review, the reviewers' agreement, or a
  QA lead's adjudication); `answers_json` holds every rubric answer.
- `agreement`: how many experts reviewed the item blind, whether they agreed, the share whose
  verdict is the final one, and how the final label was reached.
- `sampling`: the audit week (`run`) and the stratum; `inclusion_probability`, the draw's
  probability of picking the item (n_h / N_h); `weight`, the item's final weight N_h / r_h, where
  N_h is the stratum's outputs that week (`stratum_population`) and r_h its items with a final
  label as of this snapshot (`stratum_final`); `week_population` (N), `week_covered_population`
  (the outputs of the strata with a final label: what a week's weights add up to) and
  `week_complete` (every item drawn that week has a final label). Over one week's rows,
  sum(weight x label) / sum(weight) is Spotcheck's design-weighted rate of that week, the number
  its metrics page shows (over the strata with a final label; for a partly reviewed week, the
  reviewed items of a stratum stand for all its outputs). This holds for an export of the week
  with no filter but weeks: the weights count every final label of the stratum, so a filtered
  export keeps them but no longer holds all the rows they add up over. Unweighted means
  over-represent the riskier strata, sampled more.
- `source`: the output's ids (external id, trace and span) and model.
- `reviewers`: who labelled it (pseudonyms if the export asked for them).
- `evaluations`: the automatic judges' values on the output (`name`, `version`, `value`, `label`),
  beside the experts' label, to score a judge against them; empty when no judge scored it.

## Annotations

Expert-generated: each item was labelled by one or more domain experts in Spotcheck's review
queue; a share of each week was labelled blind by two or more, and disagreements were settled by
a QA lead.

## Personal and sensitive information

Production inputs and outputs may contain customer data. Review before publishing.
"""


# --- the conversation every chat format carries -----------------------------------------------

def passages_message(row: ExportRow) -> dict[str, Any] | None:
    """The retrieved passages as the system turn the model read them in, numbered as the output cites them."""
    if not row.context:
        return None
    numbered = "\n\n".join(f"[{i}] {passage}" for i, passage in enumerate(row.context, start=1))
    return {"role": "system", "content": f"Retrieved passages:\n\n{numbered}"}


def _openai_messages(row: ExportRow) -> list[dict[str, Any]]:
    """The input as OpenAI chat messages (tool calls and tool_call_ids kept), with the retrieved
    passages as a system turn after the leading system turns: a replayed prompt holds what the
    model was given, not only what the user typed."""
    messages = [{k: v for k, v in m.items() if v is not None} for m in row.input]
    passages = passages_message(row)
    if passages is not None:
        at = next((i for i, m in enumerate(messages) if m.get("role") != "system"), len(messages))
        messages.insert(at, passages)
    return messages


def _tools(row: ExportRow) -> dict[str, Any]:
    return {"tools": row.tools} if row.tools else {}


# --- OpenAI --------------------------------------------------------------------------------------

EVALS_ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "input": {"type": "array", "items": {"type": "object", "properties": {
            "role": {"type": "string"}, "content": {"type": ["string", "array", "null"]}}, "required": ["role"]}},
        "output": {"type": "string", "description": "The production output the experts reviewed"},
        "expected_output": {"type": "string", "description": "The correction, or the output when it was a full success; empty for a known-bad item"},
        "known_bad": {"type": "boolean", "description": "The experts did not accept the production output"},
        "verdict": {"type": ["string", "null"]},
        "error_categories": {"type": "array", "items": {"type": "string"}},
        "context": {"type": "array", "items": {"type": "string"}},
        "tools": {"type": "array", "items": {"type": "object"}},
        "stratum": {"type": "string"},
        "run": {"type": "string"},
        "sampling_weight": {"type": "number"},
        "inclusion_probability": {"type": "number"},
        "week_complete": {"type": ["boolean", "null"]},
        "evaluations": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["id", "input", "output", "expected_output", "known_bad", "verdict", "stratum", "run", "sampling_weight"],
}


def known_bad(row: ExportRow) -> bool:
    """The experts did not accept the production output (its expected output is a correction, or none)."""
    return row.expected_output != row.output


def render_openai_evals(rows: Iterable[ExportRow], out: Path, ctx: Context) -> list[Path]:
    """Evals API data source: one {"item": {...}} per line; grade {{ item.output }} or a sample. Beside
    it, evals-config.json: the data_source_config (custom, with item_schema) to create the eval with."""
    path = out / "evals.jsonl"
    _jsonl(path, ({"item": {
        "id": r.id, "input": _openai_messages(r), "output": r.output,
        "expected_output": r.expected_output or "", "known_bad": known_bad(r), "verdict": r.verdict,
        "error_categories": r.error_categories, "context": r.context, "tools": r.tools or [],
        "stratum": r.sampling.stratum, "run": r.sampling.run, "sampling_weight": r.sampling.weight,
        "inclusion_probability": r.sampling.inclusion_probability,
        "week_complete": r.sampling.week_complete,
        **({} if r.evaluations is None else {"evaluations": r.evaluations}),
    }} for r in rows))
    config = out / "evals-config.json"
    config.write_bytes(dumps({
        "name": ctx.name,
        "data_source_config": {"type": "custom", "item_schema": EVALS_ITEM_SCHEMA, "include_sample_schema": True},
        "testing_criteria": [{"type": "string_check", "name": "matches the expert's expected output",
                              "input": "{{ sample.output_text }}", "reference": "{{ item.expected_output }}",
                              "operation": "eq"}],
    }) + b"\n")
    return [path, config]


def _weighted_history(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Earlier assistant turns were never reviewed: weight 0, so fine-tuning learns only the final answer."""
    return [{**m, "weight": 0} if m.get("role") == "assistant" else m for m in messages]


def render_openai_sft(rows: Iterable[ExportRow], out: Path, ctx: Context) -> list[Path]:
    """Chat fine-tuning: the conversation ending with the expert's corrected output (corrected items only),
    the tools the model could call, earlier assistant turns at weight 0."""
    path = out / "sft.jsonl"
    _jsonl(path, ({"messages": [*_weighted_history(_openai_messages(r)),
                                {"role": "assistant", "content": r.corrected_output, "weight": 1}], **_tools(r)}
                  for r in rows if r.corrected_output))
    return [path]


def render_openai_dpo(rows: Iterable[ExportRow], out: Path, ctx: Context) -> list[Path]:
    """Preference pairs: chosen = the corrected output, rejected = the original (corrected items only)."""
    path = out / "dpo.jsonl"
    _jsonl(path, ({"input": {"messages": _openai_messages(r), **_tools(r)},
                   "preferred_output": [{"role": "assistant", "content": r.corrected_output}],
                   "non_preferred_output": [{"role": "assistant", "content": r.output}]}
                  for r in rows if r.corrected_output))
    return [path]


# --- Inspect AI, promptfoo -----------------------------------------------------------------------

INSPECT_ROLES = ("system", "user", "assistant", "tool")
INSPECT_TASK = Path(__file__).with_name("assets") / "inspect_task.py"


def _inspect_call(call: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI tool call as Inspect's ToolCall: the function's name, its arguments as an object."""
    function = call.get("function") or {}
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except ValueError:
            arguments = {"raw": arguments}
    return {"id": str(call.get("id") or ""), "function": str(function.get("name") or ""),
            "arguments": arguments if isinstance(arguments, dict) else {"value": arguments}, "type": "function"}


def _inspect_messages(row: ExportRow) -> list[dict[str, Any]]:
    """Inspect accepts system/user/assistant/tool only: other roles are passed as user turns. Assistant
    tool calls become Inspect ToolCalls, so a tool turn's tool_call_id always answers a call."""
    found = []
    names: dict[str, str] = {}
    for m in _openai_messages(row):
        role = m["role"] if m["role"] in INSPECT_ROLES else "user"
        entry: dict[str, Any] = {"role": role, "content": content_text(m.get("content"))}
        if role == "assistant" and m.get("tool_calls"):
            entry["tool_calls"] = [_inspect_call(c) for c in m["tool_calls"] if isinstance(c, dict)]
            names.update({c["id"]: c["function"] for c in entry["tool_calls"]})
        if role == "tool" and m.get("tool_call_id"):
            entry["tool_call_id"] = m["tool_call_id"]
            if m["tool_call_id"] in names:
                entry["function"] = names[m["tool_call_id"]]
        found.append(entry)
    return found


def flat_fields(row: ExportRow) -> dict[str, Any]:
    """Every review fact at the top level (a group's fields by their own names, the agreement's with an
    agreement_ prefix), for the tools whose filters read one level: promptfoo's --filter-metadata
    stratum=medical, LangSmith's metadata filters, Langfuse's and Inspect's metadata."""
    found: dict[str, Any] = {}
    for key, value in flat_metadata(row).items():
        if isinstance(value, dict) and key in ("agreement", "sampling", "source"):
            found.update({("agreement_" + k if key == "agreement" else k): v for k, v in value.items()})
        else:
            found[key] = value
    found["known_bad"] = known_bad(row)
    return found


def render_inspect(rows: Iterable[ExportRow], out: Path, ctx: Context) -> list[Path]:
    """Inspect AI dataset JSONL: id, input, target, metadata; and spotcheck_task.py, the task that scores it.

    target: the expected output (the correction, or the output of a full success); a known-bad item
    without a correction has an empty target list, so Inspect's string scorers (includes, match)
    score it incorrect whatever the model says: no acceptable answer is known. The shipped task's
    scorer also fails any output equal to the known-bad one, and can replay the production outputs
    (-T replay=true) to check the set scores them as the experts did (docs/export.md)."""
    path = out / "inspect.jsonl"
    _jsonl(path, ({"id": r.id, "input": _inspect_messages(r),
                   "target": r.expected_output if r.expected_output is not None else [],
                   "metadata": {**flat_fields(r), "context": r.context, "tools": r.tools or [],
                                "tool_calls": r.tool_calls or []}} for r in rows))
    task = out / "spotcheck_task.py"
    shutil.copyfile(INSPECT_TASK, task)
    return [path, task]


def _last_user_text(row: ExportRow) -> str:
    for m in reversed(row.input):
        if m["role"] == "user":
            return content_text(m["content"])
    return ""


SIMILAR = 0.75  # rouge-n an output needs with the expected one to pass offline
SAME = 0.9  # rouge-n with a known-bad output from which an output counts as the same answer
PROMPTFOO_CONFIG = Path(__file__).with_name("assets") / "promptfooconfig.yaml"


def _promptfoo_asserts(r: ExportRow, *, graded: bool) -> list[dict[str, Any]]:
    """Offline by default: rouge-n against the expected output, and never (nearly) the known-bad one
    (not-rouge-n passes below 0.9: a known-bad answer of ten words or more still fails with one word
    changed). With a grader, factuality against the expected output replaces the similarity."""
    asserts: list[dict[str, Any]] = []
    if r.expected_output is not None:
        asserts.append({"type": "factuality", "value": r.expected_output} if graded else
                       {"type": "rouge-n", "value": r.expected_output, "threshold": SIMILAR})
    if known_bad(r):
        asserts.append({"type": "not-rouge-n", "value": r.output, "threshold": SAME})
    return asserts


def render_promptfoo(rows: Iterable[ExportRow], out: Path, ctx: Context) -> list[Path]:
    """promptfoo test cases (JSONL, `tests: file://tests.jsonl`): vars for the prompt and for replaying
    the stored output with the echo provider; asserts from the expert's label, offline (tests.jsonl)
    and with a model grader (tests-graded.jsonl); metadata flat; promptfooconfig.yaml replays."""
    path, graded = out / "tests.jsonl", out / "tests-graded.jsonl"

    def test(r: ExportRow, graded: bool) -> dict[str, Any]:
        return {"description": r.id, "assert": _promptfoo_asserts(r, graded=graded), "metadata": flat_fields(r),
                "vars": {"query": _last_user_text(r), "messages": dumps(_openai_messages(r)).decode(),
                         "output": r.output, "context": "\n\n".join(r.context)}}

    with path.open("wb") as plain, graded.open("wb") as with_grader:
        for r in rows:
            plain.write(dumps(test(r, False)) + b"\n")
            with_grader.write(dumps(test(r, True)) + b"\n")
    config = out / "promptfooconfig.yaml"
    shutil.copyfile(PROMPTFOO_CONFIG, config)
    return [path, graded, config]


# --- Langfuse, LangSmith -------------------------------------------------------------------------

def _json_array(path: Path, items: Iterator[Any]) -> None:
    with path.open("wb") as out:
        out.write(b"[")
        for i, item in enumerate(items):
            out.write((b",\n" if i else b"\n") + dumps(item))
        out.write(b"\n]\n")


def render_langfuse(rows: Iterable[ExportRow], out: Path, ctx: Context) -> list[Path]:
    """Langfuse dataset items (POST /api/public/dataset-items bodies), as one JSON array. `id` is the
    upsert key: prefixed with the dataset so one item can go to several datasets, at most 255 chars."""
    path = out / "langfuse-dataset-items.json"
    _json_array(path, ({
        "datasetName": ctx.name, "id": f"{ctx.name}/{r.id}"[:255],
        "input": {"messages": _openai_messages(r), "context": r.context},
        "expectedOutput": None if r.expected_output is None else {"output": r.expected_output},
        "metadata": flat_fields(r), "sourceTraceId": r.source.trace_id,
        "sourceObservationId": r.source.span_id,
    } for r in rows))
    return [path]


def _uuid_or_none(value: str | None) -> str | None:
    try:
        return str(uuid.UUID(value)) if value else None
    except ValueError:
        return None


def render_langsmith(rows: Iterable[ExportRow], out: Path, ctx: Context) -> list[Path]:
    """LangSmith examples (client.create_examples(dataset_name=..., examples=...)), as one JSON array.
    `id` is a UUIDv5 of the item, so re-uploading updates rather than duplicates."""
    path = out / "langsmith-examples.json"

    def example(r: ExportRow) -> dict[str, Any]:
        found = {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"spotcheck:{ctx.project}:{r.id}")),
                 "inputs": {"messages": _openai_messages(r), "context": r.context},
                 "reference_outputs": {} if r.expected_output is None else {"output": r.expected_output},
                 "metadata": flat_fields(r), "split": r.sampling.split}
        run_id = _uuid_or_none(r.source.trace_id)
        if run_id:
            found["source_run_id"] = run_id
        return found

    _json_array(path, (example(r) for r in rows))
    return [path]


Renderer = Callable[[Iterable[ExportRow], Path, Context], list[Path]]
FORMATS: dict[str, tuple[str, Renderer]] = {
    "jsonl": ("Canonical JSONL", render_jsonl),
    "csv": ("Canonical CSV", render_csv),
    "hf": ("Hugging Face dataset folder (Parquet + JSONL + card)", render_hf),
    "openai-evals": ("OpenAI Evals API data source JSONL", render_openai_evals),
    "openai-sft": ("OpenAI chat fine-tuning JSONL (corrected outputs)", render_openai_sft),
    "openai-dpo": ("OpenAI preference pairs JSONL (corrected vs original)", render_openai_dpo),
    "inspect": ("Inspect AI dataset JSONL", render_inspect),
    "promptfoo": ("promptfoo test cases JSONL", render_promptfoo),
    "langfuse": ("Langfuse dataset items JSON", render_langfuse),
    "langsmith": ("LangSmith examples JSON", render_langsmith),
}
