"""From nothing to a first drawn audit in the browser (issue 15, Done when): a fresh admin on an empty
database creates a project, invites a reviewer (the link read from the mail outbox), sends 500 outputs
through the API with the token the page showed once, builds two strata with the row editor, sizes the
plan for a what-if 10,000 a week at a 0.5% budget, draws the week, and the reviewer's queue fills.
The outputs are last week's: the plan page counts what each row caught in the last complete week."""
from __future__ import annotations

import re
import time
import urllib.request
from datetime import timedelta

import orjson
import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from reviewapp.audits.models import AuditRun, SamplingPlan
from reviewapp.lib.weeks import IsoWeek
from reviewapp.projects.models import Project
from tests.browser.test_review_flow import log_in


def send_outputs(base: str, slug: str, token: str, week: IsoWeek) -> dict:
    start, _ = week.bounds("UTC")
    lines = []
    for i in range(500):
        category = "medical" if i % 5 == 0 else "billing"
        lines.append(orjson.dumps({
            "external_id": f"onb-{i}", "occurred_at": (start + timedelta(minutes=19 * i)).isoformat(),
            "input": [{"role": "user", "content": f"Question {i}"}], "output": f"Answer {i}", "category": category,
            "risk_tier": "high" if category == "medical" else "low"}))
    request = urllib.request.Request(f"{base}/api/v1/projects/{slug}/outputs", data=b"\n".join(lines), method="POST",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"})
    with urllib.request.urlopen(request) as response:
        return orjson.loads(response.read())


def fill_row(row, **values) -> None:
    for name, value in values.items():
        row.locator(f"input[name=row-{name}]").fill(str(value))


@pytest.mark.django_db(transaction=True)
def test_a_fresh_admin_gets_from_nothing_to_a_drawn_week(live_server, browser):
    started = time.monotonic()
    get_user_model().objects.create_superuser("founder", "founder@example.org", "pw-for-tests-1")
    base = live_server.url
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    log_in(page, base, "founder", "pw-for-tests-1")

    # Create the project: the token is shown once.
    page.click("text=New project")
    page.fill("input[name=name]", "Onboarding bot")
    page.fill("input[name=time_zone]", "UTC")
    page.click("button:has-text('Create the project')")
    page.wait_for_url(f"{base}/p/onboarding-bot/tokens/")
    assert "copy it now" in page.inner_text("main")
    token = page.input_value("#token-plaintext")
    assert token.startswith("spc_")
    page.goto(f"{base}/p/onboarding-bot/")
    assert "0 of 4 done" in page.inner_text("#setup-title")

    # Invite a reviewer; the link comes by mail.
    page.goto(f"{base}/p/onboarding-bot/people/")
    page.fill("#id_email", "rita@example.org")
    page.click("button:has-text('Send the invitation')")
    assert "Invitation e-mailed to rita@example.org" in page.inner_text("main")
    link = re.search(r"https?://\S+/invite/\S+/", mail.outbox[-1].body).group(0)

    # 500 outputs of last week (the complete week the plan page sizes from) through the API.
    week = IsoWeek.containing(timezone.now(), "UTC").shift(-1)
    report = send_outputs(base, "onboarding-bot", token, week)
    assert report["created"] == 500 and report["rejected"] == 0

    # The plan: two strata built as rows, a 0.5% budget, sized for a what-if 10,000 a week.
    page.goto(f"{base}/p/onboarding-bot/plan/")
    page.wait_for_selector("#add-stratum:not([hidden])")
    page.select_option("select[name=goal]", "budget")
    fill_row(page.locator(".stratum-row").last, name="medical", category="medical", weight=4)
    page.click("#add-stratum")
    fill_row(page.locator(".stratum-row").last, name="billing", category="billing", weight=1)
    page.fill("input[name=max_rate]", "0.5")
    page.fill("input[name=weekly_volume]", "10000")
    page.wait_for_function("document.querySelector('#figures .volume-note') && "
                           "document.querySelector('#figures .volume-note').textContent.includes('10000')")
    figures = page.inner_text("#figures")
    assert "what-if week of 10000 outputs" in figures and "medical" in figures and "billing" in figures
    rows = page.eval_on_selector_all(".stratum-row .row-caught", "els => els.map(e => e.textContent.trim())")
    assert rows[:2] == ["100 caught", "400 caught"], rows
    page.click("button:has-text('Save as a new version')")
    page.wait_for_load_state()
    project = Project.objects.get(slug="onboarding-bot")
    plan = SamplingPlan.current(project)
    assert plan.version == 2 and plan.max_rate == pytest.approx(0.005)
    assert [s["name"] for s in plan.strata] == ["medical", "billing"]

    # Draw the week.
    page.goto(f"{base}/p/onboarding-bot/audits/")
    early = page.locator("input[name=early]")
    if early.count():  # run early in the week: last week's grace period for late arrivals is not over yet
        early.check()
    page.click(f"button:has-text('Draw {week}')")
    page.wait_for_load_state()
    run = AuditRun.objects.get(project=project)
    assert run.size > 0 and run.population == 500

    # The reviewer signs up through the link and finds the queue filled.
    reviewer = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    reviewer.goto(link)
    reviewer.fill("input[name=username]", "rita")
    reviewer.fill("input[name=password]", "a-long-pass-phrase-9")
    reviewer.fill("input[name=password_again]", "a-long-pass-phrase-9")
    reviewer.click("button:has-text('Create my login and join')")
    reviewer.wait_for_url(f"{base}/p/onboarding-bot/")
    reviewer.goto(f"{base}/p/onboarding-bot/review/")
    queue = reviewer.inner_text("main")
    assert str(week) in queue and f"0 / {run.reviews_needed}" in queue, queue
    page.goto(f"{base}/p/onboarding-bot/")
    assert "Set up" not in page.inner_text("main")  # every step ticked itself
    assert time.monotonic() - started < 60
