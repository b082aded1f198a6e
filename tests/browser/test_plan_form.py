"""The sampling plan page in headless Chromium (issue 15, item 3): only the chosen goal's fields show,
a stratum row moves by keyboard (and by drag) and the counts each row caught follow (first match
wins), the result panel stays in view while the lead scrolls, and the rows are saved in their order."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from reviewapp.audits.models import SamplingPlan
from reviewapp.lib.weeks import IsoWeek
from tests.browser.test_bench import serious_violations
from tests.browser.test_review_flow import log_in
from tests.helpers import add_outputs


@pytest.mark.django_db(transaction=True)
def test_a_lead_edits_the_plan_in_percent_and_rows(live_server, browser, project_a, lead):
    SamplingPlan(project=project_a, strata=[
        {"name": "risky", "match": {"risk_tier": ["high"]}, "weight": 3, "minimum": 0},
        {"name": "medical", "match": {"category": ["medical"]}, "weight": 5, "minimum": 0},
    ]).save_as_new_version()
    start, _ = IsoWeek.containing(timezone.now(), "UTC").shift(-1).bounds("UTC")
    add_outputs(project_a, {("medical", "high"): 6, ("medical", "low"): 4, ("billing", "high"): 5,
                            ("billing", "low"): 9}, start=start + timedelta(hours=1))
    page = browser.new_page(viewport={"width": 1280, "height": 700})
    base = live_server.url
    log_in(page, base, "lead", "pw-for-tests-1")
    page.goto(f"{base}/p/support/plan/")
    page.wait_for_selector(".stratum-row .row-moves:not([hidden])")
    assert serious_violations(page) == []

    # The budget goal: its fields show, the margin goal's do not; choosing the margin goal swaps them.
    assert page.locator("input[name=max_rate]").is_visible() and not page.locator("input[name=margin]").is_visible()
    assert not page.locator(".goal-tag").first.is_visible()  # with the script, the goal need not be named
    page.select_option("select[name=goal]", "margin")
    assert page.locator("input[name=margin]").is_visible() and not page.locator("input[name=max_rate]").is_visible()
    assert page.locator("input[name=margin]").input_value() == "3"  # percent, not 0.03

    caught = page.locator(".stratum-row .row-caught")
    assert caught.all_inner_texts()[:2] == ["11 caught", "4 caught"]  # risky first: 6 + 5 high; medical low 4
    assert page.locator("#other-caught").inner_text() == "9 caught"

    page.get_by_role("button", name="Move up: stratum 2 (medical)").focus()
    page.keyboard.press("Enter")
    assert page.get_by_role("button", name="Move up: stratum 1 (medical)").evaluate("el => el === document.activeElement")
    page.wait_for_function("() => document.querySelector('.stratum-row .row-caught').textContent === '10 caught'")
    assert caught.all_inner_texts()[:2] == ["10 caught", "5 caught"]  # medical now wins its 6 high ones
    exported = page.locator("textarea[name=strata]").input_value()  # the JSON export follows the rows
    assert [s["name"] for s in json.loads(exported)] == ["medical", "risky"]

    # The result panel stays beside the fields as the lead scrolls down to the rows.
    page.evaluate("window.scrollTo(0, document.querySelector('.plan-form').offsetTop + 400)")
    box, form = page.locator(".plan-result").bounding_box(), page.locator(".plan-form").bounding_box()
    assert box is not None and form is not None and form["y"] < -300
    assert 0 <= box["y"] <= 20  # stuck at the top of the window (top: 1rem)

    # Dragging by the handle does the same: risky back on top, its counts with it.
    page.locator(".stratum-row").nth(1).locator(".drag-handle").drag_to(
        page.locator(".stratum-row").nth(0), target_position={"x": 20, "y": 5})
    page.wait_for_function("() => document.querySelector('.stratum-row .row-caught').textContent === '11 caught'")
    assert page.locator(".stratum-row input[name=row-name]").first.input_value() == "risky"

    page.get_by_role("button", name="Save as a new version").click()
    page.wait_for_selector("text=Saved as plan version 2")
    plan = SamplingPlan.current(project_a)
    assert (plan.goal, plan.margin) == ("margin", 0.03)
    assert [s["name"] for s in plan.strata] == ["risky", "medical"]
    page.close()
