"""The canonical rows built by PostgreSQL (exports/sql_rows.py) are the Python path's, byte for byte
(issue 19 item 4): both paths run on the same data, with every filter, and the lines compare equal
row for row. The comparisons run on PostgreSQL (the CI pass with DATABASE_URL=postgres://…); the
whitespace and any_row checks on both databases."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from reviewapp.audits.models import AuditItem
from reviewapp.exports import sql_rows
from reviewapp.exports.rows import dumps
from reviewapp.exports.selection import Filters, any_row, design, rows
from reviewapp.ingest.evaluation_writer import store_evaluations
from reviewapp.ingest.records import EvaluationIn
from reviewapp.review import actions as review
from reviewapp.review.models import GoldRevision, Label
from tests.exports.test_weights import weeks  # noqa: F401  (the fixture: two weeks, four strata, disputes)
from tests.helpers import CORRECTED, UTC, cut, rows_of

TOOLS = [{"type": "function", "function": {"name": "lookup_order", "parameters": {"type": "object", "b": 1, "a": 2.50}}}]


def python_lines(project, filters: Filters, as_of) -> list[bytes]:
    return [dumps(row.to_json()) + b"\n" for row in rows(project, filters, as_of, design(project, filters, as_of))]


def sql_lines(project, filters: Filters, as_of) -> list[bytes]:
    return [line.data for line in sql_rows.lines(project, filters, as_of, design(project, filters, as_of))]


@pytest.fixture
def varied(project_a, weeks, alice, bob):  # noqa: F811
    """The two weeks, with every kind of field: a corrected label (padded with spaces), a label revised
    after the first cut, judges' values (whole, fractional, missing), tool definitions and calls, a
    refusal, developer messages, passages as objects, metadata, trace ids, odd characters."""
    items = list(AuditItem.objects.filter(project=project_a, gold__isnull=False).select_related("output").order_by("pk"))
    for i, item in enumerate(items[:12]):
        output = item.output
        if i % 3 == 0:
            output.input = [{"role": "developer", "content": "Be brief.", "name": None},
                            {"role": "user", "content": [{"type": "text", "text": "Où est\tma \"commande\" \\ 42?"}]},
                            {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function"}]},
                            {"role": "tool", "tool_call_id": "c1", "content": "shipped"}]
            output.tools, output.tool_calls = TOOLS, [{"id": "c9", "function": {"name": "x", "arguments": "{}"}}]
        if i % 3 == 1:
            output.context = ["Refunds take 5-7 days.", {"content": "Policy v2 😀", "source": "kb"}]
            output.metadata = {"zeta": 1, "alpha": {"b": 0.1, "a": 1e-7}, "ü": [1.0, 2]}
            output.trace_id, output.span_id = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
            output.occurred_at = datetime(2026, 11, 17, 9, 30, 5, 123456, tzinfo=UTC)
        if i % 3 == 2:
            output.refusal, output.metadata, output.output = True, {}, "Je ne peux pas.\n\u2028«»"
        output.save()
    label = Label.objects.filter(item__project=project_a, reviewer=alice).order_by("pk")[0]
    review.revise_label(label=label, user=alice, data={**CORRECTED, "corrected_output": "  Fixed.\u3000\n"})
    pairs = []
    for i, item in enumerate(items):
        pairs.append((item.output.external_id, EvaluationIn(name="judge", version="3", value=[1.0, 0.25, None][i % 3],
                                                            label="fail" if i % 2 else "pass")))
        if i % 2:
            pairs.append((item.output.external_id, EvaluationIn(name="Alpha", value=1 / 3)))
    store_evaluations(project_a.pk, pairs)
    # Answers stored as an earlier rubric version or an import may hold them: padding on the correction,
    # no verdict, a string for the error list, a number for the escalation, empty notes.
    GoldRevision.objects.filter(gold__item=items[5]).update(answers={**CORRECTED, "corrected_output": " Fixed.\u3000\n"})
    GoldRevision.objects.filter(gold__item=items[7]).update(
        answers={"verdict": "", "errors": "tone", "escalate": 1, "notes": "", "harm": None, "extra": [1.5, {"b": 1}]})
    return items


FILTERS = [{}, {"pseudonymise": True}, {"verdicts": ["failure"]}, {"error_categories": ["tone", "factual_error"]},
           {"agreement": "settled"}, {"min_agreement": 0.5}, {"corrected_only": True}, {"weeks": ["2026-W48"]},
           {"strata": ["billing", "other"], "verdicts": ["success", "partial"]}]


@pytest.mark.parametrize("chosen", FILTERS, ids=lambda f: ",".join(f) or "all")
def test_both_paths_write_the_same_lines(postgres, project_a, varied, chosen):
    filters = Filters.parse(chosen)
    as_of = timezone.now()
    expected = python_lines(project_a, filters, as_of)
    assert expected, "the case selects rows"
    found = sql_lines(project_a, filters, as_of)
    assert len(found) == len(expected)
    for mine, theirs in zip(found, expected, strict=True):
        assert mine == theirs


def test_both_paths_read_as_of_the_snapshot(postgres, project_a, varied, alice):
    """Labels revised after the moment are not read, by either path."""
    as_of = timezone.now()
    before = python_lines(project_a, Filters(), as_of)
    label = Label.objects.filter(item__project=project_a, reviewer=alice).order_by("-pk")[0]
    review.revise_label(label=label, user=alice, data=CORRECTED)
    assert sql_lines(project_a, Filters(), as_of) == before
    later = timezone.now() + timedelta(seconds=1)
    assert sql_lines(project_a, Filters(), later) == python_lines(project_a, Filters(), later) != before


def test_a_build_on_postgresql_writes_the_python_paths_file(postgres, project_a, varied):
    snapshot = cut(project_a, {}, ["jsonl"])
    written = (snapshot.directory / "jsonl" / "evalset.jsonl").read_bytes()
    assert written == b"".join(python_lines(project_a, Filters(), snapshot.as_of))
    counts = (snapshot.manifest or {})["counts"]
    assert counts["rows"] == len(rows_of(snapshot)) and counts["evaluators"][0]["name"] == "Alpha"


def test_the_statement_gives_every_field_of_the_table(postgres):
    """A field added to rows.py's table without its SQL fails here, not in a file that lacks it."""
    sql_rows._check_table()


def test_the_written_out_whitespace_is_every_character_strip_removes():
    """sql_rows.SPACE is written out (scanning every code point cost each start-up 0.06 s)."""
    assert "".join(c for c in map(chr, range(0x110000)) if c.isspace()) == sql_rows.SPACE


@pytest.mark.parametrize("chosen", FILTERS + [{"weeks": ["2026-W01"]}, {"strata": ["nowhere"]}],
                         ids=lambda f: ",".join(f) or "all")
def test_whether_any_row_is_selected_agrees_with_the_rows(project_a, varied, chosen):
    """any_row's EXISTS (no label filter) or first row (a label filter) says what the rows say (both databases)."""
    filters = Filters.parse(chosen)
    as_of = timezone.now()
    assert any_row(project_a, filters, as_of) == bool(python_lines(project_a, filters, as_of))
    before_any_gold = min(GoldRevision.objects.values_list("created_at", flat=True)) - timedelta(seconds=1)
    assert any_row(project_a, filters, before_any_gold) is False
