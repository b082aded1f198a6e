"""Sending final labels back to the source trace: queued when a gold label gets a revision, sent by a
job with retries, every send recorded as a SyncSend.

Hooked on GoldRevision's post_save (connected in ExportsConfig.ready): every change of an item's
final label (the single review, the reviewers' agreement, a lead's ruling, a revision of any) is a
new revision, in the transaction that made it. If the item's project syncs and its output has a
trace id, a SyncSend is created there, with the payload exports/sync.py builds, and its job is
queued after the commit (reviewapp.jobs): a rolled-back label sends nothing.

Retries follow metrics/alerts.py: with django-rq a failed try raises and rq retries it after
RETRY_INTERVALS; in-process the job tries again inline after INLINE_WAITS (seconds: the request
that labelled waits for them). Only passing failures are tried again (no connection, a 5xx, a
429); an answer that says no (401, 400, a 207 with rejected scores) fails at once, since trying
again would be refused again. After MAX_ATTEMPTS tries the send is failed. The clients are the
vendors' own (langfuse's REST client, langsmith.Client), with their own retries and background
batching turned off, so that each try is one request whose outcome is known and recorded here.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from reviewapp import jobs
from reviewapp.audits.models import AuditItem
from reviewapp.lib.sealing import SealError, unseal
from reviewapp.review.models import GoldLabel, GoldRevision

from . import sync
from .models import SourceSync, SyncSend

logger = logging.getLogger("reviewapp.exports.sync")

RETRIES = 3
MAX_ATTEMPTS = RETRIES + 1
RETRY_INTERVALS = [10, 60, 300]  # seconds before each django-rq retry
INLINE_WAITS = (0.5, 1.0, 2.0)  # in-process: short waits before each retry (the labelling request waits)
TIMEOUT = 5  # seconds for the source to answer one request


class SendFailed(Exception):
    """Raised by the rq job so that django-rq retries it."""


class Refused(Exception):
    """The source answered and said no: trying again would get the same answer."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Passing(Exception):
    """A failure worth another try: no connection, no answer in time, a 5xx or 429."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


# Queueing

def gold_revised(sender: Any, *, instance: GoldRevision, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """post_save of GoldRevision: a new final label for an item, to send if its project syncs."""
    if created and not raw:
        queue_revision(instance)


def queue_revision(revision: GoldRevision) -> SyncSend | None:
    """The send this revision calls for, created and queued; None when the project does not sync
    (one query, the common case), the output has no trace id or the label nothing to send."""
    item_id = revision.gold.item_id
    source = SourceSync.objects.filter(enabled=True, project__audit_items=item_id).first()
    if source is None:
        return None
    item = AuditItem.objects.select_related("output", "project").get(pk=item_id)
    label = final_label(item, revision.number, revision.answers, revision.method, revision.created_at)
    return queue(source, label)


def final_label(item: AuditItem, revision: int, answers: dict, method: str, decided_at) -> sync.FinalLabel:
    output = item.output
    return sync.FinalLabel(project_id=item.project_id, project_slug=item.project.slug, item_id=item.pk,
                           trace_id=output.trace_id, span_id=output.span_id, occurred_at=output.occurred_at,
                           revision=revision, method=method, decided_at=decided_at, answers=answers)


def build(source: SourceSync, label: sync.FinalLabel) -> dict[str, Any]:
    if source.kind == SourceSync.Kind.LANGSMITH:
        return {"feedback": sync.langsmith_feedback(label, source.source_project)}
    return {"scores": sync.langfuse_scores(label)}


def queue(source: SourceSync, label: sync.FinalLabel) -> SyncSend | None:
    if not label.sendable:
        return None
    send = SyncSend.objects.create(
        sync=source, item_id=label.item_id, revision=label.revision, answers_hash=sync.answers_hash(label.answers),
        trace_id=label.trace_id, observation_id=label.span_id, kind=source.kind, payload=build(source, label))
    if source.kind == SourceSync.Kind.LANGSMITH and (why := sync.not_a_uuid(label)):
        _finish(send, SyncSend.Status.FAILED, f"not sent: {why}")
        return send
    schedule(send)
    return send


def schedule(send: SyncSend) -> None:
    if jobs.runs_in_background():
        from rq import Retry

        jobs.enqueue(deliver, send.pk, queue="default", retry=Retry(max=RETRIES, interval=RETRY_INTERVALS))
    else:
        jobs.enqueue(deliver_inline, send.pk)


RESEND_AT_MOST = 500


def resend_failed(source: SourceSync) -> int:
    """A lead's "send the failed ones again": the current final label of each item whose latest
    send failed (at most RESEND_AT_MOST), queued as a new send. How many were queued."""
    later = SyncSend.objects.filter(sync=source, item_id=OuterRef("item_id"), pk__gt=OuterRef("pk"))
    failed = (SyncSend.objects.filter(sync=source, status=SyncSend.Status.FAILED).exclude(Exists(later))
              .values_list("item_id", flat=True))
    queued = 0
    for gold in (GoldLabel.objects.filter(item_id__in=list(failed[:RESEND_AT_MOST]))
                 .select_related("item__output", "item__project")):
        number = gold.revisions.order_by("-number").values_list("number", flat=True).first() or 1
        if queue(source, final_label(gold.item, number, gold.answers, gold.method, gold.decided_at)):
            queued += 1
    return queued


# Sending

def deliver(send_id: int) -> None:
    """The django-rq job: one try, recorded; a passing failure raises so that rq retries it."""
    send = attempt(send_id)
    if send is not None and send.status == SyncSend.Status.PENDING:
        raise SendFailed(f"label send {send_id}: {send.last_error}")


def deliver_inline(send_id: int) -> None:
    """In-process: the first try and up to RETRIES more after INLINE_WAITS, each recorded."""
    for wait in (0.0, *INLINE_WAITS[:RETRIES]):
        if wait:
            time.sleep(wait)
        send = attempt(send_id)
        if send is None or send.status != SyncSend.Status.PENDING:
            return


def attempt(send_id: int) -> SyncSend | None:
    """One try at a pending send, recorded on it: sent, pending (a passing failure, tries left),
    failed (refused, or the last try) or superseded (a later label of the item is queued)."""
    send = SyncSend.objects.select_related("sync").filter(pk=send_id).first()
    if send is None or send.status != SyncSend.Status.PENDING:
        return send
    source = send.sync
    if SyncSend.objects.filter(Q(sync=source, item_id=send.item_id, pk__gt=send.pk)).exists():
        return _finish(send, SyncSend.Status.SUPERSEDED, "")
    if not source.enabled or source.kind != send.kind:
        return _finish(send, SyncSend.Status.FAILED, "not sent: syncing was turned off or changed since it was queued")
    send.attempts += 1
    try:
        if send.kind == SourceSync.Kind.LANGSMITH:
            send.response_status = send_langsmith(source, send.payload["feedback"])
        else:
            send.response_status = send_langfuse(source, send.payload["scores"])
    except Refused as exc:
        send.response_status = exc.status
        return _finish(send, SyncSend.Status.FAILED, f"refused: {exc}")
    except Passing as exc:
        send.response_status = exc.status
        last = send.attempts >= MAX_ATTEMPTS
        if last:
            logger.warning("label send %s failed after %d tries: %s", send.pk, send.attempts, exc)
        return _finish(send, SyncSend.Status.FAILED if last else SyncSend.Status.PENDING, str(exc))
    return _finish(send, SyncSend.Status.SENT, "")


def _finish(send: SyncSend, status: str, error: str) -> SyncSend:
    send.status, send.last_error = status, error[:2000]
    if status == SyncSend.Status.SENT:
        send.sent_at = timezone.now()
    send.save(update_fields=["status", "last_error", "attempts", "response_status", "sent_at"])
    return send


def _credentials(source: SourceSync) -> tuple[str, str]:
    try:
        return unseal(source.public_key_sealed), unseal(source.secret_sealed)
    except SealError as exc:
        raise Refused(f"the stored key {exc}") from exc


def _check_target(source: SourceSync) -> None:
    """Checked again at sending: a name may resolve elsewhere than when the lead saved it."""
    why = sync.refused_url(source.base_url, allow_private=private_allowed())
    if why:
        raise Refused(why)


def private_allowed() -> bool:
    return settings.SOURCE_SYNC_PRIVATE


def _passing(status: int | None) -> bool:
    return status is None or status == 429 or status >= 500


SCORE_FIELDS = {"id": "id", "traceId": "trace_id", "observationId": "observation_id", "name": "name",
                "value": "value", "dataType": "data_type", "comment": "comment", "metadata": "metadata",
                "timestamp": "timestamp"}  # Langfuse's JSON names -> the client's (absent stays absent, never null)


def send_langfuse(source: SourceSync, scores: list[dict[str, Any]]) -> int | None:
    """POST the scores in one batch with langfuse's REST client (Langfuse().api is the same client);
    the status code of the answer. A 207 means some scores were rejected: refused, not retried."""
    import httpx
    from langfuse.api import LangfuseAPI
    from langfuse.api.core.api_error import ApiError
    from langfuse.api.scores import CreateScoreRequest
    from langfuse.api.scores.types.create_score_batch_results import CreateScoreBatchResults

    _check_target(source)
    public_key, secret_key = _credentials(source)
    statuses: list[int] = []
    http = httpx.Client(timeout=TIMEOUT, event_hooks={"response": [lambda r: statuses.append(r.status_code)]})
    api = LangfuseAPI(base_url=source.base_url.rstrip("/"), username=public_key, password=secret_key,
                      x_langfuse_sdk_name="python", x_langfuse_public_key=public_key, httpx_client=http)
    request = [CreateScoreRequest(**{field: s[key] for key, field in SCORE_FIELDS.items() if key in s})
               for s in scores]
    try:
        answer = api.scores.create(request=request, request_options={"max_retries": 0, "timeout_in_seconds": TIMEOUT})
    except ApiError as exc:
        status = exc.status_code or (statuses[-1] if statuses else None)
        message = f"HTTP {status}: {str(exc.body)[:500]}"
        raise (Passing if _passing(status) else Refused)(message, status) from exc
    except httpx.TimeoutException as exc:
        raise Passing(f"no answer within {TIMEOUT} s") from exc
    except httpx.HTTPError as exc:
        raise Passing(f"could not connect: {exc}") from exc
    finally:
        http.close()
    status = statuses[-1] if statuses else None
    if isinstance(answer, CreateScoreBatchResults) and answer.rejected:
        reasons = "; ".join(e.message for e in answer.errors)[:500]
        raise Refused(f"{answer.rejected} of {len(scores)} scores rejected: {reasons}", status)
    return status


def send_langsmith(source: SourceSync, feedback: list[dict[str, Any]]) -> int | None:
    """Create each feedback with langsmith.Client (no background batching, no retries of its own);
    a feedback that exists already (409, an earlier revision sent) is updated with this one's
    values instead, a field this revision lacks cleared. The status code of the last answer."""
    import requests
    from langsmith import Client
    from langsmith import utils as ls_utils
    from urllib3.util.retry import Retry

    _check_target(source)
    _, api_key = _credentials(source)
    statuses: list[int] = []
    session = requests.Session()
    session.hooks["response"].append(lambda r, *args, **kwargs: statuses.append(r.status_code))
    client = Client(api_url=source.base_url.rstrip("/"), api_key=api_key, session=session, auto_batch_tracing=False,
                    retry_config=Retry(total=0), timeout_ms=TIMEOUT * 1000)
    try:
        for one in feedback:
            kwargs = dict(one)
            try:
                client.create_feedback(stop_after_attempt=1, **kwargs)
            except ls_utils.LangSmithConflictError:
                client.update_feedback(kwargs["feedback_id"], score=kwargs.get("score"), value=kwargs.get("value"),
                                       correction=kwargs.get("correction"), comment=kwargs.get("comment"))
    except ls_utils.LangSmithRequestTimeout as exc:
        raise Passing(f"no answer within {TIMEOUT} s") from exc
    except ls_utils.LangSmithConnectionError as exc:
        # Not the client's message: it quotes the start and end of the API key.
        raise Passing(f"could not connect to {source.base_url}") from exc
    except (ls_utils.LangSmithRateLimitError, ls_utils.LangSmithAPIError) as exc:
        status = statuses[-1] if statuses else None
        raise Passing(f"HTTP {status}: {str(exc)[:500]}", status) from exc
    except ls_utils.LangSmithError as exc:
        status = statuses[-1] if statuses else None
        raise (Passing if _passing(status) else Refused)(f"HTTP {status}: {str(exc)[:500]}", status) from exc
    finally:
        session.close()
    return statuses[-1] if statuses else None
