"""The rubric builder in headless Chromium (issue 15, item 4): a lead adds an option with the keyboard
and the builder's buttons, sees it in the server's preview of the reviewer's form, moves it, and saves."""
from __future__ import annotations

import pytest

from reviewapp.review.models import LabelSchema
from tests.browser.test_bench import serious_violations
from tests.browser.test_review_flow import log_in


@pytest.mark.django_db(transaction=True)
def test_a_lead_adds_an_option_by_keyboard_sees_it_previewed_and_saves(live_server, browser, project_a, lead):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    base = live_server.url
    log_in(page, base, "lead", "pw-for-tests-1")
    page.goto(f"{base}/p/support/rubric/")
    page.wait_for_selector("#rubric-builder fieldset.rb-question")
    assert page.locator("#rubric-json").get_attribute("open") is None  # the JSON is one click away, folded
    assert page.locator("fieldset.rb-question legend").all_inner_texts()[:3] == [
        "Question 1 · Verdict", "Question 2 · Error categories", "Question 3 · Harm"]
    assert serious_violations(page) == []

    page.get_by_role("button", name="Add option to question 2 (Error categories)").focus()
    page.keyboard.press("Enter")  # focus moves to the new option's value
    page.keyboard.type("outdated")
    page.keyboard.press("Tab")
    page.keyboard.type("Outdated policy")
    page.keyboard.press("Tab")
    page.keyboard.type("x")
    preview = page.locator("#rubric-preview")
    preview.locator("input[name=errors][value=outdated]").wait_for()
    assert "Outdated policy" in preview.inner_text()

    page.get_by_role("button", name="Move up: option 9 (Outdated policy) of question 2 (Error categories)").focus()
    page.keyboard.press("Enter")
    moved = page.get_by_role("button", name="Move up: option 8 (Outdated policy) of question 2 (Error categories)")
    assert moved.evaluate("el => el === document.activeElement")  # focus stays with the moved option
    page.wait_for_function("""() => [...document.querySelectorAll('#rubric-preview input[name=errors]')]
                              .map(e => e.value).slice(-2).join() === 'outdated,over_permissive'""")

    page.get_by_role("button", name="Save as a new version").click()
    page.wait_for_selector("text=Saved rubric version 2")
    schema = LabelSchema.current(project_a)
    assert schema.version == 2
    assert [o["value"] for o in schema.questions[1]["options"]][-3:] == ["unwarranted_refusal", "outdated", "over_permissive"]
    added = schema.questions[1]["options"][-2]
    assert added == {"value": "outdated", "label": "Outdated policy", "shortcut": "x"}
    page.close()
