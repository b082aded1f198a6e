"""Statistics after a large draw: ANALYZE_AFTER_ITEMS items or more analyze the items table once the
draw commits, so the queue's plans over the new run never wait for autovacuum (PostgreSQL)."""
from __future__ import annotations

from reviewapp.audits import actions
from tests.helpers import WEEK, add_outputs
from tests.ingest.test_analyze import analyze_count

ITEMS = "audits_audititem"


def test_a_large_draw_analyzes_the_items_table(postgres, project_a, plan, monkeypatch,
                                               django_capture_on_commit_callbacks):
    add_outputs(project_a, {("billing", "medium"): 200, ("general", "low"): 400})
    before = analyze_count(ITEMS)
    monkeypatch.setattr(actions, "ANALYZE_AFTER_ITEMS", 10)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run, created = actions.draw_audit(project=project_a, week=WEEK)
    assert created and run.size >= 10 and len(callbacks) == 1
    assert analyze_count(ITEMS) == before + 1


def test_a_small_draw_and_a_repeated_one_do_not_analyze(postgres, project_a, plan, monkeypatch,
                                                        django_capture_on_commit_callbacks):
    add_outputs(project_a, {("billing", "medium"): 200, ("general", "low"): 400})
    before = analyze_count(ITEMS)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run, created = actions.draw_audit(project=project_a, week=WEEK)
    assert created and run.size < actions.ANALYZE_AFTER_ITEMS
    monkeypatch.setattr(actions, "ANALYZE_AFTER_ITEMS", 1)
    with django_capture_on_commit_callbacks(execute=True) as again:
        assert actions.draw_audit(project=project_a, week=WEEK) == (run, False)  # the run stands: nothing inserted
    assert callbacks == again == [] and analyze_count(ITEMS) == before
