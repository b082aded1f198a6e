"""The three doors: the web page (a job with a progress display and downloads), the CLI with a
progress bar, the API (create, status, download); only QA leads and admins may export."""
from __future__ import annotations

import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from reviewapp.exports.actions import sha256
from reviewapp.exports.models import Snapshot
from reviewapp.projects.models import UserToken


@pytest.mark.django_db(transaction=True)
def test_a_lead_cuts_a_snapshot_in_the_ui_and_downloads_its_files(client, project_a, labelled, lead):
    client.force_login(lead)
    url = reverse("reviewapp:exports", args=["support"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"agreement": "any", "formats": ["jsonl", "hf", "inspect"]})
    snapshot = Snapshot.objects.get(project=project_a)
    assert response.status_code == 302 and response.url.endswith("/exports/v1/")
    assert snapshot.status == "done"  # in-process: built right after the commit
    page = client.get(response.url).content.decode()
    assert "ready" in page and "manifest.json" in page
    partial = client.get(response.url, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="export-status"' in partial and "<html" not in partial
    for name in ("jsonl", "hf", "inspect", "manifest"):
        download = client.get(reverse("reviewapp:export-download", args=["support", 1, name]))
        body = b"".join(download.streaming_content)
        assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
        if name != "manifest":
            path = {"jsonl": "jsonl/evalset.jsonl", "hf": "hf.zip", "inspect": "inspect.zip"}[name]  # data and task
            assert hashlib.sha256(body).hexdigest() == snapshot.manifest["files"][path]["sha256"]
    assert client.get(reverse("reviewapp:export-download", args=["support", 1, "csv"])).status_code == 404
    invalid = client.post(url, {"agreement": "any", "formats": ["nope"]})
    assert invalid.status_code == 200 and Snapshot.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_api_creates_reports_and_serves_a_snapshot(client, project_a, labelled, lead, alice, charlie):
    def headers(user):
        return {"HTTP_AUTHORIZATION": f"Bearer {UserToken.issue(user=user, name='t')[1]}"}

    url = "/api/v1/projects/support/exports"
    body = {"filters": {"verdicts": ["failure"]}, "formats": ["openai-dpo"]}
    created = client.post(url, body, content_type="application/json", **headers(lead))
    assert created.status_code == 202, created.content
    data = created.json()
    assert data["version"] == 1 and data["status"] == "done" and set(data["files"]) == {"jsonl", "openai-dpo", "manifest"}
    status = client.get(f"{url}/1", **headers(lead)).json()
    assert status["manifest"]["counts"]["rows"] == 2 and status["manifest"]["filters"]["verdicts"] == ["failure"]
    dpo = client.get(data["files"]["openai-dpo"], **headers(lead))
    assert dpo.status_code == 200 and b"preferred_output" in b"".join(dpo.streaming_content)
    bad = client.post(url, {"filters": {"verdicts": ["awful"]}}, content_type="application/json", **headers(lead))
    assert bad.status_code == 400 and "verdicts" in bad.json()["detail"]
    assert client.post(url, body, content_type="application/json", **headers(alice)).status_code == 403
    assert client.get(f"{url}/1", **headers(alice)).status_code == 403
    assert client.get(data["files"]["jsonl"], **headers(alice)).status_code == 403
    assert client.post(url, body, content_type="application/json", **headers(charlie)).status_code == 404
    assert client.post(url, body, content_type="application/json").status_code == 401
    assert Snapshot.objects.count() == 1


@pytest.mark.django_db
def test_the_cli_cuts_a_snapshot_and_rerenders_it_byte_for_byte(project_a, labelled, tmp_path):
    out = io.StringIO()
    call_command("export_evalset", "--project", "support", "--format", "inspect", "--out", str(tmp_path / "a"),
                 "--corrected-only", "--no-progress", stdout=out)
    assert "support-ground-truth-v1: 2 rows" in out.getvalue()
    call_command("export_evalset", "--project", "support", "--format", "inspect", "--snapshot", "1",
                 "--out", str(tmp_path / "b"), stdout=io.StringIO())  # a format of two files: a folder
    call_command("export_evalset", "--project", "support", "--format", "langsmith", "--snapshot", "1",
                 "--out", str(tmp_path / "c.json"), stdout=io.StringIO())  # a format the snapshot was cut without
    for name in ("inspect.jsonl", "spotcheck_task.py"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "c.json").read_text().startswith("[")
    snapshot = Snapshot.objects.get(project=project_a, version=1)  # the format rendered later is in the manifest
    files = snapshot.manifest["files"]
    assert "langsmith" in snapshot.formats and "langsmith" in snapshot.manifest["formats"]
    assert files["langsmith/langsmith-examples.json"]["sha256"] == sha256(tmp_path / "c.json")
    on_disk = json.loads((snapshot.directory / "manifest.json").read_text())
    assert on_disk["files"] == files
    call_command("export_evalset", "--project", "support", "--format", "hf", "--out", str(tmp_path / "hf"),
                 "--no-progress", stdout=io.StringIO())
    assert (tmp_path / "hf" / "README.md").exists()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="verdicts"):
        call_command("export_evalset", "--project", "support", "--format", "jsonl", "--out", str(tmp_path / "x"),
                     "--verdicts", "meh", stdout=io.StringIO())
