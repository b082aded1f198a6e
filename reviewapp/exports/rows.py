"""The export row: what a snapshot holds per item, typed, with its field table.

Each field of ExportRow (and of its groups Agreement, Sampling, Source) carries its line of the
table in its metadata, `col(...)`: its Hugging Face (pyarrow) type, its CSV cell, the names it
takes in the dataset and the CSV when they differ, and whether it goes in the flattened metadata
most eval tools keep. The CSV columns, the Hugging Face schema and records, and the flattened
metadata are all derived from that table, in field order; adding an export field is one line
here (and the value selection._row gives it).

The canonical JSONL holds `ExportRow.to_json()` with keys sorted (`dumps`), so field order is free
to follow the formats. A snapshot cut under schema 1 has no design fields (DESIGN_FIELDS): they
read as None and are written back absent, so it renders again as it was cut; likewise a row cut
before the judge values or the tool fields (OPTIONAL) reads None there and writes them back absent.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from reviewapp.lib.messages import content_text

# 2: `sampling.weight` is the final weight N_h / r_h (was 1 / inclusion probability); `sampling` adds
# stratum_population, stratum_final, week_population, week_covered_population, week_complete.
SCHEMA_VERSION = 2

JSON = dict[str, Any]
Cell = Callable[[Any], Any]


def dumps(value: Any) -> bytes:
    """Deterministic JSON: keys sorted, compact, UTF-8 (the same snapshot renders byte-identical files)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _same(value: Any) -> Any:
    return value


def _blank(value: Any) -> Any:
    return "" if value is None else value


def _json(value: Any) -> str:
    return dumps(value).decode()


def _json_or_blank(value: Any) -> str:
    return "" if value is None else _json(value)


def _joined(values: list[str]) -> str:
    return "|".join(values)


def _messages(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    """A struct column keeps the same keys on every row: role and the content's text."""
    return [{"role": m["role"], "content": content_text(m["content"])} for m in messages]


def _arrow(pa: Any, spec: str) -> Any:
    return {"string": pa.string, "bool": pa.bool_, "int32": pa.int32, "int64": pa.int64, "float64": pa.float64,
            "strings": lambda: pa.list_(pa.string()),
            "judges": lambda: pa.list_(pa.struct([("name", pa.string()), ("version", pa.string()),
                                                  ("value", pa.float64()), ("label", pa.string())])),
            "messages": lambda: pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))}[spec]()


@dataclass(frozen=True)
class Column:
    """A field's line of the table. arrow: its dataset type (None: not in the dataset); csv: its CSV
    cell (None: not a CSV column); hf: its dataset value; flat: in the flattened metadata (a string:
    under that name); group: the dataclass of a group of fields (a struct column, CSV columns of its own)."""

    arrow: str | None = None
    csv: Cell | None = _same
    csv_name: str = ""
    hf: Cell = _same
    hf_name: str = ""
    flat: bool | str = False
    group: type | None = None


def col(arrow: str | None, csv: Cell | None = _same, *, csv_name: str = "", hf: Cell = _same, hf_name: str = "",
        flat: bool | str = False) -> Mapping[str, Column]:
    return {"export": Column(arrow, csv, csv_name, hf, hf_name, flat)}


def group(cls: type, *, flat: bool = False) -> Mapping[str, Column]:
    return {"export": Column("struct", None, flat=flat, group=cls)}


def _columns(cls: type) -> list[tuple[str, Column]]:
    return [(f.name, f.metadata["export"]) for f in dataclasses.fields(cls)]


def _shallow(value: Any) -> JSON:
    """A dataclass's fields as a dict, values shared (dataclasses.asdict copies them all, row after row)."""
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}


class _Group:
    """A group of the row's fields: one struct column in the dataset, one JSON object in the row."""

    def to_json(self) -> JSON:
        return _shallow(self)


@dataclass(frozen=True)
class Agreement(_Group):
    n_reviewers: int = field(metadata=col("int32"))
    agreed: bool = field(metadata=col("bool"))  # every reviewer gave the same verdict
    share: float | None = field(metadata=col("float64", _blank, csv_name="agreement_share"))  # verdict = final's
    method: str = field(metadata=col("string", csv_name="final_label"))  # how the final label was reached


@dataclass(frozen=True)
class Sampling(_Group):
    run: str = field(metadata=col("string"))
    split: str = field(metadata=col(None, None))  # the week as a split name; the dataset's files are per split
    stratum: str = field(metadata=col("string"))
    inclusion_probability: float = field(metadata=col("float64", repr))
    weight: float = field(metadata=col("float64", repr))  # N_h / r_h, the metrics page's weight
    stratum_population: int | None = field(default=None, metadata=col("int64", _blank))
    stratum_final: int | None = field(default=None, metadata=col("int64", _blank))
    week_population: int | None = field(default=None, metadata=col("int64", _blank))
    week_covered_population: int | None = field(default=None, metadata=col("int64", _blank))
    week_complete: bool | None = field(default=None, metadata=col("bool", _blank))

    def to_json(self) -> JSON:
        return {k: v for k, v in _shallow(self).items() if v is not None or k not in DESIGN_FIELDS}


# The week's design behind the final weight (schema 2): a snapshot cut before them has none.
DESIGN_FIELDS = tuple(f.name for f in dataclasses.fields(Sampling) if f.default is None)


@dataclass(frozen=True)
class Source(_Group):
    external_id: str = field(metadata=col("string"))
    trace_id: str | None = field(metadata=col("string", _blank))
    span_id: str | None = field(metadata=col("string", _blank))
    model: str = field(metadata=col("string"))
    model_version: str = field(metadata=col("string"))
    category: str = field(metadata=col("string"))
    risk_tier: str = field(metadata=col("string"))
    kind: str = field(metadata=col("string", None))
    occurred_at: str = field(metadata=col("string"))


@dataclass(frozen=True)
class ExportRow:
    """One item with a final label as of the snapshot: the output, the final label, how it was
    reached, its sampling facts and where it came from."""

    id: str = field(metadata=col("string", flat=True))  # <ISO week>/<external id>
    input: list[dict[str, Any]] = field(metadata=col("messages", _json, hf=_messages))
    output: str = field(metadata=col("string", flat="original_output"))
    expected_output: str | None = field(metadata=col("string", _blank))
    context: list[str] = field(metadata=col("strings", _json))
    verdict: str | None = field(metadata=col("string", flat=True))
    error_categories: list[str] = field(metadata=col("strings", _joined, flat=True))
    harm: str | None = field(metadata=col("string", _blank, flat=True))
    needs_escalation: bool = field(metadata=col("bool", flat=True))
    corrected_output: str | None = field(metadata=col("string", _blank))
    notes: str = field(metadata=col("string", flat=True))
    agreement: Agreement = field(metadata=group(Agreement, flat=True))
    sampling: Sampling = field(metadata=group(Sampling, flat=True))
    source: Source = field(metadata=group(Source, flat=True))
    reviewers: list[str] = field(metadata=col("strings", _joined, flat=True))
    answers: dict[str, Any] = field(metadata=col("string", None, hf=_json, hf_name="answers_json"))
    metadata: dict[str, Any] = field(metadata=col("string", _json, hf=_json, hf_name="metadata_json"))
    # The judges' values on the output, beside the human gold: [{name, version, value, label}] sorted by
    # name and version, [] when none scored it. Not a fixed CSV column: one per evaluator (judge_columns).
    evaluations: list[dict[str, Any]] | None = field(default=None, metadata=col("judges", None, flat=True))
    # The output's tool side (ingest's tools, tool_calls and refusal): the tool definitions the model
    # could call, the calls the reviewed output made (OpenAI form), and whether it was a refusal.
    tools: list[dict[str, Any]] | None = field(
        default=None, metadata=col("string", _json_or_blank, hf=_json_or_blank, hf_name="tools_json"))
    tool_calls: list[dict[str, Any]] | None = field(
        default=None, metadata=col("string", _json_or_blank, hf=_json_or_blank, hf_name="tool_calls_json"))
    refusal: bool | None = field(default=None, metadata=col("bool", _blank, flat=True))

    def to_json(self) -> JSON:
        found = {**_shallow(self), **{name: getattr(self, name).to_json() for name in GROUPS}}
        return {k: v for k, v in found.items() if v is not None or k not in OPTIONAL}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ExportRow:
        return cls(**{**data, "agreement": Agreement(**data["agreement"]), "sampling": Sampling(**data["sampling"]),
                      "source": Source(**data["source"])})


# Fields a row cut before them lacks: None there, written back absent (to_json, flat_metadata).
OPTIONAL = ("evaluations", "tools", "tool_calls", "refusal")


# --- what the formats derive from the table ----------------------------------------------------

TOP = _columns(ExportRow)
GROUPS = {name: _columns(column.group) for name, column in TOP if column.group is not None}


def _leaves() -> Iterator[tuple[str | None, str, Column]]:
    """(group, field, column) in table order, a group's fields in its place."""
    for name, column in TOP:
        if name in GROUPS:
            for inner, leaf in GROUPS[name]:
                yield name, inner, leaf
        else:
            yield None, name, column


CSV = [(outer, name, column.csv_name or name, column.csv) for outer, name, column in _leaves() if column.csv]
CSV_COLUMNS = [header for _, _, header, _ in CSV]


def csv_cells(row: ExportRow) -> list[Any]:
    return [cell(getattr(getattr(row, outer) if outer else row, name)) for outer, name, _, cell in CSV]


def judge_columns(evaluators: list[tuple[str, str]]) -> list[str]:
    """Two CSV columns per evaluator of the snapshot, `judge:<name>@<version>:label` and `…:value`, so a
    spreadsheet or pandas filters and compares them with the human verdict column by column."""
    return [f"judge:{name}@{version}:{part}" for name, version in evaluators for part in ("label", "value")]


def judge_cells(row: ExportRow, evaluators: list[tuple[str, str]]) -> list[Any]:
    """The row's cells under judge_columns: blank where that evaluator did not score the output."""
    found = {(e["name"], e["version"]): e for e in row.evaluations or []}
    cells: list[Any] = []
    for key in evaluators:
        judged = found.get(key)
        cells += ["", ""] if judged is None else [judged["label"], _blank(judged["value"])]
    return cells


def hf_schema() -> Any:
    """The Hugging Face dataset's pyarrow schema (pyarrow loads here, not for other formats)."""
    import pyarrow as pa

    def typed(name: str, column: Column) -> tuple[str, Any]:
        if name in GROUPS:
            return name, pa.struct([typed(n, c) for n, c in GROUPS[name] if c.arrow is not None])
        return column.hf_name or name, _arrow(pa, column.arrow or "")

    return pa.schema([typed(name, column) for name, column in TOP if column.arrow is not None])


def hf_record(row: ExportRow) -> JSON:
    """The row as the dataset stores it: struct columns keep the same keys on every row, free-form
    JSON goes in as strings."""
    found: JSON = {}
    for name, column in TOP:
        value = getattr(row, name)
        if name in GROUPS:
            found[name] = {n: c.hf(getattr(value, n)) for n, c in GROUPS[name] if c.arrow is not None}
        elif column.arrow is not None:
            found[column.hf_name or name] = column.hf(value)
    return found


def flat_metadata(row: ExportRow) -> JSON:
    """The review facts most tools keep under `metadata`: a group goes in whole."""
    found: JSON = {}
    for name, column in TOP:
        if column.flat:
            value = getattr(row, name)
            if value is None and name in OPTIONAL:
                continue
            key = column.flat if isinstance(column.flat, str) else name
            found[key] = value.to_json() if name in GROUPS else value
    return found
