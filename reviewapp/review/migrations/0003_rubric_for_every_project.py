"""Every project has a rubric from its creation on (review's apps.ready makes version 1), so that
reading the current rubric never writes. Projects made before get their version 1 here."""
from django.db import migrations

# The shipped rubric as it was when this migration was written: a migration must not change with the code.
DEFAULT_RUBRIC = {
    "questions": [
        {
            "key": "verdict",
            "type": "single",
            "label": "Verdict",
            "required": True,
            "options": [
                {
                    "value": "success",
                    "label": "Full success",
                    "shortcut": "1"
                },
                {
                    "value": "partial",
                    "label": "Partial success",
                    "shortcut": "2"
                },
                {
                    "value": "failure",
                    "label": "Failure",
                    "shortcut": "3"
                }
            ]
        },
        {
            "key": "errors",
            "type": "multi",
            "label": "Error categories",
            "required": False,
            "options": [
                {
                    "value": "factual_error",
                    "label": "Factual error",
                    "shortcut": "f"
                },
                {
                    "value": "ungrounded_claim",
                    "label": "Ungrounded claim",
                    "shortcut": "g"
                },
                {
                    "value": "policy_violation",
                    "label": "Policy violation",
                    "shortcut": "p"
                },
                {
                    "value": "tone",
                    "label": "Tone",
                    "shortcut": "t"
                },
                {
                    "value": "sensitive_data",
                    "label": "Sensitive-data exposure",
                    "shortcut": "d"
                },
                {
                    "value": "format",
                    "label": "Format non-compliance",
                    "shortcut": "m"
                },
                {
                    "value": "unwarranted_refusal",
                    "label": "Unwarranted refusal",
                    "shortcut": "r"
                },
                {
                    "value": "over_permissive",
                    "label": "Over-permissive answer",
                    "shortcut": "o"
                }
            ]
        },
        {
            "key": "harm",
            "type": "single",
            "label": "Harm",
            "required": True,
            "options": [
                {
                    "value": "none",
                    "label": "None",
                    "shortcut": "7"
                },
                {
                    "value": "near_miss",
                    "label": "Near-miss",
                    "shortcut": "8"
                },
                {
                    "value": "incident",
                    "label": "Incident",
                    "shortcut": "9"
                }
            ]
        },
        {
            "key": "escalate",
            "type": "boolean",
            "label": "Needs escalation",
            "required": False,
            "shortcut": "e"
        },
        {
            "key": "corrected_output",
            "type": "corrected_output",
            "label": "Corrected output",
            "required": False
        },
        {
            "key": "notes",
            "type": "text",
            "label": "Notes",
            "required": False
        }
    ]
}


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
