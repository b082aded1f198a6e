// Keyboard-only labelling with nothing lost. Each choice's shortcut key sets it without moving focus
// (so arrows, Space and PageDown keep scrolling the page), j/k step through the questions, "?" lists
// the keys, Ctrl+Enter submits after checking every required answer at once, "s" jumps to the skip
// reason, "u" undoes the submit just made, "h" opens the guidelines (a rubric stored with its own "u" or
// "h" shortcut keeps it: the rubric's keys win). Keys typed into text fields stay
// text. The answers are kept as a draft in localStorage until a submit succeeds; a label already
// submitted shows read-only (also when Back brings the page from the cache) until "Revise".
(function () {
  const form = document.getElementById("label-form");
  const undo = document.getElementById("undo-form");
  const store = form && form.dataset.draftKey ? safeStorage() : null;
  const saved = document.getElementById("saved-toast");
  if (saved && saved.dataset.draftKey && safeStorage()) safeStorage().removeItem(saved.dataset.draftKey);  // that submit went through
  const started = performance.now();
  const typing = (el) => el && (el.tagName === "TEXTAREA" || el.tagName === "SELECT" ||
    (el.tagName === "INPUT" && !["radio", "checkbox", "submit", "button"].includes(el.type)));
  const questions = form ? [...form.querySelectorAll("fieldset.question")] : [];
  const draftKey = form && form.dataset.draftKey;
  const submittedKey = draftKey && draftKey.replace(":draft:", ":submitted:");
  // The adjudication desk shares the shortcuts but has no drafts or read-only state.
  const answers = document.getElementById("answers") || {disabled: false};
  const dialog = document.getElementById("shortcuts");
  let current = -1;

  if (undo) {  // the undo offer lasts as long as the server honours it
    setTimeout(() => undo.remove(), Number(undo.dataset.seconds || 10) * 1000);
  }
  const help = document.getElementById("show-shortcuts");
  if (help && dialog) help.addEventListener("click", () => dialog.showModal());

  document.addEventListener("keydown", (event) => {
    if (dialog && dialog.open) return;  // the dialog handles Esc itself
    if (form && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (!answers.disabled) form.requestSubmit();
      return;
    }
    const active = document.activeElement;
    if (event.key === "Escape" && typing(active)) { active.blur(); return; }
    if (typing(active) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "?") { event.preventDefault(); if (dialog) dialog.showModal(); return; }
    const rubricKey = form && form.querySelector(`[data-shortcut="${CSS.escape(event.key)}"]`);
    if (event.key === "u" && undo && !rubricKey) { event.preventDefault(); undo.requestSubmit(); return; }
    if (event.key === "h" && !rubricKey) {
      const panel = document.getElementById("guidelines-panel");
      if (panel) { event.preventDefault(); panel.open = !panel.open; if (panel.open) panel.scrollIntoView({block: "start"}); }
      return;
    }
    if (!form || answers.disabled) return;
    if (event.key === "s") {
      const reason = document.getElementById("skip-reason");
      if (reason) { event.preventDefault(); reason.focus(); }
      return;
    }
    if (event.key === "j" || event.key === "k") {
      event.preventDefault();
      current = Math.max(0, Math.min(questions.length - 1, current + (event.key === "j" ? 1 : -1)));
      questions[current].focus();
      return;
    }
    if (event.key === "Enter" && active && active.matches("fieldset.question")) {
      const field = active.querySelector("textarea, input[type=number]");
      if (field) { event.preventDefault(); field.focus(); }
      return;
    }
    const input = form.querySelector(`input[data-shortcut="${CSS.escape(event.key)}"]`);
    if (!input) return;
    event.preventDefault();
    input.checked = input.type === "radio" ? true : !input.checked;
    // Focus stays where it was, never on the radio (where Down would change the answer).
    if (active && active.matches("input[type=radio], input[type=checkbox]")) active.blur();
    input.closest("fieldset").classList.remove("invalid");
    saveDraft();
  });

  if (!form) return;
  form.noValidate = true;  // our check names every missing answer at once; without script the browser's still applies
  form.addEventListener("submit", (event) => {
    const missing = questions.filter((q) => q.hasAttribute("data-required") && !answered(q));
    questions.forEach((q) => q.classList.toggle("invalid", missing.includes(q)));
    if (missing.length) {
      event.preventDefault();
      const box = document.getElementById("form-errors");
      const line = document.createElement("p");
      line.textContent = `Not sent yet; still required: ${missing.map((q) => q.dataset.label).join(", ")}.`;
      box.replaceChildren(line);
      box.hidden = false;
      box.focus();
      return;
    }
    if (form.elements["time_on_task_ms"]) form.elements["time_on_task_ms"].value = Math.round(performance.now() - started);
    if (store) store.setItem(submittedKey, "1");
  });
  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
  const revise = document.getElementById("revise");
  if (revise) revise.addEventListener("click", (event) => { event.preventDefault(); setReadonly(false); });
  const discard = document.getElementById("discard-draft");
  if (discard) discard.addEventListener("click", () => {
    if (store) store.removeItem(draftKey);
    document.getElementById("draft-note").hidden = true;
  });

  // A page the server drew just now says itself whether the label is in; one the browser kept from
  // before a submit (Back) may be stale, so the submit's mark decides.
  const nav = performance.getEntriesByType("navigation")[0];
  const fromHistory = nav && nav.type === "back_forward";
  if (store && !fromHistory) store.removeItem(submittedKey);
  if (form.hasAttribute("data-readonly")) {
    if (store) store.removeItem(draftKey);
  } else if (store && store.getItem(submittedKey)) {
    setReadonly(true);
  } else {
    restoreDraft();
  }
  // Back after a submit may bring this page from the browser's cache as it was: show it as submitted.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted && store && store.getItem(submittedKey)) setReadonly(true);
  });
  showCorrectionDiff(form);
  document.documentElement.dataset.labelling = "ready";  // for tests: the shortcuts are live

  function answered(q) {
    return [...q.querySelectorAll("input, textarea")].some((el) =>
      el.type === "radio" || el.type === "checkbox" ? el.checked : el.value.trim() !== "");
  }
  function setReadonly(on) {
    answers.disabled = on;
    const note = document.getElementById("submitted-note");
    if (note) note.hidden = !on;
    if (!on) {
      if (store) store.removeItem(submittedKey);
      const first = questions[0];
      if (first) first.focus();
    }
  }
  function values() {
    const data = {};
    for (const el of form.querySelectorAll("#answers [name]")) {
      if (el.type === "radio" || el.type === "checkbox") { if (el.checked) (data[el.name] ||= []).push(el.value); }
      else data[el.name] = el.value;
    }
    return data;
  }
  function saveDraft() {
    if (!store || answers.disabled) return;
    try { store.setItem(draftKey, JSON.stringify({at: Date.now(), values: values()})); } catch (e) { /* full: no draft */ }
  }
  function restoreDraft() {
    if (!store) return;
    let draft;
    try { draft = JSON.parse(store.getItem(draftKey) || "null"); } catch (e) { draft = null; }
    if (!draft || !draft.values) return;
    const given = draft.values;
    let changed = false;
    for (const el of form.querySelectorAll("#answers [name]")) {
      if (el.type === "radio" || el.type === "checkbox") {
        const on = (given[el.name] || []).includes(el.value);
        if (el.checked !== on) { el.checked = on; changed = true; }
      } else if (el.name in given && el.value !== given[el.name]) {
        el.value = given[el.name]; changed = true;
        el.dispatchEvent(new Event("input"));
      }
    }
    if (changed) document.getElementById("draft-note").hidden = false;
  }
})();

// The output's citations ("[2]") as links to the retrieved passage of that number, which opens its
// panel. Built from text nodes with textContent only: the output is untrusted.
(function linkCitations() {
  const output = document.getElementById("model-output");
  if (!output || !document.getElementById("passage-1")) return;
  const parts = output.textContent.split(/(\[\d{1,3}\])/);
  if (parts.length < 2) return;
  output.replaceChildren(...parts.map((part) => {
    const n = /^\[(\d+)\]$/.exec(part);
    const target = n && document.getElementById(`passage-${n[1]}`);
    if (!target) return document.createTextNode(part);
    const link = document.createElement("a");
    link.href = `#passage-${n[1]}`;
    link.textContent = part;
    link.setAttribute("aria-label", `passage ${n[1]}`);
    link.addEventListener("click", () => { target.closest("details").open = true; });
    return link;
  }));
})();

// localStorage, or null where the browser refuses it (private modes, disabled storage).
function safeStorage() {
  try { const s = window.localStorage; s.getItem("x"); return s; } catch (e) { return null; }
}

// The corrected output's word-level diff against the original, redrawn while the reviewer types
// (the server draws the same diff for a saved label). Text goes in through textContent only:
// model outputs are untrusted.
function showCorrectionDiff(form) {
  const field = form.querySelector("textarea[data-correction]");
  const box = document.getElementById("correction");
  const target = document.getElementById("correction-diff");
  const source = document.getElementById("original-output");
  if (!field || !box || !target || !source) return;
  const original = JSON.parse(source.textContent).split(/\s+/).filter(Boolean);
  let pending = false;
  field.addEventListener("input", () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(); });
  });
  function draw() {
    const corrected = field.value.split(/\s+/).filter(Boolean);
    box.hidden = corrected.length === 0;
    if (box.hidden) return;
    target.replaceChildren();
    for (const [op, words] of wordDiff(original, corrected)) {
      const node = op === "same" ? document.createElement("span") : document.createElement(op);
      node.textContent = words.join(" ");
      target.append(node, " ");
    }
  }
}

// Longest-common-subsequence diff of two word lists as [op, words] runs, op in same/del/ins.
// Quadratic, so very long texts fall back to "all deleted, all inserted".
function wordDiff(a, b) {
  if (a.length * b.length > 4e6) return [["del", a], ["ins", b]].filter(([, w]) => w.length);
  const m = a.length, n = b.length, width = n + 1;
  const lcs = new Int32Array((m + 1) * width);
  for (let i = m - 1; i >= 0; i--)
    for (let j = n - 1; j >= 0; j--)
      lcs[i * width + j] = a[i] === b[j] ? lcs[(i + 1) * width + j + 1] + 1
        : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
  const runs = [];
  const push = (op, word) => {
    const last = runs[runs.length - 1];
    if (last && last[0] === op) last[1].push(word); else runs.push([op, [word]]);
  };
  let i = 0, j = 0;
  while (i < m || j < n) {
    if (i < m && j < n && a[i] === b[j]) { push("same", a[i]); i++; j++; }
    else if (i < m && (j === n || lcs[(i + 1) * width + j] >= lcs[i * width + j + 1])) { push("del", a[i]); i++; }
    else { push("ins", b[j]); j++; }
  }
  return runs;
}
