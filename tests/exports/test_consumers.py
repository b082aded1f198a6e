"""Each export run through its consumer, offline: Inspect's `inspect eval` with mockllm, promptfoo's CLI
with its echo provider, `datasets.load_dataset`, and the OpenAI, Langfuse and LangSmith SDKs' own request
types. The export holds every kind of item the tools must tell apart: accepted outputs, corrected ones
(one with retrieved passages, one a tool-calling conversation) and a known-bad output nobody corrected.
Replaying the production outputs must score exactly as the experts judged them.

promptfoo is a Node tool: .ci/run installs the pinned version (PROMPTFOO_VERSION) with npm; elsewhere the
test is skipped with the reason when it is missing, and fails under CI=true (tests/conftest.py).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import orjson
import pytest

from reviewapp.audits.models import DrawnOutput
from tests.conftest import unavailable
from tests.helpers import by_external_id, cut, rows_of

PROMPTFOO_VERSION = "0.121.10"  # the newest that runs on the machine's Node.js 20 (.ci/run pins the same)

TOOLS = [{"type": "function", "function": {
    "name": "lookup_order", "description": "Find an order's shipping status",
    "parameters": {"type": "object", "properties": {"order": {"type": "integer"}}, "required": ["order"]}}}]
TOOL_CONVERSATION = [
    {"role": "system", "content": "You are the shop's support agent."},
    {"role": "user", "content": "Where is order 42?"},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "lookup_order", "arguments": "{\"order\": 42}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "shipped 2026-11-15"},
]


@pytest.fixture
def export(project_a, labelled):
    """The labelled run with distinct outputs, a tool-calling conversation (corrected by the lead's ruling)
    and a known-bad output that itself called a tool, cut into every format."""
    outputs = {labelled[k].output_id: k for k in ("adjudicated", "disputed", "corrected", "failed", "fine")}
    for output in DrawnOutput.objects.filter(pk__in=outputs):  # the copy an export reads
        kind = outputs[output.pk]
        output.output = {"adjudicated": "Order 42? No idea.", "corrected": "Refunds take 30 days.",
                         "failed": "I will look that up: order 42 was cancelled."}.get(kind, output.output)
        if kind == "adjudicated":
            output.input, output.tools = TOOL_CONVERSATION, TOOLS
        if kind == "failed":
            output.tools = TOOLS
            output.tool_calls = [{"id": "call_9", "type": "function",
                                  "function": {"name": "lookup_order", "arguments": "{\"order\": 42}"}}]
        output.save()
    snapshot = cut(project_a)
    rows = rows_of(snapshot)
    known_bad = {r["id"]: r["expected_output"] != r["output"] for r in rows}
    kinds = {r["id"]: ("good" if not known_bad[r["id"]] else "corrected" if r["corrected_output"] else "bad")
             for r in rows}
    assert set(kinds.values()) == {"good", "corrected", "bad"}, kinds
    return {"snapshot": snapshot, "dir": snapshot.directory, "rows": rows, "known_bad": known_bad,
            "kinds": kinds, "by_external_id": by_external_id(rows), "labelled": labelled}


def lines(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def item_id(export, kind: str) -> str:
    return export["by_external_id"][export["labelled"][kind].output.external_id]["id"]


# --- Inspect AI ------------------------------------------------------------------------------------

def inspect_eval(tasks, tmp_path: Path, **kwargs) -> dict[str, str]:
    """Run Inspect's eval on mockllm/model, offline; return each sample's score value by id."""
    inspect_ai = pytest.importorskip("inspect_ai")
    kwargs.setdefault("model", "mockllm/model")
    logs = inspect_ai.eval(tasks, log_dir=str(tmp_path / "inspect-logs"), display="none",
                           log_format="json", **kwargs)
    assert len(logs) == 1 and logs[0].status == "success", logs[0].error
    samples = logs[0].samples or []
    return {str(s.id): next(iter(s.scores.values())).value for s in samples}


@pytest.mark.django_db
def test_inspect_eval_replays_the_production_outputs_as_the_experts_judged_them(export, tmp_path, monkeypatch):
    monkeypatch.chdir(export["dir"] / "inspect")  # as `inspect eval spotcheck_task.py` runs, from the folder
    task_file = "spotcheck_task.py"
    scores = inspect_eval(task_file, tmp_path, task_args={"replay": True})
    assert set(scores) == set(export["known_bad"])
    assert {i for i, v in scores.items() if v == "I"} == {i for i, bad in export["known_bad"].items() if bad}
    assert {i for i, v in scores.items() if v == "C"} == {i for i, bad in export["known_bad"].items() if not bad}

    # Without replay the model answers, here mockllm with a fixed text: no known-bad item can score correct.
    # (Its usage is given: mockllm would otherwise count tokens with tiktoken, which downloads an encoding.)
    from inspect_ai.model import ModelOutput, ModelUsage, get_model

    answer = ModelOutput.from_content(model="mockllm/model", content="Let me check that for you.")
    answer.usage = ModelUsage(input_tokens=10, output_tokens=6, total_tokens=16)
    model = get_model("mockllm/model", custom_outputs=[answer] * len(export["rows"]))
    scores = inspect_eval(task_file, tmp_path / "model", model=model)
    assert all(scores[i] != "C" for i, bad in export["known_bad"].items() if bad), scores
    assert scores[item_id(export, "failed")] == "N"  # no reference for a known-bad output nobody corrected


@pytest.mark.django_db
def test_inspect_builtin_includes_scorer_never_passes_a_known_bad_output(export, tmp_path):
    import importlib.util

    from inspect_ai import Task
    from inspect_ai.dataset import json_dataset
    from inspect_ai.scorer import includes

    spec = importlib.util.spec_from_file_location("spotcheck_task_under_test",
                                                  export["dir"] / "inspect" / "spotcheck_task.py")
    assert spec is not None and spec.loader is not None
    shipped = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shipped)
    dataset = json_dataset(str(export["dir"] / "inspect" / "inspect.jsonl"))
    scores = inspect_eval(Task(dataset=dataset, solver=shipped.replay_output(), scorer=includes()), tmp_path)
    assert {i for i, v in scores.items() if v == "C"} == {i for i, bad in export["known_bad"].items() if not bad}

    # The tool-calling conversation loads as Inspect's own messages, each tool turn answering a call.
    sample = next(s for s in dataset if s.id == item_id(export, "adjudicated"))
    assert [m.role for m in sample.input] == ["system", "user", "assistant", "tool"]
    call, result = sample.input[2], sample.input[3]
    assert type(call).__name__ == "ChatMessageAssistant" and type(result).__name__ == "ChatMessageTool"
    assert call.tool_calls[0].function == "lookup_order" and call.tool_calls[0].arguments == {"order": 42}
    assert result.tool_call_id == call.tool_calls[0].id == "call_1" and result.function == "lookup_order"
    assert sample.metadata["tools"] == TOOLS
    failed = next(s for s in dataset if s.id == item_id(export, "failed"))
    assert failed.metadata["tool_calls"][0]["function"]["name"] == "lookup_order"


# --- promptfoo -------------------------------------------------------------------------------------

def promptfoo_binary() -> Path:
    """PROMPTFOO_BIN (set by .ci/run), else .ci/run's install folder, else a promptfoo on PATH."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    for candidate in (os.environ.get("PROMPTFOO_BIN"),
                      cache / "spotcheck" / f"promptfoo-{PROMPTFOO_VERSION}" / "node_modules" / ".bin" / "promptfoo",
                      shutil.which("promptfoo")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    unavailable(f"promptfoo {PROMPTFOO_VERSION} is not installed (.ci/run installs it with npm)")
    raise AssertionError  # unreachable: unavailable() skips or fails


def promptfoo_eval(folder: Path, tmp_path: Path, *args: str) -> list[dict]:
    """`promptfoo eval` on the export's config, offline: no API key, telemetry, update check or sharing."""
    binary = promptfoo_binary()
    if shutil.which("node") is None:
        unavailable("node is not installed (.ci/run installs Debian's nodejs)")
    out = tmp_path / "promptfoo-out.json"
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")} | {
        "PROMPTFOO_DISABLE_TELEMETRY": "1", "PROMPTFOO_DISABLE_UPDATE": "1", "PROMPTFOO_DISABLE_SHARING": "1",
        "PROMPTFOO_DISABLE_REMOTE_GENERATION": "1", "PROMPTFOO_CONFIG_DIR": str(tmp_path / "promptfoo-home"),
        "NO_COLOR": "1"}
    done = subprocess.run([str(binary), "eval", "-c", "promptfooconfig.yaml", "--no-cache", "--no-table",
                           "-o", str(out), *args], cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 100), done.stdout + done.stderr  # 100: some tests failed, as they must
    found = json.loads(out.read_text())["results"]
    assert found["stats"]["errors"] == 0, [r.get("error") for r in found["results"]]  # failed asserts only
    return found["results"]


@pytest.mark.django_db
def test_promptfoo_eval_passes_exactly_the_accepted_outputs(export, tmp_path):
    folder = export["dir"] / "promptfoo"
    results = promptfoo_eval(folder, tmp_path)
    # promptfoo names JSONL tests "Row #n"; the item's id is in the metadata.
    outcome = {r["metadata"]["id"]: r["success"] for r in results}
    assert outcome == {i: not bad for i, bad in export["known_bad"].items()}
    assert {r["provider"]["id"] for r in results} == {"echo"}
    failed = next(r for r in results if r["metadata"]["id"] == item_id(export, "failed"))
    assert [(c["assertion"]["type"], c["pass"]) for c in failed["gradingResult"]["componentResults"]] == [
        ("not-rouge-n", False)]

    stratum = export["by_external_id"][export["labelled"]["failed"].output.external_id]["sampling"]["stratum"]
    filtered = promptfoo_eval(folder, tmp_path / "filtered", "--filter-metadata", f"stratum={stratum}")
    expected = {r["id"] for r in export["rows"] if r["sampling"]["stratum"] == stratum}
    assert {r["metadata"]["id"] for r in filtered} == expected and 0 < len(expected) < len(export["rows"])


# --- Hugging Face datasets -------------------------------------------------------------------------

@pytest.mark.django_db
def test_datasets_loads_the_folder_offline_with_tools_and_tool_calls(export, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_dataset(str(export["dir"] / "hf"), cache_dir=str(export["dir"].parent / "hf-cache"))
    (split,) = loaded.values()
    rows = {r["source"]["external_id"]: r for r in split}
    assert len(rows) == len(export["rows"])
    jsonl = {json.loads(line)["source"]["external_id"]: json.loads(line)
             for path in (export["dir"] / "hf" / "jsonl").iterdir() for line in path.read_text().splitlines()}
    for external_id, row in rows.items():
        assert row["expected_output"] == jsonl[external_id]["expected_output"]
    tool_row = rows[export["labelled"]["adjudicated"].output.external_id]
    assert [m["role"] for m in tool_row["input"]] == ["system", "user", "assistant", "tool"]
    tool_fields = {k: v for k, v in tool_row.items() if "tool" in k}
    assert tool_fields, sorted(tool_row)  # the tools travel with the row
    assert "lookup_order" in json.dumps(tool_fields)


# --- OpenAI SDK types -----------------------------------------------------------------------------

def check_typed(typed_dict, value: dict) -> None:
    """Validate against an SDK TypedDict and reject keys it does not declare (pydantic ignores them)."""
    from pydantic import TypeAdapter

    TypeAdapter(typed_dict).validate_python(value)
    declared = typed_dict.__required_keys__ | typed_dict.__optional_keys__
    assert set(value) <= declared, sorted(set(value) - declared)


@pytest.mark.django_db
def test_openai_files_validate_against_the_sdk_types(export):
    openai_types = pytest.importorskip("openai.types")
    from jsonschema import Draft202012Validator
    from openai.types.chat import ChatCompletionFunctionToolParam, ChatCompletionMessageParam
    from openai.types.eval_create_params import DataSourceConfigCustom
    from pydantic import TypeAdapter

    assert openai_types is not None
    message = TypeAdapter(ChatCompletionMessageParam)

    declared = {role: t.__required_keys__ | t.__optional_keys__ for role, t in _message_types().items()}

    def check_messages(messages: list[dict], *, weighted: bool = False) -> None:
        for m in messages:
            if weighted and m["role"] == "assistant":
                assert m["weight"] in (0, 1)  # fine-tuning's own key beside the chat message
                m = {k: v for k, v in m.items() if k != "weight"}
            message.validate_python(m)
            assert set(m) <= declared[m["role"]], (m, declared[m["role"]])  # no key the SDK does not know

    sft = lines(export["dir"] / "openai-sft" / "sft.jsonl")
    dpo = lines(export["dir"] / "openai-dpo" / "dpo.jsonl")
    assert len(sft) == len(dpo) == sum(1 for k in export["kinds"].values() if k == "corrected")
    for line in sft:
        check_messages(line["messages"], weighted=True)
        assert line["messages"][-1]["weight"] == 1
        for t in line.get("tools", []):
            check_typed(ChatCompletionFunctionToolParam, t)
    with_tools = next(line for line in sft if line.get("tools"))
    assert with_tools["tools"] == TOOLS
    assert [m.get("weight") for m in with_tools["messages"]] == [None, None, 0, None, 1]
    for line in dpo:
        check_messages(line["input"]["messages"])
        check_messages(line["preferred_output"])
        check_messages(line["non_preferred_output"])
        for t in line["input"].get("tools", []):
            check_typed(ChatCompletionFunctionToolParam, t)

    config = json.loads((export["dir"] / "openai-evals" / "evals-config.json").read_text())
    check_typed(DataSourceConfigCustom, config["data_source_config"])
    validator = Draft202012Validator(config["data_source_config"]["item_schema"])
    Draft202012Validator.check_schema(config["data_source_config"]["item_schema"])
    evals = lines(export["dir"] / "openai-evals" / "evals.jsonl")
    assert len(evals) == len(export["rows"])
    for line in evals:
        errors = [e.message for e in validator.iter_errors(line["item"])]
        assert not errors, (line["item"]["id"], errors)
        check_messages(line["item"]["input"])
        assert line["item"]["known_bad"] == export["known_bad"][line["item"]["id"]]


def _message_types() -> dict[str, type]:
    from openai.types.chat import (
        ChatCompletionAssistantMessageParam,
        ChatCompletionDeveloperMessageParam,
        ChatCompletionSystemMessageParam,
        ChatCompletionToolMessageParam,
        ChatCompletionUserMessageParam,
    )

    return {"assistant": ChatCompletionAssistantMessageParam, "developer": ChatCompletionDeveloperMessageParam,
            "system": ChatCompletionSystemMessageParam, "tool": ChatCompletionToolMessageParam,
            "user": ChatCompletionUserMessageParam}


# --- Langfuse and LangSmith request models --------------------------------------------------------

def langfuse_request(item: dict) -> dict:
    """Read the item as the SDK reads the API's JSON (CreateDatasetItemRequest, aliases and all), then
    create it with the SDK's own client against a stub transport: return the body the SDK sent."""
    import httpx
    from langfuse.api import CreateDatasetItemRequest, LangfuseAPI
    from langfuse.api.core.pydantic_utilities import parse_obj_as

    request = parse_obj_as(CreateDatasetItemRequest, item)
    assert not request.model_extra, request.model_extra  # every key is one the API declares
    bodies: list[dict] = []

    def api(http: httpx.Request) -> httpx.Response:
        body = json.loads(http.content)
        bodies.append(body)
        return httpx.Response(200, json={
            **body, "status": "ACTIVE", "datasetId": "d1", "createdAt": "2026-11-23T00:00:00Z",
            "updatedAt": "2026-11-23T00:00:00Z", "mediaReferences": []})

    client = LangfuseAPI(base_url="http://langfuse.invalid", username="pk-lf-test", password="sk-lf-test",
                         httpx_client=httpx.Client(transport=httpx.MockTransport(api)))
    created = client.dataset_items.create(**{name: getattr(request, name) for name in request.model_fields_set})
    assert created.id == item["id"] and len(bodies) == 1
    return bodies[0]


@pytest.mark.django_db
def test_langfuse_and_langsmith_items_validate_as_the_sdks_request_models(export):
    pytest.importorskip("langfuse")
    pytest.importorskip("langsmith")
    from langsmith.schemas import ExampleCreate

    items = json.loads((export["dir"] / "langfuse" / "langfuse-dataset-items.json").read_text())
    examples = json.loads((export["dir"] / "langsmith" / "langsmith-examples.json").read_text())
    assert len(items) == len(examples) == len(export["rows"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sent = [langfuse_request(item) for item in items]
        for raw in examples:
            example = ExampleCreate(**raw)
            assert set(raw) <= set(ExampleCreate.model_fields), sorted(set(raw) - set(ExampleCreate.model_fields))
            assert example.model_dump(mode="json", include=set(raw)) == raw
    assert sent == items  # what the SDK sends for each item is the item, key for key
    by_id = {item["metadata"]["id"]: item for item in items}
    assert by_id[item_id(export, "failed")]["expectedOutput"] is None
    tools_item = by_id[item_id(export, "adjudicated")]
    assert tools_item["input"]["messages"][2]["tool_calls"][0]["function"]["name"] == "lookup_order"
