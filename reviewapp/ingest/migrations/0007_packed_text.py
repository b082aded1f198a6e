"""Outputs' input and output stored packed (ingest/packing.py). PostgreSQL: the columns become bytea,
each existing value marked "as is" (packing.RAW) and read back unchanged. SQLite: the table is
rebuilt without the JSON check on input (old text values stay text; packing.unpack reads them as
they are), and the rollup's triggers, dropped with the old table, are made again."""

import django.db.models.deletion
import django.utils.timezone
import reviewapp.ingest.packing
from django.db import migrations, models


def to_packed(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        from reviewapp.ingest import volume_sql

        # The state already holds the packed fields: rebuild the table from it (SQLite cannot alter a column).
        schema_editor._remake_table(apps.get_model("ingest", "Output"))
        volume_sql.uninstall(schema_editor.connection)
        with schema_editor.connection.cursor() as cursor:
            for sql in volume_sql.SQLITE:
                cursor.execute(sql)
        return
    schema_editor.execute("ALTER TABLE ingest_output "
                          "ALTER COLUMN input TYPE bytea USING ('\\x00'::bytea || convert_to(input::text, 'UTF8')), "
                          "ALTER COLUMN output TYPE bytea USING ('\\x00'::bytea || convert_to(output, 'UTF8'))")


class Migration(migrations.Migration):

    dependencies = [
        ('ingest', '0006_partition_outputs'),
        ('projects', '0004_retention'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
            migrations.AlterField(
                model_name='output',
                name='input',
                field=reviewapp.ingest.packing.PackedJSONField(help_text='A string, or a list of chat messages {role, content}'),
            ),
            migrations.AlterField(
                model_name='output',
                name='output',
                field=reviewapp.ingest.packing.PackedTextField(),
            ),
            ],
        ),
        migrations.RunPython(to_packed, migrations.RunPython.noop),
        migrations.CreateModel(
            name='TextDictionary',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('data', models.BinaryField()),
                ('trained_on', models.PositiveIntegerField(help_text='Texts it was trained on')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('project', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='projects.project')),
            ],
        ),
    ]
