"""The review workflow: claim the next item, submit or skip it, revise a label, adjudicate.

Claiming is one transaction that locks the chosen item row. On PostgreSQL the candidate is read
with FOR UPDATE SKIP LOCKED, so concurrent reviewers pass over each other's rows instead of
queueing behind them, and re-checked with a fresh statement once locked (a claim committed while
we waited is invisible to the query that found the row); SQLite takes its database-wide write
lock at BEGIN IMMEDIATE (settings), which serialises claims. An item is offered while its labels plus the
unexpired claims of others are fewer than the reviews it needs, and never to someone who
already holds, labelled or skipped it, so double reviews come from distinct reviewers.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from reviewapp.audits.models import AuditItem, AuditRun

from .models import Claim, GoldLabel, Label, LabelSchema, ReviewTally
from .signals import label_changed

LEASE = timedelta(minutes=20)


class ReviewError(Exception):
    """A review action that cannot be done; the message says why, for the reviewer."""


def open_items_for(user, project_ids):
    """Items this reviewer may claim now, in queue order."""
    others_active = (
        Claim.objects.active().filter(item=OuterRef("pk"))
        .exclude(reviewer=user).order_by().values("item").annotate(n=Count("id")).values("n")
    )
    finished_by_me = Claim.objects.filter(item=OuterRef("pk"), reviewer=user,
                                          status__in=[Claim.Status.SUBMITTED, Claim.Status.SKIPPED])
    return (
        AuditItem.objects.filter(project_id__in=project_ids, status=AuditItem.Status.OPEN)
        .exclude(Exists(finished_by_me))
        .annotate(busy=Coalesce(Subquery(others_active, output_field=IntegerField()), Value(0)))
        .filter(labels_count__lt=F("required_reviews") - F("busy"))
        .in_queue_order()
    )


def claim_next(*, user, project) -> Claim | None:
    """The reviewer's current claim in the project if they hold one, else a new claim on the next item."""
    held = Claim.objects.held_by(user).select_related("item").filter(item__project=project).first()
    if held:
        return held
    now = timezone.now()
    passed: list[int] = []
    with transaction.atomic():
        for _ in range(50):
            item = (open_items_for(user, [project.pk]).exclude(pk__in=passed)
                    .select_for_update(skip_locked=True, of=("self",)).first())
            if item is None:
                return None
            # The row is ours now, but the query that found it used a snapshot from before we
            # waited: a claim committed meanwhile is only visible to a fresh statement.
            if not open_items_for(user, [project.pk]).filter(pk=item.pk).exists():
                passed.append(item.pk)
                continue
            # My own lapsed claim on an item that came back to me is renewed; otherwise a new claim.
            renewed = Claim.objects.filter(item=item, reviewer=user).update(
                status=Claim.Status.ACTIVE, claimed_at=now, expires_at=now + LEASE)
            if renewed:
                return Claim.objects.select_related("item").get(item=item, reviewer=user)
            return Claim.objects.create(item=item, reviewer=user, claimed_at=now, expires_at=now + LEASE)
    return None


def save_label(*, item: AuditItem, user, data: dict, time_on_task_ms: int | None = None) -> tuple[Label, bool]:
    """The one rule for a reviewer's answers to an item, from the web form or the API: whoever has
    labelled the item revises their label; anyone else submits on their claim. Returns the label and
    whether this call stored it new."""
    label = Label.objects.filter(item=item, reviewer=user).first()
    if label is None:
        claim = Claim.objects.filter(item=item, reviewer=user).first()
        if claim is None:
            raise ReviewError("claim the item first")
        label, created = _submit(claim=claim, user=user, data=data, time_on_task_ms=time_on_task_ms)
        if created:
            return label, True
    # Their label exists, stored before or by a submit of theirs that won a race with this one
    # (decided under the claim's lock): these answers revise it, and nothing is dropped silently.
    return revise_label(label=label, user=user, data=data), False


def submit_label(*, claim: Claim, user, data: dict, time_on_task_ms: int | None = None) -> Label:
    """Store the reviewer's answers for the claimed item. Submitting the same claim again returns
    the label already stored (double clicks and resent forms never make two labels)."""
    return _submit(claim=claim, user=user, data=data, time_on_task_ms=time_on_task_ms)[0]


def _submit(*, claim: Claim, user, data: dict, time_on_task_ms: int | None) -> tuple[Label, bool]:
    """submit_label, also saying whether this call stored the label (False: it was there already)."""
    if claim.reviewer_id != user.pk:
        raise ReviewError("this item was claimed by someone else")
    schema = LabelSchema.current(claim.item.project)
    answers = schema.rubric.clean(data)
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        existing = Label.objects.filter(item_id=claim.item_id, reviewer=user).first()
        if existing:
            return existing, False
        if claim.status == Claim.Status.SKIPPED:
            raise ReviewError("you skipped this item")
        now = timezone.now()
        elapsed = time_on_task_ms if time_on_task_ms is not None else int((now - claim.claimed_at).total_seconds() * 1000)
        label = Label.submit(item_id=claim.item_id, reviewer=user, schema=schema, answers=answers,
                             time_on_task_ms=max(0, elapsed), at=now)
        claim.status = Claim.Status.SUBMITTED
        claim.save(update_fields=["status"])
        item = AuditItem.objects.select_for_update().get(pk=claim.item_id)
        item.labels_count += 1
        _count_label(run_id=item.run_id, user=user)
        label_changed.send(sender=AuditItem, run_id=item.run_id)
        # The common case, one review: the label just stored is the whole story, no need to read it back.
        settle(item=item, labels=[label] if item.labels_count == 1 else None, changed=["labels_count"])
    return label, True


def skip(*, claim: Claim, user, reason: str) -> None:
    if claim.reviewer_id != user.pk:
        raise ReviewError("this item was claimed by someone else")
    reason = reason.strip()
    if not reason:
        raise ReviewError("say why you skip the item")
    Claim.objects.filter(pk=claim.pk, status=Claim.Status.ACTIVE).update(status=Claim.Status.SKIPPED, skip_reason=reason[:500])


def revise_label(*, label: Label, user, data: dict) -> Label:
    """A reviewer changes their own label: a new revision, the old ones kept."""
    if label.reviewer_id != user.pk:
        raise ReviewError("only its author can revise a label")
    answers = label.schema.rubric.clean(data)
    with transaction.atomic():
        label = Label.objects.select_for_update().get(pk=label.pk)
        if not label.revise(answers, author=user):
            return label
        item = AuditItem.objects.select_for_update().get(pk=label.item_id)
        settle(item=item)
        label_changed.send(sender=AuditItem, run_id=item.run_id)
    return label


def settle(*, item: AuditItem, labels: list[Label] | None = None, changed: Sequence[str] = ()) -> None:
    """After a label changes: an item with all its reviews takes the single or agreed label as gold,
    or waits for adjudication when reviewers disagree. An adjudicated item keeps its ruling.
    `labels`: the item's labels when the caller already holds them all; `changed`: item fields the
    caller modified, saved with the status in one statement."""
    fields = list(changed)
    if item.status != AuditItem.Status.ADJUDICATED and item.labels_count >= item.required_reviews:
        if labels is None:
            labels = list(item.labels.select_related("schema").order_by("created_at"))
        rubric = labels[0].schema.rubric
        if len(labels) > 1 and rubric.disagreements([label.answers for label in labels]):
            item.status = AuditItem.Status.DISPUTED
            GoldLabel.objects.filter(item=item).delete()
        else:
            method = GoldLabel.Method.SINGLE if len(labels) == 1 else GoldLabel.Method.AGREED
            GoldLabel.record(item, labels[0].answers, method, author=None)
            item.status = AuditItem.Status.LABELLED
        fields.append("status")
    if fields:
        item.save(update_fields=fields)


REASON_MAX = 5000


def adjudicate(*, item: AuditItem, user, data: dict, reason: str = "") -> GoldLabel:
    """A QA lead's final label for an item (a new revision each time it changes), with the lead's
    reason if they give one: it is kept with the revision, for whoever later wonders why."""
    schema = LabelSchema.current(item.project)
    answers = schema.rubric.clean(data)
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ReviewError(f"the reason is {len(reason)} characters long; keep it to {REASON_MAX} at most")
    with transaction.atomic():
        item = AuditItem.objects.select_for_update().get(pk=item.pk)
        gold = GoldLabel.record(item, answers, GoldLabel.Method.ADJUDICATED, author=user, reason=reason)
        item.status = AuditItem.Status.ADJUDICATED
        item.save(update_fields=["status"])
        label_changed.send(sender=AuditItem, run_id=item.run_id)
    return gold


def _count_label(*, run_id: int, user) -> None:
    if ReviewTally.objects.filter(run_id=run_id, reviewer=user).update(labels=F("labels") + 1):
        return
    try:
        with transaction.atomic():  # a savepoint: the same reviewer's other submit may create it first
            ReviewTally.objects.create(run_id=run_id, reviewer=user, labels=1)
    except IntegrityError:
        ReviewTally.objects.filter(run_id=run_id, reviewer=user).update(labels=F("labels") + 1)


@dataclass
class Progress:
    mine_done: int
    team_done: int
    team_left: int  # reviews still needed in the run


def progress(*, user, run: AuditRun) -> Progress:
    """Reviews done in a run, by this reviewer and by everyone, from the per-reviewer tallies."""
    tallies = dict(ReviewTally.objects.filter(run=run).values_list("reviewer_id", "labels"))
    team = sum(tallies.values())
    return Progress(mine_done=tallies.get(user.pk, 0), team_done=team, team_left=max(0, run.reviews_needed - team))


# Undo: the last submit can be taken back for a few seconds (the page offers it with `u`).
UNDO_WINDOW = timedelta(seconds=10)
UNDO_GRACE = timedelta(seconds=5)  # the round trip and the reviewer's reaction, on top of what the page shows


def undo_submit(*, label_id: int, user, now: datetime | None = None) -> tuple[AuditItem, str, dict]:
    """Take back the reviewer's last change to a label, shortly after making it. A revision is undone
    by a new revision with the previous answers (history keeps all three). A first submit is
    withdrawn: the label and its one revision are deleted, the claim is the reviewer's again and the
    item counts one review fewer, as if it had not been submitted; a lead's ruling on the item since
    forbids that. Returns the item, "restored" or "withdrawn", and the answers taken back (a withdrawn
    label's, for the form to show again)."""
    now = now or timezone.now()
    with transaction.atomic():
        label = Label.objects.select_for_update().filter(pk=label_id, reviewer=user).first()
        if label is None:
            raise ReviewError("there is no label of yours to undo")
        if now - label.updated_at > UNDO_WINDOW + UNDO_GRACE:
            raise ReviewError("too late to undo; revise the label instead")
        item = AuditItem.objects.select_for_update().get(pk=label.item_id)
        previous = list(label.revisions.order_by("-number").values_list("answers", flat=True)[:2])
        undone = label.answers
        if len(previous) == 2:
            label.revise(previous[1], author=user, at=now)
            settle(item=item)
            outcome = "restored"
        else:
            if item.status == AuditItem.Status.ADJUDICATED:
                raise ReviewError("a lead has ruled on this item since; revise your label instead")
            label.delete()
            Claim.objects.filter(item=item, reviewer=user).update(
                status=Claim.Status.ACTIVE, claimed_at=now, expires_at=now + LEASE)
            ReviewTally.objects.filter(run_id=item.run_id, reviewer=user, labels__gt=0).update(labels=F("labels") - 1)
            GoldLabel.objects.filter(item=item).delete()
            item.labels_count = max(0, item.labels_count - 1)
            item.status = AuditItem.Status.OPEN
            item.save(update_fields=["labels_count", "status"])
            outcome = "withdrawn"
        label_changed.send(sender=AuditItem, run_id=item.run_id)
    return item, outcome, undone


PACE_CAP = 999


@dataclass
class Pace:
    """Where a reviewer stands: labels today and this ISO week in the project, and in the item's run
    how many they have done and how many are still open to them (the current one included)."""
    today: int
    week: int
    done_in_run: int
    left_in_run: int
    more: bool = False  # a run past PACE_CAP open items: left_in_run is a lower bound

    @property
    def position(self) -> int:
        return self.done_in_run + 1

    @property
    def total(self) -> int:
        return self.done_in_run + self.left_in_run


# The item page asks for the pace on every item, and building this through the ORM cost more
# (query compilation) than the rest of the page's queries together: it is one plain SQL statement,
# portable between SQLite and PostgreSQL, with the table names from the models.
_PACE_SQL = """
SELECT
  (SELECT COUNT(*) FROM {label} l JOIN {item} i ON i.id = l.item_id
    WHERE l.reviewer_id = %(user)s AND i.project_id = %(project)s AND l.created_at >= %(week)s),
  (SELECT COUNT(*) FROM {label} l JOIN {item} i ON i.id = l.item_id
    WHERE l.reviewer_id = %(user)s AND i.project_id = %(project)s AND l.created_at >= %(day)s),
  COALESCE((SELECT t.labels FROM {tally} t WHERE t.run_id = %(run)s AND t.reviewer_id = %(user)s), 0),
  (SELECT COUNT(*) FROM (SELECT 1 FROM {item} i
    WHERE i.run_id = %(run)s AND i.status = %(open)s AND i.labels_count < i.required_reviews
    LIMIT %(cap)s) AS open_items),
  (SELECT COUNT(*) FROM {claim} c JOIN {item} i ON i.id = c.item_id
    WHERE c.reviewer_id = %(user)s AND c.status IN (%(submitted)s, %(skipped)s)
      AND i.run_id = %(run)s AND i.status = %(open)s AND i.labels_count < i.required_reviews)
"""


def pace(*, user, item: AuditItem, now: datetime | None = None) -> Pace:
    """Items of the run still short of reviews that this reviewer has not done count as left; unlike
    open_items_for this counts the ones others hold right now (they may come back), which keeps it
    cheap, and only up to a cap: a huge run's exact number is not worth a slow page on every item."""
    now = timezone.localtime(now or timezone.now())
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week = day - timedelta(days=day.weekday())
    sql = _PACE_SQL.format(label=Label._meta.db_table, item=AuditItem._meta.db_table,
                           tally=ReviewTally._meta.db_table, claim=Claim._meta.db_table)
    stamp = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(sql, {"user": user.pk, "project": item.project_id, "run": item.run_id,
                             "week": stamp(week), "day": stamp(day), "open": AuditItem.Status.OPEN.value,
                             "submitted": Claim.Status.SUBMITTED.value, "skipped": Claim.Status.SKIPPED.value,
                             "cap": PACE_CAP + 1})
        week_count, today_count, done, short, finished = cursor.fetchone()
    # The run's items still short of reviews, less those this reviewer already did or skipped. Two
    # counts rather than a NOT EXISTS per item: that one's plan, with stale statistics, scanned the
    # reviewer's claims once per item. Past the cap the first count stops, so the difference is a
    # lower bound, shown as "n+".
    more = short > PACE_CAP
    left = min(max(short - finished, 0), PACE_CAP)
    return Pace(today=today_count, week=week_count, done_in_run=done, left_in_run=left, more=more)


@dataclass
class RunProgress:
    run: AuditRun
    mine: int
    team: int

    @property
    def percent(self) -> int:
        return round(100 * self.team / self.run.reviews_needed) if self.run.reviews_needed else 100


def progress_by_week(*, user, project, weeks: int = 6) -> list[RunProgress]:
    """The latest runs' reviews done, by everyone and by this reviewer, newest first (the queue's bars)."""
    runs = list(AuditRun.objects.filter(project=project).order_by("-week_start")[:weeks])
    team: dict[int, int] = {}
    mine: dict[int, int] = {}
    for run_id, reviewer_id, labels in ReviewTally.objects.filter(run__in=runs).values_list("run_id", "reviewer_id", "labels"):
        team[run_id] = team.get(run_id, 0) + labels
        if reviewer_id == user.pk:
            mine[run_id] = labels
    return [RunProgress(run=run, mine=mine.get(run.pk, 0), team=team.get(run.pk, 0)) for run in runs]
