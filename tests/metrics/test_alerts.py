"""Alerts: a scorecard status change sends one e-mail and one signed webhook (checked by a receiver
on loopback), a recompute sends nothing new, a failing receiver is retried with every attempt
recorded, a line back within sends "resolved", the test button sends, and the pages are the leads'."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from reviewapp import jobs
from reviewapp.metrics import actions, alert_rules, alerts
from reviewapp.metrics.models import Alert, AlertAttempt, NotificationChannel, RunMetrics, ScorecardMetric
from reviewapp.metrics.report import RunReport
from tests.helpers import BAD, drawn_run, label_all, week

SECRET = "s3cret-for-tests"
CRITICAL = {"medical": (30, 100), "general": (20, 100)}  # shown above 5 % (tests/metrics/test_scorecard.py)
WITHIN = {"medical": (0, 300), "general": (1, 600)}  # shown under 5 %
WATCH = {"medical": (6, 300), "general": (12, 600)}  # shown under 5 %, but 2 % is past the 1 % guardrail
# Status changes are tested on a line the error rate's sequential rules (alert_rules) do not read.
LINE = "verdict:partial"


class Receiver:
    """A webhook receiver on 127.0.0.1: answers the next status in `statuses` (then the last one
    again) and keeps each request's JSON with whether its signature matched the secret."""

    def __init__(self, statuses=(200,)):
        self.statuses = list(statuses)
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                receiver.received.append({"json": json.loads(body), "signed": hmac.compare_digest(
                    self.headers.get("X-Spotcheck-Signature", ""), expected)})
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(autouse=True)
def no_waits(monkeypatch, settings):
    monkeypatch.setattr(alerts, "INLINE_WAITS", (0.0, 0.0, 0.0))
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://spotcheck.example.org"
    settings.ALERT_WEBHOOK_PRIVATE = True  # the receivers listen on loopback (the default refuses it: see below)


@pytest.fixture
def channels(project_a, receiver):
    return [NotificationChannel.objects.create(project=project_a, kind="email", addresses="qa@example.org"),
            NotificationChannel.objects.create(project=project_a, kind="webhook", url=receiver.url, secret=SECRET)]


@pytest.fixture
def run(project_a):
    return drawn_run(project_a)


def judge(run, errors, capture, metric=LINE, **kwargs):
    """Store the week's metrics as computed from `errors` and fire what they call for, committed."""
    data = week(errors, metric, **kwargs)
    RunMetrics.objects.update_or_create(run=run, defaults={"data": data, "computed_at": timezone.now()})
    with capture(execute=True):
        return alerts.check(run, RunReport.from_json(data))


@pytest.mark.django_db
def test_a_status_change_sends_one_email_and_one_signed_webhook_and_a_recompute_nothing_new(
        project_a, alice, bob, run, channels, receiver, django_capture_on_commit_callbacks):
    ScorecardMetric.objects.create(project=project_a, metric="verdict:failure", threshold=0.05)
    with django_capture_on_commit_callbacks(execute=True):
        label_all(project_a, [alice, bob], lambda item, reviewer: BAD)
    with django_capture_on_commit_callbacks(execute=True):
        actions.metrics_for(run)  # in-process: computed on read, as a page does

    # Every label a failure: over budget, and the error rate's own rules fire too (mid-week per
    # stratum, then at the week's close); each alert once, to each channel once.
    states = sorted(Alert.objects.values_list("state", flat=True))
    assert states == ["critical", "midweek-billing", "midweek-medical", "week-close"]
    alert = Alert.objects.get(state="critical")
    assert (alert.week, alert.metric) == (str(run.week), "verdict:failure")
    critical = [m for m in mail.outbox if m.subject.endswith(": critical")]
    assert len(critical) == 1 and critical[0].to == ["qa@example.org"] and len(mail.outbox) == len(states)
    hooks = [r for r in receiver.received if r["json"]["state"] == "critical"]
    assert len(hooks) == 1 and len(receiver.received) == len(states)
    assert all(r["signed"] for r in receiver.received)
    body = hooks[0]["json"]
    url = f"https://spotcheck.example.org/p/support/metrics/{run.iso_year}-W{run.iso_week}/"
    assert body["text"] == alert.text == critical[0].body
    assert body | {"text": None} == {
        "text": None, "project": "support", "week": str(run.week), "metric": "verdict:failure", "state": "critical",
        "estimate": 1.0, "interval": [alert.lower, alert.upper], "rule": alert.rule, "url": url}
    # The text: the metric in words, the week, the estimate with its interval, the rule, the link.
    assert f"Support assistant: Error rate (failure), week {run.week}: critical, over budget. Estimate 100.0 % (95% interval " in alert.text
    assert "Rule: shown to be above 5.0 %: the rate is above" in alert.text and alert.text.endswith(url)
    assert sorted((a.target, a.ok, a.status_code) for a in alert.attempts.all()) == [
        (receiver.url, True, 200), ("qa@example.org", True, None)]

    with django_capture_on_commit_callbacks(execute=True):
        actions.recompute(run)
        actions.metrics_for(run)
    assert Alert.objects.count() == len(states) and len(mail.outbox) == len(receiver.received) == len(states)


@pytest.mark.django_db
def test_the_error_rates_sequential_rule_alerts_once_per_stratum_mid_week_and_at_the_close(
        project_a, run, channels, receiver, django_capture_on_commit_callbacks):
    ScorecardMetric.objects.create(project=project_a, metric="verdict:failure", threshold=0.03, guardrail=0.02,
                                   baseline=0.01)
    midweek = {"medical": (8, 60), "general": (0, 50)}
    mid = dict(metric="verdict:failure", drawn={"medical": 100, "general": 200})
    [first] = judge(run, midweek, django_capture_on_commit_callbacks, **mid)
    assert [m.stratum for m in alert_rules.midweek_alerts(project_a, RunReport.from_json(week(midweek, **mid)))] == [
        "medical"]
    assert first.state == "midweek-medical" and first.rule.startswith("medical: 8 errors in 60 reviewed items")
    assert "mid-week alert, medical already shown above the baseline 1.0 %" in first.text
    assert judge(run, {"medical": (9, 70), "general": (0, 60)}, django_capture_on_commit_callbacks, **mid) == []
    assert len(mail.outbox) == len(receiver.received) == 1


@pytest.mark.django_db
def test_back_within_sends_resolved_once_and_an_undecided_week_sends_nothing(
        project_a, run, channels, receiver, django_capture_on_commit_callbacks):
    ScorecardMetric.objects.create(project=project_a, metric=LINE, threshold=0.05, guardrail=0.01)
    assert judge(run, WITHIN, django_capture_on_commit_callbacks) == []  # within from the start: nothing to say
    assert [a.state for a in judge(run, CRITICAL, django_capture_on_commit_callbacks)] == ["critical"]
    assert judge(run, {"medical": (0, 10), "general": (0, 10)}, django_capture_on_commit_callbacks) == []  # unshown
    resolved = judge(run, WITHIN, django_capture_on_commit_callbacks)
    assert [a.state for a in resolved] == ["within-resolved"]
    assert "resolved, within budget (shown)" in resolved[0].text
    assert judge(run, WITHIN, django_capture_on_commit_callbacks) == []  # a recompute: nothing new
    assert [m.subject.rsplit(": ", 1)[1] for m in mail.outbox] == ["critical", "within-resolved"]
    assert [r["json"]["state"] for r in receiver.received] == ["critical", "within-resolved"]
    assert all(r["signed"] for r in receiver.received)


@pytest.mark.django_db
def test_a_watch_signal_sends_worse_once_per_week_metric_and_state(
        project_a, run, channels, receiver, django_capture_on_commit_callbacks):
    ScorecardMetric.objects.create(project=project_a, metric=LINE, threshold=0.05, guardrail=0.01)
    worse = judge(run, WATCH, django_capture_on_commit_callbacks)
    assert [a.state for a in worse] == ["worse"] and "guardrail" in worse[0].rule
    assert [a.state for a in judge(run, CRITICAL, django_capture_on_commit_callbacks)] == ["critical"]
    assert judge(run, WATCH, django_capture_on_commit_callbacks) == []  # worse again: alerted once already
    assert Alert.objects.filter(state="worse").count() == 1
    assert len(mail.outbox) == 2 and len(receiver.received) == 2


@pytest.mark.django_db
def test_a_failing_receiver_is_retried_and_every_attempt_recorded(
        project_a, run, django_capture_on_commit_callbacks):
    failing = Receiver(statuses=(500,))
    try:
        NotificationChannel.objects.create(project=project_a, kind="webhook", url=failing.url, secret=SECRET)
        ScorecardMetric.objects.create(project=project_a, metric=LINE, threshold=0.05)
        judge(run, CRITICAL, django_capture_on_commit_callbacks)
    finally:
        failing.close()
    attempts = list(AlertAttempt.objects.all())
    assert len(failing.received) == len(attempts) == 1 + alerts.RETRIES
    assert [(a.attempt, a.ok, a.status_code) for a in attempts] == [(i, False, 500) for i in range(1, 5)]


@pytest.mark.django_db
def test_a_receiver_that_recovers_stops_the_retries(project_a, run, django_capture_on_commit_callbacks):
    flaky = Receiver(statuses=(500, 503, 200))
    try:
        NotificationChannel.objects.create(project=project_a, kind="webhook", url=flaky.url, secret=SECRET)
        ScorecardMetric.objects.create(project=project_a, metric=LINE, threshold=0.05)
        judge(run, CRITICAL, django_capture_on_commit_callbacks)
    finally:
        flaky.close()
    assert [(a.attempt, a.status_code, a.ok) for a in AlertAttempt.objects.all()] == [
        (1, 500, False), (2, 503, False), (3, 200, True)]


@pytest.mark.django_db
def test_with_django_rq_each_channel_is_a_job_retried_with_backoff(project_a, run, channels, monkeypatch, settings):
    queued = []
    settings.JOBS_MODE = "rq"
    monkeypatch.setattr(jobs, "enqueue", lambda func, *args, **kwargs: queued.append((func, args, kwargs)))
    ScorecardMetric.objects.create(project=project_a, metric=LINE, threshold=0.05)
    data = week(CRITICAL, LINE)
    [alert] = alerts.check(run, RunReport.from_json(data))
    assert [(func, args) for func, args, _ in queued] == [(alerts.deliver, (alert.pk, c.pk)) for c in channels]
    retry = queued[0][2]["retry"]
    assert (retry.max, retry.intervals) == (3, [10, 60, 300])
    # The job itself: one try, recorded; a failure raises so that rq retries it.
    NotificationChannel.objects.filter(kind="webhook").update(url="http://127.0.0.1:9/nothing-listens")
    with pytest.raises(alerts.DeliveryFailed):
        alerts.deliver(alert.pk, channels[1].pk)
    attempt = AlertAttempt.objects.get(channel=channels[1])
    assert not attempt.ok and attempt.status_code is None and attempt.error.startswith("could not connect: ")


@pytest.mark.django_db
def test_the_test_button_sends_through_every_channel_kind(client, project_a, lead, channels, receiver,
                                                         django_capture_on_commit_callbacks):
    client.force_login(lead)
    for channel in channels:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("reviewapp:alert-channel-test", args=["support"]), {"channel": channel.pk})
        assert response.status_code == 302
    assert len(mail.outbox) == 1 and "test alert" in mail.outbox[0].body
    assert len(receiver.received) == 1 and receiver.received[0]["signed"]
    assert receiver.received[0]["json"]["state"] == "test"
    page = client.get(reverse("reviewapp:alerts", args=["support"])).content.decode()
    assert "a test alert from Spotcheck" in page and "HTTP 200" in page and "sent" in page


@pytest.mark.django_db
def test_leads_add_and_remove_channels_with_errors_in_words(client, project_a, lead):
    client.force_login(lead)
    url = reverse("reviewapp:alert-channels", args=["support"])
    response = client.post(url, {"kind": "webhook", "url": "https://hooks.example.org/x", "secret": ""})
    assert response.status_code == 200 and "a webhook channel needs a secret" in response.content.decode()
    response = client.post(url, {"kind": "email", "addresses": "qa@example.org, not-an-address"})
    assert "not-an-address is not an e-mail address" in response.content.decode()
    assert not NotificationChannel.objects.exists()
    client.post(url, {"kind": "email", "addresses": "qa@example.org,\nops@example.org"})
    channel = NotificationChannel.objects.get()
    assert channel.recipients == ["qa@example.org", "ops@example.org"]
    assert "ops@example.org" in client.get(url).content.decode()
    client.post(reverse("reviewapp:alert-channel-remove", args=["support"]), {"channel": channel.pk})
    assert not NotificationChannel.objects.exists()


@pytest.mark.django_db
def test_reviewers_get_403_on_the_alert_pages(client, project_a, alice, channels):
    client.force_login(alice)
    for name in ("alerts", "alert-channels"):
        assert client.get(reverse(f"reviewapp:{name}", args=["support"])).status_code == 403
    for name in ("alert-channel-test", "alert-channel-remove", "alert-channels"):
        response = client.post(reverse(f"reviewapp:{name}", args=["support"]), {"channel": channels[0].pk})
        assert response.status_code == 403
    assert NotificationChannel.objects.count() == 2 and not Alert.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_on_django_rq_a_failed_delivery_is_retried_later_by_the_worker(settings, redis_url, project_a):
    import django_rq
    from rq import SimpleWorker

    settings.JOBS_MODE = "rq"
    settings.RQ_QUEUES = {"default": {"URL": redis_url, "DEFAULT_TIMEOUT": 60}}
    queue = django_rq.get_queue("default")
    flaky = Receiver(statuses=(502, 200))
    try:
        channel = NotificationChannel.objects.create(project=project_a, kind="webhook", url=flaky.url, secret=SECRET)
        ScorecardMetric.objects.create(project=project_a, metric=LINE, threshold=0.05)
        run = drawn_run(project_a)
        data = week(CRITICAL, LINE)
        RunMetrics.objects.create(run=run, data=data, computed_at=timezone.now())
        [alert] = alerts.check(run, RunReport.from_json(data))  # no transaction open: queued at once
        assert queue.count == 1
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        # The first try failed: rq keeps the job for a retry RETRY_INTERVALS[0] seconds later.
        [job_id] = queue.scheduled_job_registry.get_job_ids()
        job = queue.fetch_job(job_id)
        assert job.retries_left == alerts.RETRIES - 1
        queue.enqueue_job(job)  # what the worker's scheduler does when the retry is due
        queue.scheduled_job_registry.remove(job)
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
    finally:
        flaky.close()
    assert [(a.attempt, a.status_code, a.ok) for a in AlertAttempt.objects.filter(channel=channel)] == [
        (1, 502, False), (2, 200, True)]
    assert [r["signed"] for r in flaky.received] == [True, True] and alert.attempts.count() == 2
    assert queue.failed_job_registry.count == 0 and queue.scheduled_job_registry.count == 0


@pytest.mark.django_db
def test_webhooks_to_private_or_loopback_addresses_are_refused_by_default(
        client, project_a, lead, receiver, settings, django_capture_on_commit_callbacks):
    """A lead's URL must not make the server reach internal services (server-side request forgery):
    refused when the channel is saved, and again when sending (a name may resolve elsewhere later)."""
    settings.ALERT_WEBHOOK_PRIVATE = False
    client.force_login(lead)
    url = reverse("reviewapp:alert-channels", args=["support"])
    for target in ("http://127.0.0.1:6379/", "http://10.0.0.5/hook", "http://169.254.169.254/latest/meta-data",
                   "http://localhost:8000/x"):
        page = client.post(url, {"kind": "webhook", "url": target, "secret": SECRET}).content.decode()
        assert "a private or local address" in page, target
    assert not NotificationChannel.objects.exists()
    channel = NotificationChannel.objects.create(project=project_a, kind="webhook", url=receiver.url, secret=SECRET)
    with django_capture_on_commit_callbacks(execute=True):
        alerts.test_alert(channel)
    assert receiver.received == []
    attempt = AlertAttempt.objects.get()
    assert not attempt.ok and "not sent" in attempt.error and "private or local address" in attempt.error
