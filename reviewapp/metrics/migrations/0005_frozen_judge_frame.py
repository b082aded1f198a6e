"""Judge figures kept when retention retires a week's outputs (metrics.judging.freeze_frames)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audits', '0007_drawnoutput_alter_audititem_output'),
        ('metrics', '0004_judge_mapping'),
    ]

    operations = [
        migrations.CreateModel(
            name='FrozenJudgeFrame',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('signature', models.CharField(help_text='evaluator id, reading and yes-labels the figures were taken with', max_length=300)),
                ('strata', models.JSONField(help_text='{stratum: [outputs, scored, total]}')),
                ('kept_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='audits.auditrun')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('run', 'signature'), name='one_frozen_frame_per_reading')],
            },
        ),
    ]
