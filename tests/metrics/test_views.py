"""The scorecard, a run's metrics page and the scorecard settings, as a QA lead sees them."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reviewapp.audits.models import AuditRun, SamplingPlan
from reviewapp.metrics.models import RunMetrics, ScorecardMetric
from reviewapp.review.models import LabelSchema
from reviewapp.review.rubric import DEFAULT_RUBRIC
from tests.helpers import BAD, GOOD, drawn_run, label_all, ranks, week

XSS = '<script>alert("x")</script>'


@pytest.fixture
def labelled(project_a, alice, bob):
    run = drawn_run(project_a, outputs=80, overlap_share=0.5)
    rank = ranks(run)
    label_all(project_a, [alice, bob], lambda item, _: BAD if rank[item.pk] % 5 == 0 else GOOD)
    return run


@pytest.mark.django_db
def test_the_scorecard_shows_each_line_with_its_interval_status_and_trend_chart(client, lead, labelled):
    client.force_login(lead)
    response = client.get(reverse("reviewapp:scorecard", args=["support"]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Error rate (failure)" in page and "Override / rework" in page
    assert page.count('class="chart trend"') == 6  # the six default lines
    assert "set your own" in page and f"Week {labelled.week}" in page
    assert 'class="status' in page and "review complete: " in page


@pytest.mark.django_db
def test_the_run_page_lists_rates_agreement_and_reviewers_and_says_when_it_was_computed(client, lead, labelled):
    client.force_login(lead)
    url = reverse("reviewapp:run-metrics", args=["support", labelled.iso_year, labelled.iso_week])
    page = client.get(url).content.decode()
    assert "Krippendorff" in page and "Computed" in page and "alice" in page and "bob" in page
    assert "Unweighted" in page
    row = RunMetrics.objects.get(run=labelled)
    before = row.computed_at
    response = client.post(reverse("reviewapp:run-metrics-recompute", args=["support", labelled.iso_year,
                                                                            labelled.iso_week]))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.computed_at > before and not row.stale
    status = client.get(reverse("reviewapp:run-metrics-status", args=["support", labelled.iso_year, labelled.iso_week]))
    assert status.status_code == 200 and b"Computed" in status.content


@pytest.mark.django_db
def test_rubric_text_is_escaped_on_the_metrics_pages(client, lead, project_a, labelled):
    rubric = {"questions": [dict(q) for q in DEFAULT_RUBRIC["questions"]]}
    rubric["questions"].append({"key": "tone_ok", "type": "single", "label": XSS, "required": False, "options": [
        {"value": "yes", "label": XSS + "yes", "shortcut": "y"}, {"value": "no", "label": "no", "shortcut": "n"}]})
    LabelSchema.objects.create(project=project_a, version=2, definition=rubric)
    ScorecardMetric.objects.create(project=project_a, metric="tone_ok:yes", threshold=0.5)
    RunMetrics.objects.filter(run=labelled).update(computed_at=None)
    client.force_login(lead)
    for url in (reverse("reviewapp:scorecard", args=["support"]),
                reverse("reviewapp:run-metrics", args=["support", labelled.iso_year, labelled.iso_week])):
        page = client.get(url).content.decode()
        assert XSS not in page, page[max(0, page.find(XSS) - 300):page.find(XSS) + 50]
        assert "&lt;script&gt;" in page


@pytest.mark.django_db
def test_the_settings_save_the_suggested_lines_and_check_them(client, lead, project_a):
    client.force_login(lead)
    url = reverse("reviewapp:scorecard-settings", args=["support"])
    page = client.get(url).content.decode()
    assert 'value="0.05"' in page  # the default error-rate threshold, suggested
    form = {"form-TOTAL_FORMS": "3", "form-INITIAL_FORMS": "0", "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "8",
            "form-0-metric": "verdict:failure", "form-0-threshold": "0.04", "form-0-guardrail": "0.05",
            "form-1-metric": "escalate", "form-1-threshold": "0.1",
            "form-2-metric": "escalate", "form-2-threshold": "0.2"}
    response = client.post(url, form)
    assert response.status_code == 200 and not ScorecardMetric.objects.exists()
    errors = response.context["formset"].errors
    assert "guardrail" in errors[0] and "metric" in errors[2]
    form.update({"form-0-guardrail": "0.03", "form-2-metric": "verdict:success", "form-2-threshold": "0.8",
                 "form-2-guardrail": "0.85"})
    response = client.post(url, form)
    assert response.status_code == 302
    assert list(ScorecardMetric.objects.values_list("metric", "threshold", "position")) == [
        ("verdict:failure", 0.04, 0), ("escalate", 0.1, 1), ("verdict:success", 0.8, 2)]


@pytest.mark.django_db
def test_a_scorecard_has_at_most_eight_lines(client, lead):
    client.force_login(lead)
    form = {"form-TOTAL_FORMS": "9", "form-INITIAL_FORMS": "0", "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "8"}
    metrics = ["verdict:failure", "verdict:partial", "verdict:success", "escalate", "corrected_output", "harm:incident",
               "harm:near_miss", "errors:tone", "errors:format"]
    for i, metric in enumerate(metrics):
        form.update({f"form-{i}-metric": metric, f"form-{i}-threshold": "0.5"})
    response = client.post(reverse("reviewapp:scorecard-settings", args=["support"]), form)
    assert response.status_code == 200 and not ScorecardMetric.objects.exists()


# The week: 114 of 289 items reviewed, 52 % of the outputs covered, 1 incident in 6 billing items.
POPULATIONS = {"medical": 1300, "billing": 1300, "general": 2400}


def stored_run(project, iso_week: int, data: dict) -> AuditRun:
    """A run whose metrics are already computed (and fresh): the scorecard reads them as they are."""
    plan = SamplingPlan.current(project) or SamplingPlan(project=project).save_as_new_version()
    start = datetime.combine(date.fromisocalendar(2026, iso_week, 1), time(), tzinfo=UTC)
    run = AuditRun.objects.create(
        project=project, iso_year=2026, iso_week=iso_week, plan=plan, seed="s", week_start=start,
        week_end=start + timedelta(days=7), populations={s["name"]: s["population"] for s in data["strata"]},
        allocation={s["name"]: s["drawn"] for s in data["strata"]}, required=sum(s["drawn"] for s in data["strata"]))
    now = timezone.now()
    RunMetrics.objects.create(run=run, data=data, computed_at=now, changed_at=now - timedelta(hours=1))
    return run


@pytest.fixture
def three_weeks(project_a):
    """W46 reviewed, W47 in progress, W48 drawn with nothing labelled yet."""
    ScorecardMetric.objects.create(project=project_a, metric="harm:incident", threshold=0.01, guardrail=0.005,
                                   baseline=0.002)
    complete = week({"medical": (1, 100), "billing": (0, 100), "general": (0, 90)}, "harm:incident",
                    population=POPULATIONS)
    partial = week({"medical": (1, 108), "billing": (1, 6)}, "harm:incident", population=POPULATIONS,
                   drawn={"medical": 108, "billing": 100, "general": 81})
    empty = week({}, "harm:incident", population=POPULATIONS, drawn={"medical": 100, "billing": 100, "general": 88})
    return [stored_run(project_a, w, data) for w, data in ((46, complete), (47, partial), (48, empty))]


def scorecard_sections(page: str) -> dict[str, str]:
    cards = re.findall(r'<section class="card">(.*?)</section>', page, flags=re.S)
    return {"headline": cards[0], "strata": cards[1], "trends": cards[2], "weeks": cards[3]}


@pytest.mark.django_db
def test_the_headline_and_every_number_come_from_one_named_week(client, lead, three_weeks):
    client.force_login(lead)
    page = client.get(reverse("reviewapp:scorecard", args=["support"])).content.decode()
    parts = scorecard_sections(page)
    w46, w47 = (RunMetrics.objects.get(run=run).data["rates"]["harm:incident"] for run in three_weeks[:2])
    # The latest run with a final label, not the drawn but empty W48.
    assert 'id="judged-week">Week 2026-W47' in parts["headline"] and "2026-W48" not in parts["headline"]
    assert "in progress: 114 of 289 items, 52% of outputs covered" in parts["headline"]
    assert f"{w47['weighted']['value'] * 100:.2f} %" in parts["headline"]
    assert f"{w47['naive']['value'] * 100:.2f} %" in parts["headline"]
    assert f"{w46['weighted']['value'] * 100:.2f} %" not in parts["headline"]
    assert "By stratum, week 2026-W47" in parts["strata"] and "6 of 100 reviewed" in parts["strata"]
    # W46 is another week: a link, not a number.
    assert '<a href="?week=2026-W46">2026-W46</a>' in parts["headline"]


@pytest.mark.django_db
def test_a_week_in_progress_says_so_and_its_statuses_wait_unless_certain(client, lead, three_weeks):
    client.force_login(lead)
    page = scorecard_sections(client.get(reverse("reviewapp:scorecard", args=["support"])).content.decode())["headline"]
    assert "in progress" in page and "(in progress), weighted" in page
    assert "waiting for the review to finish" in page and "not shown either way yet" in page
    assert "final</strong>" not in page
    assert "no final label yet in general, taken at its worst" in page
    assert "after the review" in page  # no week-over-week change on a partial week
    page = client.get(reverse("reviewapp:scorecard", args=["support"]) + "?week=2026-W46").content.decode()
    assert 'id="judged-week">Week 2026-W46' in page and "review complete: 290 items" in page
    assert "<strong>final</strong>" in page and "waiting for the review" not in page


@pytest.mark.django_db
def test_small_strata_say_what_they_are_based_on_and_weighting_is_explained(client, lead, three_weeks):
    client.force_login(lead)
    page = client.get(reverse("reviewapp:scorecard", args=["support"])).content.decode()
    parts = scorecard_sections(page)
    assert "billing: 1 in 6, based on 6 items, weighs 26 % of the outputs" in parts["headline"]
    assert "based on 6 items" in parts["strata"]
    assert "based on 108 items" not in page  # a large stratum needs no note
    assert ("weighted: each stratum counts by its share of the week's outputs; unweighted: by how many items were "
            "reviewed, and risky strata are over-sampled") in page.replace("&#x27;", "'").lower()


@pytest.mark.django_db
def test_trend_charts_show_only_weeks_with_labels_each_point_with_a_hover_value(client, lead, three_weeks):
    client.force_login(lead)
    page = client.get(reverse("reviewapp:scorecard", args=["support"])).content.decode()
    svgs = re.findall(r"<svg .*?</svg>", scorecard_sections(page)["trends"], flags=re.S)
    assert len(svgs) == 1
    svg = svgs[0]
    assert "W48" not in svg  # drawn, nothing labelled: not on the axis
    points = re.findall(r"<circle [^>]*><title>([^<]*)</title></circle>", svg)
    assert len(points) == svg.count("<circle") == 2
    assert points[0].startswith("2026-W46: ") and points[0].endswith(", 290 items")
    assert points[1].endswith("114 items; in progress: 114 of 289 items")
    assert re.search(r'class="band"><title>95 % interval: 2026-W46 ', svg)
