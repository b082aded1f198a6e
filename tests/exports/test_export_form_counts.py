"""Exports that say what they will cut: the form counts the rows its filters select (in all and per
ISO week) before cutting, with the snapshot's own selection code; 'settled' says what it leaves out;
an empty selection is refused by the form, the action and the API; snapshot pages read their filters
in words and give each file's size."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from reviewapp.audits import actions as audit_actions
from reviewapp.exports import actions
from reviewapp.exports.models import Snapshot
from reviewapp.exports.selection import EmptySelection
from reviewapp.exports.wording import week_ranges
from reviewapp.lib.weeks import IsoWeek
from reviewapp.projects.models import UserToken
from tests.helpers import GOOD, MONDAY, add_outputs, cut, label_all, rows_of

pytestmark = pytest.mark.django_db


def count(client, **params):
    response = client.get(reverse("reviewapp:export-count", args=["support"]), {"agreement": "any", **params})
    assert response.status_code == 200
    return response


FILTERS = [  # (what the form sends, what the snapshot is cut with)
    ({}, {}),
    ({"verdicts": ["failure"]}, {"verdicts": ["failure"]}),
    ({"agreement": "settled"}, {"agreement": "settled"}),
    ({"corrected_only": "on"}, {"corrected_only": True}),
    ({"error_categories": ["tone", "format"]}, {"error_categories": ["tone", "format"]}),
    ({"min_agreement": "0.5"}, {"min_agreement": 0.5}),
    ({"weeks": ["2026-W47"], "verdicts": ["success", "partial"]}, {"weeks": ["2026-W47"], "verdicts": ["success", "partial"]}),
]


@pytest.mark.parametrize(("form", "filters"), FILTERS)
def test_the_count_shown_is_the_snapshots_row_count(client, project_a, labelled, lead, form, filters):
    client.force_login(lead)
    response = count(client, **form)
    shown = response.context["tally"]
    rows = rows_of(cut(project_a, filters, ["jsonl"]))
    assert shown.rows == len(rows) > 0
    assert f"{len(rows)} row" in response.content.decode()
    assert "<html" not in response.content.decode()  # a partial for htmx


def test_the_count_shows_on_first_load_without_javascript(client, project_a, labelled, lead):
    client.force_login(lead)
    page = client.get(reverse("reviewapp:exports", args=["support"])).content.decode()
    every = len(rows_of(cut(project_a, {}, ["jsonl"])))
    assert f"would hold <strong>{every} rows</strong>" in page
    assert 'hx-get="/p/support/exports/count/"' in page and 'hx-trigger="change"' in page
    assert 'id="export-cut"' in page and "disabled" not in page.split('id="export-cut"')[1].split(">")[0]


def test_counts_per_iso_week(client, project_a, labelled, lead, alice):
    add_outputs(project_a, {("billing", "medium"): 20, ("medical", "high"): 20}, start=MONDAY + timedelta(days=7),
                prefix="w48-")
    audit_actions.draw_audit(project=project_a, week=IsoWeek(2026, 48))
    label_all(project_a, [alice], lambda item, reviewer: GOOD)
    client.force_login(lead)
    shown = count(client).context["tally"]
    snapshot = cut(project_a, {}, ["jsonl"])
    assert shown.by_week == snapshot.manifest["counts"]["by_week"]
    assert set(shown.by_week) == {"2026-W47", "2026-W48"} and all(shown.by_week.values())
    assert sum(shown.by_week.values()) == shown.rows == len(rows_of(snapshot))
    only = count(client, weeks=["2026-W48"])
    assert only.context["tally"].by_week == {"2026-W48": shown.by_week["2026-W48"]}
    assert "<td>2026-W48</td>" in only.content.decode() and "<td>2026-W47</td>" not in only.content.decode()


def test_settled_says_what_it_keeps_and_how_many_it_leaves_out(client, project_a, labelled, lead):
    client.force_login(lead)
    page = client.get(reverse("reviewapp:exports", args=["support"])).content.decode()
    assert "two or more reviewers gave alike, or a QA lead adjudicated" in page
    assert "leaves out items whose final label is a single reviewer&#x27;s" in page
    assert "Disputed items and items still waiting for reviews have no final label" in page
    labelled_items = len(rows_of(cut(project_a, {}, ["jsonl"])))
    settled = count(client, agreement="settled")
    tally = settled.context["tally"]
    assert (tally.rows, tally.labelled, tally.left_out) == (1, labelled_items, labelled_items - 1)
    text = settled.content.decode()
    assert f"Settled only: <strong>1 of {labelled_items}</strong> labelled items; {labelled_items - 1} whose" in text
    assert "are left out" in text
    assert "Settled only" not in count(client).content.decode()


def test_an_empty_selection_is_refused_everywhere_and_nothing_is_stored(client, project_a, labelled, lead, settings):
    client.force_login(lead)
    empty = {"verdicts": ["failure"], "agreement": "settled"}  # the two failures rest on a single review
    shown = count(client, **empty)
    assert shown.context["tally"].rows == 0
    text = shown.content.decode()
    assert "nothing to cut" in text and 'id="export-cut" disabled' in text and 'hx-swap-oob="true"' in text

    page = client.post(reverse("reviewapp:exports", args=["support"]), {**empty, "formats": ["jsonl"]})
    assert page.status_code == 200 and page.content.decode().count("they select no item with a final label") == 1
    assert 'id="export-cut" disabled' in page.content.decode()

    with pytest.raises(EmptySelection, match="nothing to export"):
        actions.create(project=project_a, filters=empty, formats=["jsonl"], queue=False)

    token = UserToken.issue(user=lead, name="t")[1]
    api = client.post("/api/v1/projects/support/exports", {"filters": empty, "formats": ["jsonl"]},
                      content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 400 and "select no item with a final label" in api.json()["detail"]
    assert not Snapshot.objects.exists()
    assert not list((Path(settings.EXPORT_DIR) / "support").glob("v*"))


def test_snapshot_pages_read_filters_in_words_and_give_file_sizes(client, project_a, labelled, lead):
    stratum = labelled["adjudicated"].stratum
    snapshot = cut(project_a, {"weeks": ["2026-W47"], "strata": [stratum], "agreement": "settled"},
                   ["jsonl", "hf", "csv"], user=lead)
    client.force_login(lead)
    words = f"week 2026-W47 · stratum: {stratum} · settled items only"
    detail = client.get(reverse("reviewapp:export-detail", args=["support", snapshot.version])).content.decode()
    assert words in detail
    files = snapshot.manifest["files"]
    for path in ("jsonl/evalset.jsonl", "hf.zip", "csv/evalset.csv"):
        assert str(filesizeformat(files[path]["bytes"])) in detail  # e.g. 5.7 KB
    listing = client.get(reverse("reviewapp:exports", args=["support"])).content.decode()
    assert words in listing
    assert str(filesizeformat(files["hf.zip"]["bytes"])) in listing


def test_weeks_in_words():
    assert week_ranges(["2026-W47", "2026-W45", "2026-W46"]) == "2026-W45 to W47"
    assert week_ranges(["2026-W40", "2026-W45", "2026-W46"]) == "2026-W40, 2026-W45 to W46"
    assert week_ranges(["2026-W53", "2027-W01"]) == "2026-W53 to 2027-W01"


def test_the_count_is_for_leads_only(client, project_a, labelled, alice, charlie):
    url = reverse("reviewapp:export-count", args=["support"])
    client.force_login(alice)
    assert client.get(url, {"agreement": "any"}).status_code == 403
    client.force_login(charlie)
    assert client.get(url).status_code == 404
