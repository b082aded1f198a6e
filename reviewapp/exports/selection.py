"""Which items a snapshot holds, and each as one canonical row.

Rows are read as of the snapshot's moment: each item's final label is its gold label's latest
revision made by then, each reviewer's answer their label's latest revision by then. So a build
that is interrupted and run again, or run later, reads the same ground truth. Items come in a
stable order (week, stratum, the draw's order) and stream from the database in chunks: memory does not
grow with the project.

Each row's weight is the one the metrics page gives it (reviewapp/metrics/compute.py): within a
week, stratum h counts with N_h outputs spread over its r_h items that have a final label, so
weight = N_h / r_h and, over a week's rows, sum(weight * label) / sum(weight) is the page's
design-weighted rate of that week (over the strata with a final label). r_h counts every final
label of the stratum as of the snapshot, whatever the filters keep (`design`): a filtered export
keeps the design's weights, it just no longer holds all the rows they add up over.
"""
from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Generator, Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field, replace
from functools import cache, reduce
from itertools import islice
from operator import or_
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.db.models import Count, Exists, OuterRef, Q, TextField
from django.db.models.functions import Cast
from orjson import loads

from reviewapp.audits.models import AuditItem, AuditRun
from reviewapp.ingest.models import Evaluation
from reviewapp.lib.messages import openai_messages
from reviewapp.lib.weeks import IsoWeek
from reviewapp.review.models import GoldLabel, GoldRevision, LabelRevision, LabelSchema
from reviewapp.review.rubric import ERRORS, ESCALATE, HARM, NOTES, Rubric

from .rows import Agreement, ExportRow, Sampling, Source

CHUNK = 5000
AGREEMENT = ("any", "settled")  # settled: the reviewers agreed, or a QA lead adjudicated


class SelectionError(ValueError):
    """A filter that cannot be applied; the message names it."""


class EmptySelection(SelectionError):
    """Filters that select no row: a snapshot of nothing is refused, not cut."""


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
    def parse(cls, data: dict[str, Any], verdicts: list[str] | None = None) -> Filters:
        """`verdicts`: those of the project's rubric (default: the shipped rubric's)."""
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
        allowed = Rubric.default().verdict_values if verdicts is None else verdicts
        bad = [v for v in values["verdicts"] if v not in allowed]
        if bad:
            raise SelectionError(f"verdicts: {bad[0]!r} is not one of {', '.join(allowed)}")
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

    @property
    def by_label(self) -> bool:
        """Whether a filter reads the labels (verdicts, errors, agreement, corrections): then whether a
        row is kept is known only once its final label is read."""
        return bool(self.verdicts or self.error_categories or self.agreement != "any"
                    or self.min_agreement is not None or self.corrected_only)

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> Filters:
        """A snapshot's filters, checked against the project's verdicts when it was created: the rubric
        may change before the build runs, and the snapshot keeps what was asked."""
        return cls.parse(data, verdicts=list(data.get("verdicts") or []))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def split_name(week: str) -> str:
    """An ISO week as a split name `datasets` accepts (^\\w+(\\.\\w+)*$): 2026-W47 -> week_2026_47."""
    parsed = IsoWeek.parse(week)
    return f"week_{parsed.year}_{parsed.week:02d}"


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


@dataclass(frozen=True)
class Stratum:
    population: int      # N_h: the week's outputs in the stratum (the draw's count)
    drawn: int           # n_h: items drawn
    final: int           # r_h: items with a final label as of the snapshot

    @property
    def weight(self) -> float:
        """N_h / r_h: the page's weight of one finally labelled item; 0 for a stratum the page leaves
        out (no outputs: none of its items can count)."""
        return self.population / self.final if self.population > 0 and self.final > 0 else 0.0


@dataclass(frozen=True)
class Week:
    """One audit run's design as of the snapshot, as the metrics page counts it."""

    name: str
    population: int
    strata: dict[str, Stratum]
    drawn: int           # items the run drew, less those of strata closed early
    final: int           # of which with a final label as of the snapshot

    @property
    def complete(self) -> bool:
        return self.final >= self.drawn

    @property
    def covered_population(self) -> int:
        """Outputs of the strata with a final label: the population the page's estimate is about."""
        return sum(s.population for s in self.strata.values() if s.final > 0 and s.population > 0)

    def as_dict(self) -> dict[str, Any]:
        return {"population": self.population, "covered_population": self.covered_population,
                "drawn": self.drawn, "final": self.final, "complete": self.complete,
                "strata": {name: {"population": s.population, "drawn": s.drawn, "final": s.final,
                                  "weight": s.weight if s.final else None}  # no final label: no row, no weight
                           for name, s in sorted(self.strata.items())}}


def design(project, filters: Filters, as_of) -> dict[tuple[int, int], Week]:
    """Each audited week's design as of `as_of`, keyed by (ISO year, week): the strata's outputs N_h
    (the run's populations, as the page reads them), drawn items, and items with a final label
    (a gold revision made by then: the rows' own rule). Only the weeks filter applies: the weights
    are the design's, whatever strata, verdicts or agreement the export keeps."""
    chosen = AuditRun.objects.filter(project=project)
    if filters.weeks:
        weeks = [IsoWeek.parse(w) for w in filters.weeks]
        chosen = chosen.filter(reduce(or_, (Q(iso_year=w.year, iso_week=w.week) for w in weeks)))
    runs = list(chosen.values_list("pk", "iso_year", "iso_week", "populations"))
    ids = [pk for pk, *_ in runs]
    # Items of a stratum closed early left the sample (docs/sampling.md §4.1): the stratum's sample
    # is its reviewed items, so they count neither as drawn nor against the week being complete.
    drawn: dict[tuple[int, str], int] = {
        (run, stratum): n for run, stratum, n in AuditItem.objects.filter(run_id__in=ids)
        .exclude(status=AuditItem.Status.CLOSED)
        .values("run_id", "stratum").annotate(n=Count("pk")).values_list("run_id", "stratum", "n")}
    # Items with a gold revision made by then, as a semi-join (0.06 s at 100,000 items): counting distinct
    # golds over their revisions sorted them on disk (0.17 s), on the export's way to its first row.
    final: dict[tuple[int, str], int] = {
        (run, stratum): n for run, stratum, n in AuditItem.objects
        .filter(run_id__in=ids).filter(Exists(GoldRevision.objects.filter(gold__item_id=OuterRef("pk"),
                                                                           created_at__lte=as_of)))
        .values("run_id", "stratum").annotate(n=Count("pk")).values_list("run_id", "stratum", "n")}
    found = {}
    for pk, year, week, populations in runs:
        names = set(populations) | {s for r, s in drawn if r == pk}
        strata = {name: Stratum(int(populations.get(name, 0)), drawn.get((pk, name), 0), final.get((pk, name), 0))
                  for name in names}
        found[(year, week)] = Week(_week(year, week)[0], sum(populations.values()), strata,
                                   sum(s.drawn for s in strata.values()), sum(s.final for s in strata.values()))
    return found


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
        "output__risk_tier", "output__kind", "output__occurred_at", _text("output__tools"),
        _text("output__tool_calls"), "output__refusal", "output_id")


def _judged(output_ids: list[int], as_of) -> dict[int, list[dict[str, Any]]]:
    """The judges' values on these outputs, ingested by `as_of` (so a retried build reads the same), each
    output's sorted by evaluator name and version: one query for a chunk of items."""
    found: dict[int, list[dict[str, Any]]] = {}
    for output_id, name, version, value, label in (
            Evaluation.objects.filter(output_id__in=output_ids, ingested_at__lte=as_of)
            .order_by("output_id", "evaluator__name", "evaluator__version")
            .values_list("output_id", "evaluator__name", "evaluator__version", "value", "label")):
        found.setdefault(output_id, []).append({"name": name, "version": version, "value": value, "label": label})
    return found


def _with_judges(items, as_of) -> Iterator[tuple[tuple, list[dict[str, Any]]]]:
    """(item, its output's judge values) in the items' order: a chunk of items at a time, so the
    evaluations cost one query per chunk, never one per item."""
    stream = items.iterator(chunk_size=CHUNK)
    while chunk := list(islice(stream, CHUNK)):
        judged = _judged(sorted({item[-1] for item in chunk}), as_of)
        for item in chunk:
            yield item, judged.get(item[-1], [])


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


def _grouped(stream, chunk_size: int = CHUNK) -> Iterator[tuple[int | None, list[tuple]]]:
    """(item id, [rows]) from a stream sorted in the items' order."""
    current: int | None = None
    group: list[tuple] = []
    for row in stream.iterator(chunk_size=chunk_size):
        if row[0] != current:
            if group:
                yield current, group
            current, group = row[0], []
        group.append(row)
    if group:
        yield current, group


SORT_MEMORY = "64MB"  # work_mem while an export reads: its sorts stay in memory


@contextmanager
def _sort_memory():
    """PostgreSQL sorts the item stream's wide rows on disk with its default work_mem (4 MB): three
    times slower than in memory. Raised for the connection the items are read on (the replica inside
    lagging_reads()) while the export reads, then reset."""
    connection = connections[router.db_for_read(AuditItem)]
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET work_mem = '{SORT_MEMORY}'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET work_mem")


def rows(project, filters: Filters, as_of, weeks: dict[tuple[int, int], Week] | None = None
         ) -> Generator[ExportRow]:
    """The snapshot's canonical rows (rows.py), in order. Three sorted streams (items, gold revisions, label
    revisions), merged item by item: no per-item queries, no id lists, memory bounded by the chunk.
    `weeks`: the design as of the same moment (`design`), if the caller already has it."""
    if weeks is None:
        weeks = design(project, filters, as_of)
    with _sort_memory():
        yield from _merged(project, filters, as_of, weeks)


def _merged(project, filters: Filters, as_of, weeks: dict[tuple[int, int], Week]) -> Iterator[ExportRow]:
    golds, labels = _grouped(_golds(project, filters, as_of)), _grouped(_labels(project, filters, as_of))
    none: tuple[int | None, list[tuple]] = (None, [])
    gold, label = next(golds, none), next(labels, none)
    facts: dict[tuple, Sampling] = {}  # (year, week, stratum, probability) -> the rows' sampling facts
    rubric = LabelSchema.current(project).rubric  # what the answers' keys mean
    for item, evaluations in _with_judges(_items(project, filters), as_of):
        pk = item[0]
        gold_rows: list[tuple] | None = None
        label_rows: list[tuple] = []
        if gold[0] == pk:
            gold_rows, gold = gold[1], next(golds, none)
        if label[0] == pk:
            label_rows, label = label[1], next(labels, none)
        if gold_rows is None:
            continue  # no final label as of the snapshot: waiting for reviews or adjudication
        _, answers, method = gold_rows[-1]  # the latest revision
        latest = {label_id: (rid, name, text) for _, label_id, rid, name, text in label_rows}  # later overwrite
        reviews = sorted(((rid, name, loads(text)) for rid, name, text in latest.values()), key=lambda r: r[1])
        key = (item[3], item[4], item[1], item[2])
        if key not in facts:
            facts[key] = _sampling(weeks[key[:2]], *key)
        row = _row(project, rubric, filters, item, loads(answers), method, reviews, facts[key], evaluations)
        if _keep(filters, row):
            yield row


@cache
def _week(year: int, week: int) -> tuple[str, str]:
    name = str(IsoWeek(year, week))
    return name, split_name(name)


def _sampling(run: Week, year: int, week: int, stratum: str, probability: float) -> Sampling:
    """A row's sampling facts: the draw's inclusion probability, and the final weight N_h / r_h
    that makes the week's weighted rate the page's (the same for every row of a stratum)."""
    counts = run.strata.get(stratum) or Stratum(0, 0, 0)
    week_name, split = _week(year, week)
    return Sampling(run=week_name, split=split, stratum=stratum, inclusion_probability=probability,
                    weight=counts.weight, stratum_population=counts.population, stratum_final=counts.final,
                    week_population=run.population, week_covered_population=run.covered_population,
                    week_complete=run.complete)


def _row(project, rubric: Rubric, filters: Filters, item: tuple, answers: dict, method: str, reviews: list,
         sampling: Sampling, evaluations: list[dict[str, Any]]) -> ExportRow:
    (pk, stratum, probability, year, week, external_id, input_, output, context, metadata, trace_id, span_id,
     model, model_version, category, risk_tier, kind, occurred_at, tools, tool_calls, refusal, _output_id) = item
    verdict = rubric.verdict_of(answers)
    corrected = rubric.correction_of(answers)
    expected = corrected if corrected else (output if rubric.accepts(answers) else None)
    agreeing = sum(1 for _, _, a in reviews if rubric.verdict_of(a) == verdict)
    week_name = _week(year, week)[0]
    return ExportRow(
        id=f"{week_name}/{external_id}",
        input=openai_messages(loads(input_)),
        output=output,
        expected_output=expected,
        context=passages(loads(context)),
        verdict=verdict,
        error_categories=rubric.choices_of(ERRORS, answers),
        harm=rubric.value_of(HARM, answers),
        needs_escalation=bool(rubric.value_of(ESCALATE, answers)),
        corrected_output=corrected,
        notes=rubric.value_of(NOTES, answers) or "",
        answers=answers,
        agreement=Agreement(n_reviewers=len(reviews), method=method,
                            agreed=len({rubric.verdict_of(r[2]) for r in reviews}) <= 1,
                            share=agreeing / len(reviews) if reviews else None),
        sampling=sampling,
        source=Source(external_id=external_id, trace_id=trace_id or None, span_id=span_id or None,
                      model=model, model_version=model_version, category=category, risk_tier=risk_tier,
                      kind=kind, occurred_at=occurred_at.isoformat()),
        reviewers=[_pseudonym(project.pk, rid) if filters.pseudonymise else name for rid, name, _ in reviews],
        metadata=(loads(metadata) if metadata else None) or {},
        evaluations=evaluations,
        tools=loads(tools) if tools else [],
        tool_calls=loads(tool_calls) if tool_calls else [],
        refusal=bool(refusal),
    )


def _keep(filters: Filters, row: ExportRow) -> bool:
    if filters.verdicts and row.verdict not in filters.verdicts:
        return False
    if filters.error_categories and not set(filters.error_categories) & set(row.error_categories):
        return False
    if filters.agreement == "settled" and row.agreement.method == GoldLabel.Method.SINGLE:
        return False
    share = row.agreement.share
    if filters.min_agreement is not None and (share is None or share < filters.min_agreement):
        return False
    return not (filters.corrected_only and row.corrected_output is None)


@dataclass(frozen=True)
class Tally:
    """What a snapshot cut now with these filters would hold: its rows in all and per ISO week (every
    chosen week with a run, even at 0), and `labelled`, the rows the same filters keep with agreement
    'any' (so `labelled - rows` is what 'settled' leaves out)."""

    rows: int
    by_week: dict[str, int]
    labelled: int
    settled: bool        # the filters keep settled items only

    @property
    def left_out(self) -> int:
        return self.labelled - self.rows


def tally(project, filters: Filters, as_of) -> Tally:
    """The count the export form shows, read off `rows` itself (one pass with agreement 'any', each
    row kept or not by `_keep` with the filters as asked): it is the snapshot's row count by
    construction, never a second reading of the rules."""
    weeks = design(project, filters, as_of)
    by_week: Counter[str] = Counter({week.name: 0 for week in weeks.values()})
    labelled = 0
    for row in rows(project, replace(filters, agreement="any"), as_of, weeks):
        labelled += 1
        if _keep(filters, row):
            by_week[row.sampling.run] += 1
    return Tally(sum(by_week.values()), dict(sorted(by_week.items())), labelled, filters.agreement == "settled")


def any_row(project, filters: Filters, as_of) -> bool:
    """Whether the filters select at least one row. Without a filter on the labels, a row is an item in
    the weeks and strata with a gold revision made by `as_of` (the rows' own rule): one EXISTS query,
    where reading the first row of `rows` sorts the project's three streams first (1.7 s at 100,000
    items, on the request that cuts a snapshot). With one, the first row `rows` yields."""
    if not filters.by_label:
        return _golds(project, filters, as_of).exists()
    with closing(rows(project, filters, as_of)) as found:
        return next(found, None) is not None
