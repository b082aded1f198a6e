"""The builders tests share: users, records, outputs, plans, drawn runs, labels, snapshots and metrics
data, in one module (fixtures that use them live in the conftest.py files)."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import orjson
from django.urls import get_resolver

from reviewapp.audits import actions as audit_actions
from reviewapp.audits.models import SamplingPlan
from reviewapp.exports import actions as export_actions
from reviewapp.exports.formats import FORMATS
from reviewapp.exports.models import Snapshot
from reviewapp.ingest.actions import ingest
from reviewapp.ingest.formats import SourceRecord
from reviewapp.lib.weeks import IsoWeek
from reviewapp.metrics.report import SCHEMA_VERSION, Proportion, WeightedEstimate
from reviewapp.review import actions as review_actions
from sampling import StratumCount, estimate_proportion


def make_user(username: str, project=None, role: str = "reviewer"):
    from django.contrib.auth import get_user_model

    from reviewapp.projects.models import Membership

    user = get_user_model().objects.create_user(username=username, password="pw-for-tests-1")
    if project is not None:
        Membership.objects.create(user=user, project=project, role=role)
    return user


def record(external_id: str = "t-1", **overrides) -> dict:
    """A valid canonical record (the issue's example), with overrides."""
    base = {
        "external_id": external_id,
        "occurred_at": "2026-11-20T10:00:00Z",
        "input": [{"role": "user", "content": "Can I get a refund?"}],
        "output": "Yes, within 30 days.",
        "category": "billing",
        "risk_tier": "low",
    }
    base.update(overrides)
    return base


def run_in_threads(work, args_list: list[tuple]) -> list:
    """Run work(*args) for each args at once, each thread on its own database connection;
    return the results in order, or raise the first thread's error here, in the test."""
    import threading

    from django.db import connection

    results: list = [None] * len(args_list)
    errors: list[BaseException] = []

    def target(i: int, args: tuple) -> None:
        try:
            results[i] = work(*args)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i, args)) for i, args in enumerate(args_list)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


# Outputs, plans and drawn runs

WEEK = IsoWeek(2026, 47)  # Monday 2026-11-16 .. Sunday 2026-11-22


MONDAY = datetime(2026, 11, 16, tzinfo=UTC)


STRATA = [
    {"name": "medical", "match": {"category": ["medical"]}, "weight": 5, "minimum": 5},
    {"name": "high-risk", "match": {"risk_tier": ["high"]}, "weight": 3},
    {"name": "billing", "match": {"category": ["billing"]}, "weight": 2},
]


def add_outputs(project, spec: dict[tuple[str, str], int], *, start=MONDAY, prefix="o"):
    """Ingest outputs: {(category, risk_tier): count}, spread over the week from `start`."""
    records, i = [], 0
    for (category, tier), count in spec.items():
        for _ in range(count):
            at = start + timedelta(minutes=7 * i)
            records.append(SourceRecord(i, data=record(f"{prefix}{i}", category=category, risk_tier=tier,
                                                      occurred_at=at.isoformat())))
            i += 1
    report = ingest(project=project, records=records)
    assert report.rejected == 0
    return report


def plan_form(**overrides) -> dict:
    """The sampling plan form as posted: rates, margins and chances in percent (0.5 means 0.5%)."""
    data = {"goal": "budget", "confidence": "95", "margin": "3", "expected_rate": "5", "max_rate": "1",
            "allowed_errors": "0", "baseline_rate": "1", "alert_rate": "3", "power": "80",
            "strata": json.dumps(STRATA), "allocation_method": "risk", "overlap_share": "20",
            "overlap_reviewers": "2", "capacity": "", "time_zone": "UTC"}
    return data | overrides


GOOD = {"verdict": "success", "harm": "none"}


BAD = {"verdict": "failure", "harm": "near_miss", "errors": ["factual_error"]}


CORRECTED = {"verdict": "failure", "harm": "near_miss", "errors": ["factual_error", "tone"],
             "corrected_output": "Refunds take 5 to 7 working days.", "notes": "wrong delay"}


RULING = {"verdict": "partial", "harm": "none", "errors": ["format"], "corrected_output": "A tidier answer."}


def drawn_run(project, *, outputs=60, overlap_share=0.0, reviewers=2, strata=STRATA, margin=0.3):
    SamplingPlan(project=project, strata=strata, goal="margin", margin=margin, expected_rate=0.5,
                 overlap_share=overlap_share, overlap_reviewers=reviewers).save_as_new_version()
    add_outputs(project, {("billing", "medium"): outputs // 2, ("medical", "high"): outputs - outputs // 2})
    run, _ = audit_actions.draw_audit(project=project, week=WEEK)
    return run


def ranks(run) -> dict[int, int]:
    """Each item's position in the run by id: patterns over it give the same counts on every run (draw keys
    come from the project's random secret)."""
    return {pk: i for i, pk in enumerate(run.items.order_by("pk").values_list("pk", flat=True))}


def label_all(project, reviewers, answer_for):
    """Each reviewer in turn claims the next item and answers answer_for(item, reviewer)."""
    done = 0
    while True:
        progressed = False
        for reviewer in reviewers:
            claim = review_actions.claim_next(user=reviewer, project=project)
            if claim is None:
                continue
            review_actions.submit_label(claim=claim, user=reviewer, data=answer_for(claim.item, reviewer),
                                 time_on_task_ms=30_000 + 1000 * done)
            done += 1
            progressed = True
        if not progressed:
            return done


POPULATION = {"medical": 2000, "general": 8000}


def week(errors: dict[str, tuple[int, int]], metric: str = "verdict:failure", *, drawn: dict[str, int] | None = None,
         population: dict[str, int] | None = None, higher_is_better: bool = False) -> dict:
    """Metrics data of one week: errors = {stratum: (positives, reviewed)}; a stratum left out has no
    final label yet. drawn: items drawn per stratum (default: as many as reviewed, a complete week)."""
    population = population or POPULATION
    drawn = drawn or {name: n for name, (_, n) in errors.items()}
    covered = {name: c for name, c in errors.items() if c[1] > 0}
    counts = [StratumCount(name, population[name], n, x) for name, (x, n) in covered.items()]
    entry = {"label": "Full success" if higher_is_better else "Error rate", "higher_is_better": higher_is_better}
    if counts:
        entry.update({"weighted": WeightedEstimate.of(estimate_proportion(counts, conservative=True)).to_json(),
                      "naive": Proportion.wilson(sum(x for x, _ in covered.values()),
                                                 sum(n for _, n in covered.values())).to_json(),
                      "strata": {name: Proportion.wilson(x, n).to_json() for name, (x, n) in covered.items()}})
    strata = [{"name": name, "population": population[name], "drawn": drawn.get(name, 0),
               "final": covered.get(name, (0, 0))[1], "risk_weight": 5.0 if name == "medical" else 1.0}
              for name in population]
    return {"schema": SCHEMA_VERSION, "week": "", "population": sum(population.values()),
            "covered_population": sum(population[name] for name in covered),
            "items_final": sum(n for _, n in covered.values()), "items": {}, "strata": strata,
            "rates": {metric: entry}}


def cut(project, filters=None, formats=None, user=None) -> Snapshot:
    snapshot = export_actions.create(project=project, filters=filters or {}, formats=formats or list(FORMATS), user=user,
                                     queue=False)
    return export_actions.build(snapshot)


def rows_of(snapshot) -> list[dict]:
    return [orjson.loads(line) for line in (snapshot.directory / "jsonl" / "evalset.jsonl").read_bytes().splitlines()]


def by_external_id(rows) -> dict[str, dict]:
    return {row["source"]["external_id"]: row for row in rows}


def reviewapp_urls() -> list[str]:
    names = []
    for pattern in get_resolver().url_patterns:
        if getattr(pattern, "namespace", None) == "reviewapp":
            names += [p.name for p in pattern.url_patterns]
    return sorted(names)


def kwargs_for(name: str, ctx) -> dict:
    pattern = next(p for p in get_resolver().namespace_dict["reviewapp"][1].url_patterns if p.name == name)
    route = str(pattern.pattern)
    kwargs = {}
    if "<slug:slug>" in route:
        kwargs["slug"] = "support"
    if "<id:item_id>" in route:
        kwargs["item_id"] = ctx["item"].pk
    if "<id:output_id>" in route:
        kwargs["output_id"] = ctx["item"].output_id
    if "<id:version>" in route:
        kwargs["version"] = ctx["snapshot"].version
    if "<str:name>" in route:
        kwargs["name"] = "jsonl"
    if "<id:year>" in route:
        kwargs["year"], kwargs["week"] = ctx["run"].iso_year, ctx["run"].iso_week
    if "<id:membership_id>" in route:
        kwargs["membership_id"] = ctx["reviewer"].memberships.get(project__slug="support").pk
    if "<id:token_id>" in route:
        from reviewapp.projects.models import ApiToken, Project

        project = Project.objects.get(slug="support")
        kwargs["token_id"] = (project.api_tokens.first() or ApiToken.issue(project=project, name="matrix")[0]).pk
    if "<id:invitation_id>" in route:
        from django.utils import timezone

        from reviewapp.projects.models import Invitation, Project

        kwargs["invitation_id"] = Invitation.objects.create(
            project=Project.objects.get(slug="support"), email="matrix@example.org", token_hash=uuid.uuid4().hex,
            expires_at=timezone.now() + Invitation.TTL).pk
    if "<id:evaluator_id>" in route:
        from reviewapp.ingest.models import Evaluator
        from reviewapp.projects.models import Project

        kwargs["evaluator_id"] = Evaluator.objects.get_or_create(project=Project.objects.get(slug="support"),
                                                                 name="matrix-judge")[0].pk
    if "<str:secret>" in route:  # a pending invitation's link, so its page renders for everyone
        from django.utils import timezone

        from reviewapp.projects.actions import INVITE_PREFIX
        from reviewapp.projects.models import Invitation, Project, hash_token

        secret = INVITE_PREFIX + uuid.uuid4().hex
        Invitation.objects.create(project=Project.objects.get(slug="support"), email="matrix@example.org",
                                  token_hash=hash_token(secret), expires_at=timezone.now() + Invitation.TTL)
        kwargs["secret"] = secret
    return kwargs

