"""Which items a snapshot holds, and each as one canonical row.

Rows are read as of the snapshot's moment: each item's final label is its gold label's latest
revision made by then, each reviewer's answer their label's latest revision by then. So a build
that is interrupted and run again, or run later, reads the same ground truth. Items come in a
stable order (week, stratum, the draw's order) and stream from the database in chunks: memory does not
grow with the project.
"""
from __future__ import annotations

import hashlib
import hmac
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import lru_cache, reduce
from operator import or_
from typing import Any, Iterator

from django.conf import settings
from django.db import connection
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from orjson import loads

from reviewapp.audits.models import AuditItem
from reviewapp.audits.weeks import IsoWeek
from reviewapp.review.models import GoldLabel, GoldRevision, LabelRevision

SCHEMA_VERSION = 1
CHUNK = 5000
VERDICTS = ("success", "partial", "failure")
AGREEMENT = ("any", "settled")  # settled: the reviewers agreed, or a QA lead adjudicated


class SelectionError(ValueError):
    """A filter that cannot be applied; the message names it."""


@dataclass(frozen=True)
class Filters:
    weeks: list[str] = field(default_factory=list)        # ISO weeks, e.g. 2026-W47; empty: all
    strata: list[str] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)
    error_categories: list[str] = field(default_factory=list)  # any of them
    agreement: str = "any"
    min_agreement: float | None = None   # share of reviewers whose verdict is the final one
    corrected_only: bool = False
    pseudonymise: bool = False          # reviewer ids as stable pseudonyms instead of usernames

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Filters:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise SelectionError(f"unknown filter {unknown[0]!r}; known: {', '.join(sorted(known))}")
        values = {**asdict(cls()), **{k: v for k, v in data.items() if v is not None}}
        for name in ("weeks", "strata", "verdicts", "error_categories"):
            value = values[name]
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SelectionError(f"{name}: a list of strings (or a comma-separated string)")
            values[name] = sorted(set(value))
        for week in values["weeks"]:
            try:
                IsoWeek.parse(week)
            except ValueError:
                raise SelectionError(f"weeks: {week!r} is not an ISO week like 2026-W47") from None
        bad = [v for v in values["verdicts"] if v not in VERDICTS]
        if bad:
            raise SelectionError(f"verdicts: {bad[0]!r} is not one of {', '.join(VERDICTS)}")
        if values["agreement"] not in AGREEMENT:
            raise SelectionError(f"agreement: one of {', '.join(AGREEMENT)}")
        share = values["min_agreement"]
        if share is not None:
            try:
                share = float(share)
            except (TypeError, ValueError):
                raise SelectionError("min_agreement: a number from 0 to 1") from None
            if not 0 <= share <= 1:
                raise SelectionError("min_agreement: a number from 0 to 1")
            values["min_agreement"] = share
        for name in ("corrected_only", "pseudonymise"):
            if not isinstance(values[name], bool):
                raise SelectionError(f"{name}: true or false")
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def split_name(week: str) -> str:
    """An ISO week as a split name `datasets` accepts (^\\w+(\\.\\w+)*$): 2026-W47 -> week_2026_47."""
    parsed = IsoWeek.parse(week)
    return f"week_{parsed.year}_{parsed.week:02d}"


def messages(value: Any) -> list[dict[str, Any]]:
    """The input as OpenAI-style chat messages; instructions go in as `system`, never `developer`."""
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    found = []
    for message in value or []:
        role = message.get("role")
        entry = {"role": "system" if role == "developer" else role, "content": message.get("content")}
        for key in ("name", "tool_calls", "tool_call_id"):
            if message.get(key) is not None:
                entry[key] = message[key]
        found.append(entry)
    return found


def passages(value: Any) -> list[str]:
    return [p if isinstance(p, str) else p.get("content", "") for p in value or []]


def _pseudonym(project_id: int, user_id: int) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{project_id}:{user_id}".encode(), hashlib.sha256)
    return "reviewer-" + digest.hexdigest()[:12]


def scope(project, filters: Filters):
    """The project's items in the filters' weeks and strata (the label filters apply row by row)."""
    items = AuditItem.objects.filter(project=project)
    if filters.weeks:
        weeks = [IsoWeek.parse(w) for w in filters.weeks]
        items = items.filter(reduce(or_, (Q(run__iso_year=w.year, run__iso_week=w.week) for w in weeks)))
    if filters.strata:
        items = items.filter(stratum__in=filters.strata)
    return items


def _text(field: str) -> Cast:
    """A JSON column as its text: orjson decodes it several times faster than Django's json.loads."""
    return Cast(field, TextField())


# Week, stratum, then the draw's order (items are stored in it): the item's own columns, so the gold
# and label streams sort without joining the outputs.
ORDER = ("week_start", "stratum", "pk")


def _items(project, filters: Filters):
    return scope(project, filters).order_by(*ORDER).values_list(
        "pk", "stratum", "inclusion_probability", "run__iso_year", "run__iso_week", "output__external_id",
        _text("output__input"), "output__output", _text("output__context"), _text("output__metadata"),
        "output__trace_id", "output__span_id", "output__model", "output__model_version", "output__category",
        "output__risk_tier", "output__kind", "output__occurred_at")


def _golds(project, filters: Filters, as_of):
    """(item id, answers, method) of every gold revision made by `as_of`, in the items' order."""
    return (GoldRevision.objects.filter(gold__item__in=scope(project, filters), created_at__lte=as_of)
            .order_by(*(f"gold__item__{key}" for key in ORDER), "number")
            .values_list("gold__item_id", _text("answers"), "method"))


def _labels(project, filters: Filters, as_of):
    """(item id, label id, reviewer id, username, answers) of every label revision made by `as_of`, in the
    items' order."""
    return (LabelRevision.objects.filter(label__item__in=scope(project, filters), created_at__lte=as_of)
            .order_by(*(f"label__item__{key}" for key in ORDER), "label_id", "number")
            .values_list("label__item_id", "label_id", "label__reviewer_id", "label__reviewer__username",
                         _text("answers")))


def _grouped(stream, chunk_size: int = CHUNK):
    """(item id, [rows]) from a stream sorted in the items' order."""
    current, group = None, []
    for row in stream.iterator(chunk_size=chunk_size):
        if row[0] != current:
            if group:
                yield current, group
            current, group = row[0], []
        group.append(row)
    if group:
        yield current, group


@contextmanager
def _sort_memory():
    """PostgreSQL sorts the item stream's wide rows on disk with its default work_mem (4 MB): three
    times slower than in memory. Raised for this connection while the export reads, then reset."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET work_mem = '64MB'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET work_mem")


def rows(project, filters: Filters, as_of) -> Iterator[dict[str, Any]]:
    """The snapshot's canonical rows, in order. Three sorted streams (items, gold revisions, label
    revisions), merged item by item: no per-item queries, no id lists, memory bounded by the chunk."""
    with _sort_memory():
        yield from _merged(project, filters, as_of)


def _merged(project, filters: Filters, as_of) -> Iterator[dict[str, Any]]:
    golds, labels = _grouped(_golds(project, filters, as_of)), _grouped(_labels(project, filters, as_of))
    gold, label = next(golds, (None, [])), next(labels, (None, []))
    for item in _items(project, filters).iterator(chunk_size=CHUNK):
        pk = item[0]
        gold_rows, label_rows = None, []
        if gold[0] == pk:
            gold_rows, gold = gold[1], next(golds, (None, []))
        if label[0] == pk:
            label_rows, label = label[1], next(labels, (None, []))
        if gold_rows is None:
            continue  # no final label as of the snapshot: waiting for reviews or adjudication
        _, answers, method = gold_rows[-1]  # the latest revision
        latest = {label_id: (rid, name, text) for _, label_id, rid, name, text in label_rows}  # later overwrite
        reviews = sorted(((rid, name, loads(text)) for rid, name, text in latest.values()), key=lambda r: r[1])
        row = _row(project, filters, item, loads(answers), method, reviews)
        if _keep(filters, row):
            yield row


@lru_cache(maxsize=None)
def _week(year: int, week: int) -> tuple[str, str]:
    name = str(IsoWeek(year, week))
    return name, split_name(name)


def _row(project, filters: Filters, item: tuple, answers: dict, method: str, reviews: list) -> dict[str, Any]:
    (pk, stratum, probability, year, week, external_id, input_, output, context, metadata, trace_id, span_id,
     model, model_version, category, risk_tier, kind, occurred_at) = item
    verdict = answers.get("verdict")
    corrected = (answers.get("corrected_output") or "").strip() or None
    expected = corrected if corrected else (output if verdict == "success" else None)
    agreeing = sum(1 for _, _, a in reviews if a.get("verdict") == verdict)
    week_name, split = _week(year, week)
    return {
        "id": f"{week_name}/{external_id}",
        "input": messages(loads(input_)),
        "output": output,
        "expected_output": expected,
        "context": passages(loads(context)),
        "verdict": verdict,
        "error_categories": sorted(answers.get("errors") or []),
        "harm": answers.get("harm"),
        "needs_escalation": bool(answers.get("escalate")),
        "corrected_output": corrected,
        "notes": answers.get("notes") or "",
        "answers": answers,
        "agreement": {"n_reviewers": len(reviews), "method": method,
                      "agreed": len({r[2].get("verdict") for r in reviews}) <= 1,
                      "share": agreeing / len(reviews) if reviews else None},
        "sampling": {"run": week_name, "split": split, "stratum": stratum,
                     "inclusion_probability": probability, "weight": 1 / probability},
        "source": {"external_id": external_id, "trace_id": trace_id or None, "span_id": span_id or None,
                   "model": model, "model_version": model_version, "category": category, "risk_tier": risk_tier,
                   "kind": kind, "occurred_at": occurred_at.isoformat()},
        "reviewers": [_pseudonym(project.pk, rid) if filters.pseudonymise else name for rid, name, _ in reviews],
        "metadata": (loads(metadata) if metadata else None) or {},
    }


def _keep(filters: Filters, row: dict[str, Any]) -> bool:
    if filters.verdicts and row["verdict"] not in filters.verdicts:
        return False
    if filters.error_categories and not set(filters.error_categories) & set(row["error_categories"]):
        return False
    if filters.agreement == "settled" and row["agreement"]["method"] == GoldLabel.Method.SINGLE:
        return False
    share = row["agreement"]["share"]
    if filters.min_agreement is not None and (share is None or share < filters.min_agreement):
        return False
    return not (filters.corrected_only and row["corrected_output"] is None)
