"""Exports carry the judges' values beside the human labels (docs/export.md, "Judge values"), so an
exported regression set can score a new judge version against the human gold."""
from __future__ import annotations

import csv

import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reviewapp.exports import actions
from reviewapp.exports.selection import Filters, rows
from reviewapp.ingest.evaluation_writer import store_evaluations
from reviewapp.ingest.models import Evaluation
from reviewapp.ingest.records import EvaluationIn
from reviewapp.review import actions as review
from tests.helpers import BAD, GOOD, by_external_id, cut, drawn_run, rows_of

JUDGE = ("groundedness-judge", "3")
OLD_JUDGE = ("groundedness-judge", "2")
TOXICITY = ("toxicity", "")


def lines(path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def label(project, user, n: int | None = None) -> int:
    """`user` labels up to n items of the queue (every item when n is None); returns how many."""
    made = 0
    while (n is None or made < n) and (claim := review.claim_next(user=user, project=project)) is not None:
        review.submit_label(claim=claim, user=user, data=BAD if made % 3 == 0 else GOOD)
        made += 1
    return made


def judge(project, external_ids: list[str]) -> dict[str, list[dict]]:
    """Store evaluations through the ingest writer: every output gets the judge v3 (a label and a
    value), every other one also v2 (a value only) and toxicity (a label only). Returns what each
    output should carry, sorted by name and version."""
    pairs, expected = [], {}
    for i, external_id in enumerate(external_ids):
        fail = i % 3 == 0
        mine = [EvaluationIn(name=JUDGE[0], version=JUDGE[1], value=0.9 if fail else 0.1,
                             label="fail" if fail else "pass", metric="failure")]
        if i % 2 == 0:
            mine += [EvaluationIn(name=OLD_JUDGE[0], version=OLD_JUDGE[1], value=round(0.05 * (i % 20), 2)),
                     EvaluationIn(name=TOXICITY[0], label="=cmd()" if i == 0 else "clean")]
        pairs += [(external_id, e) for e in mine]
        expected[external_id] = sorted(({"name": e.name, "version": e.version, "value": e.value, "label": e.label}
                                        for e in mine), key=lambda e: (e["name"], e["version"]))
    created, missing = store_evaluations(project.pk, pairs)
    assert created == len(pairs) and not missing
    return expected


@pytest.fixture
def judged(project_a, alice):
    """A labelled run whose outputs are all judged but the last one."""
    run = drawn_run(project_a, outputs=40)
    ids = list(run.items.order_by("pk").values_list("output__external_id", flat=True))
    expected = judge(project_a, ids[:-1])
    expected[ids[-1]] = []
    assert label(project_a, alice) == len(ids)
    return expected


@pytest.mark.django_db
def test_every_format_carries_the_judge_values_that_were_ingested(project_a, judged, tmp_path):
    snapshot = cut(project_a)
    found = by_external_id(rows_of(snapshot))
    assert found and set(found) == set(judged)
    for external_id, row in found.items():
        assert row["evaluations"] == judged[external_id]  # sorted by name, version; [] when unjudged
    assert snapshot.manifest["counts"]["evaluators"] == [
        {"name": "groundedness-judge", "version": "2", "rows": sum(1 for e in judged.values() if len(e) == 3)},
        {"name": "groundedness-judge", "version": "3", "rows": sum(1 for e in judged.values() if e)},
        {"name": "toxicity", "version": "", "rows": sum(1 for e in judged.values() if len(e) == 3)}]

    with (snapshot.directory / "csv" / "evalset.csv").open(newline="", encoding="utf-8") as handle:
        table = {r["external_id"]: r for r in csv.DictReader(handle)}
    assert list(next(iter(table.values())))[-6:] == [
        "judge:groundedness-judge@2:label", "judge:groundedness-judge@2:value",
        "judge:groundedness-judge@3:label", "judge:groundedness-judge@3:value",
        "judge:toxicity@:label", "judge:toxicity@:value"]
    for external_id, cells in table.items():
        mine = {(e["name"], e["version"]): e for e in judged[external_id]}
        for name, version in (JUDGE, OLD_JUDGE, TOXICITY):
            e = mine.get((name, version))
            assert cells[f"judge:{name}@{version}:label"] == (e["label"] if e else "")
            assert cells[f"judge:{name}@{version}:value"] == ("" if e is None or e["value"] is None
                                                              else repr(e["value"]))

    inspect = {r["metadata"]["external_id"]: r["metadata"]["evaluations"]  # flat: filterable
               for r in lines(snapshot.directory / "inspect" / "inspect.jsonl")}
    evals = {r["item"]["id"].split("/")[-1]: r["item"]["evaluations"]
             for r in lines(snapshot.directory / "openai-evals" / "evals.jsonl")}
    promptfoo = {r["metadata"]["external_id"]: r["metadata"]["evaluations"]
                 for r in lines(snapshot.directory / "promptfoo" / "tests.jsonl")}
    langsmith = {r["metadata"]["external_id"]: r["metadata"]["evaluations"]
                 for r in orjson.loads((snapshot.directory / "langsmith" / "langsmith-examples.json").read_bytes())}
    langfuse = {r["metadata"]["external_id"]: r["metadata"]["evaluations"]
                for r in orjson.loads((snapshot.directory / "langfuse" / "langfuse-dataset-items.json").read_bytes())}
    for shape in (inspect, evals, promptfoo, langsmith, langfuse):
        assert shape == {k: judged[k] for k in found}


@pytest.mark.django_db
def test_the_hugging_face_dataset_has_a_judge_column(project_a, judged):
    pq = pytest.importorskip("pyarrow.parquet")
    snapshot = cut(project_a, formats=["hf"])
    table = pq.read_table(snapshot.directory / "hf" / "data" / "week_2026_47.parquet")
    ids = [s["external_id"] for s in table.column("source").to_pylist()]
    assert dict(zip(ids, table.column("evaluations").to_pylist(), strict=True)) == {k: judged[k] for k in ids}


@pytest.mark.django_db
def test_a_judge_value_ingested_after_the_cut_is_not_in_the_snapshot(project_a, judged, tmp_path):
    snapshot = cut(project_a, formats=["jsonl", "csv"])
    unjudged = next(k for k, v in judged.items() if not v)
    store_evaluations(project_a.pk, [(unjudged, EvaluationIn(name=JUDGE[0], version=JUDGE[1], label="fail"))],
                      now=timezone.now())
    first = (snapshot.directory / "csv" / "evalset.csv").read_bytes()
    actions.render(snapshot, "csv", tmp_path)
    assert (tmp_path / "evalset.csv").read_bytes() == first
    later = {r.source.external_id: r for r in rows(project_a, Filters(), timezone.now())}
    assert by_external_id(rows_of(snapshot))[unjudged]["evaluations"] == []
    assert later[unjudged].evaluations == [{"name": JUDGE[0], "version": JUDGE[1], "value": None, "label": "fail"}]


@pytest.mark.django_db
def test_a_row_cut_before_judge_values_renders_as_it_was(project_a, judged, tmp_path):
    snapshot = cut(project_a, formats=["jsonl"])
    canonical = snapshot.directory / "jsonl" / "evalset.jsonl"
    old = [{k: v for k, v in row.items() if k != "evaluations"} for row in rows_of(snapshot)]
    canonical.chmod(0o644)
    canonical.write_bytes(b"".join(orjson.dumps(r, option=orjson.OPT_SORT_KEYS) + b"\n" for r in old))
    snapshot.manifest["counts"].pop("evaluators")
    for name in ("jsonl", "csv", "inspect", "openai-evals"):
        actions.render(snapshot, name, tmp_path / name)
    assert lines(tmp_path / "jsonl" / "evalset.jsonl") == old
    assert not any(c.startswith("judge:") for c in (tmp_path / "csv" / "evalset.csv").read_text().splitlines()[0].split(","))
    assert all("evaluations" not in r["metadata"] for r in lines(tmp_path / "inspect" / "inspect.jsonl"))
    assert all("evaluations" not in r["item"] for r in lines(tmp_path / "openai-evals" / "evals.jsonl"))


@pytest.mark.django_db
def test_the_judge_values_cost_the_same_queries_for_5_items_as_for_20(project_a, alice):
    run = drawn_run(project_a, outputs=80, margin=0.15)
    ids = list(run.items.order_by("pk").values_list("output__external_id", flat=True))
    assert len(ids) >= 20
    judge(project_a, ids)

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            found = list(rows(project_a, Filters(), timezone.now()))
        assert all(row.evaluations for row in found)
        judges = [q for q in captured.captured_queries if Evaluation._meta.db_table in q["sql"]]
        assert len(judges) == 1  # one query for the chunk of items, whatever its size
        return len(found), len(captured.captured_queries)

    label(project_a, alice, 5)
    few, few_queries = queries()
    label(project_a, alice, 15)
    many, many_queries = queries()
    assert (few, many) == (5, 20)
    assert many_queries == few_queries
