"""The rubric builder (issue 15, item 4): the page, the server-rendered preview of the reviewer's form,
and saving a version that drops what labels already given use (explained, confirmed, never rewritten)."""
from __future__ import annotations

import copy
import json

import pytest
from django.urls import reverse

from reviewapp.review.models import Label, LabelSchema
from reviewapp.review.rubric import DEFAULT_RUBRIC
from tests.helpers import CORRECTED, drawn_run, label_all

pytestmark = pytest.mark.django_db


def built(definition: dict) -> str:
    """The definition as rubric_builder.js writes it into the form: JSON, indented, empty fields left out."""
    return json.dumps(definition, indent=2)


def without_tone() -> dict:
    definition = copy.deepcopy(DEFAULT_RUBRIC)
    errors = next(q for q in definition["questions"] if q["key"] == "errors")
    errors["options"] = [o for o in errors["options"] if o["value"] != "tone"]
    return definition


@pytest.fixture
def labelled(project_a, alice, bob):
    """Labels under version 1 that all chose 'Tone' among their error categories."""
    drawn_run(project_a, outputs=8)
    assert label_all(project_a, [alice, bob], lambda item, reviewer: CORRECTED) > 0
    return list(Label.objects.filter(item__project=project_a).order_by("pk"))


def test_the_page_shows_the_current_rubric_to_build_on_and_its_preview(client, project_a, lead):
    client.force_login(lead)
    page = client.get(reverse("reviewapp:rubric", args=["support"])).content.decode()
    assert 'id="rubric-builder"' in page and "reviewapp/rubric_builder.js" in page
    assert "Advanced: edit as JSON" in page
    # the definition the builder reads its rows from: every question and option of the current version
    textarea = page.split('name="definition"', 1)[1].split("</textarea>", 1)[0]
    assert json.loads(textarea.split(">", 1)[1].replace("&quot;", '"').replace("&#x27;", "'")) == DEFAULT_RUBRIC
    # and the reviewer's form, previewed from the item page's template
    preview = page.split('id="rubric-preview"', 1)[1]
    assert 'fieldset class="question' in preview and 'name="errors" value="tone"' in preview
    assert "Error categories" in preview and "Sensitive-data exposure" in preview


def test_a_definition_built_like_the_builder_builds_it_saves_a_new_version(client, project_a, lead):
    client.force_login(lead)
    definition = copy.deepcopy(DEFAULT_RUBRIC)
    errors = next(q for q in definition["questions"] if q["key"] == "errors")
    errors["options"].append({"value": "outdated", "label": "Outdated", "shortcut": "x",
                              "help": "Cites a policy that **no longer** applies.", "examples": ["Quotes last year's fee."]})
    definition["questions"].insert(1, {"key": "clarity", "type": "rating", "label": "Clarity", "required": False,
                                       "min": 1, "max": 5})
    definition["questions"][2], definition["questions"][3] = definition["questions"][3], definition["questions"][2]
    response = client.post(reverse("reviewapp:rubric", args=["support"]),
                           {"definition": built(definition), "guidelines": " Be kind. "})
    assert response.status_code == 302
    schema = LabelSchema.current(project_a)
    assert schema.version == 2 and schema.definition == definition and schema.guidelines == "Be kind."
    assert [o for _, o in schema.rubric.options_of("errors")][-1] == "Outdated"
    assert LabelSchema.objects.get(project=project_a, version=1).definition == DEFAULT_RUBRIC


def test_the_preview_renders_the_real_form_or_says_what_is_wrong(client, project_a, lead):
    client.force_login(lead)
    url = reverse("reviewapp:rubric-preview", args=["support"])
    definition = {"questions": [
        {"key": "verdict", "type": "single", "label": "Verdict", "required": True, "options": [
            {"value": "pass", "label": "Pass", "shortcut": "1", "means": "accepted", "help": "Fine as *sent*."},
            {"value": "fail", "label": "Fail <b>now</b>", "shortcut": "2"}]},
        {"key": "why", "type": "text", "label": "Why"}]}
    good = client.post(url, {"definition": built(definition)}, HTTP_HX_REQUEST="true").content.decode()
    assert 'fieldset class="question"' in good and 'aria-describedby="q-verdict-o1-hint"' in good and 'name="verdict" value="pass"' in good
    assert "<kbd>1</kbd> Pass" in good and "<em>sent</em>" in good  # help rendered as markdown
    assert "Fail &lt;b&gt;now&lt;/b&gt;" in good and "<b>now" not in good  # a lead's text stays text
    assert '<textarea name="why"' in good and "cannot be saved" not in good
    assert LabelSchema.objects.filter(project=project_a).count() == 1  # a preview saves nothing

    bad = {"questions": [{"key": "verdict", "type": "single", "label": "Verdict", "options": []}]}
    said = client.post(url, {"definition": built(bad)}).content.decode()
    assert "This rubric cannot be saved yet: question 1 (verdict): needs a non-empty list of options" in said
    assert "<fieldset" not in said
    broken = client.post(url, {"definition": '{"questions": ['}).content.decode()
    assert "This rubric cannot be saved yet: not valid JSON" in broken
    no_verdict = client.post(url, {"definition": built({"questions": [{"key": "ok", "type": "boolean", "label": "OK"}]})})
    assert "needs a single-choice question with key &#x27;verdict&#x27;" in no_verdict.content.decode()


def test_dropping_an_option_labels_use_is_explained_and_needs_confirming(client, project_a, lead, labelled):
    client.force_login(lead)
    before = [(label.pk, label.schema_id, label.answers, label.verdict) for label in labelled]
    assert all("tone" in label.answers["errors"] for label in labelled)
    said = (f"Removing &#x27;Tone&#x27; from Error categories: {len(labelled)} labels given under earlier versions keep "
            "their answer; they are not rewritten. Exports and metrics read each label with the version it was given under.")

    preview = client.post(reverse("reviewapp:rubric-preview", args=["support"]), {"definition": built(without_tone())})
    assert said in preview.content.decode() and 'name="confirm_changes"' in preview.content.decode()

    url = reverse("reviewapp:rubric", args=["support"])
    refused = client.post(url, {"definition": built(without_tone())})
    assert refused.status_code == 200 and said in refused.content.decode()
    assert "The rubric was not saved: This version drops answers" in refused.content.decode()
    assert LabelSchema.current(project_a).version == 1

    saved = client.post(url, {"definition": built(without_tone()), "confirm_changes": "on"})
    assert saved.status_code == 302
    current = LabelSchema.current(project_a)
    assert current.version == 2 and "tone" not in [v for v, _ in current.rubric.options_of("errors")]
    after = [(label.pk, label.schema_id, label.answers, label.verdict)
             for label in Label.objects.filter(pk__in=[lbl.pk for lbl in labelled]).order_by("pk")]
    assert after == before  # old labels keep their version and their answers, 'tone' included


def test_removing_a_question_or_changing_its_type_is_explained_too(client, project_a, lead, labelled):
    client.force_login(lead)
    definition = copy.deepcopy(DEFAULT_RUBRIC)
    definition["questions"] = [q for q in definition["questions"] if q["key"] != "notes"]
    harm = next(q for q in definition["questions"] if q["key"] == "harm")
    harm["type"] = "multi"
    page = client.post(reverse("reviewapp:rubric", args=["support"]), {"definition": built(definition)}).content.decode()
    n = len(labelled)
    assert f"Changing Harm to multiple choice: {n} labels given under earlier versions keep their answer" in page
    assert f"Removing the question Notes: {n} labels given under earlier versions keep their answer" in page
    assert LabelSchema.current(project_a).version == 1


def test_dropping_what_no_label_used_needs_no_confirmation(client, project_a, lead):
    client.force_login(lead)
    response = client.post(reverse("reviewapp:rubric", args=["support"]), {"definition": built(without_tone())})
    assert response.status_code == 302 and LabelSchema.current(project_a).version == 2


def test_reviewers_may_neither_build_nor_preview(client, project_a, alice):
    client.force_login(alice)
    assert client.get(reverse("reviewapp:rubric", args=["support"])).status_code == 403
    assert client.post(reverse("reviewapp:rubric", args=["support"]), {"definition": built(without_tone())}).status_code == 403
    assert client.post(reverse("reviewapp:rubric-preview", args=["support"]),
                       {"definition": built(DEFAULT_RUBRIC)}).status_code == 403
    assert LabelSchema.objects.filter(project=project_a).count() == 1


def test_an_unsaved_rubric_gets_the_form_a_stored_version_gets(project_a):
    from django.template.loader import render_to_string

    from reviewapp.review.guidance import form_questions_of, guidance_for
    from reviewapp.review.rubric import Rubric

    stored = render_to_string("review/_rubric_form.html", {"questions": guidance_for(LabelSchema.current(project_a)).form_questions})
    unsaved = render_to_string("review/_rubric_form.html", {"questions": form_questions_of(Rubric.parse(DEFAULT_RUBRIC))})
    assert unsaved == stored and 'name="errors" value="tone"' in unsaved
