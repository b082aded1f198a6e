"""One numbering for every versioned row (reviewapp/lib/versioning.py): plans, rubrics and snapshots
by project, label and gold revisions by their label. Two saves at once, on separate connections,
both succeed with distinct numbers; the PostgreSQL tests make both read the same highest number
first, so the one the unique constraint refuses must take the next number."""
from __future__ import annotations

import threading
from contextlib import contextmanager, suppress
from unittest import mock

import pytest
from django.db import IntegrityError

from reviewapp.audits.models import SamplingPlan
from reviewapp.exports.models import Snapshot
from reviewapp.lib.versioning import Versioned
from reviewapp.review import actions as review
from reviewapp.review.models import GoldRevision, Label, LabelRevision, LabelSchema
from reviewapp.review.rubric import DEFAULT_RUBRIC
from tests.helpers import BAD, GOOD, STRATA, drawn_run, make_user, run_in_threads


@contextmanager
def numbers_read_together(parties: int = 2, wait: float = 3.0):
    """Each thread's first read of the next number waits for the others' (or `wait` seconds, when a
    row lock keeps them apart), so they read the same number; yields the numbers each read first."""
    barrier = threading.Barrier(parties)
    first_reads: list[int] = []
    seen = threading.local()
    original = Versioned._next_number

    def read_then_meet(self, numbered):
        number = original(self, numbered)
        if not getattr(seen, "read", False):
            seen.read = True
            first_reads.append(number)
            with suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=wait)
        return number

    with mock.patch.object(Versioned, "_next_number", read_then_meet):
        yield first_reads


def saved_at_once(save) -> tuple[list[int], list[int]]:
    """Run `save(i)` in two threads; the numbers they got, and the numbers they first read."""
    with numbers_read_together() as first_reads:
        numbers = run_in_threads(save, [(0,), (1,)])
    return sorted(numbers), first_reads


def a_label(project, user):
    drawn_run(project, outputs=20)
    claim = review.claim_next(user=user, project=project)
    return review.submit_label(claim=claim, user=user, data=GOOD)


# -- the mechanism, on any database ------------------------------------------------------------


@pytest.mark.django_db
def test_numbers_count_up_within_their_scope(project_a, project_b):
    before = LabelSchema.objects.filter(project=project_a).count()
    first = LabelSchema.create_next(project=project_a, definition=DEFAULT_RUBRIC)
    second = LabelSchema.create_next(project=project_a, definition=DEFAULT_RUBRIC)
    other = Snapshot.create_next(project=project_b)
    assert (first.version, second.version) == (before + 1, before + 2)
    assert Snapshot.create_next(project=project_a).version == 1 and other.version == 1


@pytest.mark.django_db
def test_a_number_taken_meanwhile_is_retried(project_a):
    SamplingPlan(project=project_a, strata=STRATA).save_as_new_version()
    stale = iter([1])  # the first read is stale: version 1 exists already

    def read(self, numbered):
        return next(stale, None) or (numbered.count() + 1)

    with mock.patch.object(Versioned, "_next_number", read):
        plan = SamplingPlan(project=project_a, strata=STRATA).save_as_new_version()
    assert plan.version == 2


@pytest.mark.django_db
def test_other_integrity_errors_are_not_retried(project_a, alice):
    label = a_label(project_a, alice)
    reads: list[int] = []
    original = Versioned._next_number

    def read(self, numbered):
        reads.append(original(self, numbered))
        return reads[-1]

    with mock.patch.object(Versioned, "_next_number", read), pytest.raises(IntegrityError):
        LabelRevision.create_next(label=label, answers=BAD, author=None)  # author is required
    assert reads == [2]


def test_the_scope_is_required():
    with pytest.raises(TypeError, match="needs its scope: project"):
        Snapshot.create_next(filters={})


# -- two saves at once, on PostgreSQL ----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_plans_saved_at_once_get_distinct_versions(postgres, project_a):
    numbers, first_reads = saved_at_once(
        lambda i: SamplingPlan(project=project_a, strata=STRATA, max_rate=0.01 + i / 100).save_as_new_version().version)
    assert numbers == [1, 2] and first_reads == [1, 1]
    assert sorted(SamplingPlan.objects.values_list("version", "max_rate")) in ([(1, 0.01), (2, 0.02)],
                                                                                [(1, 0.02), (2, 0.01)])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_rubrics_saved_at_once_get_distinct_versions(postgres, project_a):
    before = LabelSchema.objects.filter(project=project_a).count()
    numbers, first_reads = saved_at_once(
        lambda i: LabelSchema.create_next(project=project_a, definition=DEFAULT_RUBRIC).version)
    assert numbers == [before + 1, before + 2] and first_reads == [before + 1] * 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_snapshots_cut_at_once_get_distinct_versions(postgres, project_a):
    numbers, first_reads = saved_at_once(
        lambda i: Snapshot.create_next(project=project_a, formats=["jsonl"]).version)
    assert numbers == [1, 2] and first_reads == [1, 1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_revisions_of_a_label_at_once_get_distinct_numbers(postgres, project_a, alice):
    label = a_label(project_a, alice)
    answers = [BAD, {**BAD, "harm": "incident"}]

    def revise(i: int) -> int:
        mine = Label.objects.get(pk=label.pk)  # each thread its own copy, as two requests would have
        assert mine.revise(answers[i], author=alice)
        return mine.revisions.get(answers=answers[i]).number

    numbers, first_reads = saved_at_once(revise)
    assert numbers == [2, 3] and first_reads == [2, 2]
    assert sorted(LabelRevision.objects.filter(label=label).values_list("number", flat=True)) == [1, 2, 3]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_rulings_on_an_item_at_once_get_distinct_gold_revisions(postgres, project_a, alice):
    """Rulings lock the item, so here the lock, not the retry, keeps them apart: both still succeed."""
    item = a_label(project_a, alice).item
    leads = [make_user(f"lead{i}", project_a, role="qa_lead") for i in range(2)]
    rulings = [BAD, {**BAD, "harm": "incident"}]

    def rule(i: int) -> int:
        gold = review.adjudicate(item=item, user=leads[i], data=rulings[i])
        return GoldRevision.objects.get(gold=gold, author=leads[i]).number

    numbers, _ = saved_at_once(rule)
    assert numbers == [2, 3]  # 1 is the single review's gold
    assert sorted(GoldRevision.objects.filter(gold__item=item).values_list("number", flat=True)) == [1, 2, 3]
