"""Answers read as the rubric's words on every page (issue 14, item 7): no page prints a dict's or a
list's repr, None, True or False where a person reads an answer."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from reviewapp.exports import actions as export_actions
from reviewapp.review.models import LabelSchema
from reviewapp.review.rubric import DEFAULT_RUBRIC, Rubric
from tests.exports.conftest import labelled  # noqa: F401  (the fixture: adjudicated, disputed, corrected items)
from tests.helpers import CORRECTED, RULING, kwargs_for, reviewapp_urls

RAW = re.compile(r"\{'|\['|\bNone\b|\bTrue\b|\bFalse\b")


class _Visible(HTMLParser):
    """What a person reads: text outside <script> and <style>, and the values of form fields."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        elif tag in ("input", "option", "button"):
            self.parts += [value or "" for name, value in attrs if name in ("value", "placeholder")]
        self.parts += [value or "" for name, value in attrs if name in ("title", "aria-label")]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "\n".join(parser.parts)


def test_describe_uses_the_rubrics_words():
    described = Rubric.default().describe({**RULING, "escalate": True, "notes": ""})
    assert described == [("Verdict", "Partial success"), ("Error categories", "Format non-compliance"), ("Harm", "None"),
                         ("Needs escalation", "Yes"), ("Corrected output", "A tidier answer.")]
    assert Rubric.default().describe({"verdict": "failure", "escalate": False, "errors": []}) == [
        ("Verdict", "Failure"), ("Needs escalation", "No")]
    assert Rubric.default().describe(None) == []


def test_describe_keeps_what_another_version_knew():
    """An answer to a question (or an option) this version lacks is still shown, by its key or value."""
    assert Rubric.default().describe({"verdict": "meh", "tone_score": 4, "legacy": ["a", "b"], "flag": False}) == [
        ("Verdict", "meh"), ("tone_score", "4"), ("legacy", "a, b"), ("flag", "No")]


def test_the_filter_escapes_and_keeps_line_breaks():
    from reviewapp.review.templatetags.answers import readable

    html = readable({"verdict": "failure", "corrected_output": "<b>one</b>\ntwo", **{"harm": "none"}}, Rubric.default())
    assert "&lt;b&gt;one&lt;/b&gt;<br>two" in html and "<dt>Verdict</dt><dd>Failure</dd>" in html
    assert "muted" in readable({}, Rubric.default())


def test_plain_shows_json_values_in_words():
    from reviewapp.review.templatetags.answers import plain

    assert [plain(v) for v in (None, "", [], True, False, ["a", 2], {"k": "é"}, [{"a": None}], 1.5)] == [
        "–", "–", "–", "Yes", "No", "a, 2", '{"k": "é"}', '[{"a": null}]', "1.5"]


@pytest.fixture
def pages(project_a, alice, lead, labelled):  # noqa: F811
    """Every page of the URL conf with every kind of label on it. The shipped harm option is labelled
    "None", a word this test looks for: here it reads "No harm"."""
    definition = {**DEFAULT_RUBRIC, "questions": [
        {**q, "options": [{**o, "label": "No harm"} if o["value"] == "none" else o for o in q.get("options", [])]}
        if q["key"] == "harm" else q for q in DEFAULT_RUBRIC["questions"]]}
    LabelSchema.objects.filter(project=project_a).update(definition=definition)
    for name in ("corrected", "adjudicated"):  # metadata of every JSON kind, as producers send it
        output = labelled[name].output
        output.metadata = {"escalated": True, "ticket": None, "tags": ["billing", "refund"], "route": {"queue": "tier-2"},
                           "scores": [{"a": 1}], "resolved": False}
        output.save()
    snapshot = export_actions.build(export_actions.create(project=project_a, filters={}, formats=["jsonl"], queue=False))
    return {**labelled, "snapshot": snapshot, "lead": lead, "reviewer": alice}


@pytest.mark.django_db
@pytest.mark.parametrize("item", ["adjudicated", "disputed", "corrected", "failed"])
def test_no_page_shows_python_values(client, pages, item):
    ctx = {**pages, "item": pages[item]}
    shown, faults = 0, []
    for who in ("lead", "reviewer"):
        client.force_login(ctx[who])
        for name in reviewapp_urls():
            response = client.get(reverse(f"reviewapp:{name}", kwargs=kwargs_for(name, ctx)))
            if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
                continue
            text = visible_text(response.content.decode())
            found = sorted({m.group(0) for m in RAW.finditer(text)})
            if found:
                faults.append((name, who, found, [line.strip() for line in text.splitlines() if RAW.search(line)][:3]))
            shown += 1
    assert not faults
    assert shown > 20


@pytest.mark.django_db
def test_history_and_adjudication_speak_the_rubric(client, pages):
    client.force_login(pages["lead"])
    slug, item = "support", pages["adjudicated"]
    history = visible_text(client.get(reverse("reviewapp:review-history", args=[slug, item.pk])).content.decode())
    assert "Partial success" in history and "Format non-compliance" in history and "A tidier answer." in history
    assert "Factual error, Tone" in history  # alice's CORRECTED label: both error categories by their labels
    adjudicate = visible_text(client.get(reverse("reviewapp:adjudicate", args=[slug, pages["disputed"].pk])).content.decode())
    assert "Policy violation" in adjudicate and "No harm" in adjudicate
    assert CORRECTED["corrected_output"] in visible_text(
        client.get(reverse("reviewapp:review-history", args=[slug, pages["corrected"].pk])).content.decode())
