"""A large export's parts stream over two connections of its own, the next part's statement under way
while one streams (exports/lookahead.py, sql_rows._parts): the file is still the Python path's byte
for byte, parts come in order, a failing part fails the build, and nothing is left running. These
commit their data (another connection sees only committed rows), so they run outside a transaction;
PostgreSQL only."""
from __future__ import annotations

import os
import time

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from reviewapp.exports import lookahead, sql_rows
from reviewapp.exports.selection import Filters, design
from tests.exports.test_sql_rows import python_lines, sql_lines, varied  # noqa: F401  (the fixture)
from tests.exports.test_weights import weeks  # noqa: F401  (the fixture: two weeks, four strata, disputes)

TAG = f"spotcheck-lookahead-test-{os.getpid()}"  # this run's own: another run's connections are not ours


def connect() -> psycopg.Connection:
    return psycopg.connect(**connection.get_connection_params(), autocommit=True, application_name=TAG)


def ours(name: str = TAG) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # inside a transaction the view keeps its first look
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                       "AND datname = current_database()", [name])
        return cursor.fetchone()[0]


def gone(name: str = TAG) -> bool:
    """Whether every connection so named has ended: a backend leaves pg_stat_activity a moment after its
    client closed the connection."""
    deadline = time.monotonic() + 10
    while ours(name) and time.monotonic() < deadline:
        time.sleep(0.05)
    return ours(name) == 0


@pytest.fixture
def spied(monkeypatch):
    """Every week cut in two (MIN_PART 1) and the statements lookahead.rows was given."""
    monkeypatch.setattr(sql_rows, "MIN_PART", 1)
    given: list[list] = []
    real = lookahead.rows

    def rows(connect, statements, between=None):
        given.append(list(statements))
        return real(connect, statements, between)

    monkeypatch.setattr(lookahead, "rows", rows)
    return given


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("chosen", [{}, {"strata": ["billing", "other"]}, {"weeks": ["2026-W48"]},
                                    {"verdicts": ["failure"]}, {"pseudonymise": True}],
                         ids=lambda f: ",".join(f) or "all")
def test_the_parts_over_two_connections_write_the_python_paths_lines(postgres, project_a, varied, spied, chosen):  # noqa: F811
    filters = Filters.parse(chosen)
    as_of = timezone.now()
    expected = python_lines(project_a, filters, as_of)
    assert expected
    assert sql_lines(project_a, filters, as_of) == expected
    [statements] = spied
    weeks_chosen = len(design(project_a, filters, as_of))
    assert len(statements) == 2 * weeks_chosen  # each week in two parts, at a stratum
    assert all(params["low"] is None and params["high"] is not None for _, params in statements[::2])
    assert all(params["low"] is not None and params["high"] is None for _, params in statements[1::2])


@pytest.mark.django_db(transaction=True)
def test_a_build_records_progress_after_each_part_and_writes_the_same_file(postgres, project_a, varied, spied):  # noqa: F811
    from reviewapp.exports import actions

    seen, open_ = [], []

    def on_rows(done, total):
        seen.append(done)
        open_.append(ours(sql_rows.APPLICATION))

    snapshot = actions.create(project=project_a, filters={}, formats=["jsonl"], user=None, queue=False)
    actions.build(snapshot, on_rows=on_rows)
    snapshot.refresh_from_db()
    written = (snapshot.directory / "jsonl" / "evalset.jsonl").read_bytes()
    assert written == b"".join(python_lines(project_a, Filters(), snapshot.as_of))
    assert len(spied[0]) == 4 and len(seen) == 5  # after each of the four parts, then the end
    assert seen == sorted(seen) and seen[-1] == snapshot.manifest["counts"]["rows"]
    assert open_[:-1] == [2, 2, 2, 2]  # two of its own while the parts stream
    assert gone(sql_rows.APPLICATION)


@pytest.mark.django_db(transaction=True)
def test_a_small_export_reads_on_the_callers_connection(postgres, project_a, varied, spied, monkeypatch):  # noqa: F811
    """Below MIN_PART rows a second connection costs more than it saves."""
    monkeypatch.setattr(sql_rows, "MIN_PART", 10**6)
    assert sql_lines(project_a, Filters(), timezone.now()) == python_lines(project_a, Filters(), timezone.now())
    assert spied == []


def series(*bounds: tuple[int, int]) -> list[tuple[str, dict]]:
    return [("SELECT generate_series(%(a)s::int, %(b)s::int)", {"a": a, "b": b}) for a, b in bounds]


def test_statements_come_in_order_whatever_their_speed(postgres):
    slow_first = [("SELECT x FROM generate_series(1, 3) AS x, pg_sleep(0.3)", {})] + series((4, 4000), (4001, 4001),
                                                                                           (4002, 4001), (4002, 9000))
    between = []
    found = [x for (x,) in lookahead.rows(connect, slow_first, lambda: between.append(1))]
    assert found == list(range(1, 9001))
    assert len(between) == 5
    assert gone()


def test_a_failing_statement_fails_the_read_and_closes_both_connections(postgres):
    statements = series((1, 10)) + [("SELECT 1 / (x - 5) FROM generate_series(1, 10) AS x", {})] + series((1, 10))
    found = []
    with pytest.raises(psycopg.errors.DivisionByZero):
        for row in lookahead.rows(connect, statements):
            found.append(row)
    assert len(found) == 10
    assert gone()


def test_leaving_early_cancels_the_statement_under_way_and_closes_both(postgres):
    statements = series((1, 100_000)) + [("SELECT pg_sleep(30)", {})]
    rows = lookahead.rows(connect, statements)
    assert next(rows) == (1,)
    started = time.monotonic()
    rows.close()  # the second statement is still sleeping on the other connection
    assert time.monotonic() - started < 5  # cancelled, not waited for
    assert gone()


def test_a_cancel_that_fails_still_closes_both_and_the_first_error_is_raised(postgres, monkeypatch):
    def cancel_fails(self):
        raise psycopg.OperationalError("the cancel request could not be sent")

    monkeypatch.setattr(psycopg.Connection, "cancel_safe", cancel_fails)
    statements = series((1, 10)) + [("SELECT pg_sleep(2)", {})] + series((1, 10))

    def between():
        raise RuntimeError("the progress write failed")

    with pytest.raises(RuntimeError, match="progress write"):
        list(lookahead.rows(connect, statements, between))
    assert gone()


@pytest.mark.django_db
def test_inside_a_transaction_the_parts_stream_one_by_one_on_the_callers_connection(postgres, project_a, varied,  # noqa: F811
                                                                                  spied, monkeypatch):
    given = []
    real = sql_rows._one_by_one
    monkeypatch.setattr(sql_rows, "_one_by_one", lambda db, statements, between: given.append(statements) or
                        real(db, statements, between))
    as_of = timezone.now()
    assert sql_lines(project_a, Filters(), as_of) == python_lines(project_a, Filters(), as_of)
    assert spied == [] and len(given[0]) == 4  # two weeks, each cut in two, on the test's connection


@pytest.mark.django_db
def test_a_week_is_cut_at_the_stratum_nearest_half_its_rows(postgres, monkeypatch):
    monkeypatch.setattr(sql_rows, "MIN_PART", 100)
    assert sql_rows._cut(connection, {"a": 150, "b": 20, "c": 60, "d": 170}) == ("c", 170)
    assert sql_rows._cut(connection, {"d": 100, "a": 300}) == ("d", 300)
    assert sql_rows._cut(connection, {"a": 150, "b": 49}) is None  # a part would hold fewer than MIN_PART
    assert sql_rows._cut(connection, {"a": 10_000}) is None  # one stratum: one part
    assert sql_rows._cut(connection, {"a": 99, "b": 99}) is None

