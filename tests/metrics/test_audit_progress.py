"""Audit progress that says when to stop (issue 16, item 3): per stratum, reviewed of drawn, the interval
and the sequential verdict in words; a lead closes a stratum whose verdict is final, its unreviewed
items leave the queue, the run records it, and the estimate is the one of the reviewed items.

The verdicts are sampling.SPRT's on the budget 3 % against the alarm 8 % (a scorecard line with its
guardrail and threshold), so the numbers below are that test's: 30 clean items accept, 4 errors
in 10 reject (asserted as preconditions, not assumed)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reviewapp.audits.models import AuditItem, StratumClosure
from reviewapp.metrics.compute import run_report
from reviewapp.metrics.models import ScorecardMetric
from reviewapp.metrics.progress import close_stratum, projected_half_width, run_progress
from reviewapp.review import actions as review_actions
from reviewapp.review.models import Claim
from sampling import SPRT, StratumCount, estimate_proportion, proportion_interval
from tests.helpers import BAD, GOOD, drawn_run

TEST = SPRT(0.03, 0.08)


@pytest.fixture
def run(project_a):
    ScorecardMetric.objects.create(project=project_a, metric="verdict:failure", threshold=0.08, guardrail=0.03)
    return drawn_run(project_a, outputs=400, margin=0.1)  # medical 43 items of 200, billing 36 of 200


def review(run, stratum, reviewer, answers):
    """The stratum's first unlabelled items in draw order get these answers, one each, in order."""
    items = list(run.items.filter(stratum=stratum, labels_count=0).order_by("draw_key")[:len(answers)])
    for item, data in zip(items, answers, strict=True):
        claim = Claim.objects.create(item=item, reviewer=reviewer, expires_at=timezone.now() + timedelta(minutes=20))
        review_actions.submit_label(claim=claim, user=reviewer, data=data)
    return items


def close_url(run):
    return reverse("reviewapp:run-stratum-close", args=[run.project.slug, run.iso_year, run.iso_week])


@pytest.mark.django_db
def test_the_verdict_in_words_for_accept_reject_and_continue(run, alice):
    drawn = run.allocation
    assert TEST.decide(35, 0) == "accept" and TEST.decide(10, 4) == "reject" and TEST.decide(10, 1) == "continue"
    review(run, "medical", alice, [GOOD] * 35)
    found = run_progress(run)
    medical = found.stratum("medical")
    assert (medical.reviewed, medical.drawn, medical.decision) == (35, drawn["medical"], "accept")
    assert medical.words == f"medical: enough evidence after 35 of {drawn['medical']} items: the rate is below 8% (0 errors in 35)"
    assert found.stratum("billing").words == f"billing: no item has a final label yet (0 of {drawn['billing']})"

    review(run, "billing", alice, [BAD, GOOD, GOOD, GOOD, GOOD, GOOD, GOOD, GOOD, GOOD, GOOD])
    billing = run_progress(run).stratum("billing")
    remaining = drawn["billing"] - 10
    assert billing.decision == "continue" and billing.remaining == remaining
    assert billing.words == (f"billing: keep going, {remaining} more items would narrow the interval to "
                             f"±{billing.projected_half_width * 100:.2g}% at the current rate")
    lower, upper = proportion_interval(0.1 * drawn["billing"], drawn["billing"], method="wilson")  # 10 % kept
    assert billing.projected_half_width == pytest.approx((upper - lower) / 2)
    assert projected_half_width(1, 10, remaining) == billing.projected_half_width
    assert (billing.interval.lower, billing.interval.upper) == pytest.approx(proportion_interval(1, 10, method="wilson"))

    review(run, "billing", alice, [BAD] * 3)
    billing = run_progress(run).stratum("billing")
    assert (billing.reviewed, billing.errors, billing.decision) == (13, 4, TEST.decide(13, 4)) and billing.decision == "reject"
    assert billing.words == "billing: the rate is above 3% already (4 errors in 13)"
    found = run_progress(run)
    assert found.words == f"overall: 48 of {run.size} items reviewed; every stratum has its verdict"


@pytest.mark.django_db
def test_the_run_page_the_metrics_page_and_the_queue_say_it(run, client, alice, lead):
    review(run, "medical", alice, [GOOD] * 35)
    words = run_progress(run).stratum("medical").words
    args = [run.project.slug, run.iso_year, run.iso_week]
    client.force_login(alice)
    for url in (reverse("reviewapp:review-queue", args=[run.project.slug]), reverse("reviewapp:run-detail", args=args)):
        page = client.get(url).content.decode()
        assert words in page and "Overall: 35 of" in page
        assert close_url(run) not in page  # a reviewer gets no close button
    client.force_login(lead)
    for url in (reverse("reviewapp:run-detail", args=args), reverse("reviewapp:run-metrics", args=args)):
        page = client.get(url).content.decode()
        assert words in page and "Close medical" in page and "Close billing" not in page


@pytest.mark.django_db
def test_closing_a_stratum_empties_it_from_every_queue_and_is_recorded(run, client, alice, bob, lead):
    review(run, "medical", alice, [GOOD] * 35)
    held = review_actions.claim_next(user=bob, project=run.project)  # bob is mid-item in medical
    assert held.item.stratum == "medical"
    client.force_login(lead)
    response = client.post(close_url(run), {"stratum": "medical"}, follow=True)
    assert response.status_code == 200
    closure = StratumClosure.objects.get(run=run, stratum="medical")
    drawn = run.allocation["medical"]
    assert closure.closed_by == lead and closure.reviewed == 35 and closure.items_closed == drawn - 35 - 1
    assert closure.verdict == f"enough evidence after 35 of {drawn} items: the rate is below 8% (0 errors in 35)"
    assert f"{drawn - 36} unreviewed items left the queue" in response.content.decode()
    assert run.items.filter(stratum="medical", status=AuditItem.Status.CLOSED).count() == drawn - 36
    needed = run.reviews_needed
    run.refresh_from_db()
    assert run.reviews_needed == needed - (drawn - 36)  # the queue's "reviews left" no longer counts them
    for reviewer in (alice, bob, lead):
        left = review_actions.open_items_for(reviewer, [run.project.pk]).filter(stratum="medical")
        assert list(left.values_list("pk", flat=True)) == ([held.item_id] if reviewer == bob else [])
    review_actions.submit_label(claim=held, user=bob, data=GOOD)  # the held item is still finished
    medical = run_progress(run).stratum("medical")
    assert medical.remaining == 0 and medical.closure.by == "lead"
    assert medical.words.startswith("medical: closed early by lead on ")
    page = client.get(reverse("reviewapp:run-detail", args=[run.project.slug, run.iso_year, run.iso_week]))
    assert "closed early by lead" in page.content.decode() and "Close medical" not in page.content.decode()


@pytest.mark.django_db
def test_closing_is_refused_in_words_when_the_verdict_is_not_final(run, client, alice, lead):
    review(run, "billing", alice, [BAD] + [GOOD] * 9)
    client.force_login(lead)
    response = client.post(close_url(run), {"stratum": "billing"}, follow=True)
    page = response.content.decode()
    assert "Not closed: billing cannot be closed: its sequential test has not decided (billing: keep going," in page
    assert not StratumClosure.objects.exists()
    assert not run.items.filter(status=AuditItem.Status.CLOSED).exists()
    assert "Stratum: say which stratum to close." in client.post(close_url(run), {}, follow=True).content.decode()
    with pytest.raises(Exception, match="no stratum 'nowhere'"):
        close_stratum(run=run, stratum="nowhere", user=lead)
    review(run, "medical", alice, [GOOD] * 35)
    close_stratum(run=run, stratum="medical", user=lead)
    with pytest.raises(Exception, match="medical was already closed by lead"):
        close_stratum(run=run, stratum="medical", user=lead)


@pytest.mark.django_db
def test_an_accept_waits_for_the_stratum_s_disputed_items(run, alice, bob, lead):
    review(run, "medical", alice, [GOOD] * 35)
    item = run.items.filter(stratum="medical", status=AuditItem.Status.OPEN).order_by("draw_key").first()
    AuditItem.objects.filter(pk=item.pk).update(status=AuditItem.Status.DISPUTED)  # as two disagreeing reviews leave it
    with pytest.raises(Exception, match="while 1 disputed item waits for a ruling"):
        close_stratum(run=run, stratum="medical", user=lead)


@pytest.mark.django_db
def test_reviewers_get_403_on_the_close_action(run, client, alice):
    review(run, "medical", alice, [GOOD] * 35)
    client.force_login(alice)
    assert client.post(close_url(run), {"stratum": "medical"}).status_code == 403
    assert not StratumClosure.objects.exists()


@pytest.mark.django_db
def test_the_estimate_after_closing_is_the_one_of_the_reviewed_items(run, alice, lead):
    review(run, "medical", alice, [GOOD] * 35)
    review(run, "billing", alice, [BAD] * 4 + [GOOD] * 6)
    assert not run_report(run).complete
    close_stratum(run=run, stratum="medical", user=lead)
    close_stratum(run=run, stratum="billing", user=lead)
    direct = estimate_proportion([StratumCount("medical", run.populations["medical"], 35, 0),
                                  StratumCount("billing", run.populations["billing"], 10, 4)], conservative=True)
    report = run_report(run)
    weighted = report.rates["verdict:failure"].weighted
    assert report.complete  # every item has a final label or left with its closed stratum: the week can close
    assert (weighted.value, weighted.lower, weighted.upper) == pytest.approx((direct.value, direct.lower, direct.upper))
    assert run_progress(run).estimate == weighted


@pytest.mark.django_db
def test_an_export_calls_a_week_with_a_closed_stratum_complete_like_the_metrics(run, alice, lead):
    from reviewapp.exports.selection import Filters, design

    review(run, "medical", alice, [GOOD] * 35)
    review(run, "billing", alice, [BAD] * 4 + [GOOD] * 6)
    close_stratum(run=run, stratum="medical", user=lead)
    close_stratum(run=run, stratum="billing", user=lead)
    [week] = design(run.project, Filters(), timezone.now()).values()
    assert week.complete and week.drawn == week.final == 45 and run_report(run).complete
