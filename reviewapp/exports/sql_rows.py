"""The canonical rows built by PostgreSQL: one statement per week, streamed with COPY.

The Python path (selection.rows) reads three sorted streams and builds each ExportRow in Python.
On PostgreSQL the database builds each row as JSON instead (`json_build_object`; set-based
subqueries for each item's latest gold revision, its reviewers' latest label revisions aggregated
into the reviewers list and agreement figures, and the judges' values sorted by name and version)
and `COPY (SELECT ...) TO STDOUT` streams the lines, one COPY per week. Python only puts each line
in canonical form as it writes it (orjson, keys sorted, Python's floats), so the file is byte for
byte the Python path's (tests/exports/test_sql_rows.py compares them row for row).

One definition drives both paths:
- the keys are ExportRow's field table (rows.py): FIELDS and GROUP_FIELDS name every field the
  statement gives, and a build refuses to run if the table gained a field this module lacks;
- what an answer means comes from the rubric (`verdict_of`, `correction_of`, `accepts`,
  `choices_of`, `value_of` and the keys VERDICT, ERRORS, HARM, ESCALATE, NOTES): `_answers_sql`
  writes each as a SQL expression over answers, with Python's truthiness and str.strip();
- the week's design (N_h, r_h, the week's figures) is selection.design's, each (run, stratum)'s
  sampling facts as selection._sampling makes them, passed in as one JSON object;
- the input's messages and the context's passages are put in export form by the same Python
  functions (openai_messages, passages) while the line is rewritten.

The filters apply in SQL (weeks, strata, verdicts, error categories, agreement, min_agreement,
corrected_only), and so do pseudonyms: each reviewer's HMAC pseudonym is computed in Python (the
secret key stays out of SQL) and looked up by the statement. No filter falls back to Python.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from django.contrib.auth import get_user_model
from django.db import connections, router

from reviewapp.audits.models import AuditItem, AuditRun
from reviewapp.ingest.models import Evaluation, Evaluator, Output
from reviewapp.lib.messages import openai_messages
from reviewapp.review.models import GoldLabel, GoldRevision, Label, LabelRevision, LabelSchema
from reviewapp.review.rubric import CORRECTION, ERRORS, ESCALATE, HARM, NOTES, VERDICT, Rubric

from .rows import GROUPS, OPTIONAL, TOP, Sampling, dumps
from .selection import Filters, Week, _pseudonym, _sampling, _sort_memory, passages, scope

# Every character str.strip() removes: correction_of strips the corrected output with it.
_SPACE = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
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
        "corrected": f"NULLIF(btrim(COALESCE({a}->>{_literal(correction)}, ''), {_literal(_SPACE)}), '')",
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


def statement(project, filters: Filters, as_of, weeks: dict[tuple[int, int], Week]) -> tuple[str, dict[str, Any]]:
    """The SELECT that yields the rows of one week (its items': %(week_start)s) as JSON text, one per item
    in the Python path's order (stratum, the draw's order), and its parameters but the week's."""
    _check_table()
    rubric = LabelSchema.current(project).rubric
    g = _answers_sql(rubric, "g.answers")
    item, output, gold, revision = _table(AuditItem), _table(Output), _table(GoldLabel), _table(GoldRevision)
    label, label_revision = _table(Label), _table(LabelRevision)
    evaluation, evaluator, user = _table(Evaluation), _table(Evaluator), _table(get_user_model())
    runs, facts = _design(project, weeks)
    params: dict[str, Any] = {
        "project": project.pk, "as_of": as_of,
        "run_ids": [int(pk) for pk in runs], "runs": dumps(runs).decode(), "facts": dumps(facts).decode(),
    }
    shown = "u.username"
    if filters.pseudonymise:
        ids = sorted(set(Label.objects.filter(item__project=project).values_list("reviewer_id", flat=True)))
        params["pseudonyms"] = dumps({str(pk): _pseudonym(project.pk, pk) for pk in ids}).decode()
        shown = "%(pseudonyms)s::jsonb ->> l.reviewer_id::text"
    reviewer_verdict = _answers_sql(rubric, "lr.answers")["verdict"]
    gold_verdict = _answers_sql(rubric, "gr.answers")["verdict"]
    agreeing = "(SELECT count(*) FROM unnest(v.verdicts) AS z WHERE z IS NOT DISTINCT FROM g.verdict)"
    share = f"CASE WHEN v.n > 0 THEN {agreeing}::float8 / v.n END"
    kept = []
    if filters.verdicts:
        kept.append("r.verdict = ANY(%(verdicts)s::text[])")
        params["verdicts"] = list(filters.verdicts)
    if filters.error_categories:
        kept.append("r.errors ?| %(errors)s::text[]")
        params["errors"] = list(filters.error_categories)
    if filters.agreement == "settled":
        kept.append(f"g.method <> {_literal(GoldLabel.Method.SINGLE)}")
    if filters.min_agreement is not None:
        kept.append(f"({share}) >= %(min_agreement)s::float8")
        params["min_agreement"] = filters.min_agreement
    if filters.corrected_only:
        kept.append("r.corrected IS NOT NULL")
    strata = ""
    if filters.strata:
        strata = " AND stratum = ANY(%(strata)s::text[])"
        params["strata"] = list(filters.strata)
    sql = f"""
WITH i AS NOT MATERIALIZED (
  SELECT id, run_id, output_id, stratum, inclusion_probability FROM {item}
  WHERE project_id = %(project)s AND week_start = %(week_start)s AND run_id = ANY(%(run_ids)s::bigint[]){strata}),
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
         count(DISTINCT x.verdict) + COALESCE(bool_or(x.verdict IS NULL)::int, 0) AS kinds,
         json_agg(x.shown ORDER BY x.username COLLATE "C") AS names
  FROM x GROUP BY x.item_id),
e AS (
  SELECT ej.output_id, json_agg(json_build_object('name', ev.name, 'version', ev.version,
                                                  'value', ej.value, 'label', ej.label)
                                ORDER BY ev.name, ev.version) AS found
  FROM i JOIN {evaluation} AS ej ON ej.output_id = i.output_id JOIN {evaluator} AS ev ON ev.id = ej.evaluator_id
  WHERE ej.ingested_at <= %(as_of)s GROUP BY ej.output_id)
SELECT json_build_object(
  'id', (%(runs)s::jsonb -> i.run_id::text ->> 'name') || '/' || o.external_id,
  'input', o.input,
  'output', o.output,
  'expected_output', CASE WHEN r.corrected IS NOT NULL THEN r.corrected WHEN r.accepted THEN o.output END,
  'context', o.context,
  'verdict', r.verdict,
  'error_categories', r.errors,
  'harm', r.harm,
  'needs_escalation', r.escalate,
  'corrected_output', r.corrected,
  'notes', r.notes,
  'agreement', json_build_object('n_reviewers', COALESCE(v.n, 0), 'agreed', COALESCE(v.kinds, 0) <= 1,
                                 'share', {share},
                                 'method', g.method),
  'sampling', COALESCE(%(facts)s::jsonb -> (i.run_id::text || '/' || i.stratum),
                       %(runs)s::jsonb -> i.run_id::text -> 'facts') || jsonb_build_object(
      'stratum', i.stratum, 'inclusion_probability', i.inclusion_probability),
  'source', json_build_object(
      'external_id', o.external_id, 'trace_id', NULLIF(o.trace_id, ''), 'span_id', NULLIF(o.span_id, ''),
      'model', o.model, 'model_version', o.model_version, 'category', o.category, 'risk_tier', o.risk_tier,
      'kind', o.kind,
      'occurred_at', o.occurred_at AT TIME ZONE 'UTC'),
  'reviewers', COALESCE(v.names, '[]'::json),
  'answers', g.answers,
  'metadata', CASE WHEN {_truthy('o.metadata')} THEN o.metadata ELSE '{{}}'::jsonb END,
  'evaluations', COALESCE(e.found, '[]'::json),
  'tools', COALESCE(o.tools, '[]'::jsonb),
  'tool_calls', COALESCE(o.tool_calls, '[]'::jsonb),
  'refusal', COALESCE(o.refusal, false)
)
FROM i JOIN g ON g.item_id = i.id
JOIN {output} AS o ON o.id = i.output_id
CROSS JOIN LATERAL (SELECT g.verdict, ({g["corrected"]}) AS corrected, {g["accepted"]} AS accepted,
  {g["errors"]} AS errors, {g["harm"]} AS harm, {g["escalate"]} AS escalate, {g["notes"]} AS notes) AS r
LEFT JOIN v ON v.item_id = i.id
LEFT JOIN e ON e.output_id = i.output_id
{"WHERE " + " AND ".join(kept) if kept else ""}
ORDER BY i.stratum, i.id"""
    return sql, params


def _design(project, weeks: dict[tuple[int, int], Week]) -> tuple[dict[str, dict], dict[str, dict]]:
    """{run id: {name, facts}} per chosen run, and {"<run id>/<stratum>": facts} per stratum of its design:
    each row's sampling facts as selection._sampling makes them, less its own stratum and inclusion
    probability (the statement adds them); a run's own facts serve a stratum its design lacks. The
    statement looks them up in these two JSON objects (a join on a VALUES list misleads the planner's
    row estimates into nested loops)."""
    runs: dict[str, dict] = {}
    facts: dict[str, dict] = {}
    for pk, year, week in AuditRun.objects.filter(project=project).values_list("pk", "iso_year", "iso_week"):
        if (year, week) not in weeks:
            continue  # a week the filters leave out
        run = weeks[(year, week)]
        runs[str(pk)] = {"name": run.name, "facts": _facts(_sampling(run, year, week, "", 0.0))}
        for stratum in run.strata:
            facts[f"{pk}/{stratum}"] = _facts(_sampling(run, year, week, stratum, 0.0))
    return runs, facts


def _facts(sampling: Sampling) -> dict[str, Any]:
    found = sampling.to_json()
    del found["stratum"], found["inclusion_probability"]
    return found


@dataclasses.dataclass(frozen=True)
class Line:
    """One canonical line and what the manifest counts off it."""

    data: bytes
    verdict: str | None
    stratum: str
    week: str
    corrected: bool
    evaluators: list[tuple[str, str]]


def lines(project, filters: Filters, as_of, weeks: dict[tuple[int, int], Week],
          between: Callable[[], None] | None = None) -> Iterator[Line]:
    """The snapshot's canonical lines in the Python path's order (week, stratum, the draw's order),
    streamed from the database, one COPY per week (memory: one line at a time).

    While a COPY streams, its connection serves nothing else (psycopg holds it): a caller that writes
    to the database (the snapshot's progress) does it in `between`, called after each batch."""
    sql, params = statement(project, filters, as_of, weeks)
    batches = (scope(project, filters).filter(run_id__in=params["run_ids"]).order_by("week_start")
               .values_list("week_start", flat=True).distinct())
    with _sort_memory(), _session():
        for week_start in list(batches):
            with _copy(f"COPY ({sql}) TO STDOUT", {**params, "week_start": week_start}) as stream:
                for chunk in stream:
                    yield _line(chunk)
            if between is not None:
                between()


@contextmanager
def _session():
    """Settings for the statement, reset after it. jit off: the planner's cost for a 100,000-row statement
    turns JIT compilation on (some 80 functions, inlined and optimised), time spent before the first row
    for a statement whose work is building text. extra_float_digits 1 (the default, set in case a
    server changed it): float8 printed with the shortest digits that read back the same, as Python's
    repr and orjson write floats."""
    with _db().cursor() as cursor:
        cursor.execute("SET jit = off")
        cursor.execute("SET extra_float_digits = 1")
    try:
        yield
    finally:
        with _db().cursor() as cursor:
            cursor.execute("RESET jit")
            cursor.execute("RESET extra_float_digits")


@contextmanager
def _copy(sql: str, params: dict[str, Any]):
    db = _db()
    db.ensure_connection()
    with db.cursor() as cursor, cursor.cursor.copy(sql, params) as copy:
        yield copy


def _isoformat(stamp: str) -> str:
    """A UTC timestamp as PostgreSQL's JSON writes it (2026-11-17T09:30:05.1234, fraction trimmed) as
    Python's isoformat() does: six digits of fraction when there is one, and the +00:00 offset."""
    whole, dot, fraction = stamp.partition(".")
    return f"{whole}.{fraction.ljust(6, '0')}+00:00" if dot else f"{whole}+00:00"


def _line(chunk: Any) -> Line:
    """A COPY text line as the Python path writes the row. COPY doubles backslashes (the JSON text holds no
    tab, newline or other character it escapes); orjson sorts the keys; float columns become floats
    again (PostgreSQL writes a whole float8 as 1, Python as 1.0); the timestamp takes isoformat's form."""
    text = bytes(chunk).rstrip(b"\n").replace(b"\\\\", b"\\")
    row = orjson.loads(text)
    agreement, sampling, source = row["agreement"], row["sampling"], row["source"]
    if agreement["share"] is not None:
        agreement["share"] = float(agreement["share"])
    sampling["inclusion_probability"] = float(sampling["inclusion_probability"])
    for judged in row["evaluations"]:
        if judged["value"] is not None:
            judged["value"] = float(judged["value"])
    source["occurred_at"] = _isoformat(source["occurred_at"])
    row["input"] = openai_messages(row["input"])
    row["context"] = passages(row["context"])
    for name in OPTIONAL:
        if row[name] is None:
            del row[name]
    return Line(dumps(row) + b"\n", row["verdict"], sampling["stratum"], sampling["run"],
                row["corrected_output"] is not None,
                [(e["name"], e["version"]) for e in row.get("evaluations") or []])
