"""Verdicts back to the source (issue 18 item 4): final labels go to Langfuse as scores and to
LangSmith as feedback, sent by the vendors' real clients to a loopback receiver that answers as
their APIs do and keeps every request; the bodies are checked. A changed label sends the same ids
(an update), a failing source is retried with every try recorded, keys are stored encrypted, the
page is the leads', and outputs without a trace id send nothing."""
from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.urls import reverse

from reviewapp.audits.models import AuditItem
from reviewapp.exports import sync, sync_jobs
from reviewapp.exports.models import SourceSync, SyncSend
from reviewapp.lib import sealing
from reviewapp.review import actions
from reviewapp.review.models import GoldLabel
from tests.helpers import BAD, CORRECTED, GOOD, RULING, drawn_run, label_all

LANGFUSE_PUBLIC, LANGFUSE_SECRET = "pk-lf-public-1234", "sk-lf-secret-key-5678"
LANGSMITH_KEY = "lsv2_pt_secret_api_key_90ab"
SESSION = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


class Source:
    """Langfuse's and LangSmith's HTTP APIs on 127.0.0.1, as far as the clients need them: POST
    /api/public/scores answers 202 {"message": "Accepted"}; GET /info LangSmith's version; POST
    /feedback 200, or 409 for an id it has already; PATCH /feedback/<id> 200. `failures` POSTs
    answer 500 first. Every request is kept: method, path, headers, JSON body."""

    def __init__(self, failures: int = 0, scores_answer: tuple[int, dict] | None = None):
        self.requests: list[dict] = []
        self.failures = failures
        self.scores_answer = scores_answer or (202, {"message": "Accepted"})
        self.feedback_ids: set[str] = set()
        source = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _keep(self) -> dict:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                kept = {"method": self.command, "path": self.path, "headers": dict(self.headers),
                        "json": json.loads(raw) if raw else None}
                source.requests.append(kept)
                return kept

            def do_GET(self):
                self._keep()
                if self.path.endswith("/info"):
                    self._answer(200, {"version": "0.10.66", "instance_flags": {}})
                else:
                    self._answer(404, {"detail": "not found"})

            def do_POST(self):
                kept = self._keep()
                if source.failures:
                    source.failures -= 1
                    self._answer(500, {"message": "internal error"})
                elif self.path == "/api/public/scores":
                    self._answer(*source.scores_answer)
                elif self.path == "/feedback":
                    if kept["json"]["id"] in source.feedback_ids:
                        self._answer(409, {"detail": "feedback exists"})
                    else:
                        source.feedback_ids.add(kept["json"]["id"])
                        self._answer(200, kept["json"])
                else:
                    self._answer(404, {"detail": "not found"})

            def do_PATCH(self):
                self._keep()
                self._answer(200, {})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def posts(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["method"] == "POST" and r["path"] == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def source():
    s = Source()
    yield s
    s.close()


@pytest.fixture(autouse=True)
def loopback_and_no_waits(monkeypatch, settings):
    settings.SOURCE_SYNC_PRIVATE = True  # the receiver listens on loopback (the default refuses it: see below)
    monkeypatch.setattr(sync_jobs, "INLINE_WAITS", (0.0, 0.0, 0.0))


@pytest.fixture
def run(project_a):
    """A drawn run whose outputs carry UUID trace ids (both sources take them), the first item's also
    a span id, and the second item's none (sent nowhere)."""
    run = drawn_run(project_a, outputs=12)
    items = list(run.items.order_by("pk").select_related("output"))
    for i, item in enumerate(items):
        output = item.output
        output.trace_id = "" if i == 1 else str(uuid.uuid5(uuid.NAMESPACE_URL, f"trace-{i}"))
        output.span_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "span-0")) if i == 0 else ""
        output.save()
    return run


def langfuse(project, url, enabled=True) -> SourceSync:
    return SourceSync.objects.create(project=project, kind="langfuse", base_url=url, enabled=enabled,
                                     public_key_sealed=sealing.seal(LANGFUSE_PUBLIC),
                                     secret_sealed=sealing.seal(LANGFUSE_SECRET))


def langsmith(project, url) -> SourceSync:
    return SourceSync.objects.create(project=project, kind="langsmith", base_url=url, enabled=True,
                                     secret_sealed=sealing.seal(LANGSMITH_KEY), source_project=SESSION)


def label(project, reviewers, capture, answer_for):
    with capture(execute=True):
        label_all(project, reviewers, answer_for)


def first_items(run, n=3) -> list[AuditItem]:
    return list(run.items.order_by("pk").select_related("output")[:n])


def answers_by_rank(run, corrected=CORRECTED):
    """The first item corrected, the second bad (no trace id), the rest good."""
    first, second = first_items(run, 2)
    return lambda item, reviewer: corrected if item.pk == first.pk else BAD if item.pk == second.pk else GOOD


def stable(project, item, name) -> str:
    return str(uuid.uuid5(sync.NAMESPACE, f"spotcheck/{project.pk}/{item.pk}/{item.output.trace_id}/{name}"))


@pytest.mark.django_db
def test_final_labels_become_langfuse_scores_on_their_traces(project_a, alice, run, source,
                                                             django_capture_on_commit_callbacks):
    langfuse(project_a, source.url)
    label(project_a, [alice], django_capture_on_commit_callbacks, answers_by_rank(run))
    first, second, third = first_items(run)
    labelled = run.items.exclude(output__trace_id="").count()

    posts = source.posts("/api/public/scores")
    assert len(posts) == labelled  # one batch per final label; the output without a trace id sends nothing
    auth = "Basic " + base64.b64encode(f"{LANGFUSE_PUBLIC}:{LANGFUSE_SECRET}".encode()).decode()
    assert {p["headers"]["Authorization"] for p in posts} == {auth}
    by_trace = {p["json"][0]["traceId"]: p["json"] for p in posts}
    assert second.output.trace_id == "" and "" not in by_trace

    corrected = by_trace[first.output.trace_id]
    assert [(s["name"], s["value"], s["dataType"]) for s in corrected] == [
        ("spotcheck.verdict", "failure", "CATEGORICAL"), ("spotcheck.harm", "near_miss", "CATEGORICAL"),
        ("output", CORRECTED["corrected_output"], "CORRECTION")]
    assert [s["id"] for s in corrected] == [stable(project_a, first, n) for n in ("spotcheck.verdict", "spotcheck.harm",
                                                                                   "output")]
    assert {s["observationId"] for s in corrected} == {first.output.span_id}
    assert {s["comment"] for s in corrected} == {"wrong delay"}
    assert corrected[0]["metadata"] == {
        "source": "spotcheck", "project": "support", "item": first.pk, "revision": 1, "method": "single",
        "decided_at": corrected[0]["metadata"]["decided_at"], "errors": ["factual_error", "tone"]}
    assert corrected[0]["timestamp"].startswith(first.output.occurred_at.strftime("%Y-%m-%dT%H:%M:%S"))

    good = by_trace[third.output.trace_id]
    assert [(s["name"], s["value"]) for s in good] == [("spotcheck.verdict", "success"), ("spotcheck.harm", "none")]
    assert "observationId" not in good[0] and "comment" not in good[0]

    sends = SyncSend.objects.filter(sync__project=project_a)
    assert sends.count() == labelled
    assert set(sends.values_list("status", "attempts", "response_status")) == {("sent", 1, 202)}
    recorded = sends.get(item=first).payload["scores"]  # as built; the client writes the timestamp its own way
    assert [{**s, "timestamp": None} for s in recorded] == [{**s, "timestamp": None} for s in corrected]
    assert {datetime.fromisoformat(s["timestamp"]) for s in recorded + corrected} == {first.output.occurred_at}


@pytest.mark.django_db
def test_a_changed_label_sends_the_same_ids_again(project_a, alice, lead, run, source,
                                                  django_capture_on_commit_callbacks):
    langfuse(project_a, source.url)
    label(project_a, [alice], django_capture_on_commit_callbacks, answers_by_rank(run))
    first = first_items(run, 1)[0]
    before = next(
        p["json"] for p in source.posts("/api/public/scores") if p["json"][0]["traceId"] == first.output.trace_id)

    with django_capture_on_commit_callbacks(execute=True):
        actions.adjudicate(item=first, user=lead, data=RULING, reason="tidier")
    after = source.posts("/api/public/scores")[-1]["json"]
    assert [(s["name"], s["value"]) for s in after] == [("spotcheck.verdict", "partial"), ("spotcheck.harm", "none"),
                                                       ("output", "A tidier answer.")]
    assert [s["id"] for s in after] == [s["id"] for s in before]  # the same scores, updated
    assert [s["timestamp"] for s in after] == [s["timestamp"] for s in before]  # Langfuse updates on id + timestamp
    assert after[0]["metadata"]["revision"] == 2 and after[0]["metadata"]["method"] == "adjudicated"
    sends = SyncSend.objects.filter(item=first).order_by("pk")
    assert list(sends.values_list("revision", "status")) == [(1, "sent"), (2, "sent")]

    with django_capture_on_commit_callbacks(execute=True):  # the same ruling again is no new revision: no send
        actions.adjudicate(item=first, user=lead, data=RULING, reason="tidier")
    assert sends.count() == 2


@pytest.mark.django_db
def test_final_labels_become_langsmith_feedback_and_a_change_updates_it(project_a, alice, lead, run, source,
                                                                        django_capture_on_commit_callbacks):
    langsmith(project_a, source.url)
    label(project_a, [alice], django_capture_on_commit_callbacks, answers_by_rank(run))
    first, second, third = first_items(run)
    posts = source.posts("/feedback")
    assert {{k.lower(): v for k, v in p["headers"].items()}["x-api-key"] for p in posts} == {LANGSMITH_KEY}
    mine = {(p["json"]["trace_id"], p["json"]["key"]): p["json"] for p in posts}
    assert len(posts) == 2 * run.items.exclude(output__trace_id="").count()

    verdict = mine[(first.output.trace_id, "spotcheck.verdict")]
    assert verdict["id"] == stable(project_a, first, "spotcheck.verdict")
    assert verdict["run_id"] == first.output.span_id  # the span's run, in its trace
    assert (verdict["value"], verdict["score"]) == ("failure", 0.0)
    assert verdict["correction"] == {"output": CORRECTED["corrected_output"]}
    assert verdict["comment"] == "wrong delay"
    assert verdict["session_id"] == SESSION
    assert verdict["extra"]["item"] == first.pk and verdict["extra"]["errors"] == ["factual_error", "tone"]
    harm = mine[(first.output.trace_id, "spotcheck.harm")]
    assert (harm["id"], harm["value"]) == (stable(project_a, first, "spotcheck.harm"), "near_miss")
    assert "score" not in harm
    good = mine[(third.output.trace_id, "spotcheck.verdict")]
    assert (good["run_id"], good["value"], good["score"]) == (third.output.trace_id, "success", 1.0)
    assert "correction" not in good

    with django_capture_on_commit_callbacks(execute=True):
        actions.adjudicate(item=first, user=lead, data=GOOD)
    again = [p["json"] for p in source.posts("/feedback")[len(posts):]]
    assert [(f["id"], f["key"]) for f in again] == [(verdict["id"], "spotcheck.verdict"), (harm["id"], "spotcheck.harm")]
    patches = {r["path"]: r["json"] for r in source.requests if r["method"] == "PATCH"}
    assert patches[f"/feedback/{verdict['id']}"] == {"score": 1.0, "value": "success", "correction": None,
                                                       "comment": None}
    assert patches[f"/feedback/{harm['id']}"]["value"] == "none"
    assert SyncSend.objects.filter(item=first).order_by("pk").last().status == "sent"


@pytest.mark.django_db
def test_a_failing_source_is_tried_again_every_try_recorded_then_failed(project_a, alice, run,
                                                                        django_capture_on_commit_callbacks):
    failing = Source(failures=1000)
    try:
        langfuse(project_a, failing.url)
        first = first_items(run, 1)[0]
        with django_capture_on_commit_callbacks(execute=True):
            claim = actions.claim_next(user=alice, project=project_a)
            while claim.item_id != first.pk:  # label the first item only
                actions.skip(claim=claim, user=alice, reason="later")
                claim = actions.claim_next(user=alice, project=project_a)
            actions.submit_label(claim=claim, user=alice, data=CORRECTED)
        send = SyncSend.objects.get(item=first)
        assert (send.status, send.attempts, send.response_status) == ("failed", sync_jobs.MAX_ATTEMPTS, 500)
        assert send.last_error.startswith("HTTP 500")
        assert len(failing.posts("/api/public/scores")) == sync_jobs.MAX_ATTEMPTS  # no hidden retries of the client's
    finally:
        failing.close()


@pytest.mark.django_db
def test_a_passing_failure_then_success_and_a_refusal_not_retried(project_a, alice, run,
                                                                  django_capture_on_commit_callbacks):
    flaky = Source(failures=1)
    try:
        source = langfuse(project_a, flaky.url)
        first = first_items(run, 1)[0]
        label_ = sync_jobs.final_label(first, 1, CORRECTED, "single", first.output.occurred_at)
        with django_capture_on_commit_callbacks(execute=True):
            send = sync_jobs.queue(source, label_)
        send.refresh_from_db()
        assert (send.status, send.attempts, send.response_status) == ("sent", 2, 202)

        flaky.scores_answer = (207, {"accepted": 2, "rejected": 1, "errors": [{"message": "trace not found"}]})
        with django_capture_on_commit_callbacks(execute=True):
            refused = sync_jobs.queue(source, label_)
        refused.refresh_from_db()
        assert (refused.status, refused.attempts, refused.response_status) == ("failed", 1, 207)
        assert "1 of 3 scores rejected: trace not found" in refused.last_error
    finally:
        flaky.close()


@pytest.mark.django_db
def test_an_older_send_still_waiting_is_superseded_by_a_later_label(project_a, run, source):
    sync_config = langfuse(project_a, source.url)
    first = first_items(run, 1)[0]
    older = sync_jobs.queue(sync_config, sync_jobs.final_label(first, 1, BAD, "single", first.output.occurred_at))
    newer = sync_jobs.queue(sync_config, sync_jobs.final_label(first, 2, GOOD, "adjudicated", first.output.occurred_at))
    assert sync_jobs.attempt(older.pk).status == "superseded"
    assert sync_jobs.attempt(newer.pk).status == "sent"
    assert [p["json"][0]["value"] for p in source.posts("/api/public/scores")] == ["success"]


@pytest.mark.django_db
def test_nothing_is_sent_when_sync_is_off_or_absent(project_a, alice, run, source, django_capture_on_commit_callbacks):
    langfuse(project_a, source.url, enabled=False)
    label(project_a, [alice], django_capture_on_commit_callbacks, answers_by_rank(run))
    assert GoldLabel.objects.filter(item__run=run).exists()
    assert not SyncSend.objects.exists() and source.requests == []


@pytest.mark.django_db
def test_langsmith_needs_uuid_ids(project_a, run, source):
    config = langsmith(project_a, source.url)
    first = first_items(run, 1)[0]
    first.output.trace_id = "0af7651916cd43dd8448eb211c80319c-not-a-uuid"
    send = sync_jobs.queue(config, sync_jobs.final_label(first, 1, GOOD, "single", first.output.occurred_at))
    assert send.status == "failed" and "is not a UUID" in send.last_error and source.requests == []


@pytest.mark.django_db
def test_keys_are_stored_encrypted_and_never_shown_back(client, project_a, lead, source, monkeypatch):
    client.force_login(lead)
    url = reverse("reviewapp:source-sync", args=["support"])
    response = client.post(url, {"enabled": "on", "kind": "langfuse", "base_url": source.url,
                                 "public_key": LANGFUSE_PUBLIC, "secret": LANGFUSE_SECRET})
    assert response.status_code == 302
    with connection.cursor() as cursor:
        cursor.execute("SELECT public_key_sealed, secret_sealed FROM exports_sourcesync")
        stored = " ".join(cursor.fetchone())
    assert LANGFUSE_SECRET not in stored and LANGFUSE_PUBLIC not in stored and "5678" not in stored
    config = SourceSync.objects.get(project=project_a)
    assert sealing.unseal(config.secret_sealed) == LANGFUSE_SECRET
    page = client.get(url).content.decode()
    assert LANGFUSE_SECRET not in page and LANGFUSE_PUBLIC not in page
    assert "set, ends with …78" in page and "set, ends with …34" in page

    # Saving again without keys keeps them; a key from the environment seals and opens instead of SECRET_KEY's.
    assert client.post(url, {"enabled": "on", "kind": "langfuse", "base_url": source.url}).status_code == 302
    config.refresh_from_db()
    assert sealing.unseal(config.secret_sealed) == LANGFUSE_SECRET
    monkeypatch.setenv(sealing.ENV_KEY, Fernet.generate_key().decode())
    assert "cannot be opened with the current key" in client.get(url).content.decode()
    with pytest.raises(sealing.SealError):
        sealing.unseal(config.secret_sealed)
    assert sealing.unseal(sealing.seal("abc")) == "abc"


@pytest.mark.django_db
def test_the_form_names_what_is_wrong(client, project_a, lead, settings):
    client.force_login(lead)
    url = reverse("reviewapp:source-sync", args=["support"])
    page = client.post(url, {"enabled": "on", "kind": "langfuse", "base_url": "http://127.0.0.1:9/",
                             "secret": "x"}).content.decode()
    assert "Langfuse public key: required" in page
    page = client.post(url, {"kind": "langsmith", "base_url": "http://127.0.0.1:9/", "secret": "x",
                             "source_project": "billing"}).content.decode()
    assert "LangSmith tracing project id: not a UUID" in page
    settings.SOURCE_SYNC_PRIVATE = False
    page = client.post(url, {"kind": "langsmith", "base_url": "http://127.0.0.1:9/", "secret": "x"}).content.decode()
    assert "a private or local address" in page
    assert not SourceSync.objects.exists()


@pytest.mark.django_db
def test_the_page_is_the_leads_and_lists_the_sends(client, project_a, alice, lead, run, source,
                                                    django_capture_on_commit_callbacks):
    url = reverse("reviewapp:source-sync", args=["support"])
    client.force_login(alice)
    assert client.get(url).status_code == 403
    assert client.post(url, {"kind": "langfuse", "base_url": source.url, "public_key": "a",
                             "secret": "b"}).status_code == 403
    assert not SourceSync.objects.exists()

    langfuse(project_a, source.url)
    label(project_a, [alice], django_capture_on_commit_callbacks, answers_by_rank(run))
    client.force_login(lead)
    page = client.get(url).content.decode()
    first = first_items(run, 1)[0]
    assert first.output.trace_id in page and "Sent" in page
    assert reverse("reviewapp:source-sync", args=["support"]) in client.get(
        reverse("reviewapp:exports", args=["support"])).content.decode()


def test_payload_builders_skip_what_a_label_lacks():
    from datetime import UTC, datetime

    at = datetime(2026, 11, 20, 10, tzinfo=UTC)
    base = {"project_id": 1, "project_slug": "p", "item_id": 2, "trace_id": "t", "span_id": "", "occurred_at": at,
            "revision": 1, "method": "single", "decided_at": at}
    assert sync.langfuse_scores(sync.FinalLabel(**base, answers={"verdict": "success"}))[0]["name"] == "spotcheck.verdict"
    assert sync.langfuse_scores(sync.FinalLabel(**base, answers={"relevance": 3})) == []  # a custom rubric without them
    assert sync.langfuse_scores(sync.FinalLabel(**(base | {"trace_id": ""}), answers=GOOD)) == []
    only_harm = sync.langsmith_feedback(sync.FinalLabel(**base, answers={"harm": "incident"}))
    assert [f["key"] for f in only_harm] == ["spotcheck.harm"] and "session_id" not in only_harm[0]
    one, other = (sync.stable_id(sync.FinalLabel(**(base | {"item_id": i}), answers=GOOD), sync.VERDICT) for i in (2, 3))
    assert one != other and uuid.UUID(one).version == 5


@pytest.mark.django_db
def test_a_lead_sends_the_failed_ones_again(client, project_a, alice, lead, run, django_capture_on_commit_callbacks):
    down = Source(failures=1000)
    try:
        langfuse(project_a, down.url)
        label(project_a, [alice], django_capture_on_commit_callbacks, answers_by_rank(run))
        failed = SyncSend.objects.filter(status="failed").count()
        assert failed == run.items.exclude(output__trace_id="").count()
        down.failures = 0  # the source is back
        client.force_login(lead)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("reviewapp:source-sync", args=["support"]), {"resend": "1"})
        assert response.status_code == 302
        assert SyncSend.objects.filter(status="sent").count() == failed
        first = first_items(run, 1)[0]
        assert SyncSend.objects.filter(item=first).order_by("pk").last().payload["scores"][0]["value"] == "failure"
    finally:
        down.close()


@pytest.mark.django_db
def test_the_rq_job_raises_for_rq_to_retry_and_fails_the_send_on_its_last_try(project_a, run):
    down = Source(failures=1000)
    try:
        config = langfuse(project_a, down.url)
        first = first_items(run, 1)[0]
        send = SyncSend.objects.create(sync=config, item=first, revision=1, answers_hash="x", kind="langfuse",
                                       trace_id=first.output.trace_id, payload=sync_jobs.build(
                                           config, sync_jobs.final_label(first, 1, GOOD, "single", first.output.occurred_at)))
        for _ in range(sync_jobs.RETRIES):  # what rq runs: the first try and its retries but the last
            with pytest.raises(sync_jobs.SendFailed):
                sync_jobs.deliver(send.pk)
        sync_jobs.deliver(send.pk)  # the last: recorded as failed, nothing left for rq to retry
        send.refresh_from_db()
        assert (send.status, send.attempts) == ("failed", sync_jobs.MAX_ATTEMPTS)
    finally:
        down.close()
