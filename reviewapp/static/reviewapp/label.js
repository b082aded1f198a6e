// Keyboard-only labelling: each choice's shortcut key toggles it, Ctrl+Enter submits,
// "s" jumps to the skip reason. Keys typed into text fields stay text.
(function () {
  const form = document.getElementById("label-form");
  if (!form) return;
  const started = performance.now();
  const typing = (el) => el && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && !["radio", "checkbox"].includes(el.type)));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    if (event.key === "Escape" && typing(document.activeElement)) { document.activeElement.blur(); return; }
    if (typing(document.activeElement) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "s") {
      const reason = document.getElementById("skip-reason");
      if (reason) { event.preventDefault(); reason.focus(); }
      return;
    }
    const input = form.querySelector(`input[data-shortcut="${CSS.escape(event.key)}"]`);
    if (!input) return;
    event.preventDefault();
    input.checked = input.type === "radio" ? true : !input.checked;
    input.focus();
  });
  form.addEventListener("submit", () => {
    form.elements["time_on_task_ms"].value = Math.round(performance.now() - started);
  });
  showCorrectionDiff(form);
  document.documentElement.dataset.labelling = "ready";  // for tests: the shortcuts are live
})();

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
