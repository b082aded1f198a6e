"""The outputs table as one partition per UTC ISO week (PostgreSQL; SQLite keeps one table).

Why: at ten million outputs a week the table outgrows what one heap serves well. A week's rows
then sit together (the draw and a week's counts read one partition instead of a heap spread by
arrival order), and retention retires a week by dropping its partition, in milliseconds and
without dead rows, instead of deleting ten million rows.

What partitioning costs, and how it is paid:

- **Idempotency.** PostgreSQL only enforces a unique key on a partitioned table if it holds the
  partition key, so (project, external_id) cannot be unique there. ``ingest_outputkey`` holds one
  row per (project, external_id) with the output's id, and a BEFORE INSERT trigger on the
  outputs claims the key first: the ingest (``SET LOCAL spotcheck.skip_duplicates``) then skips a
  row whose key is taken, as ``ON CONFLICT DO NOTHING`` did; any other insert of a taken key fails
  with a unique violation, as the constraint did. Lookups by external id read the key table.
- **The id.** A partitioned table cannot have an identity column before PostgreSQL 17, so the id
  comes from a sequence; the primary key is (id, occurred_at).
- **References.** A partitioned table cannot be referenced by id alone: evaluations reference
  outputs without a database constraint, and drawn items reference their frozen copy
  (audits.DrawnOutput), never the outputs.
- **New weeks.** Partitions are created ahead (``ensure_partitions``: the migration, the hourly
  scheduler job and ``manage.py retention`` create the current week and the four after it). A row
  of a week with no partition (a backfill of old data, a clock far ahead) lands in the default
  partition, so ingest never fails for want of one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from reviewapp.lib.weeks import IsoWeek

from .models import Output

TABLE = Output._meta.db_table
KEYS = "ingest_outputkey"
DEFAULT = f"{TABLE}_default"
WEEKS_AHEAD = 4
SKIP_DUPLICATES = "spotcheck.skip_duplicates"
SEQUENCE = f"{TABLE}_pk_seq"

_KEY_TRIGGER = f"""
CREATE OR REPLACE FUNCTION spotcheck_output_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('{SKIP_DUPLICATES}', true) = 'claimed' THEN
    RETURN NEW;  -- the ingest's writer claimed the keys itself, set-based, before its COPY
  END IF;
  INSERT INTO {KEYS} (project_id, external_id, output_id)
  VALUES (NEW.project_id, NEW.external_id, NEW.id) ON CONFLICT DO NOTHING;
  IF FOUND THEN
    RETURN NEW;
  END IF;
  IF current_setting('{SKIP_DUPLICATES}', true) = 'on' THEN
    RETURN NULL;  -- the ingest: an output already stored is skipped, as ON CONFLICT DO NOTHING did
  END IF;
  RAISE unique_violation USING MESSAGE = format(
    'duplicate key value violates unique constraint "output_external_id_unique_per_project": (%s, %s)',
    NEW.project_id, NEW.external_id);
END $$
"""


_KEY_RELEASE = f"""
CREATE OR REPLACE FUNCTION spotcheck_output_key_release() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    TRUNCATE {KEYS};
  ELSE
    DELETE FROM {KEYS} k USING removed r
    WHERE k.project_id = r.project_id AND k.external_id = r.external_id AND k.output_id = r.id;
  END IF;
  RETURN NULL;
END $$
"""
KEY_STATEMENTS = [
    _KEY_TRIGGER,
    _KEY_RELEASE,
    f"CREATE TRIGGER output_key BEFORE INSERT ON {TABLE} FOR EACH ROW EXECUTE FUNCTION spotcheck_output_key()",
    # Every delete frees its keys (a project's deletion, retention's deletes); a partition dropped
    # frees them in drop_partition, and a TRUNCATE (tests' flush) empties them.
    f"CREATE TRIGGER output_key_released AFTER DELETE ON {TABLE} REFERENCING OLD TABLE AS removed "
    f"FOR EACH STATEMENT EXECUTE FUNCTION spotcheck_output_key_release()",
    f"CREATE TRIGGER output_key_truncated AFTER TRUNCATE ON {TABLE} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION spotcheck_output_key_release()",
]


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime | None  # None: the default partition
    end: datetime | None


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = %s::regclass", [TABLE])
        return cursor.fetchone() is not None


def week_of(moment: datetime) -> tuple[datetime, datetime]:
    """The UTC ISO week [Monday, next Monday) holding the moment: a partition's bounds."""
    return IsoWeek.containing(moment, "UTC").bounds("UTC")


def name_of(start: datetime) -> str:
    year, week, _ = start.date().isocalendar()
    return f"{TABLE}_{year}w{week:02d}"


def partitions() -> list[Partition]:
    """The outputs table's partitions, oldest first, the default one last."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass", [TABLE])
        rows = cursor.fetchall()
    found = []
    for name, bound in rows:
        if bound == "DEFAULT":
            found.append(Partition(name, None, None))
            continue
        # FOR VALUES FROM ('2026-11-30 00:00:00+00') TO ('2026-12-07 00:00:00+00')
        low, high = (part.split("'")[1] for part in bound.split(" TO "))
        found.append(Partition(name, _parse(low), _parse(high)))
    return sorted(found, key=lambda p: (p.start is None, p.start or datetime.min.replace(tzinfo=UTC)))


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def missing_ahead(now: datetime | None = None, ahead: int = WEEKS_AHEAD) -> list[datetime]:
    """The Mondays of the current UTC week and the `ahead` weeks after it that have no partition.

    A week whose rows already sit in the default partition (a backfill) is left there: creating its
    partition would have to move them under a lock on the table."""
    if not is_partitioned():
        return []
    start, _ = week_of(now or timezone.now())
    existing = {p.name for p in partitions()}
    weeks = (start + timedelta(weeks=offset) for offset in range(ahead + 1))
    return [low for low in weeks if name_of(low) not in existing and not _default_holds(low, low + timedelta(weeks=1))]


def ensure_partitions(now: datetime | None = None, ahead: int = WEEKS_AHEAD) -> list[str]:
    """Create the partitions missing_ahead() names; returns their names. Run by the scheduler and retention."""
    return [create_partition(low) for low in missing_ahead(now, ahead)]


def create_partition(start: datetime) -> str:
    name = name_of(start)
    end = start + timedelta(weeks=1)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {TABLE} FOR VALUES FROM (%s) TO (%s)",
                       [start, end])
    return name


def _default_holds(start: datetime, end: datetime) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {DEFAULT} WHERE occurred_at >= %s AND occurred_at < %s LIMIT 1", [start, end])
        return cursor.fetchone() is not None


def drop_partition(partition: Partition) -> None:
    """Detach and drop a week's partition, with the keys and rollup rows of its outputs.

    Called by retention once every project with outputs in that week has let it go. The caller has
    already deleted the evaluations it does not keep (they are keyed by output id)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {KEYS} k USING {partition.name} p "
                       f"WHERE k.project_id = p.project_id AND k.external_id = p.external_id")
        cursor.execute("DELETE FROM ingest_outputvolume WHERE hour >= %s AND hour < %s", [partition.start, partition.end])
        # Deferred foreign-key checks of rows written earlier in this transaction must run before the drop.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {partition.name}")
        cursor.execute(f"DROP TABLE {partition.name}")


def _columns_packed(connection, table: str) -> list[tuple[str, str]]:
    """The table's columns with their types, fixed-width ones first, widest first: PostgreSQL aligns
    an 8-byte value on 8 bytes, so one after a text column pads the row by up to 7 bytes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, t.typlen FROM pg_attribute a "
            "JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = %s::regclass AND a.attnum > 0 "
            "AND NOT a.attisdropped ORDER BY a.attnum", [table])
        rows = cursor.fetchall()
    ordered = sorted(rows, key=lambda r: -r[3] if r[3] > 0 else 1)  # stable: variable-width keep their order
    return [(name, f"{kind}{' NOT NULL' if not_null else ''}") for name, kind, not_null, _ in ordered]


def partition_outputs(schema_editor) -> None:
    """The migration's work on PostgreSQL: the outputs table, unpartitioned until now, becomes a
    table partitioned by UTC week with its rows, its key table and its triggers."""
    from . import volume_sql

    execute = schema_editor.execute
    execute(f"ALTER TABLE {TABLE} RENAME TO {TABLE}_unpartitioned")
    # Constraint and index names are schema-wide: free them for the new table.
    execute(f"ALTER TABLE {TABLE}_unpartitioned RENAME CONSTRAINT output_external_id_unique_per_project "
            f"TO output_external_id_unique_per_project_old")
    execute("ALTER INDEX output_time_project RENAME TO output_time_project_old")
    execute(f"CREATE SEQUENCE {TABLE}_pk_seq")
    columns = _columns_packed(schema_editor.connection, f"{TABLE}_unpartitioned")
    execute(f"CREATE TABLE {TABLE} ({', '.join(f'{name} {kind}' for name, kind in columns)}) "
            f"PARTITION BY RANGE (occurred_at)")
    execute(f"ALTER TABLE {TABLE} ALTER COLUMN id SET DEFAULT nextval('{TABLE}_pk_seq')")
    execute(f"ALTER SEQUENCE {TABLE}_pk_seq OWNED BY {TABLE}.id")
    # Indexes packed full (fillfactor 100): ids and times arrive mostly in order, so pages split at
    # the right edge and the usual 10 % left free for updates would never be used.
    execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey_week PRIMARY KEY (id, occurred_at) WITH (fillfactor = 100)")
    execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_project_fk FOREIGN KEY (project_id) "
            f"REFERENCES projects_project (id) DEFERRABLE INITIALLY DEFERRED")
    execute(f"CREATE INDEX output_time_project ON {TABLE} (occurred_at, project_id) WITH (fillfactor = 100)")
    execute(f"CREATE TABLE {DEFAULT} PARTITION OF {TABLE} DEFAULT")
    # Narrow on purpose (it holds a row per output): the output's id is all a look-up needs.
    execute(f"CREATE TABLE {KEYS} (project_id bigint NOT NULL, external_id varchar(255) NOT NULL, "
            f"output_id bigint NOT NULL, PRIMARY KEY (project_id, external_id) WITH (fillfactor = 100))")
    for sql in KEY_STATEMENTS:
        execute(sql, None)  # None: the functions' own % signs are not placeholders
    # Weeks already holding outputs get their partition before the rows move; then the weeks ahead.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT date_trunc('week', occurred_at, 'UTC') FROM {TABLE}_unpartitioned")
        weeks = sorted(row[0] for row in cursor.fetchall())
    today = timezone.now()
    start, _ = week_of(today)
    for low in sorted({*(week_of(w)[0] for w in weeks), *(start + timedelta(weeks=k) for k in range(WEEKS_AHEAD + 1))}):
        execute(f"CREATE TABLE {name_of(low)} PARTITION OF {TABLE} FOR VALUES FROM (%s) TO (%s)",
                [low, low + timedelta(weeks=1)])
    # The rollup's triggers went with the renamed table: the rows move without counting twice,
    # then the triggers are made again on the new table. The key trigger fills the key table.
    names = ", ".join(name for name, _ in columns)
    execute(f"INSERT INTO {TABLE} ({names}) SELECT {names} FROM {TABLE}_unpartitioned")
    execute(f"SELECT setval('{TABLE}_pk_seq', GREATEST((SELECT max(id) FROM {TABLE}), 1))")
    execute(f"DROP TABLE {TABLE}_unpartitioned")
    for sql in volume_sql.POSTGRES:
        execute(sql)
