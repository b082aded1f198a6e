"""The export row's one definition (rows.py): the CSV columns, the Hugging Face schema and the
flattened metadata are derived from its field table, in the order and with the names the files
have always had; a row reads back from the canonical JSONL and writes back byte for byte."""
from __future__ import annotations

import pytest

from reviewapp.exports.rows import (
    CSV_COLUMNS,
    DESIGN_FIELDS,
    ExportRow,
    csv_cells,
    dumps,
    flat_metadata,
    hf_record,
    hf_schema,
)
from tests.helpers import cut, rows_of

# The canonical CSV's header as shipped: readers index it by name and by position.
SHIPPED_CSV = ["id", "input", "output", "expected_output", "context", "verdict", "error_categories", "harm",
               "needs_escalation", "corrected_output", "notes", "n_reviewers", "agreed", "agreement_share",
               "final_label", "run", "stratum", "inclusion_probability", "weight", "stratum_population",
               "stratum_final", "week_population", "week_covered_population", "week_complete", "external_id",
               "trace_id", "span_id", "model", "model_version", "category", "risk_tier", "occurred_at", "reviewers",
               "metadata", "tools", "tool_calls", "refusal"]


def test_the_csv_header_and_the_dataset_schema_are_the_shipped_ones():
    pa = pytest.importorskip("pyarrow")
    assert CSV_COLUMNS == SHIPPED_CSV
    schema = hf_schema()
    assert schema.names == ["id", "input", "output", "expected_output", "context", "verdict", "error_categories",
                            "harm", "needs_escalation", "corrected_output", "notes", "agreement", "sampling", "source",
                            "reviewers", "answers_json", "metadata_json", "evaluations", "tools_json",
                            "tool_calls_json", "refusal"]
    assert schema.field("agreement").type == pa.struct([("n_reviewers", pa.int32()), ("agreed", pa.bool_()),
                                                        ("share", pa.float64()), ("method", pa.string())])
    sampling = schema.field("sampling").type
    assert [sampling.field(i).name for i in range(sampling.num_fields)] == [
        "run", "stratum", "inclusion_probability", "weight", *DESIGN_FIELDS]
    assert schema.field("input").type == pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))


@pytest.mark.django_db
def test_rows_read_back_from_the_canonical_jsonl_and_write_back_byte_for_byte(project_a, labelled):
    rows = rows_of(cut(project_a, formats=["jsonl"]))
    for data in rows:
        row = ExportRow.from_json(data)
        assert dumps(row.to_json()) == dumps(data)
        assert len(csv_cells(row)) == len(CSV_COLUMNS)
        assert set(hf_record(row)) == set(hf_schema().names)
        flat = flat_metadata(row)
        assert set(flat) == {"id", "verdict", "error_categories", "harm", "needs_escalation", "notes",
                             "original_output", "agreement", "sampling", "source", "reviewers", "evaluations", "refusal"}
        assert flat["original_output"] == data["output"] and flat["sampling"] == data["sampling"]
        # A schema 1 row (no design fields) reads them as None and writes them back absent.
        old = {**data, "sampling": {k: v for k, v in data["sampling"].items() if k not in DESIGN_FIELDS}}
        assert ExportRow.from_json(old).sampling.week_complete is None
        assert ExportRow.from_json(old).to_json() == old
