"""Model outputs are attacker-influenced text: a corpus of payloads placed in every field that
reaches a page (input, output, context, metadata keys and values, ids, category and model,
project name, rubric labels, notes and corrections) is rendered inert on every page of the web
app, generated from the URL conf like the permission matrix."""
from __future__ import annotations

import pytest
from django.urls import reverse

from tests.helpers import kwargs_for, reviewapp_urls

# What a payload would need to run: any of these appearing raw means a field was not escaped.
RAW = ["<script>alert(", "<img src=x", "<svg/onload", "<iframe", "href=\"javascript:", "<body onload", "</textarea><script>"]


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
