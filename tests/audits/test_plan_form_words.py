"""The sampling plan form in the lead's language (issue 15, item 3): percent in, fractions stored;
only the chosen goal's fields required; what-if sizing at a typed weekly volume; stratum rows
with what each caught last week; every error a sentence naming its field by its label."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.urls import reverse

import sampling
from reviewapp.audits import planning
from reviewapp.audits.forms import SamplingPlanForm
from reviewapp.audits.models import SamplingPlan
from reviewapp.ingest.actions import ingest
from reviewapp.ingest.formats import SourceRecord
from tests.helpers import STRATA, plan_form, record

NOW = datetime(2026, 11, 25, tzinfo=UTC)  # Wednesday of W48: the last complete week is W47
SNAKE_KEY = re.compile(r"\b[a-z]+(?:_[a-z]+)+:")


@pytest.fixture
def lead_client(client, lead):
    client.force_login(lead)
    return client


def _preview(client, data) -> str:
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        response = client.post(reverse("reviewapp:plan-preview", args=["support"]), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def _rows(rules: list[dict]) -> dict[str, list[str]]:
    """Stratum rules as the editor posts them: one list per column, in row order."""
    columns: dict[str, list[str]] = {f"row-{key}": [] for key in (
        "name", "category", "risk_tier", "kind", "model", "model_version", "meta_key", "meta_values", "weight", "minimum")}
    for rule in rules:
        match = rule["match"]
        meta = next((k for k in match if k.startswith("metadata.")), "")
        cells = {"name": rule["name"], "meta_key": meta.removeprefix("metadata."),
                 "meta_values": ", ".join(match.get(meta, [])), "weight": str(rule.get("weight", "")),
                 "minimum": str(rule.get("minimum", ""))}
        cells |= {f: ", ".join(match.get(f, [])) for f in ("category", "risk_tier", "kind", "model", "model_version")}
        for key, value in cells.items():
            columns[f"row-{key}"].append(value)
    return columns


def _rows_form(rules: list[dict], **overrides) -> dict:
    """The form as the page posts it with rows: the JSON box left as shown, so the rows say what the strata are."""
    return plan_form(strata="[]", strata_initial="[]", **overrides) | _rows(rules)


@pytest.mark.django_db
def test_rates_are_typed_in_percent_and_stored_as_fractions(lead_client, project_a):
    url = reverse("reviewapp:plan-edit", args=["support"])
    response = lead_client.post(url, plan_form(max_rate="0.5", good_rate="0.1", confidence="90", power="85",
                                               overlap_share="12.5"))
    assert response.status_code == 302
    plan = SamplingPlan.current(project_a)
    assert (plan.max_rate, plan.good_rate, plan.confidence, plan.power, plan.overlap_share) == (0.005, 0.001, 0.9, 0.85, 0.125)
    page = lead_client.get(url).content.decode()
    assert 'name="max_rate" value="0.5"' in page and 'name="confidence" value="90"' in page
    assert 'name="overlap_share" value="12.5"' in page
    assert "0.5 means 0.5%" in page


@pytest.mark.django_db
def test_out_of_range_percent_says_so_in_percent(lead_client, project_a):
    url = reverse("reviewapp:plan-edit", args=["support"])
    page = lead_client.post(url, plan_form(max_rate="150")).content.decode()
    assert "The error budget must be from 0.01% to 99.99%." in page
    assert not SamplingPlan.objects.exists()


@pytest.mark.django_db
def test_only_the_chosen_goals_fields_are_required(lead_client, project_a):
    url = reverse("reviewapp:plan-edit", args=["support"])
    others = {"margin": "", "expected_rate": "", "baseline_rate": "", "alert_rate": "", "good_rate": ""}
    assert lead_client.post(url, plan_form(goal="budget", **others)).status_code == 302
    plan = SamplingPlan.current(project_a)
    default = SamplingPlan()
    assert (plan.max_rate, plan.margin, plan.baseline_rate, plan.alert_rate) == (0.01, default.margin,
                                                                                 default.baseline_rate, default.alert_rate)
    page = lead_client.post(url, plan_form(goal="budget", max_rate="", power="")).content.decode()
    assert "Give the error budget: the budget goal needs it." in page
    assert "Give the chance the audit must give: the budget goal needs it." in page
    assert SamplingPlan.current(project_a).version == 1
    page = lead_client.post(url, plan_form(goal="margin", margin="", max_rate="", power="")).content.decode()
    assert "Give the margin (±): the margin goal needs it." in page
    assert "error budget: the" not in page  # the budget's fields are not the margin goal's business


@pytest.mark.django_db
def test_the_page_marks_each_goal_field_with_its_goals_and_loads_the_script(lead_client):
    page = lead_client.get(reverse("reviewapp:plan-edit", args=["support"])).content.decode()
    assert 'data-goals="budget change"' in page  # power serves two goals
    assert 'data-goals="margin"' in page and "(budget goal and change goal)" in page
    assert "reviewapp/plan_form.js" in page


@pytest.mark.django_db
def test_what_if_sizing_with_no_outputs_matches_sampling(lead_client, project_a):
    """10,000 outputs a week at a 0.5% budget, before any output arrives: one stratum of 10,000."""
    html = _preview(lead_client, plan_form(goal="budget", max_rate="0.5", weekly_volume="10000", capacity=""))
    expected = sampling.size_for_budget(
        [sampling.Stratum("other", 10_000, expected_rate=0.005)], 0.005, good_rate=0.005 / 4, chance=0.8,
        confidence=0.95, method="risk").total
    assert 0 < expected < 10_000
    assert f"{expected} of 10,000 outputs will be reviewed" in html
    assert "what-if week of 10000 outputs" in html
    assert not SamplingPlan.objects.exists()


@pytest.mark.django_db
def test_what_if_volume_scales_last_weeks_mix(lead_client, project_a):
    _ingest(project_a, [("medical", "high")] * 10 + [("billing", "low")] * 30)
    html = _preview(lead_client, plan_form(weekly_volume="400"))
    counts = {"medical": 10, "billing": 30}
    plan = SamplingPlan(project=project_a, strata=STRATA, max_rate=0.01, allocation_method="risk")
    scaled = planning.what_if_populations(plan, counts, 400)
    assert scaled == {"medical": 100, "high-risk": 0, "billing": 300, "other": 0}
    assert f"{planning.figures(plan, scaled).size} of 400 outputs will be reviewed" in html
    assert "split over the strata as the 40 outputs of 2026-W47" in html


def _ingest(project, specs: list[tuple[str, str]], **extra) -> None:
    start = datetime(2026, 11, 16, tzinfo=UTC)
    records = []
    for i, (category, tier) in enumerate(specs):
        fields = {k: (v(i) if callable(v) else v) for k, v in extra.items()}
        records.append(SourceRecord(i, data=record(f"w{i}", category=category, risk_tier=tier,
                                                   occurred_at=(start + timedelta(minutes=9 * i)).isoformat(), **fields)))
    assert ingest(project=project, records=records).rejected == 0


def _first_match(rules: list[dict], output: dict) -> str:
    for rule in rules:
        if all(str(_value(output, field)) in values for field, values in rule["match"].items()):
            return rule["name"]
    return "other"


def _value(output: dict, field: str):
    return output["metadata"].get(field.split(".", 1)[1]) if field.startswith("metadata.") else output[field]


@pytest.mark.django_db
def test_each_row_shows_what_it_caught_first_match_wins(lead_client, project_a):
    specs = ([("medical", "high")] * 7 + [("billing", "high")] * 5 + [("billing", "low")] * 11
             + [("shipping", "high")] * 3 + [("shipping", "low")] * 4 + [("refunds", "medium")] * 6)
    _ingest(project_a, specs, metadata=lambda i: {"channel": "phone" if i % 3 == 0 else "chat"})
    rules = [
        {"name": "medical", "match": {"category": ["medical"]}, "weight": 5, "minimum": 2},
        {"name": "phone", "match": {"metadata.channel": ["phone"]}, "weight": 2},
        {"name": "risky", "match": {"risk_tier": ["high"]}, "weight": 3},
        {"name": "billing low", "match": {"category": ["billing", "shipping"], "risk_tier": ["low"]}},
    ]
    html = _preview(lead_client, _rows_form(rules))
    outputs = [{"category": c, "risk_tier": t, "metadata": {"channel": "phone" if i % 3 == 0 else "chat"}}
               for i, (c, t) in enumerate(specs)]
    direct = {name: 0 for name in [r["name"] for r in rules] + ["other"]}
    for output in outputs:
        direct[_first_match(rules, output)] += 1
    assert direct["other"] > 0 and all(direct.values())
    shown = re.search(r'id="row-counts" data-from-rows="yes" data-counts="([\d ]*)"', html)
    assert shown, html
    assert [int(n) for n in shown[1].split()] == list(direct.values())
    # The same counts in the figures table, and on the rows of the page itself.
    for name, n in direct.items():
        assert re.search(rf"<tr><td>{re.escape(name)}</td><td class=\"num\">{n}</td>", html)
    page = lead_client.get(reverse("reviewapp:plan-edit", args=["support"])).content.decode()
    assert "caught" in page


@pytest.mark.django_db
def test_rows_are_saved_in_their_order_as_the_strata(lead_client, project_a):
    rules = [
        {"name": "phone", "match": {"metadata.channel": ["phone", "voice"]}, "weight": 2.5, "minimum": 0},
        {"name": "medical", "match": {"category": ["medical"], "model_version": ["v2"]}, "weight": 5.0, "minimum": 3},
    ]
    url = reverse("reviewapp:plan-edit", args=["support"])
    blank = {key: [*values, ""] for key, values in _rows(rules).items()}  # the blank row at the end is ignored
    response = lead_client.post(url, plan_form(strata="[]", strata_initial="[]") | blank)
    assert response.status_code == 302
    assert SamplingPlan.current(project_a).strata == rules
    page = lead_client.get(url).content.decode()
    assert 'name="row-meta_values" value="phone, voice"' in page
    # A changed JSON box is an import: it replaces the rows.
    imported = [{"name": "billing", "match": {"category": ["billing"]}, "weight": 2.0, "minimum": 0}]
    assert lead_client.post(url, plan_form(strata=json.dumps(imported), strata_initial="[]") | blank).status_code == 302
    assert SamplingPlan.current(project_a).strata == imported


BAD_FORMS = [
    {"goal": "change", "baseline_rate": "3", "alert_rate": "2"},
    {"goal": "budget", "max_rate": "1", "good_rate": "2"},
    {"max_rate": "abc", "confidence": "20", "power": "100"},
    {"overlap_reviewers": "1", "capacity": "-4", "time_zone": "Mars/Olympus"},
    {"goal": "", "allocation_method": "random"},
    {"weekly_volume": "-1", "grace_hours": "x"},
    {"strata": "[{"},
    {"strata": '{"name": "x"}'},
    {"strata": '[{"name": "other", "match": {"category": ["a"]}}]'},
    {"strata": '[{"name": "a", "match": {"model_version": []}}]'},
    {"strata": '[{"name": "a", "match": {"risk_tier": ["x"]}, "weight": 0, "colour": 1}]'},
]
BAD_ROWS = [
    [{"name": "a b/c", "match": {"category": ["x"]}}],
    [{"name": "a", "match": {}}],
    [{"name": "a", "match": {"category": ["x"]}, "weight": "heavy"}],
    [{"name": "a", "match": {"category": ["x"]}, "minimum": "2.5"}],
    [{"name": "a", "match": {"metadata.my key": ["x"]}}],
    [{"name": "a", "match": {"metadata.channel": []}}],
    [{"name": "a", "match": {"kind": ["x"]}}, {"name": "a", "match": {"model": ["y"]}}],
]


@pytest.mark.django_db
@pytest.mark.parametrize("bad", [plan_form(**b) for b in BAD_FORMS] + [_rows_form(r) for r in BAD_ROWS])
def test_every_error_is_a_sentence_without_a_field_key(lead_client, lead, project_a, bad):
    form = SamplingPlanForm(_querydict(bad), instance=SamplingPlan(project=project_a))
    assert not form.is_valid()
    messages = form.messages()
    assert messages
    for message in messages:
        assert not SNAKE_KEY.search(message), message
        assert message[0].isupper() and message.rstrip().endswith("."), message
    html = _preview(lead_client, bad)
    assert "Fix the form" in html and not SNAKE_KEY.search(html)
    page = lead_client.post(reverse("reviewapp:plan-edit", args=["support"]), bad).content.decode()
    assert not SamplingPlan.objects.exists()
    for message in messages:
        assert _escaped(message) in page


def test_the_alert_rate_message_is_in_words():
    form = SamplingPlanForm(_querydict(plan_form(goal="change", baseline_rate="3", alert_rate="2")),
                            instance=SamplingPlan())
    with mock.patch("reviewapp.audits.models.SamplingPlan.rules", return_value=[]):
        form.is_valid()
    assert form.messages() == ["The alert rate must be above the usual error rate."]


def _querydict(data: dict):
    from django.http import QueryDict

    q = QueryDict(mutable=True)
    for key, value in data.items():
        q.setlist(key, value if isinstance(value, list) else [value])
    return q


def _escaped(text: str) -> str:
    from django.utils.html import escape

    return escape(text)


@pytest.mark.django_db
def test_the_plan_page_and_preview_read_in_words(lead_client, project_a):
    """No repr, None, True or False in what the lead reads: the page, an error page, the preview."""
    from tests.review.test_readable import RAW, visible_text

    _ingest(project_a, [("medical", "high")] * 5 + [("billing", "low")] * 9)
    url = reverse("reviewapp:plan-edit", args=["support"])
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        pages = [lead_client.get(url).content.decode(),
                 lead_client.post(url, _rows_form(STRATA, max_rate="x")).content.decode()]
    pages.append(_preview(lead_client, _rows_form(STRATA, weekly_volume="5000")))
    for html in pages:
        assert not RAW.search(visible_text(html)), RAW.search(visible_text(html))
    # The rows as first shown carry what each caught; the volume field is last week's count.
    assert "5 caught" in pages[0] and "9 caught" in pages[0] and 'name="weekly_volume" value="14"' in pages[0]
