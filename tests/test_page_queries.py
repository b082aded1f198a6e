"""Every page a person opens costs the same number of queries whatever the number of outputs
(issue 19): a page that counted, scanned or listed the outputs would grow. Measured on a drawn,
partly labelled week; then the week gets six times the outputs (stored after the draw, so the
audit itself is the same) and every page must cost exactly what it cost before."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviewapp.ingest.models import Output
from tests.helpers import BAD, GOOD, add_outputs, drawn_run, label_all, make_user

PAGES = [  # (url name, needs the week, needs an item)
    ("project-detail", False, False), ("plan-edit", False, False), ("run-list", False, False),
    ("run-detail", True, False), ("review-queue", False, False), ("review-item", False, True),
    ("labels", False, False), ("adjudication", False, False), ("rubric", False, False),
    ("scorecard", False, False), ("run-metrics", True, False), ("exports", False, False), ("judges", False, False),
    ("retention", False, False),
]


def _url(name, run, item):
    args = ["support"]
    if name in ("run-detail", "run-metrics"):
        args += [run.iso_year, run.iso_week]
    if name == "review-item":
        args.append(item.pk)
    return reverse(f"reviewapp:{name}", args=args)


@pytest.mark.django_db
def test_no_page_costs_more_queries_with_more_outputs(client, project_a, alice):
    run = drawn_run(project_a, outputs=20)  # the outputs list then shows 20 rows, then a full page of 50
    label_all(project_a, [alice], lambda item, _: BAD if item.pk % 4 == 0 else GOOD)
    item = run.items.first()
    client.force_login(make_user("lead", project_a, role="qa_lead"))

    def costs() -> dict[str, int]:
        found = {}
        for name, _, _ in PAGES:
            client.get(_url(name, run, item))  # warm: metrics computed, caches filled
            with CaptureQueriesContext(connection) as captured:
                response = client.get(_url(name, run, item))
            assert response.status_code == 200, (name, response.status_code)
            found[name] = len(captured)
        return found

    before = costs()
    add_outputs(project_a, {("billing", "medium"): 180, ("medical", "high"): 180}, prefix="later-")
    assert Output.objects.filter(project=project_a).count() == 380
    assert costs() == before
