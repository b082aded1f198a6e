"""Drawn items point at a frozen copy of their output (DrawnOutput), made here for the runs already drawn."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def freeze_drawn_outputs(apps, schema_editor):
    AuditItem = apps.get_model("audits", "AuditItem")
    DrawnOutput = apps.get_model("audits", "DrawnOutput")
    Output = apps.get_model("ingest", "Output")
    fields = [f.attname for f in DrawnOutput._meta.concrete_fields if f.attname != "drawn_at"]
    ids = sorted(set(AuditItem.objects.values_list("output_id", flat=True)))
    for start in range(0, len(ids), 500):
        DrawnOutput.objects.bulk_create(
            [DrawnOutput(**row) for row in Output.objects.filter(pk__in=ids[start:start + 500]).values(*fields)],
            ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ('audits', '0006_stratum_closure'),
        ('projects', '0003_people_and_activity'),
        ('ingest', '0005_alter_evaluation_output'),
    ]

    operations = [
        migrations.CreateModel(
            name='DrawnOutput',
            fields=[
                ('external_id', models.CharField(help_text="The producer's id; unique per project, makes ingest idempotent", max_length=255)),
                ('occurred_at', models.DateTimeField()),
                ('kind', models.CharField(choices=[('llm_response', 'LLM response'), ('agent_action', 'Agent action'), ('classifier_decision', 'Classifier decision')], default='llm_response', max_length=32)),
                ('model', models.CharField(blank=True, default='', max_length=200)),
                ('model_version', models.CharField(blank=True, default='', max_length=200)),
                ('category', models.CharField(blank=True, default='', help_text='Task category', max_length=100)),
                ('risk_tier', models.CharField(blank=True, default='', max_length=32)),
                ('risk_score', models.FloatField(blank=True, null=True)),
                ('input', models.JSONField(help_text='A string, or a list of chat messages {role, content}')),
                ('output', models.TextField()),
                ('context', models.JSONField(blank=True, default=list, help_text='Retrieved passages')),
                ('tools', models.JSONField(blank=True, default=list, help_text='The tools the model could call (OpenAI tool definitions)')),
                ('tool_calls', models.JSONField(blank=True, default=list, help_text='The tool calls the output made (OpenAI form)')),
                ('refusal', models.BooleanField(default=False, help_text='The model refused: the output is its refusal message')),
                ('metadata', models.JSONField(blank=True, default=dict)),
                ('trace_id', models.CharField(blank=True, default='', max_length=64)),
                ('span_id', models.CharField(blank=True, default='', max_length=64)),
                ('id', models.BigIntegerField(help_text="The ingested output's id", primary_key=True, serialize=False)),
                ('drawn_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('project', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='projects.project')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.RunPython(freeze_drawn_outputs, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='audititem',
            name='output',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='audit_items', to='audits.drawnoutput'),
        ),
    ]
