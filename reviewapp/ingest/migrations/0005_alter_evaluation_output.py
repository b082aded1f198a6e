"""Evaluations outlive retired outputs (see Evaluation.output): no database constraint."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ingest', '0004_output_volume'),
    ]

    operations = [
        migrations.AlterField(
            model_name='evaluation',
            name='output',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='evaluations', to='ingest.output'),
        ),
    ]
