// Adopting a reviewer's answers on the adjudication desk, without a round trip. Each reviewer's
// "Fill the form" link (?adopt=<label id>, which the server answers with the form filled in when
// scripts are off) fills the gold form here from the answers the page carries (#adoptable, JSON),
// clearing whatever was there, and says whose answers they are: adopting is an explicit act and
// the lead checks before saving. The reason field is the lead's own and is left alone.
(function () {
  const form = document.getElementById("label-form");
  const data = document.getElementById("adoptable");
  const note = document.getElementById("gold-source");
  if (!form || !data || !note) return;
  const adoptable = JSON.parse(data.textContent);

  document.querySelectorAll("a[data-adopt]").forEach((link) => {
    link.addEventListener("click", (event) => {
      const label = adoptable[link.dataset.adopt];
      if (!label) return;  // let the server say what went wrong
      event.preventDefault();
      fill(label.answers || {});
      note.textContent = `Filled from reviewer ${label.reviewer}'s answers — check before saving.`;
      note.classList.add("message", "info");
      note.focus();
    });
  });

  function fill(answers) {
    for (const question of form.querySelectorAll("fieldset.question[data-key]")) {
      const given = answers[question.dataset.key];
      const chosen = Array.isArray(given) ? given.map(String) : given == null ? [] : [String(given)];
      for (const el of question.querySelectorAll("input, textarea")) {
        if (el.type === "radio") el.checked = chosen.includes(el.value);
        else if (el.type === "checkbox") el.checked = el.value === "true" && !Array.isArray(given) ? given === true : chosen.includes(el.value);
        else el.value = given == null ? "" : String(given);
        el.dispatchEvent(new Event("input", {bubbles: true}));
      }
      question.classList.remove("invalid");
    }
    const errors = document.getElementById("form-errors");
    if (errors) errors.hidden = true;
  }
})();
