"""A drawn item keeps a frozen copy of its output (DrawnOutput): what its reviewers judged, whatever
happens to the ingested output afterwards (an edit, retention)."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from reviewapp.audits.models import DrawnOutput
from reviewapp.ingest.models import CONTENT_FIELDS, Output
from tests.helpers import drawn_run, make_user


@pytest.mark.django_db
def test_the_draw_freezes_every_drawn_output_as_it_was(project_a):
    run = drawn_run(project_a, outputs=40)
    items = list(run.items.all())
    assert items and DrawnOutput.objects.filter(project=project_a).count() == len(items)
    originals = {o.pk: o for o in Output.objects.filter(pk__in=[i.output_id for i in items])}
    for copy in DrawnOutput.objects.filter(pk__in=originals):
        assert {f: getattr(copy, f) for f in CONTENT_FIELDS} == {f: getattr(originals[copy.pk], f) for f in CONTENT_FIELDS}
        assert copy.drawn_at == run.created_at and copy.project_id == project_a.pk
    # Only the drawn outputs are copied.
    assert not DrawnOutput.objects.exclude(pk__in=[i.output_id for i in items]).exists()


@pytest.mark.django_db
def test_an_edit_of_the_ingested_output_never_changes_what_reviewers_see(project_a, alice):
    from reviewapp.review import actions

    drawn_run(project_a, outputs=20)
    item = actions.claim_next(user=alice, project=project_a).item
    before = item.output.output
    Output.objects.filter(pk=item.output_id).update(output="EDITED AFTER THE DRAW")
    item.refresh_from_db()
    assert item.output.output == before
    alice_client = _client(alice)
    page = alice_client.get(reverse("reviewapp:review-item", args=[project_a.slug, item.pk]))
    assert page.status_code == 200
    assert "EDITED AFTER THE DRAW" not in page.content.decode()
    assert escape(before) in page.content.decode()


@pytest.mark.django_db
def test_the_drawn_output_page_shows_the_copy_to_members_only(project_a, project_b, alice, charlie):
    run = drawn_run(project_a, outputs=20)
    item = run.items.first()
    DrawnOutput.objects.filter(pk=item.output_id).update(output="<script>alert(1)</script>")
    Output.objects.filter(pk=item.output_id).delete()  # as retention would: the copy stays
    url = reverse("reviewapp:drawn-output-detail", args=[project_a.slug, item.output_id])
    page = _client(alice).get(url)
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.content.decode()
    assert "<script>alert(1)" not in page.content.decode()
    assert _client(charlie).get(url).status_code == 404
    other = reverse("reviewapp:drawn-output-detail", args=[project_b.slug, item.output_id])
    assert _client(charlie).get(other).status_code == 404


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_a_lead_s_run_table_links_to_the_frozen_copy(project_a):
    lead = make_user("lead-frozen", project_a, role="lead")
    run = drawn_run(project_a, outputs=20)
    item = run.items.first()
    page = _client(lead).get(reverse("reviewapp:run-detail", args=[project_a.slug, run.iso_year, run.iso_week]))
    assert reverse("reviewapp:drawn-output-detail", args=[project_a.slug, item.output_id]) in page.content.decode()
