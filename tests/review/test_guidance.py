"""Guidance written by leads: markdown rendered sanitised, help and examples on questions and options,
and per-project guidelines versioned with the rubric."""
from __future__ import annotations

import copy
import json

import pytest
from django.template import Context, Template
from django.urls import reverse

from reviewapp.review.guidance import markdown_html
from reviewapp.review.models import LabelSchema
from reviewapp.review.rubric import DEFAULT_RUBRIC, Rubric, RubricError

HOSTILE = ('<script>alert(1)</script> **bold** [click](javascript:alert(1)) [Click](JaVaScRiPt:alert(2)) '
           '[d](data:text/html;base64,PHNjcmlwdD4=) <a href="javascript:alert(3)">a</a> '
           '<img src=x onerror=alert(4)> ![pixel](https://tracker.example/p.png) [ok](https://example.org/policy)')


def test_markdown_is_rendered_and_sanitised():
    html = str(markdown_html(HOSTILE))
    assert "<strong>bold</strong>" in html and '<a href="https://example.org/policy">ok</a>' in html
    assert "<script" not in html and "<img" not in html and "<a href=\"javascript" not in html.lower()
    assert 'href="javascript' not in html.lower() and 'href="data:' not in html
    assert "&lt;script&gt;" in html  # raw HTML shown as text, not dropped silently
    assert markdown_html("") == "" and markdown_html(None) == ""


def test_questions_and_options_take_examples():
    definition = copy.deepcopy(DEFAULT_RUBRIC)
    verdict = definition["questions"][0]
    verdict["examples"] = ["An answer that *cites* the policy"]
    verdict["options"][1]["help"] = "Right in part"
    verdict["options"][1]["examples"] = ["Gives the refund delay but not the form"]
    rubric = Rubric.parse(definition)
    assert rubric.verdict is not None
    assert rubric.verdict.examples == ("An answer that *cites* the policy",)
    assert rubric.verdict.options[1].examples == ("Gives the refund delay but not the form",)
    verdict["options"][1]["examples"] = [3]
    with pytest.raises(RubricError):
        Rubric.parse(definition)


@pytest.mark.django_db
def test_the_guidelines_panel_shows_the_version_and_sanitised_guidance(project_a):
    definition = copy.deepcopy(DEFAULT_RUBRIC)
    definition["questions"][0]["help"] = "Judge **the answer**, not the tone. <script>alert(5)</script>"
    definition["questions"][0]["options"][1]["examples"] = ["[sneaky](javascript:alert(6)) half right"]
    schema = LabelSchema.create_next(project=project_a, definition=definition, guidelines="# Refunds\n" + HOSTILE)
    html = Template("{% load discussion %}{% item_guidelines schema %}").render(Context({"schema": schema}))
    assert f"rubric v{schema.version}" in html and "<h1>Refunds</h1>" in html
    assert "<strong>the answer</strong>" in html and "half right" in html
    assert "<script" not in html and 'href="javascript' not in html.lower() and "<img" not in html


@pytest.mark.django_db
def test_guidelines_are_versioned_with_the_rubric(client, project_a, lead):
    client.force_login(lead)
    url = reverse("reviewapp:rubric", args=["support"])
    first = LabelSchema.current(project_a)
    assert first.guidelines == ""
    definition = json.dumps(first.definition)
    assert client.post(url, {"definition": definition, "guidelines": "Read the **policy** first."}).status_code == 302
    assert client.post(url, {"definition": definition, "guidelines": "Read the policy, then <b>the thread</b>."}).status_code == 302
    versions = {s.version: s.guidelines for s in LabelSchema.objects.filter(project=project_a)}
    assert versions == {1: "", 2: "Read the **policy** first.", 3: "Read the policy, then <b>the thread</b>."}
    page = client.get(url).content.decode()
    assert "rubric v3" in page and "&lt;b&gt;the thread&lt;/b&gt;" in page and "<b>the thread</b>" not in page
