"""Guidance written by leads: markdown rendered sanitised, help and examples on questions and options,
and per-project guidelines versioned with the rubric."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from django.template import Context, Template
from django.urls import reverse

import reviewapp
from reviewapp.review import actions
from reviewapp.review.guidance import markdown_html
from reviewapp.review.models import LabelSchema
from reviewapp.review.rubric import DEFAULT_RUBRIC, Rubric, RubricError
from tests.helpers import drawn_run

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


@pytest.mark.django_db
def test_the_form_shows_each_help_beside_its_question_and_option(client, project_a, alice):
    """Inline guidance: every help and example reaches the label form, sanitised, tied to its input by
    aria-describedby (read out on focus), in an element the style sheet shows on hover and focus."""
    definition = copy.deepcopy(DEFAULT_RUBRIC)
    definition["questions"][0]["help"] = "Judge **the answer**. <script>alert(7)</script>"
    definition["questions"][0]["options"][1]["help"] = "Right in *part*"
    definition["questions"][0]["options"][1]["examples"] = ["[sneaky](javascript:alert(8)) half right"]
    LabelSchema.create_next(project=project_a, definition=definition)
    drawn_run(project_a)
    item = actions.claim_next(user=alice, project=project_a).item
    client.force_login(alice)
    page = client.get(reverse("reviewapp:review-item", args=["support", item.pk])).content.decode()
    assert 'aria-describedby="q-verdict-hint"' in page
    assert '<div class="hint" role="tooltip" id="q-verdict-hint"><p>Judge <strong>the answer</strong>. &lt;script&gt;' in page
    partial = page[page.index('value="partial"'):]
    partial = partial[:partial.index("</label>")]
    assert 'aria-describedby="q-verdict-o2-hint"' in partial
    assert '<span class="hint" role="tooltip" id="q-verdict-o2-hint"><p>Right in <em>part</em></p>' in partial
    assert "half right" in partial and 'href="javascript' not in page.lower() and "<script>alert" not in page
    css = (Path(reviewapp.__file__).parent / "static" / "reviewapp" / "app.css").read_text()
    assert "label.choice:focus-within > .hint" in css and "fieldset.question:focus > .hint" in css

