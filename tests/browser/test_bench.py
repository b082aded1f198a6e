"""The reviewer's bench in headless Chromium at 1280x800, keyboard only (issue 14): ten demo items
labelled, a submit refused with every answer kept, a draft back after a reload, Back after a submit
read-only, an undo, the output and the submit button on screen, and axe-core on the item and queue pages."""
from __future__ import annotations

import pytest
from django.utils import timezone

from reviewapp.audits.models import AuditRun
from reviewapp.demo.actions import DEMO_PASSWORD, seed_demo
from reviewapp.review import actions
from reviewapp.review.models import Label
from tests.browser.test_review_flow import log_in
from tests.helpers import drawn_run

READY = "document.documentElement.dataset.labelling === 'ready'"
ON_SCREEN = """([output, button]) => {
  const o = document.querySelector(output).getBoundingClientRect(), b = document.querySelector(button).getBoundingClientRect();
  return {output_top: o.top, output_bottom: o.bottom, button_top: b.top, button_bottom: b.bottom,
          button_right: b.right, output_right: o.right, scrolled: window.scrollY};
}"""


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in found
            if v["impact"] in ("serious", "critical")]


def checked(page, name: str) -> list[str]:
    return page.eval_on_selector_all(f"input[name={name}]:checked", "els => els.map(e => e.value)")


def submit_and_wait(page) -> None:
    url = page.url
    page.keyboard.press("Control+Enter")
    page.wait_for_url(lambda u: u != url)
    page.wait_for_function(READY)


@pytest.mark.django_db(transaction=True)
def test_a_reviewer_labels_ten_demo_items_by_keyboard_and_loses_nothing(live_server, browser):
    project = seed_demo(seed=7, n=600, now=timezone.now()).project
    assert AuditRun.objects.filter(project=project).exists()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    base = live_server.url
    log_in(page, base, "reviewer1", DEMO_PASSWORD)
    page.goto(f"{base}/p/demo/review/")
    assert serious_violations(page) == []
    page.wait_for_function("document.activeElement && document.activeElement.type === 'submit'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/review/items/**")
    page.wait_for_function(READY)
    first = page.url
    assert serious_violations(page) == []

    # Judged where the eye lands: output and submit button inside 1280x800, unscrolled.
    box = page.evaluate(ON_SCREEN, ["#model-output", "#submit-label"])
    assert box["scrolled"] == 0 and 0 <= box["output_top"] < 800 and box["output_bottom"] > box["output_top"]
    assert box["button_top"] >= 0 and box["button_bottom"] <= 800 and box["button_right"] <= 1280, box

    # A shortcut never leaves focus on a radio: Down scrolls instead of changing the verdict.
    page.keyboard.press("1")
    assert page.evaluate("document.activeElement === document.body")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("PageDown")
    assert checked(page, "verdict") == ["success"]
    page.keyboard.press("f")
    for _ in range(5):  # j to the corrected output, Enter types into it, Escape leaves it
        page.keyboard.press("j")
    assert page.evaluate("document.activeElement.dataset.key") == "corrected_output"
    page.keyboard.press("Enter")
    page.keyboard.type("The fixed answer")
    page.keyboard.press("Escape")

    # Fail a submit on purpose: harm is missing. Nothing is sent, the fault is named, every answer stays.
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#form-errors:not([hidden])")
    assert page.url == first and page.inner_text("#form-errors") == "Not sent yet; still required: Harm."
    assert checked(page, "verdict") == ["success"] and checked(page, "errors") == ["factual_error"]
    assert page.input_value("textarea[name=corrected_output]") == "The fixed answer"

    # Reload mid-item: the draft comes back, and says so.
    page.reload()
    page.wait_for_function(READY)
    assert page.is_visible("#draft-note")
    assert checked(page, "verdict") == ["success"] and checked(page, "errors") == ["factual_error"]
    assert page.input_value("textarea[name=corrected_output]") == "The fixed answer"

    # g is the rubric's (Ungrounded claim), h the page's (guidelines): neither takes the other's key.
    page.keyboard.press("g")
    assert checked(page, "errors") == ["factual_error", "ungrounded_claim"]
    assert not page.evaluate("document.getElementById('guidelines-panel').open")
    page.keyboard.press("g")
    page.keyboard.press("h")
    assert page.evaluate("document.getElementById('guidelines-panel').open")
    assert checked(page, "errors") == ["factual_error"]
    page.keyboard.press("h")

    # ? lists the shortcuts; Escape closes the list.
    page.keyboard.press("?")
    assert page.is_visible("#shortcuts")
    page.keyboard.press("Escape")
    assert not page.is_visible("#shortcuts")

    page.keyboard.press("7")
    submit_and_wait(page)
    assert "/review/items/" in page.url and page.url != first
    assert page.is_visible("#saved-toast") and "Saved" in page.inner_text("#saved-toast")
    label = Label.objects.get(reviewer__username="reviewer1", item_id=int(first.rstrip("/").rsplit("/", 1)[1]))
    assert label.answers["corrected_output"] == "The fixed answer" and label.answers["harm"] == "none"
    assert label.item.output.external_id in page.inner_text("#saved-toast")

    # u undoes it: the label is withdrawn and the item comes back with its answers.
    page.keyboard.press("u")
    page.wait_for_url(first)
    page.wait_for_function(READY)
    assert not Label.objects.filter(pk=label.pk).exists()
    assert checked(page, "verdict") == ["success"] and checked(page, "harm") == ["none"]
    assert page.input_value("textarea[name=corrected_output]") == "The fixed answer"
    submit_and_wait(page)
    assert page.is_visible("#saved-toast")

    # Back to the submitted item: read-only, with Revise.
    second = page.url
    page.go_back()
    page.wait_for_url(first)
    page.wait_for_function(READY)
    assert page.is_disabled("#submit-label") and page.is_disabled("input[name=verdict] >> nth=0")
    assert page.is_visible("#revise")
    page.keyboard.press("Control+Enter")  # a stale form never becomes a revision
    page.wait_for_timeout(200)
    assert page.url == first
    page.focus("#revise")
    page.keyboard.press("Enter")
    assert not page.is_disabled("#submit-label")
    page.goto(second)
    page.wait_for_function(READY)

    # Nine more, each with the output and the button on screen: ten labelled in all.
    for _ in range(9):
        box = page.evaluate(ON_SCREEN, ["#model-output", "#submit-label"])
        assert 0 <= box["output_top"] < 800 and box["button_bottom"] <= 800, (page.url, box)
        for key in ("2", "7"):
            page.keyboard.press(key)
        submit_and_wait(page)
    assert Label.objects.filter(reviewer__username="reviewer1", created_at__gte=label.created_at).count() == 10
    assert dialogs == []


@pytest.mark.django_db(transaction=True)
def test_citations_link_to_numbered_passages_and_stay_text(live_server, browser, project_a, alice):
    drawn_run(project_a)
    claim = actions.claim_next(user=alice, project=project_a)
    output = claim.item.output
    output.output = "Refunds take 5 days [1], not <b>[2]</b> [9]."
    output.context = [{"id": "kb-1", "content": "Refunds: 5 days."}, {"content": "Other"}]
    output.save(update_fields=["output", "context"])
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    log_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/p/support/review/items/{claim.item_id}/")
    page.wait_for_function(READY)
    assert page.eval_on_selector_all("#model-output a", "as => as.map(a => a.getAttribute('href'))") == ["#passage-1", "#passage-2"]
    assert page.inner_text("#model-output") == output.output and page.locator("#model-output b").count() == 0
    page.focus("#model-output a >> nth=0")
    page.keyboard.press("Enter")
    assert page.is_visible("#passage-1")
