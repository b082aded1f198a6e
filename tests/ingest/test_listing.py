"""The outputs list (ingest/listing.py, on the project's home): keyset pages that cover every output
once, newest first; its size and filter choices from the rollup; and a page whose query count does
not grow with the outputs."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviewapp.ingest.actions import ingest
from reviewapp.ingest.listing import in_words, outputs_page
from reviewapp.ingest.models import Output
from tests.helpers import make_user
from tests.ingest.test_volume import START, records


@pytest.mark.django_db
def test_keyset_pages_cover_every_output_once_newest_first(project_a):
    ingest(project=project_a, records=records(137))
    # Ties on occurred_at are broken by id: give ten outputs the same time.
    Output.objects.filter(external_id__in=[f"v{i}" for i in range(10)]).update(occurred_at=START)
    seen, cursor = [], None
    while True:
        page = outputs_page(Output.objects.filter(project=project_a), cursor, project=project_a, filters={}, per_page=20)
        seen += page.rows
        assert page.newest == (cursor is None) and page.total == 137 and page.exact
        if page.older is None:
            break
        cursor = page.older
    assert len(seen) == len({o.pk for o in seen}) == 137
    keys = [(o.occurred_at, o.pk) for o in seen]
    assert keys == sorted(keys, reverse=True)


@pytest.mark.django_db
def test_the_total_follows_the_filters_the_rollup_can_answer(project_a):
    ingest(project=project_a, records=records(90))
    filtered = Output.objects.filter(project=project_a, category="billing")
    page = outputs_page(filtered, None, project=project_a, filters={"category": "billing"})
    assert page.total == filtered.count() == 30 and page.exact
    prefix = outputs_page(Output.objects.filter(project=project_a, external_id__startswith="v1"), None,
                          project=project_a, filters={"external_id": "v1"})
    assert not prefix.exact and prefix.total == 90  # the rollup knows no ids: an upper bound, said as "about"
    assert outputs_page(Output.objects.filter(project=project_a), "not-a-cursor", project=project_a,
                        filters={}).newest


def test_sizes_in_words():
    assert in_words(1) == "1 output" and in_words(9_999) == "9,999 outputs"
    assert in_words(12, exact=False) == "about 12 outputs"
    assert in_words(9_812_345) == "about 9.8 million outputs" and in_words(25_000) == "about 25 thousand outputs"


@pytest.mark.django_db
def test_the_home_page_s_queries_do_not_grow_with_the_outputs(client, project_a):
    client.force_login(make_user("lead", project_a, role="qa_lead"))
    url = reverse("reviewapp:project-detail", args=["support"])

    def queries(count):
        Output.objects.filter(project=project_a).delete()
        ingest(project=project_a, records=records(count, prefix=f"n{count}-"))
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"category": "billing"})
        assert response.status_code == 200
        return response.content.decode(), len(captured)

    small, few = queries(12)
    large, many = queries(400)
    assert few == many, (few, many)
    assert "Older →" in large and "Older →" not in small
    assert "134 outputs" in large  # billing: every third of 400


@pytest.mark.django_db
def test_the_filter_choices_and_chart_come_from_the_rollup(client, project_a):
    ingest(project=project_a, records=records(30))
    client.force_login(make_user("lead", project_a, role="qa_lead"))
    page = client.get(reverse("reviewapp:project-detail", args=["support"])).content.decode()
    assert 'value="billing"' in page and 'value="medical"' in page


@pytest.mark.django_db
def test_the_plan_page_s_populations_from_the_rollup_equal_the_draw_s_count(project_a):
    from reviewapp.audits import actions
    from reviewapp.audits.models import SamplingPlan
    from reviewapp.lib.weeks import IsoWeek
    from tests.helpers import STRATA

    plan = SamplingPlan(project=project_a, strata=STRATA, goal="margin", margin=0.1, expected_rate=0.5)
    plan.save_as_new_version()
    ingest(project=project_a, records=records(500))  # 23 minutes apart from Monday 09:00: into the next week
    for week in (IsoWeek(2026, 47), IsoWeek(2026, 48)):
        assert actions.planning_populations(project_a, plan, week) == actions.populations(project_a, plan, week)
    assert sum(actions.planning_populations(project_a, plan, IsoWeek(2026, 47)).values()) > 0
    with_metadata = SamplingPlan(project=project_a, strata=[{"name": "phone", "match": {"metadata.channel": ["phone"]}}],
                                 goal="margin", margin=0.1, expected_rate=0.5)
    with_metadata.save_as_new_version()  # a rule the rollup cannot answer: counted exactly
    assert actions.planning_populations(project_a, with_metadata, IsoWeek(2026, 47)) == actions.populations(
        project_a, with_metadata, IsoWeek(2026, 47))
