"""Model outputs are attacker-influenced text: a corpus of payloads placed in every field that
reaches a page (input, output, context, metadata keys and values, ids, category and model,
project name, rubric labels, notes and corrections) is rendered inert on every page of the web
app, generated from the URL conf like the permission matrix."""
from __future__ import annotations

import pytest
from django.urls import reverse

from reviewapp.exports import actions as exports
from reviewapp.ingest.models import Output
from reviewapp.review import actions
from reviewapp.review.models import LabelSchema
from reviewapp.review.rubric import DEFAULT_RUBRIC
from tests.review.conftest import drawn_run
from tests.test_permission_matrix import kwargs_for, reviewapp_urls

PAYLOADS = [
    '<script>alert("xss-1")</script>',
    '<img src=x onerror=alert("xss-2")>',
    '"><svg/onload=alert("xss-3")>',
    "<a href=\"javascript:alert('xss-4')\">click</a>",
    "[click](javascript:alert('xss-5'))<iframe src=javascript:alert(6)>",
    "</textarea><script>alert('xss-7')</script>",
    "'-alert('xss-8')-'</title><body onload=alert(9)>",
]
ALL = " ".join(PAYLOADS)
# What a payload would need to run: any of these appearing raw means a field was not escaped.
RAW = ["<script>alert(", "<img src=x", "<svg/onload", "<iframe", "href=\"javascript:", "<body onload", "</textarea><script>"]


@pytest.fixture
def hostile(project_a, alice, lead):
    project_a.name = f"Support {PAYLOADS[2]}"
    project_a.save()
    rubric = {"questions": [dict(q) for q in DEFAULT_RUBRIC["questions"]]}
    rubric["questions"][0] = {**rubric["questions"][0], "label": PAYLOADS[0],
                              "options": [{**o, "label": PAYLOADS[1] + o["label"]} for o in rubric["questions"][0]["options"]]}
    LabelSchema.objects.create(project=project_a, version=1, definition=rubric)
    run = drawn_run(project_a, outputs=20)
    Output.objects.filter(project=project_a).update(
        input=[{"role": "system", "content": PAYLOADS[3]}, {"role": "user", "content": ALL}],
        output=ALL, context=[PAYLOADS[4], {"content": PAYLOADS[5], PAYLOADS[6]: PAYLOADS[1]}],
        metadata={PAYLOADS[0]: PAYLOADS[1], "note": ALL}, category=PAYLOADS[2][:100], model=PAYLOADS[6][:200],
        model_version=PAYLOADS[3][:200])
    claim = actions.claim_next(user=alice, project=project_a)
    actions.submit_label(claim=claim, user=alice, data={"verdict": "failure", "harm": "near_miss", "notes": ALL,
                                                        "corrected_output": ALL, "errors": ["tone"]})
    second = actions.claim_next(user=alice, project=project_a)
    snapshot = exports.build(exports.create(project=project_a, filters={}, formats=["jsonl"], queue=False))
    return {"run": run, "item": second.item, "snapshot": snapshot, "labelled": claim.item, "lead": lead,
            "reviewer": alice}


def assert_inert(html: str, where: str) -> None:
    for raw in RAW:
        assert raw not in html, f"{where}: {raw!r} is in the page unescaped"


@pytest.mark.django_db
@pytest.mark.parametrize("name", [n for n in reviewapp_urls() if n not in ("export-download", "logout")])
def test_every_page_renders_the_payloads_inert(client, hostile, name):
    url = reverse(f"reviewapp:{name}", kwargs=kwargs_for(name, hostile))
    for who in ("lead", "reviewer"):
        client.force_login(hostile[who])
        response = client.get(url)
        assert response.status_code in (200, 302, 403, 405), (name, who, response.status_code)
        if who == "lead":
            assert response.status_code != 403, name  # leads see every page: the corpus reaches them all
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
            assert_inert(response.content.decode(), f"{name} as {who}")


@pytest.mark.django_db
def test_the_item_pages_show_the_payloads_as_text(client, hostile):
    client.force_login(hostile["reviewer"])
    item = hostile["labelled"]
    html = client.get(reverse("reviewapp:review-item", args=["support", item.pk])).content.decode()
    assert "&lt;script&gt;alert(&quot;xss-1&quot;)&lt;/script&gt;" in html  # shown, as text
    assert_inert(html, "item page")
    client.force_login(hostile["lead"])
    for url in (reverse("reviewapp:output-detail", args=["support", item.output_id]),
                reverse("reviewapp:review-history", args=["support", item.pk]),
                reverse("reviewapp:adjudicate", args=["support", item.pk])):
        assert_inert(client.get(url).content.decode(), url)
