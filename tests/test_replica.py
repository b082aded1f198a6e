"""Reads that can wait go to a real PostgreSQL streaming replica, writes never (lib/dbrouter.py).

The fixture builds a primary and its streaming replica on loopback in a temporary folder: initdb,
pg_basebackup -R -X stream, both started with pg_ctl on ports chosen free (as the postgres user
when the tests run as root), and stops and removes both afterwards. Its own primary, not the CI's
PostgreSQL: a base backup copies a whole cluster (every other database of a shared one) and the
CI's pg_hba.conf has no replication line, which this test must not edit.

Spotcheck itself runs in a subprocess (`python -m tests.test_replica`) with DATABASE_URL on the
primary and DATABASE_REPLICA_URL on the replica, exactly as configured in production; it reports
what each connection ran, and the assertions here read that report. Outside CI the test is skipped
when the PostgreSQL server binaries are not installed; with CI=true it must run.
"""
from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARKER = "spotcheck-replica-test"
WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "DROP", "TRUNCATE")


# --- the clusters ------------------------------------------------------------------------------

def server_bin() -> Path | None:
    """The newest installed PostgreSQL's server binaries (Debian keeps them off PATH)."""
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True):
        if all((folder / name).exists() for name in ("initdb", "pg_ctl", "pg_basebackup")):
            return folder
    found = shutil.which("pg_basebackup")
    return Path(found).parent if found and shutil.which("initdb") else None


def missing_tools() -> str:
    if server_bin() is None:
        return "the PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) are not installed"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "runuser is missing (PostgreSQL refuses to run as root)"
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "there is no postgres user to run PostgreSQL as (it refuses to run as root)"
    return ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Pair:
    """A primary and its streaming replica under one temporary folder."""

    def __init__(self) -> None:
        self.bin = server_bin()
        self.root = Path(tempfile.mkdtemp(prefix="spotcheck-replica-"))
        self.primary, self.replica = self.root / "primary", self.root / "replica"
        self.primary_port, self.replica_port = free_port(), free_port()
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self.root.chmod(0o700)

    def run(self, *args: str, timeout: int = 60) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False, cwd=self.root)
        assert result.returncode == 0, f"{' '.join(args)}:\n{result.stdout}\n{result.stderr}{self.logs()}"
        return result

    def logs(self) -> str:
        return "".join(f"\n--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.root.glob("*.log"))

    def start(self, data: Path, port: int) -> None:
        options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root}"
        self.run("pg_ctl", "-D", str(data), "-o", options, "-l", str(self.root / f"{data.name}.log"), "-w", "-t", "30",
                 "start")

    def up(self) -> None:
        self.run("initdb", "-D", str(self.primary), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync",
                 "--no-instructions")
        with (self.primary / "postgresql.conf").open("a") as conf:  # a throwaway cluster: speed over durability
            conf.write("\nwal_level = replica\nmax_wal_senders = 4\nfsync = off\nsynchronous_commit = off\n"
                       "full_page_writes = off\nshared_buffers = 32MB\nmax_connections = 30\n"
                       # Every statement each server ran, in its log: what the scenario's assertions read,
                       # raw cursors and COPY included (Django's query capture sees only its own cursors).
                       "log_statement = 'all'\nlog_min_duration_statement = -1\n")
        self.start(self.primary, self.primary_port)
        # -R writes standby.signal and primary_conninfo; initdb's pg_hba.conf allows replication on loopback.
        self.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
                 "-D", str(self.replica), "-R", "-X", "stream", "-c", "fast", "--no-sync")
        self.start(self.replica, self.replica_port)

    def down(self) -> None:
        """Stop both servers whatever state they are in (killed if pg_ctl cannot), then remove the folder."""
        for data in (self.replica, self.primary):
            pid_file = data / "postmaster.pid"
            if not pid_file.exists():
                continue
            try:
                self.run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "-t", "20", "stop", timeout=30)
            except (AssertionError, subprocess.TimeoutExpired):
                if pid_file.exists():
                    with contextlib.suppress(ProcessLookupError, ValueError):
                        os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)

    def ran(self, data: Path, step: str) -> str:
        """What the server logged between the scenario's markers of a step."""
        log = (self.root / f"{data.name}.log").read_text(errors="replace")
        start = log.index(f"'{MARKER} {step} start'")
        return log[start:log.index(f"'{MARKER} {step} end'", start)]

    def url(self, port: int) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/spotcheck"


@pytest.fixture(scope="module")
def pair():
    reason = missing_tools()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run the replica test, but {reason}")
        pytest.skip(f"no real replica can be built here: {reason}")
    pair = Pair()
    try:
        pair.up()
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=pair.primary_port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute("CREATE DATABASE spotcheck")
        env = {**os.environ, "DATABASE_URL": pair.url(pair.primary_port)}
        env.pop("DATABASE_REPLICA_URL", None)
        migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env,
                                 capture_output=True, text=True, timeout=180, check=False)
        assert migrate.returncode == 0, migrate.stderr
        yield pair
    finally:
        pair.down()


@pytest.fixture(scope="module")
def report(pair, tmp_path_factory):
    """What Spotcheck did against the primary and the replica (the scenario below, in its own process)."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DATABASE_URL=pair.url(pair.primary_port), DATABASE_REPLICA_URL=pair.url(pair.replica_port),
               DATA_DIR=str(tmp_path_factory.mktemp("data")), DJANGO_SETTINGS_MODULE="reviewapp.settings",
               LOG_LEVEL="ERROR")
    result = subprocess.run([sys.executable, "-m", "tests.test_replica"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:] + pair.logs()
    out = json.loads(result.stdout.strip().splitlines()[-1])
    out["ran"] = {step: {"default": pair.ran(pair.primary, step), "replica": pair.ran(pair.replica, step)}
                  for step in ("metrics", "export")}
    return out


# --- the assertions ------------------------------------------------------------------------------

def tables(queries: list[str]) -> set[str]:
    from django.apps import apps

    names = {model._meta.db_table for model in apps.get_models()}
    return {name for name in names for sql in queries if f'"{name}"' in sql}


def writes(queries: list[str]) -> list[str]:
    return [sql for sql in queries if sql.lstrip().upper().startswith(WRITES)]


def test_the_replica_is_a_real_streaming_standby(report, pair):
    assert report["servers"]["default"] == [pair.primary_port, False]
    assert report["servers"]["replica"] == [pair.replica_port, True]  # in recovery: replaying the primary's WAL
    assert "read-only transaction" in report["replica_refuses_writes"]


def test_reads_go_to_the_replica_only_inside_lagging_reads(report):
    from reviewapp.projects.models import Project

    step = report["routing"]
    assert step["routed"] is True and step["inside"] == "replica" and step["outside"] == "default"
    assert step["router_inside"] == "replica" and step["router_outside"] == "default"
    assert tables(step["replica"]) == {Project._meta.db_table}
    assert len([sql for sql in step["replica"] if f'"{Project._meta.db_table}"' in sql]) == 1
    # The primary answered the read outside the block, and told the block how far the replica must replay.
    assert tables(step["default"]) == {Project._meta.db_table}
    assert any("pg_current_wal_lsn" in sql for sql in step["default"])


def test_writes_and_reads_of_what_was_written_stay_on_the_primary(report):
    from reviewapp.audits.models import AuditItem
    from reviewapp.projects.models import Project

    step = report["writes"]
    assert step["routed"] is True and step["router_for_write"] == "default"
    assert step["written_on_primary"] is True and step["read_back_from"] == "default"
    assert any(sql.startswith("INSERT") and f'"{Project._meta.db_table}"' in sql for sql in step["default"])
    assert step["other_table_from"] == "replica" and step["in_transaction_from"] == "default"
    assert Project._meta.db_table not in tables(step["replica"])
    assert tables(step["replica"]) == {AuditItem._meta.db_table}
    assert writes(report["everything_on_replica"]) == []  # in the whole scenario, nothing but reads


def test_a_replica_behind_leaves_the_reads_on_the_primary(report):
    step = report["lag"]
    assert step["routed_while_paused"] is False and step["seen_while_paused"] is True  # never a stale read
    assert step["replica_had_it_while_paused"] is False  # it really was behind
    assert step["routed_after_resume"] is True and step["seen_after_resume"] is True


def test_the_metrics_job_reads_the_replica_and_computes_the_same_numbers(report):
    from reviewapp.review.models import GoldLabel, Label

    step = report["metrics"]
    assert step["same_as_primary"] is True and step["stored_same"] is True
    assert step["labels"] > 0
    heavy = {Label._meta.db_table, GoldLabel._meta.db_table}
    assert heavy <= tables(step["replica"])
    assert not heavy & tables(step["default"])  # the primary only kept the cache row
    assert writes(step["replica"]) == [] and writes(step["default"])
    # What each server itself ran (its statement log): the heavy reads reached the replica only.
    ran = report["ran"]["metrics"]
    assert heavy <= tables([ran["replica"]]) and not heavy & tables([ran["default"]])


def test_an_export_build_reads_the_replica_and_writes_the_same_rows(report):
    from reviewapp.audits.models import AuditItem
    from reviewapp.exports.models import Snapshot
    from reviewapp.review.models import GoldRevision, LabelRevision

    step = report["export"]
    assert step["status"] == "done" and step["rows"] > 0
    assert step["same_rows_as_primary"] is True
    assert GoldRevision._meta.db_table in tables(step["replica"])
    assert Snapshot._meta.db_table not in tables(step["replica"])  # its own row, read back on the primary
    assert any("work_mem" in sql for sql in step["replica"])  # the sort memory is raised where the rows are sorted
    assert writes(step["replica"]) == [] and GoldRevision._meta.db_table not in tables(step["default"])
    # What each server itself ran, raw cursors and COPY included: the rows were read on the replica only.
    ran = report["ran"]["export"]
    rows_read = {GoldRevision._meta.db_table, LabelRevision._meta.db_table, AuditItem._meta.db_table}
    assert rows_read <= tables([ran["replica"]]), "the export's rows were not read on the replica"
    assert not rows_read & tables([ran["default"]]), "the export read its rows on the primary"


def test_without_a_replica_nothing_changes():
    from django.conf import settings

    from reviewapp.lib.dbrouter import lagging_reads

    if "DATABASE_REPLICA_URL" not in os.environ:
        assert set(settings.DATABASES) == {"default"} and not settings.DATABASE_ROUTERS
    with lagging_reads() as routed:
        assert routed is False


def test_a_replica_of_sqlite_is_refused(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY", "DEBUG")}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True,
                            env={**env, "DATA_DIR": str(tmp_path), "DATABASE_REPLICA_URL": "postgres://x@127.0.0.1/y"},
                            timeout=120, check=False)
    assert result.returncode != 0 and "both must be postgres:// URLs" in result.stderr


# --- the scenario, run by the subprocess -----------------------------------------------------------

def scenario() -> dict:
    import django

    django.setup()
    from django.db import DatabaseError, connections, router, transaction
    from django.test.utils import CaptureQueriesContext

    from reviewapp.audits.models import AuditItem
    from reviewapp.exports import actions as export_actions
    from reviewapp.exports.formats import FORMATS, dumps
    from reviewapp.exports.selection import Filters, rows
    from reviewapp.lib.dbrouter import lagging_reads
    from reviewapp.metrics import actions as metrics
    from reviewapp.metrics.compute import run_metrics
    from reviewapp.projects.models import Project
    from tests.helpers import BAD, GOOD, drawn_run, label_all, make_user

    def capture():
        return CaptureQueriesContext(connections["default"]), CaptureQueriesContext(connections["replica"])

    def sql(context) -> list[str]:
        return [q["sql"] for q in context.captured_queries]

    def one(alias: str, query: str, params=()) -> list:
        with connections[alias].cursor() as cursor:
            cursor.execute(query, params)
            return list(cursor.fetchone())

    def mark(step: str, edge: str) -> None:
        for alias in ("default", "replica"):
            one(alias, f"SELECT '{MARKER} {step} {edge}'")

    out: dict = {"servers": {alias: one(alias, "SELECT inet_server_port(), pg_is_in_recovery()")
                             for alias in ("default", "replica")}}
    try:
        one("replica", "CREATE TABLE nope (x int)")
        out["replica_refuses_writes"] = ""
    except DatabaseError as exc:
        out["replica_refuses_writes"] = str(exc)

    table = Project._meta.db_table
    everything = CaptureQueriesContext(connections["replica"])
    everything.__enter__()
    project = Project.objects.create(slug="support", name="Support assistant")
    alice = make_user("alice", project)
    lead = make_user("lead", project, role="qa_lead")
    run = drawn_run(project, outputs=40)
    label_all(project, [alice], lambda item, _: BAD if item.pk % 3 == 0 else GOOD)

    # (a, b) a read inside the block is served by the replica, outside by the primary.
    primary, replica = capture()
    with primary, replica:
        with lagging_reads() as routed:
            inside = Project.objects.get(pk=project.pk)
            router_inside = router.db_for_read(Project)
        outside = Project.objects.get(pk=project.pk)
    out["routing"] = {"routed": routed, "inside": inside._state.db, "outside": outside._state.db,
                      "router_inside": router_inside, "router_outside": router.db_for_read(Project),
                      "default": sql(primary), "replica": sql(replica)}

    # (c) a write inside the block lands on the primary; that table is then read there too.
    primary, replica = capture()
    with primary, replica, lagging_reads() as routed:
        router_for_write = router.db_for_write(Project)
        created = Project.objects.create(slug="claims", name="Claims triage")
        again = Project.objects.get(pk=created.pk)
        other = AuditItem.objects.filter(run=run).first()
        with transaction.atomic():
            in_transaction = AuditItem.objects.filter(run=run).first()
    out["writes"] = {"routed": routed, "router_for_write": router_for_write,
                     "written_on_primary": one("default", f"SELECT count(*) = 1 FROM {table} WHERE slug = %s",
                                               ["claims"])[0],
                     "read_back_from": again._state.db, "other_table_from": other._state.db if other else None,
                     "in_transaction_from": in_transaction._state.db if in_transaction else None,
                     "default": sql(primary), "replica": sql(replica)}

    # A replica behind the primary (replay paused) is not read: the block reads the primary.
    one("replica", "SELECT pg_wal_replay_pause()")
    late = Project.objects.create(slug="late", name="Written while the replica is paused")
    with lagging_reads(max_wait=0.3) as paused:
        seen_paused = Project.objects.filter(pk=late.pk).exists()
    had_it = one("replica", f"SELECT count(*) = 1 FROM {table} WHERE id = %s", [late.pk])[0]
    one("replica", "SELECT pg_wal_replay_resume()")
    with lagging_reads() as resumed:
        seen_resumed = Project.objects.filter(pk=late.pk).exists()
    out["lag"] = {"routed_while_paused": paused, "seen_while_paused": seen_paused, "replica_had_it_while_paused": had_it,
                  "routed_after_resume": resumed, "seen_after_resume": seen_resumed}

    # (d) the metrics job and an export build read the replica and come to the same result.
    on_primary = run_metrics(run)
    with lagging_reads():
        on_replica = run_metrics(run)
    primary, replica = capture()
    mark("metrics", "start")
    with primary, replica:
        stored = metrics.refresh(run)
    mark("metrics", "end")
    out["metrics"] = {"same_as_primary": on_primary == on_replica, "stored_same": stored.data == on_primary,
                      "labels": on_primary["labels"], "default": sql(primary), "replica": sql(replica)}

    snapshot = export_actions.create(project=project, filters={}, formats=list(FORMATS), user=lead, queue=False)
    primary, replica = capture()
    mark("export", "start")
    with primary, replica:
        snapshot = export_actions.build(snapshot)
    mark("export", "end")
    written = (snapshot.directory / "jsonl" / "evalset.jsonl").read_bytes().splitlines()
    expected = [dumps(row.to_json()) for row in rows(project, Filters.from_stored(snapshot.filters), snapshot.as_of)]
    out["export"] = {"status": snapshot.status, "rows": len(written), "same_rows_as_primary": written == expected,
                     "default": sql(primary), "replica": sql(replica)}
    everything.__exit__(None, None, None)
    out["everything_on_replica"] = sql(everything)
    return out


if __name__ == "__main__":
    print(json.dumps(scenario()))
