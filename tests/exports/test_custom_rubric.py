"""A lead's own rubric reaches every stage that reads verdicts: the run page's and the labels
page's filters, the metrics, the scorecard's defaults, the export form, its filters and its rows.
(Before the Rubric, a rubric with other verdicts left all of them empty.)"""
from __future__ import annotations

import pytest

from reviewapp.audits.filters import AuditItemFilter
from reviewapp.exports import actions
from reviewapp.exports.forms import ExportForm
from reviewapp.exports.selection import SelectionError
from reviewapp.metrics import scorecard
from reviewapp.metrics.catalogue import rates
from reviewapp.metrics.compute import run_metrics
from reviewapp.review import actions as review
from reviewapp.review.filters import LabelFilter
from reviewapp.review.models import LabelSchema
from tests.helpers import cut, drawn_run, rows_of

PASS_FAIL = {"questions": [
    {"key": "verdict", "type": "single", "label": "Outcome", "required": True,
     "options": [{"value": "pass", "label": "Pass", "shortcut": "p"}, {"value": "fail", "label": "Fail", "shortcut": "f"}]},
    {"key": "corrected_output", "type": "corrected_output", "label": "Better answer"},
]}
CHOICES = [("pass", "Pass"), ("fail", "Fail")]


@pytest.mark.django_db
def test_a_custom_rubric_s_verdicts_reach_filters_metrics_and_exports(project_a, alice):
    LabelSchema.objects.create(project=project_a, version=2, definition=PASS_FAIL)
    run = drawn_run(project_a, outputs=10)
    claim = review.claim_next(user=alice, project=project_a)
    review.submit_label(claim=claim, user=alice, data={"verdict": "fail", "corrected_output": "The right answer."})
    while (claim := review.claim_next(user=alice, project=project_a)) is not None:
        review.submit_label(claim=claim, user=alice, data={"verdict": "pass"})

    assert AuditItemFilter({}, queryset=run.items.all(), run=run).filters["verdict"].extra["choices"] == CHOICES
    assert LabelFilter({}, project=project_a).filters["verdict"].extra["choices"] == CHOICES
    failing = AuditItemFilter({"verdict": "fail"}, queryset=run.items.all(), run=run).qs
    assert failing.count() == 1

    rubric = LabelSchema.current(project_a).rubric
    assert {"verdict:pass", "verdict:fail", "corrected_output"} == set(rates(rubric))
    measured = run_metrics(run)["rates"]
    assert measured["verdict:fail"]["naive"] and measured["corrected_output"]["label"] == "Override / rework"
    assert [line.metric for line in scorecard.configured(project_a)] == ["corrected_output"]  # no harm, no 'failure'


    form = ExportForm(project=project_a)
    assert form.fields["verdicts"].choices == CHOICES and form.fields["error_categories"].choices == []
    with pytest.raises(SelectionError, match="'failure' is not one of pass, fail"):
        actions.create(project=project_a, filters={"verdicts": ["failure"]}, formats=["jsonl"], queue=False)
    (row,) = rows_of(cut(project_a, {"verdicts": ["fail"]}, ["jsonl"]))
    assert row["verdict"] == "fail" and row["corrected_output"] == row["expected_output"] == "The right answer."
    assert row["error_categories"] == [] and row["harm"] is None and row["agreement"]["share"] == 1.0


@pytest.mark.django_db
def test_a_rubric_changed_after_a_snapshot_was_asked_for_neither_fails_its_build_nor_empties_old_answers(
        project_a, labelled, lead):
    """Filters are checked against the verdicts of the moment the snapshot is asked for; answers keep
    the keys of the rubric version they were given under."""
    snapshot = actions.create(project=project_a, filters={"verdicts": ["failure"]}, formats=["jsonl"], user=lead,
                              queue=False)
    LabelSchema.objects.create(project=project_a, version=2, definition=PASS_FAIL)
    rows = rows_of(actions.build(snapshot))
    assert rows and all(row["verdict"] == "failure" for row in rows)
    corrected = [row for row in rows if row["corrected_output"]]
    assert corrected and all(row["harm"] == "near_miss" and row["error_categories"] for row in corrected)


@pytest.mark.django_db
def test_a_custom_verdict_that_means_accepted_makes_the_output_the_expected_one(project_a, alice):
    declared = {"questions": [{**PASS_FAIL["questions"][0], "options": [
        {"value": "pass", "label": "Pass", "shortcut": "p", "means": "accepted"},
        {"value": "fail", "label": "Fail", "shortcut": "f", "means": "failure"}]}, PASS_FAIL["questions"][1]]}
    LabelSchema.objects.create(project=project_a, version=2, definition=declared)
    drawn_run(project_a, outputs=10)
    while (claim := review.claim_next(user=alice, project=project_a)) is not None:
        review.submit_label(claim=claim, user=alice, data={"verdict": "pass"})
    rows = rows_of(cut(project_a, {"verdicts": ["pass"]}, ["jsonl"]))
    assert rows and all(row["expected_output"] == row["output"] for row in rows)
