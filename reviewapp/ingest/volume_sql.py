"""The triggers that keep OutputVolume (the per-hour rollup of a project's outputs) true.

In the database, not in Python, so every way a row reaches the outputs table counts: the ingest's
COPY and its staged INSERT ... ON CONFLICT, executemany on SQLite, an admin's edit or delete, a project's
cascade. PostgreSQL: statement-level triggers with transition tables (one aggregate per chunk,
in the chunk's transaction; the upsert walks the keys in order so two concurrent chunks lock
rollup rows in the same order and cannot deadlock). SQLite: row triggers (an embedded database
has one writer at a time). A row skipped by ON CONFLICT DO NOTHING fires nothing on either.
"""
from __future__ import annotations

KEY = "project_id, hour, category, risk_tier, kind, model, model_version"
_FIELDS = "category, risk_tier, kind, model, model_version"

POSTGRES = [
    f"""
    CREATE OR REPLACE FUNCTION spotcheck_output_volume_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO ingest_outputvolume ({KEY}, n)
      SELECT project_id, date_trunc('hour', occurred_at, 'UTC'), {_FIELDS}, count(*)
      FROM added GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
      ON CONFLICT ({KEY}) DO UPDATE SET n = ingest_outputvolume.n + EXCLUDED.n;
      RETURN NULL;
    END $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION spotcheck_output_volume_removed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE ingest_outputvolume v SET n = v.n - r.n
      FROM (SELECT project_id, date_trunc('hour', occurred_at, 'UTC') AS hour, {_FIELDS}, count(*) AS n
            FROM removed GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7) r
      WHERE (v.project_id, v.hour, v.category, v.risk_tier, v.kind, v.model, v.model_version)
          = (r.project_id, r.hour, r.category, r.risk_tier, r.kind, r.model, r.model_version);
      DELETE FROM ingest_outputvolume WHERE n <= 0;
      RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER output_volume_added AFTER INSERT ON ingest_output REFERENCING NEW TABLE AS added "
    "FOR EACH STATEMENT EXECUTE FUNCTION spotcheck_output_volume_added()",
    "CREATE TRIGGER output_volume_removed AFTER DELETE ON ingest_output REFERENCING OLD TABLE AS removed "
    "FOR EACH STATEMENT EXECUTE FUNCTION spotcheck_output_volume_removed()",
    # An edit (outputs are not edited by the product, but an admin can): the old key out, the new one in.
    "CREATE TRIGGER output_volume_edited_out AFTER UPDATE ON ingest_output REFERENCING OLD TABLE AS removed "
    "FOR EACH STATEMENT EXECUTE FUNCTION spotcheck_output_volume_removed()",
    "CREATE TRIGGER output_volume_edited_in AFTER UPDATE ON ingest_output REFERENCING NEW TABLE AS added "
    "FOR EACH STATEMENT EXECUTE FUNCTION spotcheck_output_volume_added()",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS output_volume_edited_out ON ingest_output",
    "DROP TRIGGER IF EXISTS output_volume_edited_in ON ingest_output",
    "DROP TRIGGER IF EXISTS output_volume_added ON ingest_output",
    "DROP TRIGGER IF EXISTS output_volume_removed ON ingest_output",
    "DROP FUNCTION IF EXISTS spotcheck_output_volume_added()",
    "DROP FUNCTION IF EXISTS spotcheck_output_volume_removed()",
]

SQLITE = [
    f"""
    CREATE TRIGGER output_volume_added AFTER INSERT ON ingest_output BEGIN
      INSERT INTO ingest_outputvolume ({KEY}, n)
      VALUES (NEW.project_id, strftime('%Y-%m-%d %H:00:00', NEW.occurred_at), NEW.category, NEW.risk_tier, NEW.kind,
              NEW.model, NEW.model_version, 1)
      ON CONFLICT ({KEY}) DO UPDATE SET n = n + 1;
    END
    """,
    """
    CREATE TRIGGER output_volume_removed AFTER DELETE ON ingest_output BEGIN
      UPDATE ingest_outputvolume SET n = n - 1
      WHERE project_id = OLD.project_id AND hour = strftime('%Y-%m-%d %H:00:00', OLD.occurred_at)
        AND category = OLD.category AND risk_tier = OLD.risk_tier AND kind = OLD.kind AND model = OLD.model
        AND model_version = OLD.model_version;
      DELETE FROM ingest_outputvolume WHERE project_id = OLD.project_id AND n <= 0;
    END
    """,
]
SQLITE.append(f"""
    CREATE TRIGGER output_volume_edited AFTER UPDATE OF project_id, occurred_at, {_FIELDS} ON ingest_output BEGIN
      UPDATE ingest_outputvolume SET n = n - 1
      WHERE project_id = OLD.project_id AND hour = strftime('%Y-%m-%d %H:00:00', OLD.occurred_at)
        AND category = OLD.category AND risk_tier = OLD.risk_tier AND kind = OLD.kind AND model = OLD.model
        AND model_version = OLD.model_version;
      DELETE FROM ingest_outputvolume WHERE project_id = OLD.project_id AND n <= 0;
      INSERT INTO ingest_outputvolume ({KEY}, n)
      VALUES (NEW.project_id, strftime('%Y-%m-%d %H:00:00', NEW.occurred_at), NEW.category, NEW.risk_tier, NEW.kind,
              NEW.model, NEW.model_version, 1)
      ON CONFLICT ({KEY}) DO UPDATE SET n = n + 1;
    END
    """)
SQLITE_DROP = ["DROP TRIGGER IF EXISTS output_volume_added", "DROP TRIGGER IF EXISTS output_volume_removed",
               "DROP TRIGGER IF EXISTS output_volume_edited"]

# What the outputs already stored add up to, when the rollup is created (or rebuilt).
BACKFILL = {
    "postgresql": f"INSERT INTO ingest_outputvolume ({KEY}, n) SELECT project_id, date_trunc('hour', occurred_at, 'UTC'), "
                  f"{_FIELDS}, count(*) FROM ingest_output GROUP BY 1, 2, 3, 4, 5, 6, 7",
    "sqlite": f"INSERT INTO ingest_outputvolume ({KEY}, n) SELECT project_id, strftime('%Y-%m-%d %H:00:00', occurred_at), "
              f"{_FIELDS}, count(*) FROM ingest_output GROUP BY 1, 2, 3, 4, 5, 6, 7",
}


def install(connection) -> None:
    """Create the triggers and count what is already stored."""
    statements = POSTGRES if connection.vendor == "postgresql" else SQLITE
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
        cursor.execute(BACKFILL["postgresql" if connection.vendor == "postgresql" else "sqlite"])


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        for sql in POSTGRES_DROP if connection.vendor == "postgresql" else SQLITE_DROP:
            cursor.execute(sql)
