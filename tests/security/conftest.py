"""A project with every kind of row holding XSS payloads: the fixture the page-wide security tests share."""
from __future__ import annotations

import pytest

from reviewapp.audits.models import DrawnOutput
from reviewapp.exports import actions as exports
from reviewapp.ingest.models import Output
from reviewapp.review import actions
from reviewapp.review.models import LabelSchema
from reviewapp.review.rubric import DEFAULT_RUBRIC
from tests.helpers import drawn_run

PAYLOADS = [
    '<script>alert("xss-1")</script>',
    '<img src=x onerror=alert("xss-2")>',
    '"><svg/onload=alert("xss-3")>',
    "<a href=\"javascript:alert('xss-4')\">click</a>",
    "[click](javascript:alert('xss-5'))<iframe src=javascript:alert(6)>",
    "</textarea><script>alert('xss-7')</script>",
    "'-alert('xss-8')-'</title><body onload=alert(9)>",
]
ALL = " ".join(PAYLOADS)
@pytest.fixture
def hostile(project_a, alice, lead):
    project_a.name = f"Support {PAYLOADS[2]}"
    project_a.save()
    rubric = {"questions": [dict(q) for q in DEFAULT_RUBRIC["questions"]]}
    rubric["questions"][0] = {**rubric["questions"][0], "label": PAYLOADS[0],
                              "options": [{**o, "label": PAYLOADS[1] + o["label"]} for o in rubric["questions"][0]["options"]]}
    LabelSchema.objects.filter(project=project_a, version=1).update(definition=rubric)  # made with the project
    run = drawn_run(project_a, outputs=20)
    hostile = dict(
        input=[{"role": "system", "content": PAYLOADS[3]}, {"role": "user", "content": ALL}],
        output=ALL, context=[PAYLOADS[4], {"content": PAYLOADS[5], PAYLOADS[6]: PAYLOADS[1]}],
        metadata={PAYLOADS[0]: PAYLOADS[1], "note": ALL}, category=PAYLOADS[2][:100], model=PAYLOADS[6][:200],
        model_version=PAYLOADS[3][:200])
    Output.objects.filter(project=project_a).update(**hostile)
    DrawnOutput.objects.filter(project=project_a).update(**hostile)  # what the item pages show
    claim = actions.claim_next(user=alice, project=project_a)
    actions.submit_label(claim=claim, user=alice, data={"verdict": "failure", "harm": "near_miss", "notes": ALL,
                                                        "corrected_output": ALL, "errors": ["tone"]})
    second = actions.claim_next(user=alice, project=project_a)
    snapshot = exports.build(exports.create(project=project_a, filters={}, formats=["jsonl"], queue=False))
    return {"run": run, "item": second.item, "snapshot": snapshot, "labelled": claim.item, "lead": lead,
            "reviewer": alice}
