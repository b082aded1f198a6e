"""Statistics after bulk work: an ingest that creates ANALYZE_AFTER_ROWS outputs or more runs ANALYZE
on the tables it wrote, after its transaction commits; a small one leaves them to autovacuum."""
from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import connection

from reviewapp.ingest import actions, evaluations
from reviewapp.ingest.formats import SourceRecord
from reviewapp.lib.analyze import analyze_after_commit
from tests.helpers import record


def analyze_count(table: str) -> int:
    """How many times the table was analyzed by hand (autovacuum's runs are counted apart)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # else the view repeats this transaction's first read
        cursor.execute("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = %s", [table])
        row = cursor.fetchone()
    return row[0] if row else 0


def records(n: int, prefix: str = "a", **fields: Any) -> list[SourceRecord]:
    return [SourceRecord(i, data=record(f"{prefix}{i}", **fields)) for i in range(n)]


TABLES = ("ingest_output", "ingest_outputvolume", "ingest_evaluation")


def counts() -> dict[str, int]:
    return {table: analyze_count(table) for table in TABLES}


def test_a_bulk_ingest_analyzes_the_outputs_and_their_rollup(postgres, project_a, monkeypatch,
                                                             django_capture_on_commit_callbacks):
    monkeypatch.setattr(actions, "ANALYZE_AFTER_ROWS", 50)
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        report = actions.ingest(project=project_a, records=records(60), chunk_size=20)
    assert report.created == 60
    after = counts()
    assert after["ingest_output"] == before["ingest_output"] + 1
    assert after["ingest_outputvolume"] == before["ingest_outputvolume"] + 1
    assert after["ingest_evaluation"] == before["ingest_evaluation"]  # no evaluations were written


def test_evaluations_carried_by_the_records_are_analyzed_too(postgres, project_a, monkeypatch,
                                                              django_capture_on_commit_callbacks):
    monkeypatch.setattr(actions, "ANALYZE_AFTER_ROWS", 50)
    judged: dict[str, Any] = {"evaluations": [{"name": "judge", "value": 0.5}]}
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        report = actions.ingest(project=project_a, records=records(60, **judged))
    assert report.evaluations_created == 60
    assert counts() == {table: n + 1 for table, n in before.items()}


def test_a_small_ingest_and_a_repeated_one_do_not_analyze(postgres, project_a, monkeypatch,
                                                          django_capture_on_commit_callbacks):
    monkeypatch.setattr(actions, "ANALYZE_AFTER_ROWS", 50)
    with django_capture_on_commit_callbacks(execute=True):
        actions.ingest(project=project_a, records=records(49))
    before = counts()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        small = actions.ingest(project=project_a, records=records(49, prefix="b"))
        again = actions.ingest(project=project_a, records=records(60))  # 49 already present: 11 created
    assert (small.created, again.created, again.already_present) == (49, 11, 49)
    assert callbacks == [] and counts() == before


def test_inside_a_callers_transaction_it_waits_for_the_commit(postgres, project_a, monkeypatch,
                                                              django_capture_on_commit_callbacks):
    """The test's own transaction stands for the caller's: ANALYZE is queued for its commit, not run
    in it (where its lock would last as long as the caller's work). atomic=True is the same."""
    monkeypatch.setattr(actions, "ANALYZE_AFTER_ROWS", 50)
    before = analyze_count("ingest_output")
    with django_capture_on_commit_callbacks() as callbacks:
        report = actions.ingest(project=project_a, records=records(60), atomic=True)
    assert report.stored and report.created == 60
    assert len(callbacks) == 1 and analyze_count("ingest_output") == before
    callbacks[0]()  # the commit
    assert analyze_count("ingest_output") == before + 1


def test_a_rolled_back_atomic_ingest_does_not_analyze(postgres, project_a, monkeypatch,
                                                      django_capture_on_commit_callbacks):
    monkeypatch.setattr(actions, "ANALYZE_AFTER_ROWS", 50)
    bad = SourceRecord(60, data=record("bad", output=None))
    with django_capture_on_commit_callbacks() as callbacks:
        report = actions.ingest(project=project_a, records=[*records(60), bad], atomic=True)
    assert not report.stored and report.rejected == 1
    assert callbacks == []


def test_a_bulk_load_of_evaluations_analyzes_their_table(postgres, project_a, monkeypatch,
                                                         django_capture_on_commit_callbacks):
    actions.ingest(project=project_a, records=records(60))
    monkeypatch.setattr(actions, "ANALYZE_AFTER_ROWS", 50)
    lines = [SourceRecord(i, data={"external_id": f"a{i}", "name": "judge", "value": 1}) for i in range(60)]
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        report = evaluations.ingest_evaluations(project=project_a, records=lines)
    assert report.created == 60
    assert counts() == {**before, "ingest_evaluation": before["ingest_evaluation"] + 1}


def test_a_failed_analyze_is_logged_and_the_connection_stays_usable(postgres, caplog,
                                                                     django_capture_on_commit_callbacks):
    with caplog.at_level(logging.WARNING, logger="reviewapp.analyze"), django_capture_on_commit_callbacks(execute=True):
        analyze_after_commit(["no_such_table"], reason="a test")
    assert "ANALYZE no_such_table after a test failed" in caplog.text
    with connection.cursor() as cursor:  # no aborted transaction left behind
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@pytest.mark.django_db
def test_sqlite_has_nothing_to_analyze(project_a, monkeypatch, django_capture_on_commit_callbacks):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite pass")
    monkeypatch.setattr(actions, "ANALYZE_AFTER_ROWS", 50)
    with django_capture_on_commit_callbacks() as callbacks:
        actions.ingest(project=project_a, records=records(60))
    assert callbacks == []
