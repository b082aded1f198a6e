"""Every project has a rubric from its creation on (review's apps.ready makes version 1), so that
reading the current rubric never writes. Projects made before get their version 1 here."""
from django.db import migrations

from reviewapp.review.rubric import DEFAULT_RUBRIC


def start_rubrics(apps, schema_editor):
    Project = apps.get_model("projects", "Project")
    LabelSchema = apps.get_model("review", "LabelSchema")
    LabelSchema.objects.bulk_create([LabelSchema(project_id=pk, version=1, definition=DEFAULT_RUBRIC)
                                     for pk in Project.objects.filter(label_schemas__isnull=True).values_list("pk", flat=True)])


class Migration(migrations.Migration):

    dependencies = [
        ("review", "0002_review_tally"),
        ("projects", "0001_initial"),
    ]

    operations = [migrations.RunPython(start_rubrics, migrations.RunPython.noop)]
