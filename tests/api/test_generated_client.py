"""A client generated from the served OpenAPI document with openapi-python-client, used against a
live server as a team's pipeline would: ingest outputs with the project token, draw the week as a
lead, claim an item, read its rubric's answers schema and submit a label as a reviewer. Every answer
comes back as a parsed model (dates as datetimes), and a wrong token as the parsed error model, not
None (docs/ingest.md, Generated clients)."""
from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import jsonschema
import pytest

from reviewapp.api.api import api
from reviewapp.audits.models import SamplingPlan
from reviewapp.projects.models import ApiToken, UserToken
from tests.conftest import unavailable
from tests.helpers import GOOD, STRATA, make_user, record

PACKAGE = "spotcheck_client"


def _generator() -> str | None:
    beside = Path(sys.executable).parent / "openapi-python-client"
    return str(beside) if beside.exists() else shutil.which("openapi-python-client")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The client package, generated once for the module from api.get_openapi_schema() (what
    /api/v1/openapi.json serves), imported from a temporary folder."""
    generator = _generator()
    if generator is None:
        unavailable("openapi-python-client is not installed (pip install -e '.[dev]')")
    folder = tmp_path_factory.mktemp("generated")
    schema = folder / "openapi.json"
    schema.write_text(json.dumps(api.get_openapi_schema()))
    done = subprocess.run([generator, "generate", "--path", str(schema), "--output-path", str(folder / PACKAGE),
                           "--meta", "none"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    # The generator skips the NDJSON and CSV bodies (it sends JSON, form or octet-stream bodies only),
    # with a warning for each; nothing else may be skipped.
    said = done.stdout + done.stderr
    skipped = [line for line in said.splitlines() if line.startswith("WARNING")]
    assert skipped and all("/outputs" in line or "/evaluations" in line for line in skipped), said
    assert "Unsupported content type application/x-ndjson" in said
    assert "Could not" not in said and "will not be generated" not in said, said
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


@pytest.mark.django_db(transaction=True)
def test_a_generated_client_ingests_claims_and_labels(generated, live_server, project_a, alice):
    models = _module("models")
    ingest_outputs = _module("api.ingest.ingest_outputs")
    draw_week = _module("api.audits.draw_week")
    claim_next_item = _module("api.review.claim_next_item")
    read_rubric_version = _module("api.review.read_rubric_version")
    submit_label = _module("api.review.submit_label")

    SamplingPlan(project=project_a, strata=STRATA, goal="margin", margin=0.3, expected_rate=0.5).save_as_new_version()
    lead = make_user("client-lead", project_a, role="qa_lead")

    def client(token: str):
        return generated.AuthenticatedClient(base_url=live_server.url, token=token, raise_on_unexpected_status=True)

    pipeline = client(ApiToken.issue(project=project_a, name="pipeline")[1])
    records = [models.CanonicalRecord.from_dict(record(f"gen-{i}", occurred_at=f"2026-11-{16 + i % 7}T10:00:00Z",
                                                       category="medical" if i % 2 else "billing"))
               for i in range(30)]
    ingested = ingest_outputs.sync("support", client=pipeline, body=records)
    assert isinstance(ingested, models.IngestOut)
    assert (ingested.received, ingested.created, ingested.rejected) == (30, 30, 0)

    drawn = draw_week.sync("support", client=client(UserToken.issue(user=lead, name="l")[1]),
                           body=models.DrawIn(week="2026-W47", early=True))
    assert isinstance(drawn, models.RunOut) and drawn.size > 0
    assert isinstance(drawn.created_at, datetime)

    reviewer = client(UserToken.issue(user=alice, name="a")[1])
    item = claim_next_item.sync("support", client=reviewer)
    assert isinstance(item, models.ItemOut)
    assert isinstance(item.week_start, date) and isinstance(item.claim_expires_at, datetime)
    assert isinstance(item.output, models.OutputOut) and item.output.external_id.startswith("gen-")
    assert isinstance(item.output.occurred_at, datetime)

    rubric = read_rubric_version.sync("support", item.rubric_version, client=reviewer)
    assert isinstance(rubric, models.RubricOut) and rubric.version == item.rubric_version
    jsonschema.validate(GOOD, rubric.answers_schema.to_dict())

    answer = submit_label.sync_detailed("support", item.id, client=reviewer,
                                        body=models.LabelIn(answers=models.LabelInAnswers.from_dict(GOOD)))
    assert answer.status_code == 201
    label = answer.parsed
    assert isinstance(label, models.LabelOut)
    assert label.verdict == "success" and label.item == item.id and isinstance(label.created_at, datetime)

    resent = submit_label.sync_detailed("support", item.id, client=reviewer,
                                        body=models.LabelIn(answers=models.LabelInAnswers.from_dict(GOOD)))
    assert resent.status_code == 200 and isinstance(resent.parsed, models.LabelOut)


@pytest.mark.django_db(transaction=True)
def test_a_generated_client_parses_the_errors(generated, live_server, project_a, alice):
    models = _module("models")
    ingest_outputs = _module("api.ingest.ingest_outputs")
    claim_next_item = _module("api.review.claim_next_item")
    read_item = _module("api.review.read_item")

    wrong = generated.AuthenticatedClient(base_url=live_server.url, token="spc_not-a-token",
                                          raise_on_unexpected_status=True)
    refused = ingest_outputs.sync_detailed("support", client=wrong, body=[models.CanonicalRecord.from_dict(record())])
    assert refused.status_code == 401 and isinstance(refused.parsed, models.ErrorOut)
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    claim = claim_next_item.sync_detailed("support", client=wrong)  # a POST: 401, not a CSRF 403
    assert claim.status_code == 401 and isinstance(claim.parsed, models.ErrorOut) and claim.parsed.detail

    reviewer = generated.AuthenticatedClient(base_url=live_server.url, token=UserToken.issue(user=alice, name="a")[1],
                                             raise_on_unexpected_status=True)
    missing = read_item.sync_detailed("support", 123456, client=reviewer)
    assert missing.status_code == 404 and isinstance(missing.parsed, models.ErrorOut)
    outsider = read_item.sync_detailed("elsewhere", 1, client=reviewer)
    assert outsider.status_code == 404 and isinstance(outsider.parsed, models.ErrorOut)
