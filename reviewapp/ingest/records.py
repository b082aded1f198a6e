"""The canonical ingest record: its schema, its validation, and its database row.

Every door (HTTP, CLI, file formats, the demo) hands plain dicts to ``validate_record``; one
pydantic model decides what is acceptable, so the API schema, the docs (docs/ingest.md) and
the checks cannot drift apart. Errors name the field in dotted form (``input[2].role``).
"""
from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

KINDS = ("llm_response", "agent_action", "classifier_decision")


def id_text(value: Any) -> Any:
    """An external_id may arrive as a JSON number: it is the producer's id all the same, as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


class EvaluationIn(BaseModel):
    """An automatic evaluator's verdict on the output: a value, a label, or both (docs/judge.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100, description="The evaluator, e.g. groundedness-judge")
    version: str = Field("", max_length=50, description="A new version is a new evaluator")
    value: float | None = Field(None, description="A score; mapped to a rate only when it lies in [0, 1]")
    label: str = Field("", max_length=100, description="A category, e.g. pass / fail")
    metric: str = Field("", max_length=100, description="What it measures, e.g. failure (a hint for the mapping)")

    @field_validator("version", mode="before")
    @classmethod
    def _version_may_be_a_number(cls, value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("label", "metric", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return "" if value is None else value

    @field_validator("value", mode="before")
    @classmethod
    def _boolean_is_one_or_zero(cls, value: Any) -> Any:
        return float(value) if isinstance(value, bool) else value

    @field_validator("value")
    @classmethod
    def _finite_value(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @model_validator(mode="after")
    def _says_something(self) -> EvaluationIn:
        if self.value is None and not self.label:
            raise ValueError("needs a value, a label, or both")
        if any("\x00" in text for text in (self.name, self.version, self.label, self.metric)):
            raise ValueError("must not contain NUL characters")
        return self

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.version)


def _distinct_evaluators(value: list[EvaluationIn]) -> list[EvaluationIn]:
    seen: set[tuple[str, str]] = set()
    for i, evaluation in enumerate(value):
        if evaluation.key in seen:
            raise ValueError(f"evaluation {i} repeats {evaluation.name!r} version {evaluation.version!r}")
        seen.add(evaluation.key)
    return value


class CanonicalRecord(BaseModel):
    """One production output. external_id, occurred_at, input and output are required."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    external_id: str = Field(min_length=1, max_length=255, description="Producer's id, unique per project")
    occurred_at: datetime = Field(description="ISO 8601; without an offset it is taken as UTC")
    input: str | list[dict[str, Any]] = Field(description="A string or a list of chat messages {role, content}")
    output: str = Field(description="The model's output (for an agent action, the action taken)")
    kind: Literal["llm_response", "agent_action", "classifier_decision"] = "llm_response"
    model: str = Field("", max_length=200)
    model_version: str = Field("", max_length=200)
    category: str = Field("", max_length=100, description="Task category, e.g. billing")
    risk_tier: str = Field("", max_length=32, description="e.g. low / medium / high")
    risk_score: float | None = Field(None, ge=0.0, le=1.0)
    context: list[str | dict[str, Any]] = Field(default_factory=list, description="Retrieved passages")
    tools: list[dict[str, Any]] = Field(
        default_factory=list, description="The tools the model could call (OpenAI tool definitions)")
    tool_calls: list[dict[str, Any]] = Field(
        default_factory=list, description="The output's tool calls, OpenAI form: {id, type, function: {name, arguments}}")
    refusal: bool = Field(False, description="The model refused; the output is its refusal message")
    trace_id: str = Field("", max_length=64)
    span_id: str = Field("", max_length=64)
    metadata: dict[str, Any] = Field(default_factory=dict)
    evaluations: list[EvaluationIn] = Field(
        default_factory=list, description="Automatic evaluators' scores of this output (judge-assisted audits)")

    _id_may_be_a_number = field_validator("external_id", mode="before")(classmethod(lambda cls, value: id_text(value)))

    @field_validator(
        "kind", "model", "model_version", "category", "risk_tier", "trace_id", "span_id", "context", "metadata",
        "evaluations", "tools", "tool_calls", "refusal", mode="before",
    )
    @classmethod
    def _null_means_absent(cls, value: Any, info) -> Any:
        if value is None:
            return cls.model_fields[info.field_name].get_default(call_default_factory=True)
        return value

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @field_validator("input", mode="before")
    @classmethod
    def _input_shape(cls, value: Any) -> Any:
        if isinstance(value, str):
            return value
        if not isinstance(value, list):
            raise ValueError("must be a string or a list of chat messages")
        if not value:
            raise ValueError("must not be an empty list")
        for i, message in enumerate(value):
            if not isinstance(message, dict):
                raise ValueError(f"message {i} must be an object with role and content")
            role = message.get("role")
            if not isinstance(role, str) or not role:
                raise ValueError(f"message {i} needs a non-empty string 'role'")
            if "content" not in message:
                raise ValueError(f"message {i} needs 'content' (a string, a list of parts, or null)")
            content = message["content"]
            if content is not None and not isinstance(content, (str, list)):
                raise ValueError(f"message {i} 'content' must be a string, a list of parts, or null")
        return value

    @field_validator("context", mode="after")
    @classmethod
    def _passages(cls, value: list) -> list:
        for i, passage in enumerate(value):
            if isinstance(passage, dict) and not isinstance(passage.get("content"), str):
                raise ValueError(f"passage {i} must be a string or an object with a string 'content'")
        return value

    @field_validator("tool_calls", mode="after")
    @classmethod
    def _calls(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for i, call in enumerate(value):
            function = call.get("function")
            if not isinstance(function, dict) or not isinstance(function.get("name"), str) or not function["name"]:
                raise ValueError(f"tool call {i} needs function.name (OpenAI form: {{id, type, function: {{name, arguments}}}})")
        return value

    @field_validator("evaluations", mode="after")
    @classmethod
    def _one_per_evaluator(cls, value: list[EvaluationIn]) -> list[EvaluationIn]:
        return _distinct_evaluators(value)

    @field_validator("risk_score")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


_Model = TypeVar("_Model", bound=BaseModel)
FIELDS = tuple(CanonicalRecord.model_fields)
REQUIRED_FIELDS = tuple(name for name, f in CanonicalRecord.model_fields.items() if f.is_required())


class RecordError(Exception):
    """A record that cannot be stored, with every problem found as (field, reason) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in problems))
        self.problems = problems


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("str", "dict[str,any]", "list[dict[str,any]]", "float", "function-after[_aware(), datetime]"):
            continue  # pydantic's union-member tags; the user named the field, not the member
        else:
            path += f".{part}" if path else str(part)
    return path or "record"


def _reason(error: ErrorDetails) -> str:
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    if error["type"] == "extra_forbidden":
        return "unknown field (custom data goes under metadata)"
    if error["type"] == "missing":
        return "is required"
    return message


def problems_of(model: type[_Model], data: Any) -> _Model:
    """Validate one decoded record against a model, or raise RecordError naming each bad field."""
    if not isinstance(data, dict):
        raise RecordError([("record", f"must be a JSON object, not {type(data).__name__}")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems: list[tuple[str, str]] = []
        seen: set[str] = set()
        for error in exc.errors(include_url=False):
            field = _field_path(error["loc"])
            if field in seen:  # a union reports one error per member; the first says enough
                continue
            seen.add(field)
            problems.append((field, _reason(error)))
        raise RecordError(problems) from None


def validate_record(data: Any) -> CanonicalRecord:
    """Validate one decoded record, or raise RecordError naming each bad field."""
    return problems_of(CanonicalRecord, data)


# An escaped NUL (\u0000) preceded by an even number of backslashes, i.e. a real one.
_ESCAPED_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
_TEXT_FIELDS = ("external_id", "output", "kind", "model", "model_version", "category", "risk_tier", "trace_id", "span_id")


def _json(field: str, value: Any) -> str:
    try:
        text = orjson.dumps(value).decode()
    except orjson.JSONEncodeError as exc:
        raise RecordError([(field, f"cannot be stored as JSON: {exc}")]) from None
    if "\\u0000" in text and _ESCAPED_NUL.search(text):
        raise RecordError([(field, "must not contain NUL characters (\\u0000)")])
    return text


def to_row(record: CanonicalRecord, *, project_id: int, raw: Any, sample_key: int, ingested_at: datetime) -> tuple:
    """The record as a tuple in ``writer.COLUMNS`` order, JSON columns already serialised.

    NUL characters are refused here because PostgreSQL cannot store them in text or jsonb;
    refusing them everywhere keeps SQLite and PostgreSQL accepting the same records.
    """
    for field in _TEXT_FIELDS:
        if "\x00" in getattr(record, field):
            raise RecordError([(field, "must not contain NUL characters")])
    return (
        project_id,
        record.external_id,
        record.occurred_at,
        record.kind,
        record.model,
        record.model_version,
        record.category,
        record.risk_tier,
        record.risk_score,
        _json("input", record.input),
        record.output,
        _json("context", record.context),
        _json("tools", record.tools),
        _json("tool_calls", record.tool_calls),
        record.refusal,
        _json("metadata", record.metadata),
        record.trace_id,
        record.span_id,
        None if raw is None else _json("raw", raw),
        sample_key,
        ingested_at,
    )
