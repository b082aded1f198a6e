"""In headless Chromium: a reviewer labels three items with the keyboard only, and a QA lead
adjudicates a disagreement. Debian's chromium, driven by Playwright; no browser download."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from reviewapp.audits.models import AuditItem, AuditRun
from reviewapp.demo.actions import DEMO_PASSWORD, seed_demo
from reviewapp.review import actions
from reviewapp.review.models import GoldLabel, Label
from tests.helpers import BAD, drawn_run

PASSWORD = "pw-for-tests-1"


def log_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")


@pytest.mark.django_db(transaction=True)
def test_a_demo_reviewer_labels_by_keyboard_and_the_demo_lead_adjudicates(live_server, browser):
    summary = seed_demo(seed=7, n=600, now=timezone.now())
    project = summary.project
    run = AuditRun.objects.filter(project=project).latest("week_start")
    # The demo's team has done part of last week; every item left gets a blind double review here,
    # so the first one reviewer1 labels can be disputed.
    assert not run.items.filter(status="open", labels_count__gt=0).exists()
    run.items.filter(status="open").update(required_reviews=2)
    before = set(Label.objects.values_list("pk", flat=True))
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    base = live_server.url

    log_in(page, base, "reviewer1", DEMO_PASSWORD)
    page.goto(f"{base}/p/demo/review/")
    # "Start reviewing" takes the focus on load (autofocus); wait for it rather than race it.
    page.wait_for_function("document.activeElement && document.activeElement.type === 'submit'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/review/items/**")
    for keys in (["1", "7"], ["3", "f", "8", "e"], ["2", "7"]):
        url = page.url
        page.wait_for_function("document.documentElement.dataset.labelling === 'ready'")
        for key in keys:
            page.keyboard.press(key)
        page.keyboard.press("Control+Enter")
        page.wait_for_url(lambda u, url=url: u != url)
    reviewer1, reviewer2 = (get_user_model().objects.get(username=name) for name in ("reviewer1", "reviewer2"))
    labels = list(Label.objects.filter(reviewer=reviewer1).exclude(pk__in=before).order_by("created_at"))
    assert [lbl.verdict for lbl in labels] == ["success", "failure", "partial"]
    assert labels[1].answers["errors"] == ["factual_error"] and labels[1].answers["escalate"] is True
    assert labels[1].answers["harm"] == "near_miss"

    # reviewer2 disagrees with reviewer1 on the first item; the demo's QA lead settles it from the keyboard.
    disputed = labels[0].item
    claim = actions.claim_next(user=reviewer2, project=project)
    assert claim.item_id == disputed.pk
    actions.submit_label(claim=claim, user=reviewer2, data=BAD)
    page.context.clear_cookies()
    log_in(page, base, "qalead", DEMO_PASSWORD)
    page.goto(f"{base}/p/demo/adjudication/")
    page.click(f"text={disputed.output.external_id}")
    page.wait_for_url("**/adjudication/*/")
    page.wait_for_function("document.documentElement.dataset.labelling === 'ready'")
    for key in ("2", "8"):
        page.keyboard.press(key)
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"{base}/p/demo/adjudication/")
    gold = GoldLabel.objects.get(item=disputed)
    assert (gold.verdict, gold.answers["harm"], gold.method) == ("partial", "near_miss", "adjudicated")
    assert AuditItem.objects.get(pk=disputed.pk).status == "adjudicated"
    assert dialogs == []


@pytest.mark.django_db(transaction=True)
def test_correction_diff_is_drawn_while_typing_and_stays_inert(live_server, browser, project_a, alice):
    drawn_run(project_a)
    claim = actions.claim_next(user=alice, project=project_a)
    output = claim.item.output
    output.output = "The refund takes <img src=x onerror=alert(1)> five days"
    output.save(update_fields=["output"])
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    log_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/p/support/review/items/{claim.item_id}/")
    page.wait_for_function("document.documentElement.dataset.labelling === 'ready'")
    assert page.locator("#correction").is_hidden()
    page.locator("textarea[data-correction]").fill("The refund takes three days")
    page.wait_for_function("!document.getElementById('correction').hidden")
    assert page.locator("#correction-diff del").all_inner_texts() == ["<img src=x onerror=alert(1)> five"]
    assert page.locator("#correction-diff ins").all_inner_texts() == ["three"]
    assert page.locator("#correction-diff img").count() == 0 and page.locator("img[src=x]").count() == 0
    page.locator("textarea[data-correction]").fill("")
    page.wait_for_function("document.getElementById('correction').hidden")
    assert dialogs == []
