"""The canonical rows built by PostgreSQL: one statement per week, its rows streamed.

The Python path (selection.rows) reads three sorted streams and builds each ExportRow in Python.
On PostgreSQL one statement per week gives every value of each row instead (set-based subqueries
for each item's latest gold revision, its reviewers' latest label revisions aggregated into the
reviewers list and agreement figures, and the judges' values sorted by name and version; the
rubric's reading of the answers; the filters), and streams them as binary columns (lookahead.stream). Python
only puts the columns in the row's keys and writes the line (orjson, keys sorted), so the file is byte
for byte the Python path's (tests/exports/test_sql_rows.py compares them row for row).

Why columns and not the row as JSON text: when the database built each row with json_build_object
(text escaped character by character, every jsonb written out, the timestamp and floats as text),
then COPY escaped it again and orjson read it all back, that was three quarters of the build's time
at 100,000 rows (docs/export.md, Scale). In binary, text and numbers pass as they are stored: the
output's text once (`expected_output` repeats it in Python), floats as float8 (Python's floats, where
JSON text wrote a whole one as 1), the timestamp as a datetime; only the JSON columns (input,
context, answers, metadata, ...) pass as text for orjson.

One definition drives both paths:
- the keys are ExportRow's field table (rows.py): FIELDS and GROUP_FIELDS name every field the
  statement gives, and a build refuses to run if the table gained a field this module lacks;
- what an answer means comes from the rubric (`verdict_of`, `correction_of`, `accepts`,
  `choices_of`, `value_of` and the keys VERDICT, ERRORS, HARM, ESCALATE, NOTES): `_answers_sql`
  writes each as a SQL expression over answers, with Python's truthiness and str.strip();
- the week's design (N_h, r_h, the week's figures) is selection.design's, each (run, stratum)'s
  sampling facts as selection._sampling makes them, merged into each row from its run and stratum;
- the input's messages and the context's passages are put in export form by the same Python
  functions (openai_messages, passages) while the line is written.

The filters apply in SQL (weeks, strata, verdicts, error categories, agreement, min_agreement,
corrected_only), and so do pseudonyms: each reviewer's HMAC pseudonym is computed in Python (the
secret key stays out of SQL) and looked up by the statement. No filter falls back to Python.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NamedTuple

import psycopg
from django.contrib.auth import get_user_model
from django.db import connections, router
from orjson import loads
from psycopg.sql import SQL, Identifier

from reviewapp.audits.models import AuditItem, AuditRun, DrawnOutput
from reviewapp.ingest.models import Evaluation, Evaluator
from reviewapp.lib.messages import openai_messages
from reviewapp.review.models import GoldLabel, GoldRevision, Label, LabelRevision, LabelSchema
from reviewapp.review.rubric import CORRECTION, ERRORS, ESCALATE, HARM, NOTES, VERDICT, Rubric

from . import lookahead
from .rows import GROUPS, OPTIONAL, TOP, Sampling, dumps
from .selection import SORT_MEMORY, Filters, Week, _pseudonym, _sampling, passages

# Every character str.strip() removes (str.isspace(), Python 3.11's Unicode): correction_of strips the
# corrected output with it. Written out, where scanning every code point cost 0.06 s of every start-up;
# tests/exports/test_sql_rows.py checks it against the scan.
SPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
         "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
# Python's falsy JSON values: bool(answers.get(key)) and `value or default` read them as false.
_FALSY = "('null'::jsonb, 'false', '0', '\"\"', '[]', '{}')"


def _db():
    """The connection the export reads from: the router's (a replica inside lib/dbrouter.lagging_reads)."""
    return connections[router.db_for_read(AuditItem)]


def available() -> bool:
    """Whether this database builds the rows itself (PostgreSQL); SQLite takes the Python path."""
    return _db().vendor == "postgresql"


def _truthy(expr: str) -> str:
    """Python's truth of a JSON value (bool(answers.get(key)), `value or default`), as a SQL boolean."""
    return f"COALESCE(({expr}) NOT IN {_FALSY}, false)"


def _answers_sql(rubric: Rubric, a: str) -> dict[str, str]:
    """What the rubric reads off answers `a` (a jsonb expression), as SQL: the same roles rubric.py's
    verdict_of, correction_of, accepts, choices_of and value_of give them."""
    correction = rubric.correction.key if rubric.correction is not None else CORRECTION
    accepted = rubric.verdict_meaning("accepted")
    verdict = f"NULLIF({a}->>{_literal(VERDICT)}, '')"
    return {
        "verdict": verdict,
        "corrected": f"NULLIF(btrim(COALESCE({a}->>{_literal(correction)}, ''), {_literal(SPACE)}), '')",
        "accepted": "false" if accepted is None else f"COALESCE({verdict} = {_literal(accepted)}, false)",
        "errors": (f"CASE WHEN jsonb_typeof({a}->{_literal(ERRORS)}) = 'array' THEN (SELECT COALESCE("
                   f"jsonb_agg(e ORDER BY e #>> '{{}}' COLLATE \"C\"), '[]') FROM jsonb_array_elements("
                   f"{a}->{_literal(ERRORS)}) AS e) ELSE '[]'::jsonb END"),
        "harm": f"{a}->{_literal(HARM)}",
        "escalate": _truthy(f"{a}->{_literal(ESCALATE)}"),
        "notes": f"CASE WHEN {_truthy(f'{a}->{_literal(NOTES)}')} THEN {a}->{_literal(NOTES)} ELSE '\"\"'::jsonb END",
    }


def _literal(text: str) -> str:
    """A SQL string literal (standard_conforming_strings: only the quote doubles; % doubles too, the
    statement taking parameters)."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def _table(model) -> str:
    return _db().ops.quote_name(model._meta.db_table)


# The row's fields as the statement gives them: checked against rows.py's table on every build.
FIELDS = ("id", "input", "output", "expected_output", "context", "verdict", "error_categories", "harm",
          "needs_escalation", "corrected_output", "notes", "agreement", "sampling", "source", "reviewers",
          "answers", "metadata", "evaluations", "tools", "tool_calls", "refusal")
GROUP_FIELDS = {"agreement": ("n_reviewers", "agreed", "share", "method"),
                "source": ("external_id", "trace_id", "span_id", "model", "model_version", "category", "risk_tier",
                           "kind", "occurred_at")}


def _check_table() -> None:
    """The statement gives exactly the table's fields: a field added to rows.py and not here fails the build
    (and tests/exports/test_sql_rows.py), rather than a file that silently lacks it."""
    table = tuple(name for name, _ in TOP)
    if sorted(table) != sorted(FIELDS):
        raise RuntimeError(f"sql_rows.FIELDS {FIELDS} differ from ExportRow's fields {table}")
    for name, fields in GROUP_FIELDS.items():
        if sorted(n for n, _ in GROUPS[name]) != sorted(fields):
            raise RuntimeError(f"sql_rows.GROUP_FIELDS[{name!r}] differs from rows.py's {name} fields")


def statement(project, filters: Filters, as_of, runs: dict[str, dict]) -> tuple[str, dict[str, Any]]:
    """The SELECT that yields the rows of one part of a week (its items': %(week_start)s, strata from
    %(low)s up to %(high)s, either null for no bound) as the columns _line reads, one row per item in
    the Python path's order (stratum, the draw's order), and its parameters but the part's. `runs`:
    _design's, the chosen weeks' runs.

    Two steps: `k` joins and decides on narrow rows (item, gold answers, agreement, reviewers, judges;
    the filters) and sorts them; the outer SELECT then reads each row's frozen output by its primary
    key in that order and writes the wide columns, so the sort moves a fifth of the bytes it did and
    the text and JSON of the outputs stream out while Python writes the lines (the plan has no sort
    after the outputs' join: a nested loop over the sorted rows keeps their order)."""
    _check_table()
    rubric = LabelSchema.current(project).rubric
    g, r = _answers_sql(rubric, "g.answers"), _answers_sql(rubric, "k.answers")
    item, output, gold, revision = _table(AuditItem), _table(DrawnOutput), _table(GoldLabel), _table(GoldRevision)
    label, label_revision = _table(Label), _table(LabelRevision)
    evaluation, evaluator, user = _table(Evaluation), _table(Evaluator), _table(get_user_model())
    params: dict[str, Any] = {
        "project": project.pk, "as_of": as_of,
        "run_ids": [int(pk) for pk in runs],
    }
    shown = "u.username"
    if filters.pseudonymise:
        ids = sorted(set(Label.objects.filter(item__project=project).values_list("reviewer_id", flat=True)))
        params["pseudonyms"] = dumps({str(pk): _pseudonym(project.pk, pk) for pk in ids}).decode()
        shown = "%(pseudonyms)s::jsonb ->> l.reviewer_id::text"
    reviewer_verdict = _answers_sql(rubric, "lr.answers")["verdict"]
    gold_verdict = _answers_sql(rubric, "gr.answers")["verdict"]
    # array_positions matches with IS NOT DISTINCT FROM (a null verdict agrees with a null gold verdict), in
    # one function call per row where a subquery over unnest() cost a subplan per row.
    agreeing = "cardinality(array_positions(v.verdicts, g.verdict))"
    share = f"CASE WHEN v.n > 0 THEN {agreeing}::float8 / v.n END"
    kept = []  # the filters, on the narrow rows before their outputs are read
    if filters.verdicts:
        kept.append("g.verdict = ANY(%(verdicts)s::text[])")
        params["verdicts"] = list(filters.verdicts)
    if filters.error_categories:
        kept.append(f"({g['errors']}) ?| %(errors)s::text[]")
        params["errors"] = list(filters.error_categories)
    if filters.agreement == "settled":
        kept.append(f"g.method <> {_literal(GoldLabel.Method.SINGLE)}")
    if filters.min_agreement is not None:
        kept.append(f"({share}) >= %(min_agreement)s::float8")
        params["min_agreement"] = filters.min_agreement
    if filters.corrected_only:
        kept.append(f"({g['corrected']}) IS NOT NULL")
    strata = ""
    if filters.strata:
        strata = " AND stratum = ANY(%(strata)s::text[])"
        params["strata"] = list(filters.strata)
    sql = f"""
WITH i AS NOT MATERIALIZED (
  SELECT id, run_id, output_id, stratum, inclusion_probability FROM {item}
  WHERE project_id = %(project)s AND week_start = %(week_start)s AND run_id = ANY(%(run_ids)s::bigint[]){strata}
    AND (%(low)s::text IS NULL OR stratum >= %(low)s::text) AND (%(high)s::text IS NULL OR stratum < %(high)s::text)),
g AS (
  SELECT DISTINCT ON (gl.item_id) gl.item_id, gr.answers, gr.method, {gold_verdict} AS verdict
  FROM i JOIN {gold} AS gl ON gl.item_id = i.id JOIN {revision} AS gr ON gr.gold_id = gl.id
  WHERE gr.created_at <= %(as_of)s ORDER BY gl.item_id, gr.number DESC),
x AS (
  SELECT DISTINCT ON (lr.label_id) l.item_id, {reviewer_verdict} AS verdict, u.username, {shown} AS shown
  FROM i JOIN {label} AS l ON l.item_id = i.id JOIN {label_revision} AS lr ON lr.label_id = l.id
  JOIN {user} AS u ON u.id = l.reviewer_id
  WHERE lr.created_at <= %(as_of)s ORDER BY lr.label_id, lr.number DESC),
v AS (
  SELECT x.item_id, count(*) AS n, array_agg(x.verdict) AS verdicts,
         count(x.verdict) = 0 OR (count(x.verdict) = count(*) AND min(x.verdict) = max(x.verdict)) AS agreed,
         json_agg(x.shown ORDER BY x.username COLLATE "C") AS names
  FROM x GROUP BY x.item_id),
e AS (
  SELECT ej.output_id, json_agg(json_build_object('name', ev.name, 'version', ev.version,
                                                  'value', ej.value, 'label', ej.label)
                                ORDER BY ev.name, ev.version) AS found
  FROM i JOIN {evaluation} AS ej ON ej.output_id = i.output_id JOIN {evaluator} AS ev ON ev.id = ej.evaluator_id
  WHERE ej.ingested_at <= %(as_of)s GROUP BY ej.output_id),
k AS (
  SELECT i.id, i.run_id, i.output_id, i.stratum, i.inclusion_probability, g.answers, g.verdict, g.method,
    COALESCE(v.n, 0) AS n, COALESCE(v.agreed, true) AS agreed, {share} AS share,
    COALESCE(v.names, '[]'::json)::text AS names, COALESCE(e.found, '[]'::json)::text AS found
  FROM i JOIN g ON g.item_id = i.id
  LEFT JOIN v ON v.item_id = i.id
  LEFT JOIN e ON e.output_id = i.output_id
  {"WHERE " + " AND ".join(kept) if kept else ""}
  ORDER BY i.stratum, i.id OFFSET 0)
SELECT k.run_id, o.external_id, o.input::text, o.output, r.corrected, r.accepted, o.context::text,
  k.verdict, r.errors::text, r.harm::text, r.escalate, r.notes::text,
  k.n, k.agreed, k.share, k.method,
  k.stratum, k.inclusion_probability,
  NULLIF(o.trace_id, ''), NULLIF(o.span_id, ''), o.model, o.model_version, o.category, o.risk_tier, o.kind,
  o.occurred_at,
  k.names, k.answers::text,
  CASE WHEN {_truthy('o.metadata')} THEN o.metadata ELSE '{{}}'::jsonb END::text,
  k.found, COALESCE(o.tools, '[]'::jsonb)::text,
  COALESCE(o.tool_calls, '[]'::jsonb)::text, COALESCE(o.refusal, false)
FROM k CROSS JOIN LATERAL (SELECT * FROM {output} WHERE id = k.output_id OFFSET 0) AS o
CROSS JOIN LATERAL (SELECT ({r["corrected"]}) AS corrected, {r["accepted"]} AS accepted, {r["errors"]} AS errors,
  {r["harm"]} AS harm, {r["escalate"]} AS escalate, {r["notes"]} AS notes) AS r
ORDER BY k.stratum, k.id"""
    return sql, params


def _design(project, weeks: dict[tuple[int, int], Week]) -> tuple[dict[str, dict], dict[str, dict]]:
    """{run id: {name, facts, week_start, week}} per chosen run (week: its (ISO year, week)), and {"<run id>/<stratum>": facts} per stratum of its design:
    each row's sampling facts as selection._sampling makes them, less its own stratum and inclusion
    probability (each row's own, added by _Sampled); a run's own facts serve a stratum its design lacks.
    They are merged in Python, not by the statement: the same few objects on every row (and a join on
    a VALUES list misleads the planner's row estimates into nested loops)."""
    runs: dict[str, dict] = {}
    facts: dict[str, dict] = {}
    for pk, year, week, start in (AuditRun.objects.filter(project=project).order_by("week_start")
                                  .values_list("pk", "iso_year", "iso_week", "week_start")):
        if (year, week) not in weeks:
            continue  # a week the filters leave out
        run = weeks[(year, week)]
        runs[str(pk)] = {"name": run.name, "facts": _facts(_sampling(run, year, week, "", 0.0)),
                         "week_start": start, "week": (year, week)}
        for stratum in run.strata:
            facts[f"{pk}/{stratum}"] = _facts(_sampling(run, year, week, stratum, 0.0))
    return runs, facts


def _facts(sampling: Sampling) -> dict[str, Any]:
    found = sampling.to_json()
    del found["stratum"], found["inclusion_probability"]
    return found


class Line(NamedTuple):
    """One canonical line and what the manifest counts off it: (verdict, stratum, week, corrected,
    the judges' (name, version)), one tuple the build tallies (a dict increment a row: 0.04 s per
    100,000 rows where five counters took 0.11 s)."""

    data: bytes
    counted: tuple[str, str, str, bool, tuple[tuple[str, str], ...]]  # the verdict as the manifest names it


def lines(project, filters: Filters, as_of, weeks: dict[tuple[int, int], Week],
          between: Callable[[], None] | None = None) -> Iterator[Line]:
    """The snapshot's canonical lines in the Python path's order (week, stratum, the draw's order),
    streamed from the database, one statement per part of a week (_parts; memory: a few thousand
    rows at a time). `between` runs after each part (the snapshot's progress).

    A large export's parts stream over two connections of the export's own, the next part's statement
    under way while one streams (lookahead.py). Inside a transaction (a test's) the parts stream one by
    one on the caller's connection: another connection would not see the transaction's rows."""
    runs, facts = _design(project, weeks)
    sql, params = statement(project, filters, as_of, runs)
    sampled = _Sampled(runs, facts)
    db = _db()
    parts = _parts(db, filters, weeks, runs)
    statements = [(sql, {**params, "week_start": part.week_start, "low": part.low, "high": part.high})
                  for part in parts]
    if len(statements) > 1 and sum(part.rows for part in parts) >= MIN_PART and not db.in_atomic_block:
        found = lookahead.rows(lambda: _connect(db), statements, between)
    else:
        found = _one_by_one(db, statements, between)
    for columns in found:
        yield _line(columns, sampled)


# Rows a part of a week holds at least: below it a statement is quick and a second connection costs
# more than it saves. A week of at least twice as many rows is cut in two at a stratum.
MIN_PART = 20_000


class Part(NamedTuple):
    week_start: datetime
    low: str | None   # its first stratum (None: from the week's first)
    high: str | None  # the first stratum after it (None: to the week's last)
    rows: int         # items with a final label in its strata: its rows but for the label filters


def _parts(db, filters: Filters, weeks: dict[tuple[int, int], Week], runs: dict[str, dict]) -> list[Part]:
    """The statements' parts, in the file's order: each chosen week (`runs`, _design's, in week order),
    cut in two at the stratum boundary nearest half its rows when both halves hold at least MIN_PART
    rows (the week's design counts them)."""
    found = []
    for run in runs.values():
        start = run["week_start"]
        counts = {name: stratum.final for name, stratum in weeks[run["week"]].strata.items()
                  if not filters.strata or name in filters.strata}
        cut = _cut(db, counts)
        if cut is None:
            found.append(Part(start, None, None, sum(counts.values())))
        else:
            stratum, before = cut
            found += [Part(start, None, stratum, before), Part(start, stratum, None, sum(counts.values()) - before)]
    return found


def _cut(db, counts: dict[str, int]) -> tuple[str, int] | None:
    """The stratum a week's second part starts at, and the rows before it, or None for one part. The
    strata are put in the database's order of their names, the order the statement sorts them in."""
    total = sum(counts.values())
    if total < 2 * MIN_PART or len(counts) < 2:
        return None
    with db.cursor() as cursor:
        cursor.execute("SELECT s FROM unnest(%s::text[]) AS s ORDER BY s", [sorted(counts)])
        order = [name for (name,) in cursor.fetchall()]
    best = None
    before = 0
    for i in range(1, len(order)):
        before += counts[order[i - 1]]
        if before >= MIN_PART and total - before >= MIN_PART and (
                best is None or abs(2 * before - total) < abs(2 * best[0] - total)):
            best = (before, i)
    return None if best is None else (order[best[1]], best[0])


def _one_by_one(db, statements: list[tuple[str, dict[str, Any]]], between: Callable[[], None] | None
                ) -> Iterator[tuple]:
    """The statements' rows on the caller's connection, one statement after another."""
    db.ensure_connection()
    with _session():
        for sql, params in statements:
            yield from lookahead.stream(db.connection, sql, params)
            if between is not None:
                between()


APPLICATION = "spotcheck-export"  # the export's own connections, as pg_stat_activity names them


def _connect(db) -> psycopg.Connection:
    """A connection of the export's own to the database `db` reads from (its settings and adapters),
    with the statement's settings."""
    connection = psycopg.connect(**{"application_name": APPLICATION, **db.get_connection_params()},
                                 autocommit=True)
    try:
        role = db.settings_dict["OPTIONS"].get("assume_role")
        if role:  # as Django's own connections do (get_connection_params leaves it out)
            connection.execute(SQL("SET ROLE {}").format(Identifier(role)))
        for name, value in _SETTINGS.items():
            connection.execute(f"SET {name} = {value}")
    except BaseException:
        connection.close()
        raise
    return connection


@contextmanager
def _session():
    """Settings for the statement, reset after it. jit off: the planner's cost for a 100,000-row statement
    turns JIT compilation on (some 80 functions, inlined and optimised), time spent before the first row
    for a statement whose work is building text. extra_float_digits 1 (the default, set in case a
    server changed it): float8 printed with the shortest digits that read back the same, as Python's
    repr and orjson write floats. No parallel workers: the planner's parallel plan has each worker
    build the whole gold and label aggregates again (a non-parallel hash per worker), CPU taken from the
    Python process that writes the lines on the other core."""
    with _db().cursor() as cursor:
        for name, value in _SETTINGS.items():
            cursor.execute(f"SET {name} = {value}")
    try:
        yield
    finally:
        with _db().cursor() as cursor:
            for name in _SETTINGS:
                cursor.execute(f"RESET {name}")


# The statement's settings (_session); work_mem is the one the Python path sorts with.
_SETTINGS = {"jit": "off", "extra_float_digits": "1", "max_parallel_workers_per_gather": "0",
             "work_mem": f"'{SORT_MEMORY}'"}


class _Sampled:
    """Each row's id and sampling facts from its run id, stratum and inclusion probability: the few runs'
    and strata's facts are the same on every row, so they are merged here rather than by the statement
    (a jsonb lookup and concatenation per row, then its text parsed again, cost a tenth of the build)."""

    def __init__(self, runs: dict[str, dict], facts: dict[str, dict]):
        self.names = {int(pk): run["name"] for pk, run in runs.items()}
        self.runs = {int(pk): run["facts"] for pk, run in runs.items()}
        self.facts = facts
        self.made: dict[tuple[int, str, float], dict[str, Any]] = {}

    def sampling(self, run_id: int, stratum: str, probability: float) -> dict[str, Any]:
        """The facts of a row: one dict per (run, stratum, probability), shared by its rows (a stratum's
        items mostly share one probability; orjson reads it, nothing writes it)."""
        key = (run_id, stratum, probability)
        made = self.made.get(key)
        if made is None:
            found = self.facts.get(f"{run_id}/{stratum}")
            if found is None:  # a stratum the run's design lacks: the run's own facts
                found = self.runs[run_id]
            made = self.made[key] = {**found, "stratum": stratum, "inclusion_probability": float(probability)}
        return made


def _line(columns: tuple, sampled: _Sampled) -> Line:
    """The statement's columns as the row the Python path writes: the database joins and decides (the
    latest revisions, the rubric's reading of the answers, agreement, the filters) and sends each value
    in its binary form; Python puts them in the row's keys, where PostgreSQL building the JSON text and
    orjson reading it back cost three quarters of the build. Floats arrive as float8 (Python's floats,
    where a JSON number would write a whole one as 1), the timestamp as a datetime (isoformat, as the
    Python path writes it); the id and sampling facts come from the run id, stratum and probability."""
    (run_id, external_id, input_, output, corrected, accepted, context, verdict, errors, harm, escalate, notes,
     n_reviewers, agreed, share, method, stratum, probability, trace_id, span_id, model, model_version, category,
     risk_tier, kind, occurred_at, reviewers, answers, metadata, evaluations, tools, tool_calls, refusal) = columns
    judged = loads(evaluations)
    for found in judged:
        if found["value"] is not None:
            found["value"] = float(found["value"])
    sampling = sampled.sampling(run_id, stratum, probability)
    row = {
        "id": f"{sampled.names[run_id]}/{external_id}",
        "input": openai_messages(loads(input_)),
        "output": output,
        "expected_output": corrected if corrected is not None else output if accepted else None,
        "context": passages(loads(context)),
        "verdict": verdict,
        "error_categories": loads(errors),
        "harm": None if harm is None else loads(harm),
        "needs_escalation": escalate,
        "corrected_output": corrected,
        "notes": loads(notes),
        "agreement": {"n_reviewers": n_reviewers, "agreed": agreed, "share": share, "method": method},
        "sampling": sampling,
        "source": {"external_id": external_id, "trace_id": trace_id, "span_id": span_id, "model": model,
                   "model_version": model_version, "category": category, "risk_tier": risk_tier, "kind": kind,
                   "occurred_at": occurred_at.astimezone(UTC).isoformat()},
        "reviewers": loads(reviewers),
        "answers": loads(answers),
        "metadata": loads(metadata),
        "evaluations": judged,
        "tools": loads(tools),
        "tool_calls": loads(tool_calls),
        "refusal": refusal,
    }
    for name in OPTIONAL:
        if row[name] is None:
            del row[name]
    return Line(dumps(row) + b"\n", (str(verdict), stratum, sampling["run"], corrected is not None,
                                     tuple([(e["name"], e["version"]) for e in judged])))
