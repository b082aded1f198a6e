"""A rubric's answers as JSON Schema (review/rubric_schema.py): what the schema accepts, Rubric.clean
accepts too and keeps as it is (the schema describes the canonical answers), and every question
type has its shape: enums for choices, booleans, bounded integers, text."""
from __future__ import annotations

import jsonschema
import pytest

from reviewapp.review.rubric import Rubric, RubricError
from reviewapp.review.rubric_schema import answers_schema

RUBRIC = Rubric.parse({"questions": [
    {"key": "verdict", "type": "single", "label": "Verdict", "required": True,
     "options": [{"value": "pass", "label": "Pass"}, {"value": "fail", "label": "Fail"}]},
    {"key": "tags", "type": "multi", "label": "Tags", "options": [{"value": "a"}, {"value": "b"}]},
    {"key": "tone", "type": "single", "label": "Tone", "options": [{"value": "ok"}, {"value": "rude"}]},
    {"key": "urgent", "type": "boolean", "label": "Urgent"},
    {"key": "quality", "type": "rating", "label": "Quality", "min": 1, "max": 5, "required": True},
    {"key": "why", "type": "text", "label": "Why", "required": True},
    {"key": "corrected_output", "type": "corrected_output", "label": "Correction"},
]})

VALID = [
    {"verdict": "pass", "quality": 3, "why": "fine"},
    {"verdict": "fail", "tags": ["a", "b"], "tone": None, "urgent": True, "quality": 1, "why": "x",
     "corrected_output": "Better."},
    {"verdict": "fail", "tags": [], "tone": "rude", "urgent": False, "quality": 5, "why": " y "},
]
INVALID = [
    ({"quality": 3, "why": "no verdict"}, "verdict"),
    ({"verdict": "maybe", "quality": 3, "why": "x"}, "verdict"),
    ({"verdict": "pass", "tags": ["c"], "quality": 3, "why": "x"}, "tags"),
    ({"verdict": "pass", "quality": 6, "why": "x"}, "quality"),
    ({"verdict": "pass", "quality": 3, "why": "   "}, "why"),
    ({"verdict": "pass", "quality": 3, "why": "x", "urgent": "yes"}, "urgent"),
    ({"verdict": "pass", "quality": 3, "why": "x", "verdikt": "pass"}, "verdikt"),
]


def test_the_schema_is_valid_json_schema_with_a_property_per_question():
    schema = answers_schema(RUBRIC)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert list(schema["properties"]) == [q.key for q in RUBRIC.questions]
    assert schema["required"] == ["verdict", "quality", "why"]
    assert schema["properties"]["verdict"]["enum"] == ["pass", "fail"]
    assert schema["properties"]["tone"]["enum"] == ["ok", "rude", None]
    assert schema["properties"]["tags"]["items"]["enum"] == ["a", "b"]
    assert schema["properties"]["quality"]["minimum"] == 1 and schema["properties"]["quality"]["maximum"] == 5
    assert schema["properties"]["verdict"]["x-option-labels"] == {"pass": "Pass", "fail": "Fail"}


@pytest.mark.parametrize("answers", VALID)
def test_what_the_schema_accepts_the_rubric_accepts(answers):
    jsonschema.validate(answers, answers_schema(RUBRIC))
    RUBRIC.clean(answers)


@pytest.mark.parametrize(("answers", "question"), INVALID)
def test_what_the_schema_refuses_names_the_question(answers, question):
    with pytest.raises(jsonschema.ValidationError) as refused:
        jsonschema.validate(answers, answers_schema(RUBRIC))
    assert question in str(refused.value)


@pytest.mark.parametrize(("answers", "question"), INVALID[:5])
def test_the_rubric_refuses_them_too(answers, question):
    with pytest.raises(RubricError):
        RUBRIC.clean(answers)


def test_the_shipped_rubric():
    schema = answers_schema(Rubric.default())
    jsonschema.validate({"verdict": "success", "harm": "none"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"verdict": "success"}, schema)  # harm is required
