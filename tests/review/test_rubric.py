"""The rubric's contract: what it refuses (naming the question), what it asks others to read, and
that a project's version 1 exists from its creation, so reading the rubric never writes."""
from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from reviewapp.projects.models import Project
from reviewapp.review.models import LabelSchema
from reviewapp.review.rubric import DEFAULT_RUBRIC, Rubric, RubricError

VERDICT = {"key": "verdict", "type": "single", "label": "Verdict", "required": True,
           "options": [{"value": "pass", "label": "Pass", "shortcut": "p", "help": "Usable as it is"},
                       {"value": "fail", "label": "Fail", "shortcut": "f"}]}


def rubric(*questions: dict) -> dict:
    return {"questions": [VERDICT, *questions]}


@pytest.mark.parametrize(("definition", "message"), [
    ([], 'a rubric is an object with a non-empty "questions" list'),
    ({"questions": [{"key": "ok", "type": "boolean", "label": "OK"}]},
     "a rubric needs a single-choice question with key 'verdict'"),
    ({"questions": [{**VERDICT, "type": "multi"}]}, r"question 1 \(verdict\): must be a single-choice question"),
    (rubric({"key": "2x", "type": "text", "label": "x"}), "question 2: needs a 'key' made of letters, digits and _"),
    (rubric({"key": "verdict", "type": "text", "label": "x"}), r"question 2 \(verdict\): key used twice"),
    (rubric({"key": "x", "type": "essay", "label": "x"}), r"question 2 \(x\): type must be one of"),
    (rubric({"key": "x", "type": "text", "label": " "}), r"question 2 \(x\): needs a label"),
    (rubric({"key": "x", "type": "multi", "label": "x", "options": []}), r"question 2 \(x\): needs a non-empty list"),
    (rubric({"key": "x", "type": "multi", "label": "x", "options": [{"value": "a"}, {"value": "a"}]}),
     r"question 2 \(x\): every option needs a distinct string value"),
    (rubric({"key": "x", "type": "rating", "label": "x", "min": 5, "max": 1}), r"question 2 \(x\): a rating needs"),
    (rubric({"key": "x", "type": "boolean", "label": "x", "shortcut": "p"}), r"question 2 \(x\): shortcut 'p' must be"),
    (rubric({"key": "x", "type": "boolean", "label": "x", "shortcut": "j"}), r"question 2 \(x\): shortcut 'j' must be"),
    (rubric({"key": "x", "type": "boolean", "label": "x", "shortcut": "xy"}), r"shortcut 'xy' must be one key"),
    (rubric({"key": "x", "type": "text", "label": "x", "help": 3}), r"question 2 \(x\): help must be text"),
    (rubric({"key": "x", "type": "single", "label": "x", "options": [{"value": "a", "means": "accepted"}]}),
     r"question 2 \(x\): 'means' is for the verdict's options only"),
    ({"questions": [{**VERDICT, "options": [{"value": "a", "means": "failure"}, {"value": "b", "means": "failure"}]}]},
     r"question 1 \(verdict\): only one option may mean 'failure'"),
])
def test_a_rubric_that_does_not_fit_is_refused_naming_the_question(definition, message):
    with pytest.raises(RubricError, match=message):
        Rubric.parse(definition)


def test_a_rubric_exposes_its_questions_verdicts_and_the_roles_of_an_answer():
    custom = Rubric.parse(rubric({"key": "fix", "type": "corrected_output", "label": "Better answer", "help": "Write it"},
                                 {"key": "issues", "type": "multi", "label": "Issues",
                                  "options": [{"value": "tone"}, {"value": "facts", "label": "Facts"}]},
                                 {"key": "stars", "type": "rating", "label": "Stars", "min": 1, "max": 5}))
    assert [q.key for q in custom.questions] == ["verdict", "fix", "issues", "stars"]
    assert custom.verdict_options == [("pass", "Pass"), ("fail", "Fail")]
    assert custom.question("fix").help == "Write it" and custom.verdict.options[0].help == "Usable as it is"
    assert custom.question("nope") is None and custom.options_of("issues") == [("tone", "tone"), ("facts", "Facts")]
    answers = custom.clean({"verdict": "fail", "fix": "  Better.  ", "issues": ["tone", "facts", "tone"], "stars": "2"})
    assert answers == {"verdict": "fail", "fix": "Better.", "issues": ["facts", "tone"], "stars": 2}
    assert custom.verdict_of(answers) == "fail" and custom.correction_of(answers) == "Better."
    assert custom.choices_of("issues", answers) == ["facts", "tone"] and custom.choices_of("errors", answers) == []
    # An answer given under an earlier version keeps its value, though this version no longer asks it.
    assert custom.value_of("harm", {"harm": "none"}) == "none" and custom.value_of("harm", answers) is None
    assert custom.disagreements([answers, {**answers, "fix": "Other.", "stars": 3}]) == ["stars"]
    with pytest.raises(RubricError, match="Stars: must be from 1 to 5"):
        custom.clean({"verdict": "pass", "stars": 9})
    with pytest.raises(RubricError, match="Verdict: is required"):
        custom.clean({})


@pytest.mark.django_db
def test_version_1_is_made_with_the_project_and_reading_it_writes_nothing(django_assert_num_queries):
    project = Project.objects.create(slug="new", name="New")
    with django_assert_num_queries(1):
        schema = LabelSchema.current(project)
    assert schema.version == 1 and schema.definition == DEFAULT_RUBRIC
    assert schema.rubric.verdict_values == ["success", "partial", "failure"]
    LabelSchema.objects.filter(project=project).delete()
    with pytest.raises(LabelSchema.DoesNotExist, match="has no rubric"):
        LabelSchema.current(project)


@pytest.mark.django_db
def test_the_migration_gives_projects_without_a_rubric_their_version_1(project_a, project_b):
    LabelSchema.objects.filter(project=project_a).delete()
    LabelSchema.objects.create(project=project_b, version=2, definition=rubric())
    migration = importlib.import_module("reviewapp.review.migrations.0003_rubric_for_every_project")
    migration.start_rubrics(apps, None)
    assert LabelSchema.current(project_a).version == 1
    assert list(project_b.label_schemas.values_list("version", flat=True)) == [2, 1]


@pytest.mark.django_db
def test_a_rubric_without_a_verdict_is_refused_on_the_rubric_page(client, project_a, lead):
    client.force_login(lead)
    page = client.post(reverse("reviewapp:rubric", args=["support"]),
                       {"definition": '{"questions": [{"key": "ok", "type": "boolean", "label": "OK?"}]}'})
    assert "a rubric needs a single-choice question with key &#x27;verdict&#x27;" in page.content.decode()
    assert LabelSchema.current(project_a).version == 1


@pytest.mark.django_db
def test_a_version_stored_before_verdicts_were_required_is_still_read(client, project_a, lead):
    """Labels keep the version they answered, so an old rubric without a verdict question must still
    read (with no verdicts) rather than break every page that shows its labels."""
    legacy = {"questions": [{"key": "ok", "type": "boolean", "label": "OK?"}]}
    with pytest.raises(RubricError, match="verdict"):
        Rubric.parse(legacy)
    LabelSchema.objects.create(project=project_a, version=2, definition=legacy)
    stored = LabelSchema.current(project_a)
    assert stored.rubric.verdict is None and stored.rubric.verdict_options == [] and stored.questions == legacy["questions"]
    client.force_login(lead)
    assert client.get(reverse("reviewapp:labels", args=["support"])).status_code == 200


def test_what_a_verdict_means_is_declared_or_the_shipped_value():
    """An export takes the output as expected only under the verdict that means 'accepted'; early
    stopping tests the rate of the one that means 'failure'. Undeclared: the shipped values, if present."""
    shipped = Rubric.default()
    assert shipped.verdict_meaning("accepted") == "success" and shipped.verdict_meaning("failure") == "failure"
    undeclared = Rubric.parse(rubric())
    assert undeclared.verdict_meaning("accepted") is None and not undeclared.accepts({"verdict": "pass"})
    declared = Rubric.parse({"questions": [{**VERDICT, "options": [{"value": "pass", "means": "accepted"},
                                                                   {"value": "fail", "means": "failure"}]}]})
    assert declared.accepts({"verdict": "pass"}) and not declared.accepts({"verdict": "fail"})
    assert declared.verdict_meaning("failure") == "fail"
    stored_default = Rubric.parse({"questions": [{**q, "options": [{k: v for k, v in o.items() if k != "means"}
                                                                  for o in q.get("options", [])]}
                                                 for q in DEFAULT_RUBRIC["questions"]]})
    assert stored_default.verdict_meaning("accepted") == "success"  # version 1 rows stored before `means`
