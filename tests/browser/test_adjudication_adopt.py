"""In headless Chromium: the adjudication desk's adopt buttons fill the gold form in place (adjudicate.js),
each replacing what was there, and Ctrl+Enter records the ruling with the lead's reason."""
from __future__ import annotations

import pytest

from reviewapp.review.models import GoldLabel, Label
from tests.browser.test_review_flow import log_in
from tests.helpers import CORRECTED
from tests.review.test_adjudication_blind import disputed_items


@pytest.mark.django_db(transaction=True)
def test_a_lead_adopts_a_reviewers_answers_in_one_click_and_rules_with_a_reason(live_server, browser, project_a, alice, bob, lead):
    [item] = disputed_items(project_a, alice, bob)
    Label.objects.filter(item=item, reviewer=bob).update(answers={**CORRECTED, "escalate": True})
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    base = live_server.url
    log_in(page, base, "lead")
    page.goto(f"{base}/p/support/adjudication/{item.pk}/")
    page.wait_for_function("document.documentElement.dataset.labelling === 'ready'")
    assert page.eval_on_selector_all("#label-form input:checked", "els => els.length") == 0
    page.click("text=Fill the form with bob's answers")
    assert page.url.endswith(f"/adjudication/{item.pk}/")  # no navigation
    checked = page.eval_on_selector_all("#label-form input:checked", "els => els.map(e => e.name + '=' + e.value)")
    assert sorted(checked) == ["errors=factual_error", "errors=tone", "escalate=true", "harm=near_miss", "verdict=failure"]
    assert page.input_value("textarea[name=notes]") == "wrong delay"
    assert "Filled from reviewer bob's answers" in page.inner_text("#gold-source")
    page.click("text=Fill the form with alice's answers")
    checked = page.eval_on_selector_all("#label-form input:checked", "els => els.map(e => e.name + '=' + e.value)")
    assert sorted(checked) == ["harm=none", "verdict=success"]
    assert page.input_value("textarea[name=notes]") == ""
    page.fill("#gold-reason", "alice was right")
    page.keyboard.press("Escape")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"{base}/p/support/adjudication/")
    gold = GoldLabel.objects.get(item=item)
    assert gold.verdict == "success" and gold.revisions.get().reason == "alice was right"
    assert errors == []
