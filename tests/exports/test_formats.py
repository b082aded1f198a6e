"""Each format read back by its consumer's own reader where it installs from PyPI (pyarrow and
`datasets` for the Hugging Face folder, inspect_ai's json_dataset), else checked against the
documented shape (docs/export.md, "Where each shape is specified")."""
from __future__ import annotations

import json
import re
import uuid
import zipfile

import orjson
import pytest

from tests.helpers import CORRECTED, by_external_id, cut, rows_of


@pytest.fixture
def snapshot(project_a, labelled):
    return cut(project_a)


def lines(path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


@pytest.mark.django_db
def test_the_hugging_face_folder_loads_with_datasets_and_pyarrow(snapshot, labelled, monkeypatch):
    import pyarrow.parquet as pq

    folder = snapshot.directory / "hf"
    table = pq.read_table(folder / "data" / "week_2026_47.parquet")
    assert table.num_rows == snapshot.manifest["counts"]["rows"]
    card = (folder / "README.md").read_text()
    assert "annotations_creators:\n- expert-generated" in card and "split: week_2026_47" in card
    assert all(re.fullmatch(r"\w+(\.\w+)*", p.stem) for p in (folder / "data").iterdir())
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_dataset(str(folder), cache_dir=str(snapshot.directory.parent / "hf-cache"))
    split = loaded["week_2026_47"]
    row = next(r for r in split if r["source"]["external_id"] == labelled["corrected"].output.external_id)
    assert row["expected_output"] == CORRECTED["corrected_output"]
    assert row["input"][0] == {"role": "system", "content": "Be brief."}
    canonical = by_external_id(rows_of(snapshot))[labelled["corrected"].output.external_id]["sampling"]
    assert row["sampling"] == {k: v for k, v in canonical.items() if k != "split"}  # weights and design, typed
    assert row["sampling"]["inclusion_probability"] == labelled["corrected"].inclusion_probability
    assert json.loads(row["answers_json"])["verdict"] == "failure"
    with zipfile.ZipFile(snapshot.directory / "hf.zip") as archive:
        assert sorted(archive.namelist()) == sorted(f"hf/{p.relative_to(folder).as_posix()}"
                                                    for p in folder.rglob("*") if p.is_file())


@pytest.mark.django_db
def test_inspect_reads_the_dataset_with_json_dataset(snapshot, labelled):
    inspect_dataset = pytest.importorskip("inspect_ai.dataset")
    samples = {s.id: s for s in inspect_dataset.json_dataset(str(snapshot.directory / "inspect" / "inspect.jsonl"))}
    corrected = samples[f"2026-W47/{labelled['corrected'].output.external_id}"]
    assert corrected.target == CORRECTED["corrected_output"]
    assert [m.role for m in corrected.input] == ["system", "system", "user"]  # the passages as a system turn
    assert corrected.input[1].text.startswith("Retrieved passages:\n\n[1] ")
    assert corrected.metadata["verdict"] == "failure" and corrected.metadata["original_output"]
    assert corrected.metadata["known_bad"] and corrected.metadata["stratum"]  # flat: filterable
    failed = samples[f"2026-W47/{labelled['failed'].output.external_id}"]
    assert failed.target == []  # a known-bad item has no reference: string scorers fail it


@pytest.mark.django_db
def test_openai_files_have_the_documented_shapes(snapshot, labelled):
    evals = lines(snapshot.directory / "openai-evals" / "evals.jsonl")
    assert len(evals) == snapshot.manifest["counts"]["rows"] and all(set(e) == {"item"} for e in evals)
    assert {"input", "output", "expected_output", "verdict", "sampling_weight"} <= set(evals[0]["item"])
    sft = lines(snapshot.directory / "openai-sft" / "sft.jsonl")
    dpo = lines(snapshot.directory / "openai-dpo" / "dpo.jsonl")
    assert len(sft) == len(dpo) == snapshot.manifest["counts"]["with_corrected_output"] == 2
    row = next(d for d in dpo if d["input"]["messages"][-1]["content"] == "When is my refund?")
    assert row["preferred_output"] == [{"role": "assistant", "content": CORRECTED["corrected_output"]}]
    assert row["non_preferred_output"][0]["content"] == labelled["corrected"].output.output
    assert all(s["messages"][-1]["role"] == "assistant" for s in sft)
    assert all(m["role"] != "developer" for s in sft for m in s["messages"])


@pytest.mark.django_db
def test_promptfoo_langfuse_and_langsmith_files_have_the_documented_shapes(snapshot, labelled):
    tests = lines(snapshot.directory / "promptfoo" / "tests.jsonl")
    by_id = {t["description"]: t for t in tests}
    corrected = by_id[f"2026-W47/{labelled['corrected'].output.external_id}"]
    assert corrected["assert"] == [  # offline by default: no grader, never (nearly) the rejected answer
        {"type": "rouge-n", "value": CORRECTED["corrected_output"], "threshold": 0.75},
        {"type": "not-rouge-n", "value": labelled["corrected"].output.output, "threshold": 0.9}]
    graded = {t["description"]: t for t in lines(snapshot.directory / "promptfoo" / "tests-graded.jsonl")}
    assert graded[corrected["description"]]["assert"][0] == {"type": "factuality", "value": CORRECTED["corrected_output"]}
    assert set(corrected["vars"]) == {"query", "messages", "output", "context"}
    failed = by_id[f"2026-W47/{labelled['failed'].output.external_id}"]
    assert [a["type"] for a in failed["assert"]] == ["not-rouge-n"] and failed["metadata"]["verdict"] == "failure"
    assert failed["metadata"]["stratum"] and failed["metadata"]["run"] == "2026-W47"  # --filter-metadata stratum=…

    items = json.loads((snapshot.directory / "langfuse" / "langfuse-dataset-items.json").read_text())
    item = next(i for i in items if i["sourceTraceId"] == "0af7651916cd43dd8448eb211c80319c")
    assert item["datasetName"] == snapshot.name and len(item["id"]) <= 255
    assert item["expectedOutput"] == {"output": CORRECTED["corrected_output"]}
    assert item["sourceObservationId"] == "b7ad6b7169203331" and item["input"]["messages"][0]["role"] == "system"

    examples = json.loads((snapshot.directory / "langsmith" / "langsmith-examples.json").read_text())
    assert len({e["id"] for e in examples}) == len(examples) == len(items)
    assert all(isinstance(e["inputs"], dict) and isinstance(e["reference_outputs"], dict) for e in examples)
    example = next(e for e in examples if e.get("source_run_id"))
    assert uuid.UUID(example["id"]).version == 5 and example["source_run_id"] == str(
        uuid.UUID("0af7651916cd43dd8448eb211c80319c"))
    assert example["split"] == "week_2026_47"


@pytest.mark.django_db
def test_csv_has_one_row_per_item_with_json_cells(snapshot):
    import csv

    with (snapshot.directory / "csv" / "evalset.csv").open(newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    canonical = by_external_id(rows_of(snapshot))
    assert len(table) == len(canonical)
    for row in table:
        source = canonical[row["external_id"]]
        assert json.loads(row["input"]) == source["input"] and float(row["weight"]) == source["sampling"]["weight"]
