"""PostgreSQL: the outputs table becomes partitioned by UTC ISO week (ingest/partitions.py says how
and why). SQLite keeps one table. Django's model state keeps the unique (project, external_id)
constraint: on PostgreSQL the key table and its trigger enforce it (a later migration that alters
that constraint must handle both backends)."""
from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from reviewapp.ingest import partitions

    partitions.partition_outputs(schema_editor)


class Migration(migrations.Migration):
    atomic = True

    dependencies = [
        ("ingest", "0005_alter_evaluation_output"),
        ("audits", "0007_drawnoutput_alter_audititem_output"),  # drawn items no longer reference outputs
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
