"""The read API (issue 16, item 4): the scorecard, a week's metrics, the audits and the alerts as
JSON for leads and admins, with the same numbers as the pages; and the pages' CSV downloads."""
from __future__ import annotations

import csv
import dataclasses
import io

import pytest
from django.urls import reverse

from reviewapp.api import metrics as api_metrics
from reviewapp.metrics import report as report_module
from reviewapp.metrics.models import RunMetrics
from reviewapp.projects.models import UserToken
from tests.helpers import BAD, GOOD, drawn_run, label_all, make_user, ranks

BASE = "/api/v1/projects/support"


@pytest.fixture
def labelled(project_a, alice, bob):
    run = drawn_run(project_a, outputs=80, overlap_share=0.5)
    rank = ranks(run)
    label_all(project_a, [alice, bob], lambda item, _: BAD if rank[item.pk] % 5 == 0 else GOOD)
    return run


def bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {UserToken.issue(user=user, name='read')[1]}"}


@pytest.mark.django_db
def test_the_scorecard_endpoint_gives_the_pages_lines_with_the_same_numbers(client, lead, labelled):
    response = client.get(f"{BASE}/scorecard", **bearer(lead))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["week"] == str(labelled.week) and body["complete"] is True and body["weeks"] == [str(labelled.week)]
    assert body["progress"].startswith("review complete: ") and body["drawn"] == labelled.size
    client.force_login(lead)
    page_lines = client.get(reverse("reviewapp:scorecard", args=["support"])).context["lines"]
    assert [line["metric"] for line in body["lines"]] == [line.metric for line in page_lines]
    assert len(body["lines"]) == 6  # the default scorecard
    for got, shown in zip(body["lines"], page_lines, strict=True):
        e = shown.current.estimate
        assert got["label"] == shown.label and got["status"] == shown.status and got["verdict"] == shown.verdict
        assert got["reason"] == shown.explanation and got["threshold"] == shown.threshold
        assert got["estimate"] == e.value and got["n_eff"] == e.n_eff and got["n"] == e.n
        assert got["interval"] == {"lower": e.lower, "upper": e.upper, "confidence": e.confidence}
        assert got["status"] in {"critical", "within", "unshown"} and got["finality"] == "final"
    failure = next(line for line in body["lines"] if line["metric"] == "verdict:failure")
    assert 0 < failure["estimate"] < 1 and failure["label"] == "Error rate (failure)"


@pytest.mark.django_db
def test_the_scorecard_endpoint_takes_a_week_and_refuses_one_without_labels(client, lead, labelled):
    headers = bearer(lead)
    assert client.get(f"{BASE}/scorecard?week=2026-W47", **headers).json()["week"] == "2026-W47"
    missing = client.get(f"{BASE}/scorecard?week=2026-W48", **headers)
    assert missing.status_code == 404 and "2026-W48" in missing.json()["detail"]
    bad = client.get(f"{BASE}/scorecard?week=2026-W60", **headers)
    assert bad.status_code == 400 and bad.json()["detail"].startswith("week:")


@pytest.mark.django_db
def test_an_empty_scorecard_says_no_week_yet(client, lead, project_a):
    drawn_run(project_a)
    body = client.get(f"{BASE}/scorecard", **bearer(lead)).json()
    assert body["week"] is None and body["weeks"] == [] and body["complete"] is False
    assert all(line["estimate"] is None and line["status"] == "nodata" for line in body["lines"])


@pytest.mark.django_db
def test_a_weeks_metrics_are_the_stored_report_field_for_field(client, lead, labelled):
    response = client.get(f"{BASE}/metrics/2026-W47", **bearer(lead))
    assert response.status_code == 200, response.content
    body = response.json()
    report = RunMetrics.objects.get(run=labelled).report
    assert report is not None
    assert body["week"] == "2026-W47" and body["stale"] is False and body["complete"] is True
    assert body["population"] == report.population == labelled.population and body["drawn"] == labelled.size
    assert [s["name"] for s in body["strata"]] == [s.name for s in report.strata]
    rates = {rate["metric"]: rate for rate in body["rates"]}
    assert set(rates) == set(report.rates)
    for key, rate in report.rates.items():
        assert rates[key]["weighted"] == (dataclasses.asdict(rate.weighted) if rate.weighted else None)
        assert rates[key]["naive"] == (dataclasses.asdict(rate.naive) if rate.naive else None)
        assert {s["stratum"]: s["value"] for s in rates[key]["strata"]} == {n: c.value for n, c in rate.strata.items()}
    failure = rates["verdict:failure"]["weighted"]
    assert failure["n_eff"] > 0 and failure["lower"] <= failure["value"] <= failure["upper"]
    agreement = {entry["question"]: entry for entry in body["agreement"]}
    assert set(agreement) == set(report.agreement) and agreement["verdict"]["items"] > 0
    assert agreement["verdict"]["alpha"] is not None and agreement["verdict"]["pairs"][0]["a"] in ("alice", "bob")
    assert {r["name"] for r in body["reviewers"]} == {"alice", "bob"}
    client.force_login(lead)
    page = client.get(reverse("reviewapp:run-metrics", args=["support", 2026, 47])).context["report"]
    assert rates["verdict:failure"]["weighted"]["value"] == page.rates["verdict:failure"].weighted.value


@pytest.mark.django_db
def test_the_metrics_week_is_checked(client, lead, labelled):
    headers = bearer(lead)
    assert client.get(f"{BASE}/metrics/2026-W48", **headers).status_code == 404
    for bad in ("2026-W60", "2026-W4", "last-week"):
        response = client.get(f"{BASE}/metrics/{bad}", **headers)
        assert response.status_code == 400 and "week" in response.json()["detail"], bad


@pytest.mark.parametrize(("schema", "contract"), [
    (api_metrics.EstimateOut, report_module.WeightedEstimate), (api_metrics.ProportionOut, report_module.Proportion),
    (api_metrics.StratumOut, report_module.StratumRow), (api_metrics.AlphaOut, report_module.AlphaReport),
    (api_metrics.PairOut, report_module.PairRow), (api_metrics.ReviewerOut, report_module.ReviewerRow),
])
def test_the_response_models_mirror_the_report_dataclasses(schema, contract):
    assert set(schema.model_fields) == {f.name for f in dataclasses.fields(contract)}


def test_the_nested_response_models_cover_the_report_dataclasses():
    rate = {f.name for f in dataclasses.fields(report_module.RateReport)}
    assert rate <= set(api_metrics.RateOut.model_fields)
    agreement = {f.name for f in dataclasses.fields(report_module.AgreementReport)}
    assert agreement <= set(api_metrics.AgreementOut.model_fields)
    run = {f.name for f in dataclasses.fields(report_module.RunReport)}
    assert run <= set(api_metrics.MetricsOut.model_fields)


@pytest.mark.django_db
def test_the_audits_list_and_a_week_give_plan_sizes_and_progress(client, lead, project_a, alice):
    run = drawn_run(project_a, outputs=40, overlap_share=0.5)
    headers = bearer(lead)
    listed = client.get(f"{BASE}/audits", **headers)
    assert listed.status_code == 200, listed.content
    [row] = listed.json()
    assert row["week"] == "2026-W47" and row["plan_version"] == run.plan.version == 1
    assert row["size"] == run.size and row["population"] == 40 and row["reviews_done"] == 0
    assert row["reviews_needed"] == run.reviews_needed > run.size and row["progress"] == 0
    label_all(project_a, [alice], lambda item, _: GOOD)  # alice alone: overlap items keep waiting for a second review
    detail = client.get(f"{BASE}/audits/2026-W47", **headers).json()
    strata = {s["name"]: s for s in detail["strata"]}
    assert {name: s["population"] for name, s in strata.items()} == {n: run.populations.get(n, 0) for n in run.allocation}
    assert {name: s["drawn"] for name, s in strata.items()} == run.allocation
    assert detail["reviews_done"] == sum(s["reviews_done"] for s in strata.values()) == run.size
    assert detail["reviews_needed"] == run.reviews_needed and 0 < detail["progress"] < 1
    assert detail["items_final"] == sum(s["final"] for s in strata.values()) < run.size
    assert detail["late_arrivals"] == 0 and detail["url"] == "/p/support/audits/2026-W47/"
    assert client.get(f"{BASE}/audits/2026-W48", **headers).status_code == 404


@pytest.mark.django_db
def test_reviewers_are_refused_outsiders_not_found_admins_and_superusers_let_in(client, project_a, alice, charlie,
                                                                               labelled):
    admin = make_user("the-admin", project_a, role="admin")
    root = make_user("root")
    root.is_superuser = True
    root.save()
    paths = ["/scorecard", "/metrics/2026-W47", "/audits", "/audits/2026-W47", "/alerts"]
    for path in paths:
        reviewer = client.get(BASE + path, **bearer(alice))
        assert reviewer.status_code == 403 and "QA leads and admins" in reviewer.json()["detail"], path
        assert client.get(BASE + path, **bearer(charlie)).status_code == 404, path
        assert client.get(BASE + path, **bearer(admin)).status_code == 200, path
        assert client.get(BASE + path, **bearer(root)).status_code == 200, path
        assert client.get(BASE + path).status_code == 401, path
    client.force_login(admin)  # a session works too
    assert client.get(BASE + "/scorecard").status_code == 200


def rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.mark.django_db
def test_the_scorecard_page_downloads_its_lines_as_csv(client, lead, labelled):
    client.force_login(lead)
    url = reverse("reviewapp:scorecard", args=["support"])
    page = client.get(url)
    assert 'href="?week=2026-W47&amp;_export=csv"' in page.content.decode()
    response = client.get(url, {"week": "2026-W47", "_export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="scorecard-support-2026-W47.csv"' in response["Content-Disposition"]
    header = response.content.decode().splitlines()[0].split(",")
    assert header[:5] == ["week", "metric", "label", "higher_is_better", "estimate"]
    first, shown = rows(response)[0], page.context["lines"][0]
    assert first["week"] == "2026-W47" and first["metric"] == shown.metric and first["label"] == shown.label
    assert float(first["estimate"]) == pytest.approx(shown.current.estimate.value)
    assert float(first["lower"]) == pytest.approx(shown.current.estimate.lower)
    assert first["verdict"] == shown.verdict and first["higher_is_better"] in ("yes", "no")


@pytest.mark.django_db
def test_a_weeks_metrics_page_downloads_every_rate_as_csv(client, lead, labelled):
    client.force_login(lead)
    url = reverse("reviewapp:run-metrics", args=["support", 2026, 47])
    page = client.get(url)
    assert 'href="?_export=csv"' in page.content.decode() and "Download CSV" in page.content.decode()
    response = client.get(url, {"_export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="metrics-support-2026-W47.csv"' in response["Content-Disposition"]
    found = rows(response)
    assert list(found[0]) == ["week", "metric", "label", "scope", "stratum", "estimate", "lower", "upper", "n_eff", "n",
                              "positives"]
    report = page.context["report"]
    key, rate = next(iter(report.rates.items()))
    assert found[0]["metric"] == key and found[0]["scope"] == "weighted" and found[0]["stratum"] == ""
    assert float(found[0]["estimate"]) == pytest.approx(rate.weighted.value)
    assert float(found[0]["n_eff"]) == pytest.approx(rate.weighted.n_eff)
    strata = [r for r in found if r["metric"] == key and r["scope"] == "stratum"]
    assert {r["stratum"] for r in strata} == set(rate.strata)


@pytest.mark.django_db
def test_reviewers_cannot_download_the_csv(client, alice, labelled):
    client.force_login(alice)
    assert client.get(reverse("reviewapp:scorecard", args=["support"]), {"_export": "csv"}).status_code == 403
    assert client.get(reverse("reviewapp:run-metrics", args=["support", 2026, 47]), {"_export": "csv"}).status_code == 403


@pytest.mark.django_db
def test_the_alerts_endpoint_lists_the_alerts_page_with_attempt_counts(client, lead, project_a):
    from reviewapp.metrics.models import Alert, AlertAttempt

    older = Alert.objects.create(project=project_a, week="2026-W46", metric="verdict:failure", label="Error rate",
                                 state="critical", text="Error rate over budget in 2026-W46", estimate=0.08,
                                 lower=0.06, upper=0.1, rule="rise_verdict at 95 %")
    newer = Alert.objects.create(project=project_a, week="2026-W47", metric="verdict:failure", label="Error rate",
                                 state="within-resolved", text="Error rate back within budget in 2026-W47")
    for attempt, ok in ((1, False), (2, False), (3, True)):
        AlertAttempt.objects.create(alert=older, target="https://hooks.example.org/x", attempt=attempt, ok=ok,
                                    status_code=200 if ok else 503)
    headers = bearer(lead)
    response = client.get(f"{BASE}/alerts", **headers)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [a["id"] for a in body] == [newer.pk, older.pk]  # newest first, as the page
    first = body[1]
    assert first["week"] == "2026-W46" and first["metric"] == "verdict:failure" and first["state"] == "critical"
    assert first["text"] == older.text and first["attempts"] == 3 and first["delivered"] == 1
    assert first["estimate"] == 0.08 and first["interval"] == {"lower": 0.06, "upper": 0.1, "confidence": None}
    assert body[0]["attempts"] == 0 and body[0]["interval"] is None
    client.force_login(lead)
    shown = client.get(reverse("reviewapp:alerts", args=["support"])).context["alerts"]
    assert [a.pk for a in shown] == [a["id"] for a in body]
    assert [a["id"] for a in client.get(f"{BASE}/alerts?week=2026-W46", **headers).json()] == [older.pk]
    assert client.get(f"{BASE}/alerts?week=W46", **headers).status_code == 400
    assert len(client.get(f"{BASE}/alerts?limit=1", **headers).json()) == 1


@pytest.mark.django_db
def test_reviewers_cannot_read_the_alerts(client, alice, charlie, project_a):
    assert client.get(f"{BASE}/alerts", **bearer(alice)).status_code == 403
    assert client.get(f"{BASE}/alerts", **bearer(charlie)).status_code == 404


@pytest.mark.django_db
def test_a_stratum_closed_early_says_so_and_needs_no_more_reviews(client, lead, project_a):
    from reviewapp.audits import actions as audit_actions

    run = drawn_run(project_a, outputs=40)
    audit_actions.close_stratum(run=run, stratum="medical", by=lead, verdict="enough evidence", reviewed=0)
    run.refresh_from_db()
    detail = client.get(f"{BASE}/audits/2026-W47", **bearer(lead)).json()
    strata = {s["name"]: s for s in detail["strata"]}
    medical = strata["medical"]
    assert medical["closed"] == medical["drawn"] == run.allocation["medical"] > 0
    assert medical["reviews_needed"] == 0 and medical["closed_verdict"] == "enough evidence"
    assert strata["billing"]["closed"] == 0 and strata["billing"]["closed_verdict"] is None
    assert detail["reviews_needed"] == run.reviews_needed == strata["billing"]["reviews_needed"]
    [listed] = client.get(f"{BASE}/audits", **bearer(lead)).json()
    assert listed["reviews_needed"] == run.reviews_needed
