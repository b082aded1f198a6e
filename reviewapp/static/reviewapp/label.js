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
  document.documentElement.dataset.labelling = "ready";  // for tests: the shortcuts are live
})();
