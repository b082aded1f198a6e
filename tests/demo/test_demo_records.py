"""The demo generator: deterministic, well-formed canonical records in the right time window.

Pure standard library on both sides, so this runs without Django (``-p no:django``).
"""
from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from reviewapp.demo.records import DEMO_CATEGORIES, demo_records

END = datetime(2026, 11, 26, 11, 0, 30, 123456, tzinfo=UTC)  # a Thursday, mid-morning
WINDOW_START = datetime(2026, 11, 2, tzinfo=UTC)  # Monday of the ISO week three weeks earlier
N = 3000
KEYS = {"external_id", "occurred_at", "input", "output", "category", "risk_tier", "risk_score", "kind", "model",
        "model_version", "context", "trace_id", "span_id", "metadata", "evaluations"}
KINDS = {"llm_response", "agent_action", "classifier_decision"}
OCCURRED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def parse(occurred_at: str) -> datetime:
    return datetime.strptime(occurred_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return list(demo_records(seed=2026, n=N, end=END))


def test_same_seed_gives_the_same_records_and_a_longer_run_extends_a_shorter_one(records):
    again = list(demo_records(seed=2026, n=200, end=END))
    assert again == records[:200]


def test_the_global_random_state_plays_no_part():
    random.seed(1)
    first = list(demo_records(seed=5, n=200, end=END))
    random.seed(999)
    random.random()
    assert list(demo_records(seed=5, n=200, end=END)) == first


def test_another_seed_gives_different_records(records):
    other = list(demo_records(seed=2027, n=200, end=END))
    assert other != records[:200]
    assert {r["trace_id"] for r in other}.isdisjoint(r["trace_id"] for r in records[:200])
    assert sum(a["output"] != b["output"] for a, b in zip(other, records, strict=False)) > 100


def test_yields_n_records_with_unique_stable_external_ids(records):
    assert len(records) == N
    ids = [r["external_id"] for r in records]
    assert len(set(ids)) == N
    assert ids[0] == "demo-000001" and ids[-1] == f"demo-{N:06d}"
    assert next(demo_records(seed=2026, n=0, end=END), None) is None


def test_occurred_at_lies_in_the_four_iso_weeks_ending_with_the_week_of_end(records):
    times = [parse(r["occurred_at"]) for r in records]
    assert all(OCCURRED.match(r["occurred_at"]) for r in records)
    assert all(WINDOW_START <= t <= END for t in times)
    weeks = {(t - WINDOW_START).days // 7 for t in times}
    assert weeks == {0, 1, 2, 3}
    weekday = sum(t.weekday() < 5 for t in times if t < WINDOW_START + timedelta(weeks=3))
    assert weekday > 0.8 * sum(t < WINDOW_START + timedelta(weeks=3) for t in times)  # 5/7 would be flat


@pytest.mark.parametrize("end", [
    datetime(2026, 11, 23, 0, 0, 0, tzinfo=UTC),  # the very first second of an ISO week
    datetime(2026, 11, 29, 23, 59, 59, tzinfo=UTC),  # the very last second of one
    datetime(2027, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=5))),  # not UTC, across a year
])
def test_window_edges(end):
    utc_end = end.astimezone(UTC)
    monday = datetime.combine(utc_end.date() - timedelta(days=utc_end.weekday()), datetime.min.time(), UTC)
    times = [parse(r["occurred_at"]) for r in demo_records(seed=3, n=500, end=end)]
    assert all(monday - timedelta(weeks=3) <= t <= utc_end for t in times)


def test_categories_and_risk_tiers(records):
    assert set(DEMO_CATEGORIES) == {"billing", "account", "medical", "legal", "general"}
    assert {r["category"] for r in records} == set(DEMO_CATEGORIES)
    tiers: dict[str, set[str]] = {}
    for r in records:
        tiers.setdefault(r["category"], set()).add(r["risk_tier"])
        low, high = {"low": (0, 0.35), "medium": (0.35, 0.7), "high": (0.7, 1.0001)}[r["risk_tier"]]
        assert low <= r["risk_score"] < high and r["risk_score"] == round(r["risk_score"], 3)
    assert tiers["medical"] == tiers["legal"] == {"high"}
    assert tiers["billing"] == {"medium", "high"}
    assert tiers["account"] == {"low", "high"}
    assert tiers["general"] == {"low"}


def test_each_record_has_exactly_the_canonical_keys(records):
    assert all(set(r) == KEYS for r in records)


def test_value_types(records):
    for r in records:
        assert isinstance(r["external_id"], str) and isinstance(r["occurred_at"], str)
        assert r["kind"] in KINDS and r["category"] in DEMO_CATEGORIES
        assert r["risk_tier"] in {"low", "medium", "high"} and isinstance(r["risk_score"], float)
        assert isinstance(r["model"], str) and r["model"]
        assert r["model_version"] in {"2026-10-01", "2026-11-05"}
        roles = [m["role"] for m in r["input"]]
        assert roles in (["system", "user"], ["system", "user", "assistant", "user"])
        assert all(set(m) == {"role", "content"} and isinstance(m["content"], str) and m["content"] for m in r["input"])
        assert isinstance(r["output"], str) and r["output"]
        assert isinstance(r["context"], list)
        for passage in r["context"]:
            assert set(passage) == {"id", "content", "score"}
            assert isinstance(passage["id"], str) and isinstance(passage["content"], str)
            assert isinstance(passage["score"], float) and 0 <= passage["score"] <= 1
        assert re.fullmatch(r"[0-9a-f]{32}", r["trace_id"]) and re.fullmatch(r"[0-9a-f]{16}", r["span_id"])
        meta = r["metadata"]
        assert {"channel", "locale", "latency_ms", "prompt_version"} <= set(meta)
        assert isinstance(meta["latency_ms"], int) and meta["latency_ms"] > 0
    json.dumps(records)  # JSON-serialisable throughout


def test_the_mix_of_kinds_conversations_and_context_is_plausible(records):
    kinds = {k: sum(r["kind"] == k for r in records) / N for k in KINDS}
    assert 0.03 < kinds["agent_action"] < 0.07 and 0.015 < kinds["classifier_decision"] < 0.045
    assert 0.14 < sum(len(r["input"]) == 4 for r in records) / N < 0.26
    llm = [r for r in records if r["kind"] == "llm_response"]
    assert 0.6 < sum(bool(r["context"]) for r in llm) / len(llm) < 0.8
    assert all(not r["context"] for r in records if r["kind"] != "llm_response")
    assert all(re.match(r"^\w+\(.*\)\n\n", r["output"]) for r in records if r["kind"] == "agent_action")
    assert all(r["output"].startswith("intent=") for r in records if r["kind"] == "classifier_decision")
    user_chars = [sum(len(m["content"]) for m in r["input"] if m["role"] == "user") for r in records]
    assert all(100 <= n <= 400 for n in user_chars)
    assert all(250 <= len(r["output"]) <= 1200 for r in llm)


def test_the_new_model_version_rolls_out_over_the_last_two_weeks(records):
    by_week: dict[int, set[str]] = {}
    for r in records:
        by_week.setdefault((parse(r["occurred_at"]) - WINDOW_START).days // 7, set()).add(r["model_version"])
    assert by_week[0] == by_week[1] == {"2026-10-01"}
    assert by_week[2] == {"2026-10-01", "2026-11-05"}
    assert by_week[3] == {"2026-11-05"}
