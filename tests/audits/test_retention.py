"""Retention (audits/retention.py, `manage.py retention`): old weeks of outputs go; what was drawn,
labelled and exported stays. Both backends; the partition drop on PostgreSQL."""
from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.urls import reverse

from reviewapp.audits import actions as audit_actions
from reviewapp.audits import lifecycle, retention
from reviewapp.audits.models import DrawnOutput
from reviewapp.ingest import partitions
from reviewapp.ingest.actions import ingest
from reviewapp.ingest.evaluation_writer import store_evaluations
from reviewapp.ingest.formats import SourceRecord
from reviewapp.ingest.models import Evaluation, Output, OutputVolume
from reviewapp.ingest.records import EvaluationIn
from tests.helpers import MONDAY, WEEK, add_outputs, drawn_run, record

NOW = datetime(2026, 12, 23, 9, 0, tzinfo=UTC)  # in 2026-W52: keeping 4 weeks keeps 2026-W48 on
CUTOFF = datetime(2026, 11, 23, tzinfo=UTC)  # Monday of 2026-W48
NEXT = MONDAY + timedelta(weeks=1)


def _partitions_for_the_test_weeks():
    """The test weeks lie before the migration's partitions: give them theirs, as the scheduler would have."""
    if partitions.is_partitioned():
        for monday in (MONDAY - timedelta(weeks=1), MONDAY, NEXT):
            partitions.create_partition(monday)


@pytest.fixture
def kept(project_a, project_b):
    """project_a keeps 4 weeks: its 2026-W47 (drawn, 60 outputs) goes and its 2026-W48 (40 outputs)
    stays; project_b keeps everything and has outputs in 2026-W47 too. Both judged by a judge."""
    _partitions_for_the_test_weeks()
    project_a.retention_weeks = 4
    project_a.save()
    run = drawn_run(project_a, outputs=60)
    add_outputs(project_a, {("billing", "low"): 40}, start=NEXT, prefix="next")
    add_outputs(project_b, {("billing", "low"): 30}, prefix="b")
    drawn_ids = set(run.items.values_list("output_id", flat=True))
    drawn_one = Output.objects.filter(pk__in=drawn_ids).first()
    undrawn_one = Output.objects.filter(project=project_a, occurred_at__lt=CUTOFF).exclude(pk__in=drawn_ids).first()
    judge = EvaluationIn(name="judge", version="1", label="fail")
    store_evaluations(project_a.pk, [(drawn_one.external_id, judge), (undrawn_one.external_id, judge),
                                     ("next0", judge)])
    return {"run": run, "drawn": drawn_ids, "drawn_one": drawn_one.pk, "undrawn_one": undrawn_one.pk}


def stored(project, **filters) -> int:
    return Output.objects.filter(project=project, **filters).count()


def rolled(project) -> int:
    return OutputVolume.objects.filter(project=project).aggregate(n=Sum("n"))["n"] or 0


@pytest.mark.django_db
def test_the_dry_run_says_what_would_go_and_changes_nothing(project_a, kept):
    out = io.StringIO()
    call_command("retention", "--dry-run", "--now", NOW.isoformat(), stdout=out)
    text = out.getvalue()
    run = kept["run"]
    assert f"2026-W47: 60 outputs ({run.size:,} drawn stay as frozen copies, 1 audit run kept)" in text, text
    assert "2026-W48" not in text and "outputs from 2026-11-23 on" in text
    assert "Dry run: nothing was changed." in text
    assert stored(project_a) == 100 and rolled(project_a) == 100
    assert project_a.__class__.objects.get(pk=project_a.pk).retired_before is None


@pytest.mark.django_db
def test_retention_retires_the_old_weeks_and_keeps_what_was_drawn(project_a, project_b, kept, alice):
    from reviewapp.review import actions as review_actions

    claim = review_actions.claim_next(user=alice, project=project_a)  # a review in progress across the retention
    retention.retire(now=NOW)
    run = kept["run"]
    assert stored(project_a, occurred_at__lt=CUTOFF) == 0
    assert stored(project_a) == 40 == rolled(project_a)  # the rollup counts what is stored
    assert stored(project_b) == 30 == rolled(project_b)  # a project that keeps everything is untouched
    # Every drawn output stays as its frozen copy; the reviewer's item page still shows it.
    assert set(DrawnOutput.objects.values_list("pk", flat=True)) == kept["drawn"]
    assert run.items.count() == run.size
    client = _client(alice)
    page = client.get(reverse("reviewapp:review-item", args=[project_a.slug, claim.item_id]))
    assert page.status_code == 200 and claim.item.output.external_id in page.content.decode()
    review_actions.submit_label(claim=claim, user=alice, data={"verdict": "success", "harm": "none"})
    # The judge's score of the drawn output stays (exports and agreement read it); the others' go.
    assert Evaluation.objects.filter(output_id=kept["drawn_one"]).exists()
    assert not Evaluation.objects.filter(output_id=kept["undrawn_one"]).exists()
    assert Evaluation.objects.filter(output__external_id="next0").exists()
    project_a.refresh_from_db()
    assert project_a.retired_before == CUTOFF
    # A retired week can no longer be drawn (a draw would see only what is left of it).
    earlier = WEEK.shift(-1)
    assert lifecycle.week_status(project_a, earlier, now=NOW).state == lifecycle.State.RETIRED
    with pytest.raises(lifecycle.DrawRefused, match="retired by the project's retention"):
        audit_actions.draw_audit(project=project_a, week=earlier, now=NOW)
    assert lifecycle.late_arrivals(run) == 0
    # Twice is once.
    retention.retire(now=NOW)
    assert stored(project_a) == 40 and DrawnOutput.objects.count() == len(kept["drawn"])


@pytest.mark.django_db
def test_an_export_after_retention_carries_the_frozen_outputs_and_their_judge_scores(project_a, kept, lead):
    from tests.helpers import GOOD, cut, label_all, make_user, rows_of

    reviewer = make_user("ret-reviewer", project_a)
    label_all(project_a, [reviewer], lambda item, who: GOOD)
    before = {row["id"]: row for row in rows_of(cut(project_a, formats=["jsonl"]))}
    retention.retire(now=NOW)
    after = {row["id"]: row for row in rows_of(cut(project_a, formats=["jsonl"]))}
    assert before and set(after) == set(before)
    for key, row in before.items():
        assert {k: v for k, v in after[key].items() if k != "snapshot"} == \
               {k: v for k, v in row.items() if k != "snapshot"}


@pytest.mark.django_db
def test_a_week_nobody_keeps_is_dropped_as_a_partition(postgres, project_a):
    _partitions_for_the_test_weeks()
    project_a.retention_weeks = 4
    project_a.save()
    drawn_run(project_a, outputs=40)
    add_outputs(project_a, {("billing", "low"): 10}, start=NEXT, prefix="next")
    plans = retention.plan(now=NOW)
    assert [(w.label, w.by_partition) for w in plans[0].weeks] == [("2026-W47", True)]
    retention.retire(now=NOW)
    names = {p.name for p in partitions.partitions()}
    assert partitions.name_of(MONDAY) not in names and partitions.name_of(NEXT) in names
    assert stored(project_a) == 10 == rolled(project_a)
    # The keys went with the partition: the same record sent again is stored again, in the default partition.
    report = ingest(project=project_a, records=[SourceRecord(1, data=record("o0", occurred_at=MONDAY.isoformat()))])
    assert report.created == 1


@pytest.mark.django_db
def test_a_partition_another_project_keeps_stays_and_only_the_rows_go(postgres, project_a, kept):
    plans = retention.plan(now=NOW)
    assert [(w.label, w.by_partition) for w in plans[0].weeks] == [("2026-W47", False)]
    retention.retire(now=NOW)
    assert partitions.name_of(MONDAY) in {p.name for p in partitions.partitions()}
    assert stored(project_a, occurred_at__lt=CUTOFF) == 0


@pytest.mark.django_db
def test_an_interrupted_retention_leaves_no_half_deleted_batch_and_resumes(project_a, kept, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 7)
    calls = []

    def progress(message):
        calls.append(message)
        if sum("outputs deleted" in m for m in calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        retention.retire(now=NOW, progress=progress)
    left = stored(project_a, occurred_at__lt=CUTOFF)
    assert left == 60 - 14  # two whole batches
    assert rolled(project_a) == stored(project_a)  # counts moved with their rows
    assert not Evaluation.objects.exclude(output_id__in=Output.objects.values("pk")) \
        .exclude(output_id__in=DrawnOutput.objects.values("pk")).exists()  # no orphan score
    retention.retire(now=NOW)
    assert stored(project_a, occurred_at__lt=CUTOFF) == 0


@pytest.mark.django_db
def test_the_command_refuses_a_project_that_keeps_everything_and_the_minimum_is_enforced(project_a, project_b):
    with pytest.raises(CommandError, match="keeps everything"):
        call_command("retention", "--project", project_b.slug, stdout=io.StringIO())
    with pytest.raises(CommandError, match="no project"):
        call_command("retention", "--project", "nope", stdout=io.StringIO())
    project_a.retention_weeks = 2
    with pytest.raises(ValidationError):
        project_a.full_clean()
    out = io.StringIO()
    call_command("retention", stdout=out)
    assert "Retention done for 0 projects." in out.getvalue()


@pytest.mark.django_db
def test_partitions_are_created_ahead_and_a_backfilled_week_stays_in_the_default(postgres, project_a):
    far = datetime(2027, 6, 7, tzinfo=UTC)  # a Monday
    ingest(project=project_a, records=[SourceRecord(1, data=record("early", occurred_at=(far + timedelta(weeks=2)).isoformat()))])
    created = partitions.ensure_partitions(now=far)
    starts = [far + timedelta(weeks=k) for k in range(partitions.WEEKS_AHEAD + 1)]
    assert created == [partitions.name_of(s) for s in starts if s != far + timedelta(weeks=2)]
    assert partitions.ensure_partitions(now=far) == []  # twice is once


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client
