"""Judge certification (issue 17 item 4) and the lead's mapping of an evaluator to a rate (item 1):
the judges page maps and unmaps (leads only, errors named by field), the certification page's
weekly figures are sampling.judge_agreement on the week's reviewed items with their design
weights, per stratum they are sklearn's, the verdict pools the last complete weeks, and a judge
whose agreement collapses in a complete week raises one drift alert through the project's channels."""
from __future__ import annotations

import html
from collections import Counter

import pytest
from django.core import mail
from django.urls import reverse
from sklearn.metrics import cohen_kappa_score, precision_score, recall_score

import sampling
from reviewapp.audits import actions as audit_actions
from reviewapp.audits.models import SamplingPlan
from reviewapp.ingest.evaluation_writer import store_evaluations
from reviewapp.ingest.models import Evaluator, Output
from reviewapp.ingest.records import EvaluationIn
from reviewapp.lib.weeks import IsoWeek
from reviewapp.metrics import actions, alerts, judge_actions
from reviewapp.metrics import judge_certification as cert
from reviewapp.metrics.judge_certification import figure
from reviewapp.metrics.models import Alert, AlertAttempt, JudgeMapping, NotificationChannel, RunMetrics
from reviewapp.review.models import GoldLabel
from tests.helpers import BAD, GOOD, STRATA, add_outputs, label_all, make_user

JUDGE = "groundedness-judge"
FIRST_WEEK = 43
LETTERS = "abcdefgh"  # one external-id prefix per week: ids stay unique and int(external_id[1:]) is the output's rank


def bad(external_id: str) -> bool:
    return int(external_id[1:]) % 5 == 0


def judge_says_fail(external_id: str) -> bool:
    i = int(external_id[1:])
    return (bad(external_id) and i % 35 != 0) or i % 31 == 1  # misses one failure in seven, a few false alarms


@pytest.fixture(autouse=True)
def mail_and_no_waits(monkeypatch, settings):
    monkeypatch.setattr(alerts, "INLINE_WAITS", (0.0, 0.0, 0.0))
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://spotcheck.example.org"


def judged_weeks(project, reviewer, weeks=1, *, collapsed=(), outputs=120, name=JUDGE, version="3"):
    """``weeks`` drawn and fully reviewed weeks from 2026-W43 on, each output scored by the judge;
    in the weeks listed in ``collapsed`` (0-based) the judge says the opposite of the truth. The
    project's draw secret is fixed, so every run of the tests draws the same items (a stable judge's
    weeks then never meet the drift rule's 5 % false alarms by chance)."""
    project.sampling_secret, project.sampling_seed = "5" * 64, 17
    project.save(update_fields=["sampling_secret", "sampling_seed"])
    SamplingPlan(project=project, strata=STRATA, goal="margin", margin=0.15, expected_rate=0.5,
                 overlap_share=0.0, overlap_reviewers=2).save_as_new_version()
    runs = []
    for k in range(weeks):
        week = IsoWeek(2026, FIRST_WEEK + k)
        prefix = LETTERS[k]
        add_outputs(project, {("billing", "medium"): outputs // 2, ("medical", "high"): outputs - outputs // 2},
                    start=week.bounds()[0], prefix=prefix)
        says = (lambda e: not bad(e)) if k in collapsed else judge_says_fail
        store_evaluations(project.pk, [
            (o.external_id, EvaluationIn(name=name, version=version, label="fail" if says(o.external_id) else "pass",
                                         value=0.9 if says(o.external_id) else 0.1))
            for o in Output.objects.filter(project=project, external_id__startswith=prefix)])
        runs.append(audit_actions.draw_audit(project=project, week=week)[0])
    label_all(project, [reviewer], lambda item, _: BAD if bad(item.output.external_id) else GOOD)
    return runs


def evaluator(project, name=JUDGE, version="3") -> Evaluator:
    return Evaluator.objects.get(project=project, name=name, version=version)


def map_by_label(project, e=None) -> JudgeMapping:
    return judge_actions.map_judge(project=project, evaluator=e or evaluator(project), rate="verdict:failure",
                                   reading="label", labels=["fail"]).mapping


def computed(runs, capture):
    """Every run's metrics, oldest first (as weeks close), with the alerts they raise committed."""
    for run in runs:
        with capture(execute=True):
            actions.metrics_for(run)


def pairs_and_weights(run, mapping):
    """The week's reviewed items with the judge's yes/no and N_h / n_h, worked out here from the labels."""
    finals = list(GoldLabel.objects.filter(item__run=run).select_related("item__output"))
    stored = {o.pk: o.evaluations.get(evaluator=mapping.evaluator).label for o in
              Output.objects.filter(pk__in=[g.item.output_id for g in finals])}
    n = Counter(g.item.stratum for g in finals)
    human = [int(bad(g.item.output.external_id)) for g in finals]
    judge = [int(stored[g.item.output_id] == "fail") for g in finals]
    weights = [run.populations[g.item.stratum] / n[g.item.stratum] for g in finals]
    return finals, human, judge, weights


# The judges page: mapping

@pytest.mark.django_db
def test_a_lead_maps_an_evaluator_and_the_runs_recompute_a_reviewer_may_look_but_not_map(
        client, project_a, alice, lead, django_capture_on_commit_callbacks):
    (run,) = judged_weeks(project_a, alice)
    computed([run], django_capture_on_commit_callbacks)
    assert actions.metrics_for(run).report.judged == {}
    e = evaluator(project_a)
    url = reverse("reviewapp:judges", args=[project_a.slug])
    form = {"action": "map", "evaluator": e.pk, f"e{e.pk}-rate": "verdict:failure", f"e{e.pk}-reading": "label",
            f"e{e.pk}-labels": ["fail"], f"e{e.pk}-threshold": "0.5"}

    client.force_login(alice)
    page = client.get(url)
    assert page.status_code == 200 and str(e) in page.content.decode() and "judge-mapping-form" not in page.content.decode()
    assert client.post(url, form).status_code == 403
    assert not JudgeMapping.objects.exists()

    client.force_login(lead)
    page = client.get(url).content.decode()
    assert 'value="fail"' in page and 'value="pass"' in page  # the labels it sent are offered
    assert f'<td class="num">{e.evaluations.count()}</td>' in page
    response = client.post(url, form)
    assert response.status_code == 302
    mapping = JudgeMapping.objects.get(project=project_a)
    assert (mapping.evaluator, mapping.rate, mapping.reading, mapping.labels) == (e, "verdict:failure", "label", ["fail"])
    assert RunMetrics.objects.get(run=run).stale  # the judged figures follow the mapping
    assert actions.metrics_for(run).report.judged["verdict:failure"].evaluator_id == e.pk
    page = client.get(url).content.decode()
    assert "<code>verdict:failure</code>" in page and reverse("reviewapp:judge-certification", args=[project_a.slug, e.pk]) in page

    response = client.post(url, {"action": "remove", "mapping": mapping.pk})
    assert response.status_code == 302 and not JudgeMapping.objects.exists()
    assert actions.metrics_for(run).report.judged == {}


@pytest.mark.django_db
def test_a_refused_mapping_names_its_field(client, project_a, alice, lead):
    judged_weeks(project_a, alice)
    e = evaluator(project_a)
    url = reverse("reviewapp:judges", args=[project_a.slug])
    client.force_login(lead)
    base = {"action": "map", "evaluator": e.pk, f"e{e.pk}-rate": "verdict:failure"}

    no_labels = client.post(url, base | {f"e{e.pk}-reading": "label"})
    assert no_labels.status_code == 200
    form = next(row.form for row in no_labels.context["rows"] if row.evaluator == e)
    assert list(form.errors) == ["labels"] and "at least one label" in form.errors["labels"][0]

    too_high = client.post(url, base | {f"e{e.pk}-reading": "score", f"e{e.pk}-threshold": "1.5"})
    form = next(row.form for row in too_high.context["rows"] if row.evaluator == e)
    assert list(form.errors) == ["threshold"] and "between 0 and 1" in form.errors["threshold"][0]

    unknown = client.post(url, base | {f"e{e.pk}-rate": "verdict:nonsense", f"e{e.pk}-reading": "label",
                                       f"e{e.pk}-labels": ["fail"]})
    form = next(row.form for row in unknown.context["rows"] if row.evaluator == e)
    assert list(form.errors) == ["rate"]
    assert not JudgeMapping.objects.exists()

    with pytest.raises(judge_actions.MappingRefused) as refused:
        judge_actions.map_judge(project=project_a, evaluator=e, rate="verdict:nonsense", reading="label", labels=["fail"])
    assert refused.value.field == "rate" and "not a rate of the project's rubric" in str(refused.value)
    with pytest.raises(judge_actions.MappingRefused) as refused:
        judge_actions.map_judge(project=project_a, evaluator=e, rate="verdict:failure", reading="inverted", threshold=-0.1)
    assert refused.value.field == "threshold"


# The certification page

@pytest.mark.django_db
def test_the_weekly_figures_are_sampling_s_on_the_weeks_items_and_design_weights(
        client, project_a, alice, lead, django_capture_on_commit_callbacks):
    runs = judged_weeks(project_a, alice, weeks=2)
    mapping = map_by_label(project_a)
    computed(runs, django_capture_on_commit_callbacks)
    client.force_login(lead)
    url = reverse("reviewapp:judge-certification", args=[project_a.slug, mapping.evaluator_id])
    response = client.get(url, {"week": str(runs[0].week)})
    page = html.unescape(response.content.decode())
    assert [row.week.week for row in response.context["rows"]] == [str(runs[1].week), str(runs[0].week)]  # newest first

    for run in runs:
        _, human, judge, weights = pairs_and_weights(run, mapping)
        a = sampling.judge_agreement(human, judge, weights=weights)
        row = next(r for r in response.context["rows"] if r.week.run == run)
        assert row.a.tpr == pytest.approx(a.sensitivity) and row.a.tnr == pytest.approx(a.specificity)
        assert row.a.kappa == pytest.approx(a.kappa) and row.a.n == a.n == len(human)
        cells = "".join(f"<td>{figure(v, i)}</td>" for v, i in (
            (a.sensitivity, a.sensitivity_interval), (a.specificity, a.specificity_interval),
            (a.precision, a.precision_interval), (a.kappa, a.kappa_interval)))
        assert cells + f'<td class="num">{a.n}</td>' in page

    # The selected week in detail: the confusion matrix, per stratum, the disagreements.
    selected = response.context["selected"]
    assert selected.week.run == runs[0]
    finals, human, judge, weights = pairs_and_weights(runs[0], mapping)
    counts = Counter(zip(human, judge, strict=True))
    assert selected.a.counts == ((counts[0, 0], counts[0, 1]), (counts[1, 0], counts[1, 1]))
    assert f'<th scope="row">yes</th><td class="num">{counts[1, 0]}</td><td class="num">{counts[1, 1]}</td>' in page
    share = sum(w for h, j, w in zip(human, judge, weights, strict=True) if h == 1 and j == 1) / sum(weights)
    assert f"{share:.1%}" in page
    for name, cell in selected.a.strata.items():
        hs = [h for g, h in zip(finals, human, strict=True) if g.item.stratum == name]
        js = [j for g, j in zip(finals, judge, strict=True) if g.item.stratum == name]
        if sum(hs):
            assert cell.tpr == pytest.approx(recall_score(hs, js))
        if sum(js):
            assert cell.precision == pytest.approx(precision_score(hs, js))
        if 0 < sum(hs) < len(hs):
            assert cell.kappa == pytest.approx(cohen_kappa_score(hs, js))
        assert f'<tr class="stratum"><td>{name}</td><td>{figure(cell.tpr, cell.tpr_interval)}</td>' in page
    wrong = [g.item_id for g, h, j in zip(finals, human, judge, strict=True) if h != j]
    assert wrong and len(response.context["disagreements"]) == min(len(wrong), cert.DISAGREEMENTS_SHOWN)
    for d in response.context["disagreements"]:
        assert d.item_id in wrong
        assert reverse("reviewapp:review-item", args=[project_a.slug, d.item_id]) in page
    risk = {s.name: s.risk_weight for s in selected.week.report.strata}
    assert [risk[d.stratum] for d in response.context["disagreements"]] == sorted(
        (risk[d.stratum] for d in response.context["disagreements"]), reverse=True)  # riskiest strata first
    assert page.count('<svg viewBox') == 3  # TPR, TNR and kappa by week


@pytest.mark.django_db
def test_the_verdict_pools_the_complete_weeks_with_each_items_own_weight(
        client, project_a, alice, lead, django_capture_on_commit_callbacks):
    runs = judged_weeks(project_a, alice, weeks=2)
    mapping = map_by_label(project_a)
    computed(runs, django_capture_on_commit_callbacks)
    human, judge, weights = [], [], []
    for run in runs:
        _, h, j, w = pairs_and_weights(run, mapping)
        human, judge, weights = human + h, judge + j, weights + w
    a = sampling.judge_agreement(human, judge, weights=weights)
    state = cert.AGREES if min(a.sensitivity_interval[0], a.specificity_interval[0]) >= cert.AGREE_AT else cert.UNDECIDED
    said = " agrees with reviewers" if state == cert.AGREES else ": not enough evidence yet"
    expected = (f"{JUDGE} v3{said}: TPR {figure(a.sensitivity, a.sensitivity_interval)}, "
                f"TNR {figure(a.specificity, a.specificity_interval)} over {len(human)} reviewed items "
                f"(2 complete weeks, {runs[0].week} to {runs[1].week})")
    client.force_login(lead)
    page = html.unescape(client.get(reverse("reviewapp:judge-certification",
                                            args=[project_a.slug, mapping.evaluator_id])).content.decode())
    assert expected in page


def test_the_verdict_rule():
    from reviewapp.metrics.report import JudgeAgreementReport

    def report(tpr, tnr):
        return JudgeAgreementReport(0.9, tpr, 0.9, tnr, None, (None, None), None, (None, None), 10, 10.0,
                                    ((0, 0), (0, 0)), ((0.0, 0.0), (0.0, 0.0)))

    assert cert.state_of(report((0.84, 0.95), (0.96, 0.98))) == cert.AGREES
    assert cert.state_of(report((0.5, 0.79), (0.96, 0.98))) == cert.DISAGREES
    assert cert.state_of(report((0.7, 0.95), (0.96, 0.98))) == cert.UNDECIDED
    assert cert.state_of(report((None, None), (0.96, 0.98))) == cert.UNDECIDED


@pytest.mark.django_db
def test_evaluator_names_are_escaped(client, project_a, alice, lead, django_capture_on_commit_callbacks):
    runs = judged_weeks(project_a, alice, name="<script>alert(1)</script>", version="<b>1</b>")
    e = Evaluator.objects.get(project=project_a)
    map_by_label(project_a, e)
    computed(runs, django_capture_on_commit_callbacks)
    client.force_login(lead)
    for url in (reverse("reviewapp:judges", args=[project_a.slug]),
                reverse("reviewapp:judge-certification", args=[project_a.slug, e.pk])):
        page = client.get(url).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page and "<b>1</b>" not in page


@pytest.mark.django_db
def test_an_outsider_or_another_projects_evaluator_is_not_found(client, project_a, project_b, alice, lead):
    other = Evaluator.objects.create(project=project_b, name="elsewhere")
    client.force_login(lead)
    assert client.get(reverse("reviewapp:judge-certification", args=[project_a.slug, other.pk])).status_code == 404
    client.force_login(make_user("stranger", project_b))
    assert client.get(reverse("reviewapp:judges", args=[project_a.slug])).status_code == 404


# Drift

@pytest.mark.django_db
def test_a_judge_whose_agreement_collapses_in_the_latest_week_fires_one_alert(
        client, project_a, alice, lead, django_capture_on_commit_callbacks):
    channel = NotificationChannel.objects.create(project=project_a, kind="email", addresses="qa@example.org")
    runs = judged_weeks(project_a, alice, weeks=4, collapsed=(3,))
    mapping = map_by_label(project_a)
    computed(runs, django_capture_on_commit_callbacks)
    drifts = Alert.objects.filter(state="judge-drift")
    assert drifts.count() == 1
    alert = drifts.get()
    assert (alert.week, alert.metric) == (str(runs[-1].week), f"judge:{mapping.evaluator_id}")
    assert f"{JUDGE} v3" in alert.text and "agreement with the reviewers fell" in alert.text
    assert reverse("reviewapp:judge-certification", args=[project_a.slug, mapping.evaluator_id]) in alert.text
    attempts = AlertAttempt.objects.filter(alert=alert)
    assert [(a.channel, a.ok) for a in attempts] == [(channel, True)]
    assert len([m for m in mail.outbox if m.subject.endswith(": judge-drift")]) == 1

    with django_capture_on_commit_callbacks(execute=True):  # a recompute finds the same fall: nothing new
        actions.recompute(runs[-1])
    assert Alert.objects.filter(state="judge-drift").count() == 1

    client.force_login(lead)
    response = client.get(reverse("reviewapp:judge-certification", args=[project_a.slug, mapping.evaluator_id]))
    latest = response.context["rows"][0]
    assert latest.drift.signal and "kappa" in latest.drift.fell
    assert [r.drift.signal for r in response.context["rows"][1:] if r.drift] == [False]  # week 3 against weeks 1-2
    assert "agreement fell: kappa" in response.content.decode()


@pytest.mark.django_db
def test_a_stable_judge_raises_no_drift(project_a, alice, django_capture_on_commit_callbacks):
    NotificationChannel.objects.create(project=project_a, kind="email", addresses="qa@example.org")
    runs = judged_weeks(project_a, alice, weeks=4)
    map_by_label(project_a)
    computed(runs, django_capture_on_commit_callbacks)
    assert not Alert.objects.filter(state="judge-drift").exists()
    assert not [m for m in mail.outbox if m.subject.endswith(": judge-drift")]
