"""Blind adjudication (issue 15, item 5): the gold form starts empty, the reviewers' answers sit side by
side in words with their differences marked, adopting one reviewer's answers is an explicit act, the
lead's reason is kept with the ruling, and the disputed list shows how long each item has waited."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from reviewapp.review import actions
from reviewapp.review.models import GoldLabel, Label
from tests.helpers import BAD, CORRECTED, GOOD, drawn_run

SLUG = "support"


@dataclass
class Form:
    """The gold form as the browser would read it: each field's name, type, value and whether it is checked."""

    inputs: list[dict] = field(default_factory=list)
    textareas: dict[str, str] = field(default_factory=dict)

    @property
    def checked(self) -> list[tuple[str, str]]:
        return [(i["name"], i.get("value", "")) for i in self.inputs
                if i.get("type") in ("radio", "checkbox") and "checked" in i]

    @property
    def filled(self) -> dict[str, str]:
        """Text fields and number inputs with something in them."""
        values = {i["name"]: i.get("value") or "" for i in self.inputs if i.get("type") == "number"}
        return {k: v for k, v in {**values, **self.textareas}.items() if v.strip()}


class _FormParser(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.textarea = form_id, False, None
        self.form = Form()

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "form" and found.get("id") == self.form_id:
            self.inside = True
        elif self.inside and tag == "input" and found.get("type") not in ("hidden", "submit"):
            self.form.inputs.append(found)
        elif self.inside and tag == "textarea":
            self.textarea = found["name"]
            self.form.textareas[self.textarea] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.form.textareas[self.textarea] += data


def gold_form(html: str) -> Form:
    parser = _FormParser("label-form")
    parser.feed(html)
    assert parser.form.inputs, "the page has no gold form"
    return parser.form


class _Table(HTMLParser):
    """The side-by-side table: its header cells and each body (and footer) row as the text of its cells."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = self.in_body = False
        self.head: list[str] = []
        self.rows: list[dict] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "table" and "side-by-side" in (found.get("class") or ""):
            self.inside = True
        elif self.inside and tag in ("tbody", "tfoot"):
            self.in_body = True
        elif self.inside and self.in_body and tag == "tr":
            self.rows.append({"class": found.get("class") or "", "cells": []})
        elif self.inside and tag in ("th", "td"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif tag in ("tbody", "tfoot"):
            self.in_body = False
        elif self.inside and tag in ("th", "td") and self.cell is not None:
            text = " ".join("".join(self.cell).split())
            (self.rows[-1]["cells"] if self.in_body else self.head).append(text)
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def side_by_side(html: str) -> _Table:
    parser = _Table()
    parser.feed(html)
    return parser


def disputed_items(project, alice, bob, count: int = 1) -> list:
    """Items of a double review where alice says GOOD and bob says BAD, in the order they were reviewed."""
    drawn_run(project, overlap_share=1.0)
    items = []
    for _ in range(count):
        a = actions.claim_next(user=alice, project=project)
        b = actions.claim_next(user=bob, project=project)
        assert a.item_id == b.item_id
        actions.submit_label(claim=a, user=alice, data=GOOD)
        actions.submit_label(claim=b, user=bob, data=BAD)
        items.append(a.item)
    assert all(item.labels.count() == 2 for item in items)
    return items


def url(item, **query) -> str:
    address = reverse("reviewapp:adjudicate", args=[SLUG, item.pk])
    return address + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.mark.django_db
def test_the_gold_form_starts_empty_when_there_is_no_gold(client, project_a, alice, bob, lead):
    [item] = disputed_items(project_a, alice, bob)
    client.force_login(lead)
    page = client.get(url(item)).content.decode()
    form = gold_form(page)
    assert {i["type"] for i in form.inputs} >= {"radio", "checkbox"}
    assert form.checked == [] and form.filled == {}
    assert "Nothing is filled in" in page


@pytest.mark.django_db
def test_an_earlier_ruling_fills_the_form_and_says_so(client, project_a, alice, bob, lead):
    [item] = disputed_items(project_a, alice, bob)
    actions.adjudicate(item=item, user=lead, data={"verdict": "partial", "harm": "none", "notes": "borderline"})
    client.force_login(lead)
    page = client.get(url(item)).content.decode()
    form = gold_form(page)
    assert sorted(form.checked) == [("harm", "none"), ("verdict", "partial")]
    assert form.filled == {"notes": "borderline"}
    assert "the lead's earlier ruling, by lead" in page


@pytest.mark.django_db
def test_the_reviewers_answers_read_side_by_side_in_words_with_the_differences_marked(client, project_a, alice, bob, lead):
    [item] = disputed_items(project_a, alice, bob)
    client.force_login(lead)
    table = side_by_side(client.get(url(item)).content.decode())
    assert table.head == ["Question", "alice", "bob"]
    rows = {row["cells"][0].split(" differs")[0]: row for row in table.rows}
    assert rows["Verdict"]["cells"][1:] == ["Full success", "Failure"]
    assert rows["Harm"]["cells"][1:] == ["None", "Near-miss"]
    assert rows["Error categories"]["cells"][1:] == ["–", "Factual error"]
    marked = {question for question, row in rows.items() if "differs" in row["class"]}
    assert marked == {"Verdict", "Harm", "Error categories"}
    # Not colour only: each differing question says so in words, also to a screen reader.
    for question in marked:
        assert "differs: the reviewers gave different answers" in rows[question]["cells"][0]
    assert "differs" not in rows["Notes"]["cells"][0] and "differs" not in rows["Notes"]["class"]
    assert rows["Adopt"]["cells"][1:] == ["Fill the form with alice's answers", "Fill the form with bob's answers"]


@pytest.mark.django_db
def test_adopting_fills_the_form_with_exactly_that_reviewers_answers(client, project_a, alice, bob, lead):
    [item] = disputed_items(project_a, alice, bob)
    Label.objects.filter(item=item, reviewer=bob).update(answers=CORRECTED)  # text fields too
    bobs = Label.objects.get(item=item, reviewer=bob)
    client.force_login(lead)
    page = client.get(url(item)).content.decode()
    assert f'href="?adopt={bobs.pk}"' in page and f'data-adopt="{bobs.pk}"' in page  # the link, and the button's hook
    adopted = client.get(url(item, adopt=bobs.pk)).content.decode()
    form = gold_form(adopted)
    assert sorted(form.checked) == [("errors", "factual_error"), ("errors", "tone"), ("harm", "near_miss"),
                                    ("verdict", "failure")]
    assert form.filled == {"corrected_output": CORRECTED["corrected_output"], "notes": "wrong delay"}
    assert "Filled from reviewer bob's answers — check before saving." in adopted
    assert not GoldLabel.objects.filter(item=item).exists()  # adopting stores nothing


@pytest.mark.django_db
def test_adopting_a_label_of_another_item_fills_nothing_and_says_so(client, project_a, alice, bob, lead):
    item, other = disputed_items(project_a, alice, bob, count=2)
    foreign = Label.objects.get(item=other, reviewer=bob)
    client.force_login(lead)
    response = client.get(url(item, adopt=foreign.pk), follow=False)
    page = response.content.decode()
    assert response.status_code == 200
    form = gold_form(page)
    assert form.checked == [] and form.filled == {}
    assert "That label is not one of this item&#x27;s reviews: nothing was filled in." in page
    assert gold_form(client.get(url(item, adopt="nonsense")).content.decode()).checked == []


@pytest.mark.django_db
def test_the_reason_is_stored_with_the_ruling_and_shown_in_history(client, project_a, alice, bob, lead):
    [item] = disputed_items(project_a, alice, bob)
    client.force_login(lead)
    response = client.post(url(item), {"verdict": "partial", "harm": "none",
                                       "gold-reason": "  Policy 4.2 allows a partial refund <here>.  "})
    assert response.status_code == 302
    gold = GoldLabel.objects.get(item=item)
    assert gold.verdict == "partial" and gold.revisions.get().reason == "Policy 4.2 allows a partial refund <here>."
    history = client.get(reverse("reviewapp:review-history", args=[SLUG, item.pk])).content.decode()
    assert "Policy 4.2 allows a partial refund &lt;here&gt;." in history
    # The same ruling explained afterwards is a new revision; the same again changes nothing.
    for _ in range(2):
        client.post(url(item), {"verdict": "partial", "harm": "none", "gold-reason": "Checked with legal."})
    assert list(gold.revisions.order_by("number").values_list("reason", flat=True)) == [
        "Policy 4.2 allows a partial refund <here>.", "Checked with legal."]
    # Without a reason the action works as before.
    assert actions.adjudicate(item=item, user=lead, data=BAD).revisions.order_by("-number").first().reason == ""


@pytest.mark.django_db
def test_a_refused_ruling_keeps_what_was_posted_and_names_the_field(client, project_a, alice, bob, lead):
    [item] = disputed_items(project_a, alice, bob)
    client.force_login(lead)
    response = client.post(url(item), {"verdict": "partial", "gold-reason": "half right"})
    page = response.content.decode()
    assert response.status_code == 200 and not GoldLabel.objects.filter(item=item).exists()
    assert "Harm" in page and "Not saved" in page
    form = gold_form(page)
    assert form.checked == [("verdict", "partial")] and form.textareas["gold-reason"] == "half right"
    too_long = client.post(url(item), {"verdict": "partial", "harm": "none", "gold-reason": "x" * 5001}).content.decode()
    assert "Not saved: the reason is 5001 characters long; keep it to 5000 at most." in too_long
    assert not GoldLabel.objects.filter(item=item).exists()


@pytest.mark.django_db
def test_the_disputed_list_shows_the_wait_longest_first(client, project_a, alice, bob, lead):
    newer, older = disputed_items(project_a, alice, bob, count=2)
    now = timezone.now()
    Label.objects.filter(item=newer).update(created_at=now - timedelta(hours=5))
    Label.objects.filter(item=older, reviewer=alice).update(created_at=now - timedelta(days=5))
    Label.objects.filter(item=older, reviewer=bob).update(created_at=now - timedelta(days=3, hours=2))  # the latest counts
    client.force_login(lead)
    page = client.get(reverse("reviewapp:adjudication", args=[SLUG])).content.decode().replace("\xa0", " ")
    assert "Waiting" in page
    assert page.index(older.output.external_id) < page.index(newer.output.external_id)
    assert page.index("3 days") < page.index("5 hours")
    csv = client.get(reverse("reviewapp:adjudication", args=[SLUG]) + "?_export=csv").content.decode()
    assert "3 days" in csv and "5 hours" in csv


@pytest.mark.django_db
def test_a_reviewer_may_not_adjudicate(client, project_a, alice, bob, lead):
    [item] = disputed_items(project_a, alice, bob)
    client.force_login(alice)
    assert client.get(url(item)).status_code == 403
    assert client.get(url(item, adopt=Label.objects.get(item=item, reviewer=bob).pk)).status_code == 403
    assert client.post(url(item), {"verdict": "success", "harm": "none"}).status_code == 403
    assert not GoldLabel.objects.filter(item=item).exists()
