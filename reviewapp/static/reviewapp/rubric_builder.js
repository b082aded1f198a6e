// The rubric builder: the rubric's questions and options as rows a lead edits, adds, removes and
// moves (buttons, so the keyboard does it all). The rows edit an in-page copy of the definition and
// write it back, as JSON, into the form's `definition` field, so the server checks one thing
// (Rubric.parse) whether the builder or a person wrote it; every change asks the server for a new
// preview ("rubric-changed", templates/review/rubric.html). The JSON field stays under "Advanced:
// edit as JSON" for import and export; what is written there redraws the rows. Without this script
// the page is the JSON field alone. Text goes into the page as text (textContent, values), never as HTML.
(function () {
  const field = document.getElementById("id_definition");
  const root = document.getElementById("rubric-builder");
  const advanced = document.getElementById("rubric-json");
  const jsonError = document.getElementById("rubric-json-error");
  if (!field || !root) return;
  const TYPES = [["single", "Single choice"], ["multi", "Multiple choice"], ["boolean", "Yes/no"],
    ["corrected_output", "Corrected output"], ["text", "Free text"], ["rating", "Rating"]];
  const CHOICE = ["single", "multi"];
  const MEANS = [["", "Nothing in particular"], ["accepted", "Accepted: the output is right as it is"],
    ["failure", "Failure: the verdict whose rate early stopping tests"]];
  let model = readable(field.value);
  if (!model) return;  // not JSON a builder can show: the JSON field alone, as without the script
  root.hidden = false;
  if (advanced) advanced.open = false;

  function readable(text) {
    try {
      const data = JSON.parse(text);
      return data && typeof data === "object" && Array.isArray(data.questions) &&
        data.questions.every((q) => q && typeof q === "object" && !Array.isArray(q)) ? data : null;
    } catch (e) {
      return null;
    }
  }

  // The definition as the server takes it: the fields of another type left out, empty fields omitted
  // (the builder keeps them, so switching a question's type back brings its options back).
  function definition() {
    const questions = model.questions.map((q) => {
      const out = {...q};
      if (!CHOICE.includes(q.type)) delete out.options;
      else out.options = (q.options || []).map((o) => {
        const option = {...o};
        if (q.key !== "verdict") delete option.means;
        return option;
      });
      if (q.type !== "rating") { delete out.min; delete out.max; }
      if (q.type !== "boolean") delete out.shortcut;
      return out;
    });
    return {...model, questions};
  }

  function changed(message) {
    field.value = JSON.stringify(definition(), null, 2);
    if (jsonError) jsonError.textContent = "";
    if (message) status.textContent = message;
    rename();
    document.body.dispatchEvent(new CustomEvent("rubric-changed", {bubbles: true}));
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === false || value === undefined || value === null) continue;
      if (name === "text") node.textContent = value;
      else if (name === "on") for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  // A text field bound to one key of an object: empty text removes the key.
  function text(caption, target, key, attrs, after) {
    const input = el(attrs && attrs.rows ? "textarea" : "input",
      {...attrs, "data-field": key, on: {input: (event) => {
        const value = event.target.value;
        if (value === "" && key !== "key" && key !== "value" && key !== "label") delete target[key];
        else target[key] = value;
        if (after) after(value);
        changed();
      }}});
    input.value = target[key] === undefined || target[key] === null ? "" : String(target[key]);
    return el("label", {}, caption, " ", input);
  }

  function examples(target) {
    const area = el("textarea", {rows: 2, "data-field": "examples", on: {input: (event) => {
      const lines = event.target.value.split("\n").map((line) => line.trim()).filter(Boolean);
      if (lines.length) target.examples = lines; else delete target.examples;
      changed();
    }}});
    area.value = (target.examples || []).join("\n");
    return el("label", {}, "Examples (markdown, one per line) ", area);
  }

  function whole(caption, target, key) {  // a rating's bounds: whole numbers, else as typed (the server says why not)
    const input = el("input", {type: "number", step: 1, "data-field": key, on: {input: (event) => {
      const value = event.target.value.trim();
      if (value === "") delete target[key];
      else target[key] = /^-?\d+$/.test(value) ? Number(value) : value;
      changed();
    }}});
    input.value = target[key] === undefined ? "" : String(target[key]);
    return el("label", {}, caption, " ", input);
  }

  function select(caption, choices, current, onChange, attrs) {
    const node = el("select", {...attrs, on: {change: (event) => onChange(event.target.value)}},
      ...choices.map(([value, label]) => el("option", {value, text: label})));
    node.value = current || "";
    return el("label", {}, caption, " ", node);
  }

  function button(caption, action, attrs) {
    return el("button", {type: "button", class: "small", "data-act": action, ...attrs, text: caption});
  }

  const title = (q, i) => `question ${i + 1}${q.label ? ` (${q.label})` : ""}`;
  const optionTitle = (o, n) => `option ${n + 1}${o.label || o.value ? ` (${o.label || o.value})` : ""}`;
  const NAMES = {"q-up": "Move question up: ", "q-down": "Move question down: ", "q-remove": "Remove ", "o-add": "Add option to ",
    "o-up": "Move up: ", "o-down": "Move down: ", "o-remove": "Remove option: "};

  // Each button names the row it acts on, in the words typed so far (kept current as they change).
  function rename() {
    for (const node of root.querySelectorAll("button[data-act]")) {
      const row = node.closest("[data-q]");
      const option = node.closest("[data-o]");
      if (!row || !NAMES[node.dataset.act]) continue;
      const qi = Number(row.dataset.q);
      const q = model.questions[qi];
      const what = option ? `${optionTitle(q.options[Number(option.dataset.o)], Number(option.dataset.o))} of ${title(q, qi)}`
        : title(q, qi);
      node.setAttribute("aria-label", NAMES[node.dataset.act] + what);
    }
  }

  function move(list, from, to) {
    if (to < 0 || to >= list.length) return false;
    const [item] = list.splice(from, 1);
    list.splice(to, 0, item);
    return true;
  }

  // Structural changes redraw the rows, then put focus back where the person was working.
  function act(path, action) {
    const [qi, oi] = path;
    const q = model.questions[qi];
    let focus = null;
    let message = "";
    if (action === "q-up" || action === "q-down") {
      const to = qi + (action === "q-up" ? -1 : 1);
      if (!move(model.questions, qi, to)) return;
      focus = [to, null, action];
      message = `Moved ${q.label || "the question"} to position ${to + 1}.`;
    } else if (action === "q-remove") {
      model.questions.splice(qi, 1);
      focus = model.questions.length ? [Math.min(qi, model.questions.length - 1), null, "q-remove"] : [null, null, "q-add"];
      message = `Removed ${q.label || "the question"}.`;
    } else if (action === "q-add") {
      model.questions.push({key: "", type: "single", label: "", required: false, options: [{value: "", label: ""}]});
      focus = [model.questions.length - 1, null, "type"];
      message = `Added question ${model.questions.length}.`;
    } else if (action === "o-add") {
      q.options = q.options || [];
      q.options.push({value: "", label: ""});
      focus = [qi, q.options.length - 1, "value"];
      message = `Added option ${q.options.length} to ${q.label || "the question"}.`;
    } else if (action === "o-up" || action === "o-down") {
      const to = oi + (action === "o-up" ? -1 : 1);
      if (!move(q.options, oi, to)) return;
      focus = [qi, to, action];
      message = `Moved ${q.options[to].label || q.options[to].value || "the option"} to position ${to + 1}.`;
    } else if (action === "o-remove") {
      const [gone] = q.options.splice(oi, 1);
      focus = q.options.length ? [qi, Math.min(oi, q.options.length - 1), "o-remove"] : [qi, null, "o-add"];
      message = `Removed ${gone.label || gone.value || "the option"} from ${q.label || "the question"}.`;
    }
    render();
    changed(message);
    if (focus) refocus(...focus);
  }

  function refocus(qi, oi, what) {
    let scope = root;
    if (qi !== null) scope = root.querySelector(`[data-q="${qi}"]`) || root;
    if (oi !== null) scope = scope.querySelector(`[data-o="${oi}"]`) || scope;
    const target = scope.querySelector(`[data-act="${what}"]:not([disabled])`) ||
      scope.querySelector(`[data-field="${what}"]`) || scope.querySelector("button:not([disabled]), input, select");
    if (target) target.focus();
  }

  function optionRow(q, qi, o, oi) {
    const count = q.options.length;
    const means = select("Means", MEANS, o.means, (value) => {
      if (value) o.means = value; else delete o.means;
      changed();
    }, {"data-field": "means"});
    means.classList.add("rb-means");
    means.hidden = q.key !== "verdict";
    return el("div", {class: "rb-option", role: "group", "data-o": oi, "aria-label": `Option ${oi + 1}`},
      el("div", {class: "rb-fields"},
        text("Value (stored key)", o, "value", {class: "rb-short", spellcheck: "false"}),
        text("Label", o, "label", {}),
        text("Shortcut", o, "shortcut", {maxlength: 1, size: 2, class: "rb-key"}),
        means),
      el("div", {class: "rb-fields"},
        text("Help (markdown)", o, "help", {rows: 1}),
        examples(o)),
      el("div", {class: "rb-actions"},
        button("Move up", "o-up", {disabled: oi === 0}),
        button("Move down", "o-down", {disabled: oi === count - 1}),
        button("Remove option", "o-remove")));
  }

  function questionRow(q, qi) {
    const count = model.questions.length;
    const legend = el("legend", {text: `Question ${qi + 1}${q.label ? ` · ${q.label}` : ""}`});
    const relabel = () => { legend.textContent = `Question ${qi + 1}${q.label ? ` · ${q.label}` : ""}`; };
    const typeField = select("Type", TYPES, q.type, (value) => {
      q.type = value;
      if (CHOICE.includes(value) && !(q.options && q.options.length)) q.options = [{value: "", label: ""}];
      render();
      changed(`${q.label || "The question"} is now ${TYPES.find(([v]) => v === value)[1].toLowerCase()}.`);
      refocus(qi, null, "type");
    }, {"data-field": "type"});
    const required = el("input", {type: "checkbox", "data-field": "required", checked: Boolean(q.required),
      on: {change: (event) => { q.required = event.target.checked; changed(); }}});
    const fieldset = el("fieldset", {class: "rb-question", "data-q": qi}, legend,
      el("div", {class: "rb-fields"},
        typeField,
        text("Key", q, "key", {class: "rb-short", spellcheck: "false"}, () => {
          for (const node of fieldset.querySelectorAll(".rb-means")) node.hidden = q.key !== "verdict";
        }),
        text("Label", q, "label", {}, relabel),
        el("label", {class: "rb-check"}, required, " Required"),
        q.type === "boolean" ? text("Shortcut", q, "shortcut", {maxlength: 1, size: 2, class: "rb-key"}) : null,
        q.type === "rating" ? whole("Lowest", q, "min") : null,
        q.type === "rating" ? whole("Highest", q, "max") : null),
      el("div", {class: "rb-fields"},
        text("Help (markdown)", q, "help", {rows: 2}),
        examples(q)));
    if (CHOICE.includes(q.type)) {
      const options = el("div", {class: "rb-options", role: "group", "aria-label": "Options"},
        el("p", {class: "small muted", text: "Options"}),
        ...(q.options || []).map((o, oi) => optionRow(q, qi, o, oi)),
        button("Add option", "o-add"));
      fieldset.append(options);
    }
    fieldset.append(el("div", {class: "rb-actions"},
      button("Move question up", "q-up", {disabled: qi === 0}),
      button("Move question down", "q-down", {disabled: qi === count - 1}),
      button("Remove question", "q-remove")));
    return fieldset;
  }

  const status = el("p", {class: "visually-hidden", role: "status", "aria-live": "polite"});

  function render() {
    root.replaceChildren(
      el("p", {class: "small muted", text: "Every rubric needs a single-choice question with key verdict: its options " +
        "are the verdicts that filters, exports and metrics use. Shortcuts are single keys, unique, not s, j, k, ?, u or h (the item page's own keys)."}),
      ...model.questions.map(questionRow),
      el("div", {class: "rb-actions"}, button("Add question", "q-add")),
      status);
    rename();
  }

  root.addEventListener("click", (event) => {
    const target = event.target.closest("button[data-act]");
    if (!target || !root.contains(target)) return;
    const row = target.closest("[data-q]");
    const option = target.closest("[data-o]");
    act([row ? Number(row.dataset.q) : null, option ? Number(option.dataset.o) : null], target.dataset.act);
  });

  // The JSON written by hand (or pasted, to import) redraws the rows once it parses.
  field.addEventListener("input", () => {
    const data = readable(field.value);
    if (data) {
      model = data;
      render();
      if (jsonError) jsonError.textContent = "";
    } else if (jsonError) {
      jsonError.textContent = "This JSON does not read as a rubric yet; the questions above show the last that did.";
    }
    document.body.dispatchEvent(new CustomEvent("rubric-changed", {bubbles: true}));
  });

  render();
})();
