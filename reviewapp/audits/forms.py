from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError

from reviewapp.lib.weeks import IsoWeek
from reviewapp.projects.models import MIN_RETENTION_WEEKS, Project

from .models import DEFAULT_GRACE_HOURS, MAX_GRACE_HOURS, SamplingPlan
from .strata import CATCH_ALL, FIELDS, StrataError, parse_rules

# Which goal needs which field: the page shows only the chosen goal's (plan_form.js hides the
# rest; without scripts every field shows with its goal named) and only those are required.
# A field the goal does not use keeps the plan's current value when left empty.
GOAL_FIELDS = {
    "margin": ("margin", "expected_rate"),
    "budget": ("max_rate", "good_rate", "power"),
    "change": ("baseline_rate", "alert_rate", "power"),
}
OPTIONAL = {"good_rate"}  # empty means a quarter of the budget
GOAL_NAMES = {"margin": "margin goal", "budget": "budget goal", "change": "change goal"}

# The labels the lead reads on screen; every message below names fields by these.
LABELS = {
    "goal": "Goal", "confidence": "Confidence", "margin": "Margin (±)", "expected_rate": "Expected error rate",
    "max_rate": "Error budget", "good_rate": "Good week's error rate", "power": "Chance the audit must give",
    "baseline_rate": "Usual error rate", "alert_rate": "Alert rate", "allocation_method": "Allocation",
    "overlap_share": "Share reviewed blind by several reviewers", "overlap_reviewers": "Reviewers per blind item",
    "capacity": "Reviews the team can do per week", "time_zone": "Time zone",
    "grace_hours": "Grace period for late arrivals (hours)", "strata": "Strata", "weekly_volume": "Weekly volume",
}

# Row inputs of the strata editor: one value per row each, posted in row order.
ROW_MATCH = {"category": "category", "risk_tier": "risk tier", "kind": "kind", "model": "model",
             "model_version": "model version"}
ROW_PREFIX = "row-"


def _the(name: str) -> str:
    """'The error budget', 'The alert rate': a label at the start of a sentence."""
    label = LABELS[name]
    return f"The {label[0].lower()}{label[1:]}" if label[1:2].islower() else f"The {label}"


def percent_text(value) -> str:
    """0.005 -> '0.5': a stored fraction as the percent the lead types."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    text = f"{Decimal(repr(float(value))) * 100:f}"
    return (text.rstrip("0").rstrip(".") or "0") if "." in text else text


class PercentField(forms.DecimalField):
    """A rate typed in percent (0.5 means 0.5%), cleaned to the fraction the plan stores."""

    def __init__(self, name: str, *, low: str, high: str, required: bool = False, **kwargs) -> None:
        self.low, self.high = Decimal(low), Decimal(high)
        the = _the(name)
        super().__init__(
            label=LABELS[name], required=required,
            widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", "class": "percent"}),
            error_messages={"invalid": f"{the} must be a number, in percent (0.5 means 0.5%).",
                            "required": f"Give {the[0].lower()}{the[1:]}, in percent."}, **kwargs,
        )
        self.range_message = f"{the} must be from {low}% to {high}%."

    def prepare_value(self, value):
        return percent_text(value)

    def clean(self, value):
        number = super().clean(value)
        if number is None:
            return None
        if not self.low <= number <= self.high:
            raise ValidationError(self.range_message, code="range")
        return float(number / 100)


def _int_field(name: str, low: int, high: int | None, subject: str, rule: str, **kwargs) -> forms.IntegerField:
    """A whole number whose every error is one sentence: "<subject> must be <rule>"."""
    message = f"{subject} must be {rule}."
    return forms.IntegerField(
        label=LABELS[name], min_value=low, max_value=high,
        error_messages={"invalid": message, "min_value": message, "max_value": message,
                        "required": f"Give {subject[0].lower()}{subject[1:]}."}, **kwargs)


class StrataField(forms.CharField):
    """Stratum rules as JSON text: the advanced import and export of the strata editor's rows."""

    widget = forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "class": "code"})

    def prepare_value(self, value):
        return value if isinstance(value, str) else json.dumps(value, indent=2)


def parse_json(text: str) -> list[dict]:
    try:
        data = json.loads(text or "[]")
    except json.JSONDecodeError as exc:
        raise ValidationError(f"Strata (JSON) is not valid JSON: {exc.msg} at line {exc.lineno}, "
                              f"column {exc.colno}.") from None
    return rules_json(data)


def rules_json(data) -> list[dict]:
    """The one validation of strata, for rows and JSON alike: strata.parse_rules, its verdict in words."""
    try:
        return [rule.as_json() for rule in parse_rules(data)]
    except StrataError as exc:
        raise ValidationError(strata_words(str(exc))) from None


_WHERE = re.compile(r"^(stratum \d+(?: \([^)]*\))?): (.*)$")
_FIELD_WORDS = {**ROW_MATCH}


def _field_words(field: str) -> str:
    return f"metadata key {field.split('.', 1)[1]}" if field.startswith("metadata.") else _FIELD_WORDS.get(field, field)


def strata_words(message: str) -> str:
    """strata.parse_rules's messages as sentences with the editor's words (it names JSON keys)."""
    if message == "strata must be a JSON list of objects":
        return 'Strata: the JSON must be a list of strata, each like {"name": "medical", "match": {"category": ["medical"]}}.'
    where_rest = _WHERE.match(message)
    if not where_rest:
        return f"Strata: {message}."
    where, rest = where_rest.groups()
    words = rest
    if rest == "must be an object with name and match":
        words = "must be an object with a name and a match."
    elif rest.startswith("unknown key(s) "):
        words = f"has keys a stratum cannot have ({rest[len('unknown key(s) '):]}); it takes name, match, weight and minimum."
    elif rest.startswith("name must be"):
        words = "the name may hold only letters, digits, spaces and . : + - _ (1 to 64 of them)."
    elif rest.startswith("name is reserved"):
        words = f"the name “{CATCH_ALL}” is kept for the catch-all row; choose another."
    elif rest.startswith("name is used twice"):
        words = "the name is used twice; each stratum needs its own."
    elif rest.startswith("match must be"):
        words = "say what it catches: a category, risk tier, kind, model, model version or metadata key and value."
    elif rest.startswith("cannot match on "):
        bad = rest[len("cannot match on "):].split(";", 1)[0]
        words = (f"cannot match on {bad}; match on category, risk tier, kind, model, model version, or a metadata "
                 "key of letters, digits and _.")
    elif rest.endswith(" must be a non-empty list of strings"):
        words = f"the {_field_words(rest[:-len(' must be a non-empty list of strings')])} needs at least one value."
    elif rest.startswith("weight must be"):
        words = "the risk weight must be a number above 0 and at most 1,000."
    elif rest.startswith("minimum must be"):
        words = "the minimum must be a whole number from 0 to 100,000."
    words = words if words.endswith(".") else f"{words}."
    return f"Strata: {where}: {words}"


def rows_from_rules(strata) -> list[dict] | None:
    """The editor's rows for these rules, or None when a rule needs more than rows say (two
    metadata keys, a value holding a comma, a shape the rows cannot hold): such plans are edited as JSON."""
    if not isinstance(strata, list):
        return None
    rows = []
    for rule in strata:
        match = rule.get("match") if isinstance(rule, dict) else None
        if not isinstance(match, dict):
            return None
        lists = {k: [v] if isinstance(v, str) else v for k, v in match.items()}
        if not all(isinstance(v, list) and all(isinstance(x, str) and "," not in x for x in v) for v in lists.values()):
            return None
        meta = [k for k in lists if k.startswith("metadata.")]
        if len(meta) > 1 or set(lists) - set(FIELDS) - set(meta):
            return None
        row = {"name": rule.get("name", ""), "weight": rule.get("weight", 1.0), "minimum": rule.get("minimum", 0),
               "meta_key": meta[0].split(".", 1)[1] if meta else "",
               "meta_values": ", ".join(lists[meta[0]]) if meta else ""}
        row |= {f: ", ".join(lists.get(f, [])) for f in FIELDS}
        rows.append(row)
    return rows


def _split(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


def rules_from_rows(data) -> list[dict]:
    """The posted rows as strata JSON, unvalidated (rules_json judges them): blank rows are skipped,
    a weight or minimum that is not a number passes through as text for the check to name."""
    names = data.getlist(f"{ROW_PREFIX}name")
    columns = {key: data.getlist(f"{ROW_PREFIX}{key}") for key in (*FIELDS, "meta_key", "meta_values", "weight", "minimum")}
    rules = []
    for i, name in enumerate(names):
        cell = {key: (values[i] if i < len(values) else "").strip() for key, values in columns.items()}
        if not name.strip() and not any(cell.values()):
            continue
        match: dict[str, list[str]] = {f: _split(cell[f]) for f in FIELDS if _split(cell[f])}
        if cell["meta_key"]:
            match[f"metadata.{cell['meta_key']}"] = _split(cell["meta_values"])
        rule: dict = {"name": name.strip(), "match": match}
        rule["weight"] = _number(cell["weight"], float, 1.0)
        rule["minimum"] = _number(cell["minimum"], int, 0)
        rules.append(rule)
    return rules


def _number(text: str, kind, default):
    if not text:
        return default
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    if kind is int:
        return int(value) if value == value.to_integral_value() else text
    return float(value)


class SamplingPlanForm(forms.ModelForm):
    """The plan in the lead's language: rates in percent, only the chosen goal's fields required,
    strata as rows (or JSON, the advanced import), every error a sentence naming its field.

    weekly_volume is not part of the plan: it sizes the preview for a volume the lead picks."""

    goal = forms.ChoiceField(label=LABELS["goal"], choices=SamplingPlan.Goal.choices,
                             error_messages={"required": "Choose a goal.",
                                             "invalid_choice": "Choose one of the goals listed."})
    confidence = PercentField("confidence", low="50", high="99.9", required=True,
                              help_text="How sure each verdict must be: 95 means wrong at most 1 time in 20.")
    margin = PercentField("margin", low="0.01", high="99.99", help_text="The error rate known within ± this much.")
    expected_rate = PercentField("expected_rate", low="0.01", high="99.99",
                                 help_text="The error rate you expect (50 is the safest guess).")
    max_rate = PercentField("max_rate", low="0.01", high="99.99", help_text="The error rate a week must be shown under.")
    good_rate = PercentField("good_rate", low="0", high="99.99",
                             help_text="A week at this rate or less must be shown under budget with the stated "
                                       "chance (empty: a quarter of the budget).")
    power = PercentField("power", low="50", high="99.9",
                         help_text="Of showing a good week under budget, or of catching the rise.")
    baseline_rate = PercentField("baseline_rate", low="0.01", high="99.99", help_text="The error rate of a normal week.")
    alert_rate = PercentField("alert_rate", low="0.01", high="99.99", help_text="The rate you must not miss.")
    allocation_method = forms.ChoiceField(
        label=LABELS["allocation_method"], choices=SamplingPlan.Method.choices,
        help_text=SamplingPlan._meta.get_field("allocation_method").help_text,
        error_messages={"required": "Choose an allocation.", "invalid_choice": "Choose one of the allocations listed."})
    overlap_share = PercentField("overlap_share", low="0", high="100", required=True,
                                 help_text="Items reviewed blind by several reviewers, to measure agreement.")
    overlap_reviewers = _int_field("overlap_reviewers", 2, 10, "The reviewers per blind item",
                                   "a whole number from 2 to 10")
    capacity = _int_field("capacity", 0, None, "The reviews the team can do per week",
                          "a whole number, 0 or more (leave it empty for no cap)", required=False, help_text="Empty: no cap.")
    time_zone = forms.CharField(label=LABELS["time_zone"], max_length=64,
                                help_text="ISO weeks start on Monday 00:00 here.",
                                error_messages={"required": "Give the time zone, like UTC or Europe/Paris.",
                                                "max_length": "The time zone is too long: give a name like Europe/Paris."})
    strata = StrataField(label="Strata (JSON)", required=False,
                         help_text="First match wins; outputs no rule matches form the stratum 'other'.")
    grace_hours = _int_field(
        "grace_hours", 0, MAX_GRACE_HOURS, "The grace period for late arrivals",
        f"a whole number of hours from 0 to {MAX_GRACE_HOURS}", required=False,
        help_text=f"A week is drawn this long after it ends, so late outputs are still audited (empty: {DEFAULT_GRACE_HOURS})",
    )
    weekly_volume = _int_field("weekly_volume", 0, 100_000_000, "The weekly volume",
                               "a whole number of outputs from 0 to 100,000,000", required=False)

    class Meta:
        model = SamplingPlan
        fields = [
            "goal", "confidence", "margin", "expected_rate", "max_rate", "good_rate", "baseline_rate",
            "alert_rate", "power", "strata", "allocation_method", "overlap_share", "overlap_reviewers", "capacity",
            "time_zone", "grace_hours",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Django's own words for this one are kept after ours: pages and tests quote them.
        self.fields["grace_hours"].error_messages["max_value"] = (
            "The grace period for late arrivals is too long (at most a week). "
            f"Ensure this value is less than or equal to {MAX_GRACE_HOURS}.")
        self.strata_initial = (self.data.get("strata_initial", self.data.get("strata", "")) if self.is_bound
                               else json.dumps(self.instance.strata, indent=2))
        self.rows = rows_from_rules(self._shown_rules())

    def _shown_rules(self):
        """The rules the editor's rows show: the plan's, or what was posted (rows, or an import)."""
        if not self.is_bound:
            return self.instance.strata
        if self.uses_rows():
            return rules_from_rows(self.data)
        try:
            return json.loads(self.data.get("strata") or "[]")
        except json.JSONDecodeError:
            return rules_from_rows(self.data) if f"{ROW_PREFIX}name" in self.data else None

    def uses_rows(self) -> bool:
        """Rows were posted and the JSON box left as it was shown: the rows say what the strata are.
        A changed JSON box is an import and wins."""
        if not self.is_bound or f"{ROW_PREFIX}name" not in self.data:
            return False

        def text(name: str) -> str:
            return self.data.get(name, "").replace("\r\n", "\n").strip()

        return text("strata") == text("strata_initial")

    def clean_strata(self) -> list[dict]:
        if self.uses_rows():
            return rules_json(rules_from_rows(self.data))
        return parse_json(self.cleaned_data["strata"])

    def clean_grace_hours(self) -> int:
        value = self.cleaned_data.get("grace_hours")
        return DEFAULT_GRACE_HOURS if value is None else value

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        goal = data.get("goal")
        needed = GOAL_FIELDS.get(goal or "", ())
        for names in GOAL_FIELDS.values():
            for name in names:
                if name in self.errors or data.get(name) is not None:
                    continue
                if name in needed and name not in OPTIONAL:
                    self.add_error(name, f"Give {_the(name)[0].lower()}{_the(name)[1:]}: the {GOAL_NAMES[goal or '']} needs it.")
                elif name not in needed:  # another goal's field left empty keeps the plan's value
                    data[name] = getattr(self.instance, name)
        return data

    def full_clean(self) -> None:
        """Validate as Django does, then put every message in the page's words (SamplingPlan.clean
        and Django's defaults name no label)."""
        super().full_clean()  # sets the errors, bound or not: reading self.errors below does not clean again
        found = self.errors
        for name, errors in found.items():
            found[name] = self.error_class([ValidationError(_words(name, str(e))) for e in errors])

    def messages(self) -> list[str]:
        """Every error as the sentence the page shows."""
        return [str(e) for errors in self.errors.values() for e in errors]

    def goal_fields(self) -> list[dict]:
        """The goal-specific fields, each with the goals that use it, as keys for plan_form.js and in words."""
        seen: list[str] = []
        for names in GOAL_FIELDS.values():
            seen += [n for n in names if n not in seen]
        fields = []
        for name in seen:
            goals = [g for g, names in GOAL_FIELDS.items() if name in names]
            fields.append({"field": self[name], "goals": " ".join(goals),
                           "named": " and ".join(GOAL_NAMES[g] for g in goals)})
        return fields

    def common_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in ("confidence", "allocation_method", "overlap_share", "overlap_reviewers", "capacity",
                                  "time_zone", "grace_hours")]


# SamplingPlan.clean's messages (field keys in the model's terms) in the page's words.
_MODEL_WORDS = {
    ("alert_rate", "must be above the baseline rate"): "The alert rate must be above the usual error rate.",
    ("good_rate", "must be below the error budget (a good week is under it)"):
        "The good week's error rate must be below the error budget: a good week is under it.",
}


def _words(name: str, message: str) -> str:
    """A message that names its field by the label on screen; a message that does not yet is given it."""
    if (name, message) in _MODEL_WORDS:
        return _MODEL_WORDS[name, message]
    if name == "time_zone" and message.startswith("unknown time zone"):
        return f"The time zone {message[len('unknown time zone '):]} is not one we know: give a name like UTC or Europe/Paris."
    label = LABELS.get(name)
    if name == "__all__" or label is None or label.split(" (")[0].lower() in message.lower():
        return message
    return f"{label}: {message}"


class IsoWeekField(forms.Field):
    """An ISO week such as 2026-W47, cleaned to an IsoWeek: a week that does not exist (2026-W99)
    is a form error here rather than a failed draw job. The draw form is shown only as a button,
    so its errors reach the lead as messages: each names the field."""

    default_error_messages = {"required": "Week: say which ISO week to draw, like 2026-W47."}

    def to_python(self, value) -> IsoWeek | None:
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        try:
            return IsoWeek.parse(text)
        except ValueError as exc:
            raise forms.ValidationError(f"Week: {exc}", code="invalid") from None


class DrawForm(forms.Form):
    week = IsoWeekField(label="Week")
    early = forms.BooleanField(
        required=False, label="Draw before the week's outputs are all in: outputs arriving later will not be audited",
    )


class RetentionForm(forms.ModelForm):
    """How many weeks of outputs a project keeps, in the lead's words. The bounds are the model's
    validators (MIN_RETENTION_WEEKS .. 520), checked here first so the message says why the minimum;
    Django's own words follow, as the plan form's do."""

    TOO_FEW = (f"Keep at least {MIN_RETENTION_WEEKS} weeks: a week is drawn up to a week after it ends, and its "
               f"outputs must still be there. Ensure this value is greater than or equal to {MIN_RETENTION_WEEKS}.")
    TOO_MANY = ("Keep at most 520 weeks (ten years), or leave it empty to keep everything. "
                "Ensure this value is less than or equal to 520.")

    class Meta:
        model = Project
        fields = ["retention_weeks"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["retention_weeks"]
        field.widget.attrs.update({"min": MIN_RETENTION_WEEKS, "max": 520, "placeholder": "keep everything"})
        field.error_messages |= {"invalid": "Give a whole number of weeks, or leave it empty to keep everything.",
                                 "min_value": self.TOO_FEW}  # the field's own floor (0) words it as ours

    def clean_retention_weeks(self) -> int | None:
        weeks = self.cleaned_data.get("retention_weeks")
        if weeks is not None and weeks < MIN_RETENTION_WEEKS:
            raise ValidationError(self.TOO_FEW, code="min_value")
        if weeks is not None and weeks > 520:
            raise ValidationError(self.TOO_MANY, code="max_value")
        return weeks
