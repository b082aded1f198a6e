"""The scorecard, a run's metrics page and the scorecard settings, as a QA lead sees them."""
from __future__ import annotations

import pytest
from django.urls import reverse

from reviewapp.metrics.models import RunMetrics, ScorecardMetric
from reviewapp.review.models import LabelSchema
from reviewapp.review.rubric import DEFAULT_RUBRIC
from tests.metrics.test_compute import label_all, ranks
from tests.review.conftest import BAD, GOOD, drawn_run

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
    assert "set your own" in page and str(labelled.week) in page
    assert 'class="status' in page


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
