"""Verdicts back to the source: what a final label becomes in Langfuse (scores) or LangSmith (feedback).

Pure functions over a `FinalLabel`; sync_jobs.py sends what they build with the real clients.

Langfuse, one score each, on the output's trace (and its observation when the output has a span id):
  spotcheck.verdict  CATEGORICAL  success / partial / failure
  spotcheck.harm     CATEGORICAL  none / near_miss / incident
  output             CORRECTION   the corrected output, when the label has one (Langfuse names
                                  corrections "output")
LangSmith, one feedback each, on the run (the span id, else the trace id) of the trace:
  spotcheck.verdict  value success / partial / failure, score 1 / 0.5 / 0, correction {"output": ...}
  spotcheck.harm     value none / near_miss / incident
Comments carry the reviewer's notes; metadata (Langfuse) or extra (LangSmith) the project, item,
revision, method and error tags.

Ids are stable: a uuid5 of (project, item, trace, score name). Sending a later revision of the
label sends the same ids, so the source updates its score instead of adding a second one.
Langfuse updates a score sent again with the same id and timestamp: the timestamp is the output's
own time (occurred_at), the same for every revision; when the label was decided is in metadata.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reviewapp.lib.outbound import refused_address

NAMESPACE = uuid.UUID("7a6c2f0e-5b1d-4c8e-9f3a-2d4b6e8f0a1c")  # Spotcheck's, for uuid5 ids of what it sends
VERDICT, HARM, CORRECTION = "spotcheck.verdict", "spotcheck.harm", "output"
VERDICT_SCORES = {"success": 1.0, "partial": 0.5, "failure": 0.0}
COMMENT_MAX = 2000


@dataclass(frozen=True)
class FinalLabel:
    """One item's final label as the source will hear of it."""

    project_id: int
    project_slug: str
    item_id: int
    trace_id: str
    span_id: str
    occurred_at: datetime  # the output's time: the scores' stable timestamp
    revision: int
    method: str
    decided_at: datetime
    answers: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return _text(self.answers.get("verdict"))

    @property
    def harm(self) -> str:
        return _text(self.answers.get("harm"))

    @property
    def corrected_output(self) -> str:
        return _text(self.answers.get("corrected_output"))

    @property
    def notes(self) -> str:
        return _text(self.answers.get("notes"))[:COMMENT_MAX]

    @property
    def sendable(self) -> bool:
        """Something to send: a trace to attach it to and at least one of verdict, harm, correction."""
        return bool(self.trace_id) and bool(self.verdict or self.harm or self.corrected_output)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def answers_hash(answers: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(answers, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def stable_id(label: FinalLabel, name: str) -> str:
    """The id of one score or feedback of this item: the same for every revision of its label."""
    return str(uuid.uuid5(NAMESPACE, f"spotcheck/{label.project_id}/{label.item_id}/{label.trace_id}/{name}"))


def metadata(label: FinalLabel) -> dict[str, Any]:
    errors = label.answers.get("errors")
    return {"source": "spotcheck", "project": label.project_slug, "item": label.item_id,
            "revision": label.revision, "method": label.method, "decided_at": label.decided_at.isoformat(),
            "errors": list(errors) if isinstance(errors, list) else []}


def langfuse_scores(label: FinalLabel) -> list[dict[str, Any]]:
    """The score bodies (Langfuse's JSON names) for POST /api/public/scores, in this order:
    verdict, harm, correction, each only when the label has it."""
    if not label.sendable:
        return []
    common: dict[str, Any] = {"traceId": label.trace_id, "timestamp": label.occurred_at.isoformat(),
                              "metadata": metadata(label)}
    if label.span_id:
        common["observationId"] = label.span_id
    scores = []
    for name, value, data_type in ((VERDICT, label.verdict, "CATEGORICAL"), (HARM, label.harm, "CATEGORICAL"),
                                   (CORRECTION, label.corrected_output, "CORRECTION")):
        if value:
            score = {"id": stable_id(label, name), "name": name, "value": value, "dataType": data_type, **common}
            if label.notes:
                score["comment"] = label.notes
            scores.append(score)
    return scores


def langsmith_feedback(label: FinalLabel, session_id: str = "") -> list[dict[str, Any]]:
    """The keyword arguments of langsmith.Client.create_feedback, one dict per feedback: verdict
    (with its score and the correction), then harm; ids as strings so the payload is JSON."""
    if not label.sendable:
        return []
    common: dict[str, Any] = {"run_id": label.span_id or label.trace_id, "trace_id": label.trace_id,
                              "extra": metadata(label)}
    if session_id:
        common["session_id"] = session_id
    if label.notes:
        common["comment"] = label.notes
    feedback = []
    if label.verdict or label.corrected_output:
        verdict: dict[str, Any] = {"feedback_id": stable_id(label, VERDICT), "key": VERDICT, **common}
        if label.verdict:
            verdict["value"] = label.verdict
            if label.verdict in VERDICT_SCORES:
                verdict["score"] = VERDICT_SCORES[label.verdict]
        if label.corrected_output:
            verdict["correction"] = {"output": label.corrected_output}
        feedback.append(verdict)
    if label.harm:
        feedback.append({"feedback_id": stable_id(label, HARM), "key": HARM, "value": label.harm, **common})
    return feedback


def not_a_uuid(label: FinalLabel) -> str | None:
    """LangSmith runs and traces are UUIDs: why this label cannot go there, or None."""
    for name, value in (("trace id", label.trace_id), ("span id", label.span_id)):
        if value:
            try:
                uuid.UUID(value)
            except ValueError:
                return f"the output's {name} {value!r} is not a UUID, as LangSmith's run ids are"
    return None


def refused_url(url: str, *, allow_private: bool) -> str | None:
    """Why Spotcheck will not send a project's labels to this URL, or None (lib/outbound.py);
    SOURCE_SYNC_PRIVATE=True allows private addresses (a self-hosted Langfuse on the same network)."""
    return refused_address(url, allow_private=allow_private, what="the URL", setting="SOURCE_SYNC_PRIVATE")
