"""Per-project retention of outputs (audits.retention)."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0003_people_and_activity'),
    ]

    operations = [
        migrations.AddField(
            model_name='project',
            name='retention_weeks',
            field=models.PositiveSmallIntegerField(blank=True, help_text='Whole UTC weeks of outputs kept before the current one; older weeks are retired. Drawn outputs, their labels and exports stay. Empty: keep everything', null=True, validators=[django.core.validators.MinValueValidator(4), django.core.validators.MaxValueValidator(520)], verbose_name='Keep outputs for (weeks)'),
        ),
        migrations.AddField(
            model_name='project',
            name='retired_before',
            field=models.DateTimeField(blank=True, editable=False, help_text='Set by retention: outputs that occurred before this were retired (drawn ones stay as frozen copies)', null=True),
        ),
    ]
