"""The outputs list's model and evaluator filters (issue 19 item 1): their choices come from the
small tables kept at ingest (the hourly rollup, the Evaluator table), never from the outputs; a
model filter keeps the total exact, an evaluator filter keeps the outputs it scored; and the page
costs the same number of queries whatever the number of outputs."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviewapp.ingest.actions import ingest
from reviewapp.ingest.filters import OutputFilter
from reviewapp.ingest.formats import SourceRecord
from reviewapp.ingest.listing import outputs_page, rollup_total
from reviewapp.ingest.models import Evaluator, Output, OutputVolume
from tests.helpers import make_user, record
from tests.ingest.test_volume import START

MODELS = (("gpt-a", "2024-01"), ("gpt-a", "2024-06"), ("gpt-b", "1"))


def scored_records(n: int, prefix: str = "s"):
    """n outputs over the three models in turn; judge v1 scores every other output, policy every third."""
    found = []
    for i in range(n):
        model, version = MODELS[i % 3]
        evaluations = ([{"name": "judge", "version": "1", "value": 0.5}] if i % 2 == 0 else []) + (
            [{"name": "policy", "label": "pass"}] if i % 3 == 0 else [])
        found.append(SourceRecord(i, data=record(
            f"{prefix}{i}", occurred_at=(START + timedelta(minutes=7 * i)).isoformat(), model=model,
            model_version=version, category=("billing", "medical")[i % 2], evaluations=evaluations)))
    return found


def listed(project, data: dict) -> tuple[set[str], int, bool]:
    """The external ids on the list's first page for these query parameters, and its total."""
    found = OutputFilter(data, queryset=Output.objects.filter(project=project), project=project)
    assert found.is_valid(), found.errors
    page = outputs_page(found.qs, None, project=project, filters=found.form.cleaned_data, per_page=500)
    return {o.external_id for o in page.rows}, page.total, page.exact


def judge(project, name="judge") -> Evaluator:
    return Evaluator.objects.get(project=project, name=name)


@pytest.mark.django_db
def test_the_choices_come_from_the_rollup_and_the_evaluators_not_the_outputs(project_a, project_b):
    ingest(project=project_a, records=scored_records(12))
    ingest(project=project_b, records=[SourceRecord(0, data=record("x", model="other-model",
                                                                       evaluations=[{"name": "b-judge", "value": 1}]))])
    # A key only the rollup knows: were the choices read from the outputs it would not be offered.
    OutputVolume.objects.create(project=project_a, hour=START, category="billing", risk_tier="low", kind="text",
                                model="only-in-rollup", model_version="r1", n=1)
    with CaptureQueriesContext(connection) as captured:
        form = OutputFilter({}, queryset=Output.objects.filter(project=project_a), project=project_a).form
        choices = {name: [label for value, label in form.fields[name].choices if value != ""]
                   for name in ("model", "model_version", "evaluator", "category")}
    assert choices == {"model": ["gpt-a", "gpt-b", "only-in-rollup"], "model_version": ["1", "2024-01", "2024-06", "r1"],
                       "evaluator": ["judge v1", "policy"], "category": ["billing", "medical"]}
    outputs_table = f'"{Output._meta.db_table}"'
    assert not [q["sql"] for q in captured if outputs_table in q["sql"]]
    assert len(captured) == 2  # one read of the rollup for all its choices, one of the evaluators


@pytest.mark.django_db
def test_a_model_filter_keeps_its_outputs_and_an_exact_total(project_a):
    ingest(project=project_a, records=scored_records(30))
    ids, total, exact = listed(project_a, {"model": "gpt-a"})
    expected = {o.external_id for o in Output.objects.filter(project=project_a, model="gpt-a")}
    assert ids == expected and len(ids) == 20 and (total, exact) == (20, True)
    ids, total, exact = listed(project_a, {"model": "gpt-a", "model_version": "2024-06", "category": "medical"})
    expected = {o.external_id for o in Output.objects.filter(project=project_a, model="gpt-a",
                                                             model_version="2024-06", category="medical")}
    assert ids == expected and (total, exact) == (len(expected), True) and total == 5
    assert not OutputFilter({"model": "gpt-c"}, queryset=Output.objects.none(), project=project_a).is_valid()


@pytest.mark.django_db
def test_an_evaluator_filter_keeps_the_outputs_it_scored(project_a, project_b):
    ingest(project=project_a, records=scored_records(30))
    ids, total, exact = listed(project_a, {"evaluator": judge(project_a).pk})
    assert ids == {f"s{i}" for i in range(0, 30, 2)}
    assert (total, exact) == (15, True)  # one evaluation per output and evaluator: its count is the total
    ids, total, exact = listed(project_a, {"evaluator": judge(project_a, "policy").pk, "model": "gpt-b"})
    # policy scores only gpt-a's outputs (every third): none of gpt-b's is listed, but the rollup cannot
    # intersect with evaluations, so the total is a bound (policy's 10, gpt-b's 10), said as "about".
    assert ids == set() and (total, exact) == (10, False)
    ids, total, exact = listed(project_a, {"evaluator": judge(project_a, "policy").pk, "category": "billing"})
    assert ids == {f"s{i}" for i in range(0, 30, 6)} and not exact and total == 10  # min(policy's 10, billing's 15)


@pytest.mark.django_db
def test_another_project_s_evaluator_is_neither_offered_nor_applied(project_a, project_b):
    ingest(project=project_a, records=scored_records(6))
    ingest(project=project_b, records=[SourceRecord(0, data=record("x", evaluations=[{"name": "b-judge", "value": 1}]))])
    foreign = judge(project_b, "b-judge")
    found = OutputFilter({"evaluator": foreign.pk}, queryset=Output.objects.filter(project=project_a), project=project_a)
    assert not found.is_valid() and "evaluator" in found.errors
    assert rollup_total(project_a, {"evaluator": foreign.pk}) == (0, True)


@pytest.mark.django_db
def test_past_the_counted_evaluations_the_total_is_said_as_about(project_a, monkeypatch):
    from reviewapp.ingest import listing

    ingest(project=project_a, records=scored_records(30))
    monkeypatch.setattr(listing, "EVALUATIONS_COUNTED", 10)
    assert rollup_total(project_a, {"evaluator": judge(project_a).pk}) == (30, False)  # 15 > 10: the rollup's bound
    assert rollup_total(project_a, {"evaluator": judge(project_a, "policy").pk}) == (10, True)


@pytest.mark.django_db
def test_the_filtered_page_s_queries_do_not_grow_with_the_outputs(client, project_a):
    client.force_login(make_user("lead", project_a, role="qa_lead"))
    url = reverse("reviewapp:project-detail", args=["support"])

    def queries(count: int) -> tuple[str, int]:
        Output.objects.filter(project=project_a).delete()
        ingest(project=project_a, records=scored_records(count, prefix=f"n{count}-"))
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"model": "gpt-a", "evaluator": judge(project_a).pk})
        assert response.status_code == 200
        return response.content.decode(), len(captured)

    small, few = queries(12)
    large, many = queries(600)  # gpt-a and judge: 200 outputs, four pages
    assert few == many, (few, many)
    assert "Older →" in large and "Older →" not in small
    # 200 listed (i % 6 in {0, 4}); the total is a bound, the smaller of judge's 300 evaluations and gpt-a's 400
    assert "about 300 outputs" in large
    for option in ('value="gpt-a"', 'value="gpt-b"', 'value="2024-06"', ">judge v1<", ">policy<"):
        assert option in large, option
