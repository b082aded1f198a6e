"""`manage.py ingest`: the CLI door, over JSONL, CSV, OpenAI chat logs and gzip."""
from __future__ import annotations

import csv
import gzip
import io

import orjson
import pytest
from django.core.management import CommandError, call_command

from reviewapp.ingest.models import Output
from tests.helpers import record


def run(path, *args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("ingest", str(path), "--no-progress", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write_jsonl(path, *records) -> None:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))


@pytest.mark.django_db
def test_it_ingests_jsonl_and_is_idempotent(tmp_path, project_a):
    path = tmp_path / "outputs.jsonl"
    write_jsonl(path, *(record(f"r{i}") for i in range(12)))
    out, _ = run(path, "--project", "support", "--chunk-size", "5")
    assert "created 12, already present 0, rejected 0" in out
    out, _ = run(path, "--project", "support")
    assert "created 0, already present 12" in out
    assert Output.objects.filter(project=project_a).count() == 12


@pytest.mark.django_db
def test_it_reports_bad_lines_and_keeps_the_good_ones(tmp_path, project_a):
    path = tmp_path / "outputs.jsonl"
    path.write_bytes(orjson.dumps(record("a")) + b"\nnot json\n\n" + orjson.dumps(record("b", occurred_at="soon")) + b"\n")
    out, err = run(path, "--project", "support")
    assert "created 1, already present 0, rejected 2" in out
    assert "line 2: record: invalid JSON" in err
    assert "line 4 (b): occurred_at: Input should be a valid datetime" in err
    assert list(Output.objects.values_list("external_id", flat=True)) == ["a"]


@pytest.mark.django_db
def test_atomic_stores_nothing_if_one_line_is_bad(tmp_path, project_a):
    path = tmp_path / "outputs.jsonl"
    write_jsonl(path, *(record(f"r{i}") for i in range(10)), record("bad", kind="poem"))
    with pytest.raises(CommandError, match="1 record.s. rejected; nothing was stored"):
        run(path, "--project", "support", "--atomic", "--chunk-size", "3")
    assert not Output.objects.exists()


@pytest.mark.django_db
def test_a_failure_mid_import_keeps_only_whole_chunks(tmp_path, project_a, monkeypatch):
    """Per-record mode commits chunk by chunk; a crash loses the chunk in flight, never half of it."""
    from reviewapp.ingest import actions

    calls = {"n": 0}
    real = actions.insert_outputs

    def failing_on_the_second_chunk(rows):
        calls["n"] += 1
        created = real(rows)  # the rows really go in, then the transaction must roll them back
        if calls["n"] == 2:
            raise RuntimeError("connection lost")
        return created

    monkeypatch.setattr(actions, "insert_outputs", failing_on_the_second_chunk)
    path = tmp_path / "outputs.jsonl"
    write_jsonl(path, *(record(f"r{i}") for i in range(10)))
    with pytest.raises(RuntimeError):
        run(path, "--project", "support", "--chunk-size", "4")
    assert sorted(Output.objects.values_list("external_id", flat=True)) == ["r0", "r1", "r2", "r3"]
    monkeypatch.setattr(actions, "insert_outputs", real)
    out, _ = run(path, "--project", "support", "--chunk-size", "4")
    assert "created 6, already present 4" in out


@pytest.mark.django_db
def test_atomic_rolls_back_everything_on_a_failure(tmp_path, project_a, monkeypatch):
    from reviewapp.ingest import actions

    real = actions.insert_outputs
    calls = {"n": 0}

    def failing_on_the_second_chunk(rows):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real(rows)

    monkeypatch.setattr(actions, "insert_outputs", failing_on_the_second_chunk)
    path = tmp_path / "outputs.jsonl"
    write_jsonl(path, *(record(f"r{i}") for i in range(10)))
    with pytest.raises(RuntimeError):
        run(path, "--project", "support", "--chunk-size", "4", "--atomic")
    assert not Output.objects.exists()


@pytest.mark.django_db
def test_it_reads_csv_with_the_same_columns(tmp_path, project_a):
    path = tmp_path / "outputs.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["external_id", "occurred_at", "input", "output", "category", "risk_tier", "risk_score",
                         "context", "metadata"])
        writer.writerow(["c1", "2026-11-20T10:00:00Z", "Plain question,\nwith a newline", "Answer", "billing", "low",
                         "0.2", '[{"id": "kb-1", "content": "Refunds within 30 days"}]', '{"channel": "email"}'])
        writer.writerow(["c2", "2026-11-20T11:00:00+01:00", '[{"role": "user", "content": "Hi"}]', "Hello", "", "", "",
                         "", ""])
        writer.writerow(["c3", "2026-11-20T11:00:00Z", "q", "a", "", "", "high", "", ""])
        writer.writerow(["c4", "2026-11-20T11:00:00Z", "q", "a", "", "", "", "{broken", ""])
    out, err = run(path, "--project", "support")
    assert "created 2, already present 0, rejected 2" in out
    assert "line 5 (c3): risk_score: must be a number, not 'high'" in err
    assert "line 6 (c4): context: must be JSON in a CSV cell" in err
    c1 = Output.objects.get(external_id="c1")
    assert c1.input == "Plain question,\nwith a newline"
    assert c1.context == [{"id": "kb-1", "content": "Refunds within 30 days"}]
    assert (c1.metadata, c1.risk_score, c1.category) == ({"channel": "email"}, 0.2, "billing")
    c2 = Output.objects.get(external_id="c2")
    assert c2.input == [{"role": "user", "content": "Hi"}]
    assert c2.occurred_at.isoformat() == "2026-11-20T10:00:00+00:00"
    assert c2.category == "" and c2.risk_score is None


@pytest.mark.django_db
def test_a_csv_with_an_unknown_column_is_refused_whole(tmp_path, project_a):
    path = tmp_path / "outputs.csv"
    path.write_text("external_id,occurred_at,input,output,colour\nx,2026-11-20T10:00:00Z,q,a,red\n")
    with pytest.raises(CommandError, match="line 1: unknown column.s. 'colour'"):
        run(path, "--project", "support")
    assert not Output.objects.exists()


@pytest.mark.django_db
def test_it_reads_gzipped_openai_chat_logs(tmp_path, project_a):
    path = tmp_path / "logs.jsonl.gz"
    log = {
        "category": "returns",
        "request": {"model": "gpt-4o", "messages": [{"role": "user", "content": "Refund?"}]},
        "response": {"id": "chatcmpl-9", "created": 1755684000, "model": "gpt-4o-2024-08-06",
                     "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                         "role": "assistant", "content": None,
                         "tool_calls": [{"id": "c1", "type": "function",
                                         "function": {"name": "issue_refund", "arguments": "{\"order\": \"A-1\"}"}}]}}]},
    }
    with gzip.open(path, "wb") as f:
        f.write(orjson.dumps(log) + b"\n" + orjson.dumps({"request": {}, "response": {}}) + b"\n")
    out, err = run(path, "--project", "support", "--format", "openai-chat")
    assert "created 1, already present 0, rejected 1" in out
    assert "line 2: request.messages: must be a non-empty list" in err
    stored = Output.objects.get(external_id="chatcmpl-9")
    assert stored.kind == "agent_action"
    assert stored.output == 'issue_refund({"order": "A-1"})'
    assert stored.category == "returns"
    assert stored.occurred_at.isoformat() == "2025-08-20T10:00:00+00:00"
    assert stored.metadata["finish_reason"] == "tool_calls"


@pytest.mark.django_db
def test_an_unknown_project_is_an_error(tmp_path):
    path = tmp_path / "x.jsonl"
    write_jsonl(path, record())
    with pytest.raises(CommandError, match="no project 'nope'"):
        run(path, "--project", "nope")


def test_the_reader_streams_instead_of_loading_the_file():
    """A generator over the stream: reading one record must not consume the whole input."""
    from reviewapp.ingest.formats import read_jsonl

    consumed = []

    def lines():
        for i in range(1_000_000):
            consumed.append(i)
            yield orjson.dumps(record(str(i)))

    reader = read_jsonl(lines(), max_record_bytes=10_000)
    first = next(reader)
    assert first.data["external_id"] == "0" and len(consumed) == 1
