"""Alerts: when a week's scorecard status changes, or a mid-week sequential test already decides.

Firing (`check`, called by actions.refresh once a run's report is stored): each scorecard line of
the run's week is judged as the scorecard page judges it (scorecard.lines on the stored reports)
and its state compared with the state of the last alert for (week, metric): a change to critical
(over budget), to worse (a "watch" signal on a complete week) or back to within after one of those
("within-resolved") creates one Alert. Mid-week, each (metric, stratum) that alert_rules'
sequential test has already decided creates one ("midweek-<stratum>"), and a closed week its
rise_verdict shows above the baseline one more ("week-close"); their false-alarm rate is theirs
(alert_rules.py), however often the metrics are recomputed. Alerts are created with
get_or_create on (project, week, metric, state): a recompute that finds the same states again
sends nothing, and a state reached twice in a week is alerted once (never two of the same).

Sending: one job per (alert, channel), after the commit (reviewapp.jobs). With django-rq a failed
delivery raises and rq retries it with backoff (RETRY_INTERVALS); in-process it retries inline
after short waits (INLINE_WAITS). Every try is an AlertAttempt with its HTTP status code or error.
Webhooks get a JSON body signed with HMAC-SHA256 of the raw body under the channel's secret
(`X-Spotcheck-Signature: sha256=<hex>`), with a `text` field so a Slack incoming webhook posts it
as is; e-mail goes through Django's send_mail.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from reviewapp import jobs
from reviewapp.audits.models import AuditRun
from reviewapp.lib.outbound import refused_address
from reviewapp.lib.weeks import IsoWeek

from . import alert_rules, scorecard
from .models import Alert, AlertAttempt, NotificationChannel, RunMetrics
from .report import RunReport

logger = logging.getLogger("reviewapp.metrics.alerts")

CRITICAL, WORSE, RESOLVED, TEST = "critical", "worse", "within-resolved", "test"
WEEK_CLOSE = "week-close"  # alert_rules.week_close_alert: the closed week shown above the baseline
SCORECARD_STATES = (CRITICAL, WORSE, RESOLVED)
MIDWEEK = "midweek-"
RETRIES = 3
RETRY_INTERVALS = [10, 60, 300]  # seconds before each django-rq retry
INLINE_WAITS = (1.0, 2.0, 4.0)  # in-process: short waits before each retry (the request waits for them)
TIMEOUT = 5  # seconds for a webhook to answer (in-process, the page that recomputed waits for it)
SIGNATURE_HEADER = "X-Spotcheck-Signature"


class DeliveryFailed(Exception):
    """Raised by the rq job so that django-rq retries it."""


# Firing

def check(run: AuditRun, report: RunReport | None) -> list[Alert]:
    """The alerts the run's (re)computed report gives rise to, created and queued for sending."""
    if report is None:
        return []
    from .judge_alerts import drift_alerts  # here: judge_alerts reads this module's models the same way

    created = _scorecard_alerts(run, report) + _midweek_alerts(run, report) + drift_alerts(run, report)
    for alert in created:
        send(alert)
    return created


def state_of(line: scorecard.Line) -> str | None:
    """The line's alert state for its judged week: critical, worse (a watch signal), within, or
    None (not shown either way, no data): an undecided week neither fires nor resolves."""
    if line.current is None:
        return None
    if line.status == "critical":
        return CRITICAL
    if line.watch:
        return WORSE
    return "within" if line.status == "within" else None


def transition(last: str | None, now: str | None) -> str | None:
    """The alert a state change calls for, None if none: to critical or worse from anything else,
    back to within only after critical or worse ("within-resolved")."""
    if now in (CRITICAL, WORSE):
        return now if last != now else None
    if now == "within" and last in (CRITICAL, WORSE):
        return RESOLVED
    return None


def _scorecard_alerts(run: AuditRun, report: RunReport) -> list[Alert]:
    if not report.has_labels:
        return []
    project = run.project
    runs = list(AuditRun.objects.filter(project=project).select_related("plan").order_by("week_start"))
    stored = {row.run_id: row.report for row in RunMetrics.objects.filter(run__project=project)}
    with_data: list[tuple[AuditRun, RunReport]] = []
    for r in runs:
        found = report if r.pk == run.pk else stored.get(r.pk)
        if found is not None and found.has_labels:
            with_data.append((r, found))
    risk = {s.name: s.risk_weight for _, rep in with_data for s in rep.strata}
    week = str(run.week)
    created = []
    for line in scorecard.lines(project, with_data, risk, week=week):
        last = (Alert.objects.filter(project=project, week=week, metric=line.metric, is_test=False,
                                     state__in=SCORECARD_STATES).order_by("-created_at", "-id")
                .values_list("state", flat=True).first())
        state = transition("within" if last == RESOLVED else last, state_of(line))
        if state is None:
            continue
        current = line.current
        assert current is not None and current.estimate is not None  # state_of needs a figure
        rule = "; ".join(line.reasons) if state == WORSE else line.explanation
        headline = {CRITICAL: f"critical, {line.verdict}", WORSE: "worse, to watch",
                    RESOLVED: f"resolved, {line.verdict}"}[state]
        alert, new = Alert.objects.get_or_create(
            project=project, week=week, metric=line.metric, state=state, is_test=False,
            defaults=_fields(project, week, line.label, headline, current.estimate.value, current.estimate.lower,
                             current.estimate.upper, current.estimate.confidence, rule))
        if new:
            created.append(alert)
    return created


def _midweek_alerts(run: AuditRun, report: RunReport) -> list[Alert]:
    """One alert per (metric, stratum) the sequential rule has already decided this week, and one
    when the closed week's rise_verdict shows the rate above the baseline (alert_rules)."""
    project, week = run.project, str(run.week)
    wanted = []
    for found in alert_rules.midweek_alerts(project, report):
        rate = report.rates.get(found.metric)
        cell = rate.strata.get(found.stratum) if rate else None
        wanted.append((found.metric, f"{MIDWEEK}{found.stratum}"[:80], _fields(  # state: max_length 80
            project, week, rate.label if rate else found.metric,
            f"mid-week alert, {found.stratum} already shown above the baseline {_pct(found.baseline)}",
            cell.value if cell else found.errors / max(found.n, 1), cell.lower if cell else None,
            cell.upper if cell else None, None, found.rule)))
    closed = alert_rules.week_close_alert(project, report)
    if closed is not None:
        rate = report.rates.get(closed.metric)
        weighted = rate.weighted if rate else None
        wanted.append((closed.metric, WEEK_CLOSE, _fields(
            project, week, rate.label if rate else closed.metric,
            f"week closed above the baseline {_pct(closed.baseline)}", closed.estimate,
            weighted.lower if weighted else None, weighted.upper if weighted else None,
            weighted.confidence if weighted else None, closed.rule)))
    created = []
    for metric, state, fields in wanted:
        alert, new = Alert.objects.get_or_create(project=project, week=week, metric=metric, state=state,
                                                 is_test=False, defaults=fields)
        if new:
            created.append(alert)
    return created


def _pct(value: float) -> str:
    return f"{value * 100:.{2 if value < 0.01 else 1}f} %"


def _fields(project, week: str, label: str, headline: str, estimate: float | None, lower: float | None,
            upper: float | None, confidence: float | None, rule: str) -> dict[str, Any]:
    """An alert's stored fields, its text in words: the metric, the week, the estimate with its
    interval, the rule that fired and the link to the week's metrics page."""
    figure = ""
    if estimate is not None:
        figure = f" Estimate {_pct(estimate)}"
        if lower is not None and upper is not None:
            level = f"{confidence:.0%} " if confidence else ""
            figure += f" ({level}interval {_pct(lower)} to {_pct(upper)})"
        figure += "."
    text = f"{project.name}: {label}, week {week}: {headline}.{figure} Rule: {rule}. {week_url(project, week)}"
    return {"label": label, "estimate": estimate, "lower": lower, "upper": upper, "rule": rule, "text": text}


def week_url(project, week: str) -> str:
    """The absolute link to the week's metrics page (SITE_URL + the path), the scorecard if the
    week is not an ISO week."""
    base = settings.SITE_URL.rstrip("/")
    try:
        iso = IsoWeek.parse(week)
    except ValueError:
        return base + reverse("reviewapp:scorecard", args=[project.slug])
    return base + reverse("reviewapp:run-metrics", args=[project.slug, iso.year, iso.week])


def test_alert(channel: NotificationChannel) -> Alert:
    """A test message to one channel, through the same job as real alerts."""
    project = channel.project
    week = str(IsoWeek.containing(timezone.now()))
    alert = Alert.objects.create(project=project, week=week, metric="", state=TEST, is_test=True,
                                 label="Test alert", rule="a lead pressed 'send a test alert'",
                                 text=f"{project.name}: a test alert from Spotcheck, week {week}. "
                                      f"Rule: a lead pressed 'send a test alert'. {week_url(project, week)}")
    send(alert, [channel])
    return alert


# Sending

def send(alert: Alert, channels: Iterable[NotificationChannel] | None = None) -> None:
    """Queue one delivery job per channel (every channel of the project by default), after the commit."""
    targets = list(channels) if channels is not None else list(alert.project.notification_channels.all())
    for channel in targets:
        if jobs.runs_in_background():
            from rq import Retry

            jobs.enqueue(deliver, alert.pk, channel.pk, queue="default",
                         retry=Retry(max=RETRIES, interval=RETRY_INTERVALS))
        else:
            jobs.enqueue(deliver_inline, alert.pk, channel.pk)


def deliver(alert_id: int, channel_id: int) -> None:
    """The django-rq job: one try, recorded; a failure raises so that rq retries it with backoff."""
    attempt = attempt_delivery(alert_id, channel_id)
    if attempt is not None and not attempt.ok and not refused(attempt):
        raise DeliveryFailed(f"alert {alert_id} to {attempt.target}: {attempt.outcome}")


def deliver_inline(alert_id: int, channel_id: int) -> None:
    """In-process: the first try and up to RETRIES more after INLINE_WAITS, each recorded."""
    for wait in (0.0, *INLINE_WAITS[:RETRIES]):
        if wait:
            time.sleep(wait)
        attempt = attempt_delivery(alert_id, channel_id)
        if attempt is None or attempt.ok or refused(attempt):
            return
    logger.warning("alert %s to channel %s failed after %d tries", alert_id, channel_id, RETRIES + 1)


def refused(attempt: AlertAttempt) -> bool:
    """A refused address is not a passing failure: trying again would be refused again."""
    return attempt.error.startswith(REFUSED)


def attempt_delivery(alert_id: int, channel_id: int) -> AlertAttempt | None:
    """One try at sending the alert to the channel, recorded; None if either was deleted since."""
    alert = Alert.objects.select_related("project").filter(pk=alert_id).first()
    channel = NotificationChannel.objects.filter(pk=channel_id).first()
    if alert is None or channel is None:
        return None
    attempt = AlertAttempt(alert=alert, channel=channel, target=channel.target[:500],
                           attempt=AlertAttempt.objects.filter(alert=alert, channel=channel).count() + 1)
    try:
        if channel.kind == NotificationChannel.Kind.EMAIL:
            send_mail(f"[Spotcheck] {alert.project.name}: {alert.label}, {alert.week}: {alert.state}", alert.text,
                      None, channel.recipients, fail_silently=False)
            attempt.ok = True
        else:
            attempt.status_code, attempt.error = post_webhook(channel.url, channel.secret, payload(alert))
            attempt.ok = 200 <= attempt.status_code < 300
    except Exception as exc:  # recorded on the alerts page: an unreachable host, a refused SMTP login...
        attempt.error = failure_in_words(exc)[:1000]
    attempt.at = timezone.now()
    attempt.save()
    return attempt


def failure_in_words(exc: Exception) -> str:
    """"could not connect: [Errno 111] Connection refused", "no answer within 5 s", or the error's own words."""
    if isinstance(exc, TimeoutError) or (isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, TimeoutError)):
        return f"no answer within {TIMEOUT} s"
    if isinstance(exc, urllib.error.URLError):
        return f"could not connect: {exc.reason}"
    if isinstance(exc, TargetRefused):
        return f"{REFUSED}{exc}"
    return f"{type(exc).__name__}: {exc}"


def payload(alert: Alert) -> dict[str, Any]:
    """The webhook's JSON: `text` for Slack, the rest for machines."""
    interval = [alert.lower, alert.upper] if alert.lower is not None and alert.upper is not None else None
    return {"text": alert.text, "project": alert.project.slug, "week": alert.week, "metric": alert.metric,
            "state": alert.state, "estimate": alert.estimate, "interval": interval, "rule": alert.rule,
            "url": week_url(alert.project, alert.week)}


def signature(secret: str, body: bytes) -> str:
    """The header's value: sha256=<hex HMAC-SHA256 of the raw body under the channel's secret>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


REFUSED = "not sent: "


class TargetRefused(Exception):
    """A webhook URL that resolves to an address Spotcheck does not post to (see refused_target)."""


def refused_target(url: str) -> str | None:
    """Why Spotcheck will not POST to this webhook URL, or None (lib/outbound.py says why it checks);
    ALERT_WEBHOOK_PRIVATE=True allows private addresses, for a receiver on the same network on purpose."""
    return refused_address(url, allow_private=settings.ALERT_WEBHOOK_PRIVATE, what="a webhook URL",
                           setting="ALERT_WEBHOOK_PRIVATE")


def post_webhook(url: str, secret: str, data: dict[str, Any]) -> tuple[int, str]:
    """POST the signed JSON; (status code, "" or the reason of a non-2xx answer). The address is
    checked again at sending, since a name may resolve elsewhere than when the channel was saved."""
    refused = refused_target(url)
    if refused:
        raise TargetRefused(refused)
    body = json.dumps(data).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "Spotcheck alerts", SIGNATURE_HEADER: signature(secret, body)})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 (a lead's http(s) URL)
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, str(exc.reason)
