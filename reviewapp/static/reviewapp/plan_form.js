// The sampling plan page (audits/plan_edit.html): shows only the chosen goal's fields, moves and
// adds stratum rows, and fills each row's "caught" count from the figures the preview returns.
// Without scripts the page still works: every goal's fields show with their goal named, rows are
// edited in place (blank a row to drop it, fill the blank one to add), the order is the page's.
(function () {
  const form = document.getElementById("plan-form");
  if (!form) return;
  const goal = form.querySelector("select[name=goal]");
  const rows = document.getElementById("stratum-rows");
  const template = document.getElementById("stratum-row-template");
  const add = document.getElementById("add-stratum");

  function showGoal() {
    form.classList.add("goal-chosen");
    for (const el of form.querySelectorAll(".goal-field[data-goals]")) {
      el.hidden = !el.dataset.goals.split(" ").includes(goal.value);
    }
  }
  if (goal) {
    goal.addEventListener("change", showGoal);
    showGoal();
  }

  // A move is a change of the plan: the preview follows it ("strata-moved" is in hx-trigger).
  function moved(focus) {
    relabel();
    form.dispatchEvent(new Event("strata-moved", { bubbles: true }));
    if (focus) focus.focus();
  }

  function wire(row) {
    row.querySelector(".row-moves").hidden = false;
    row.querySelector(".drag-handle").hidden = false;
  }

  // Each button says which stratum it moves, by position and name, as the rows stand now.
  const verbs = { up: "Move up", down: "Move down", remove: "Remove" };
  function relabel() {
    if (!rows) return;
    rows.querySelectorAll(".stratum-row").forEach((row, i) => {
      const name = row.querySelector("input[name='row-name']").value.trim();
      const which = `stratum ${i + 1}${name ? ` (${name})` : ""}`;
      row.querySelectorAll("button[data-move]").forEach((button) => {
        button.setAttribute("aria-label", `${verbs[button.dataset.move]}: ${which}`);
      });
    });
  }

  if (rows) {
    rows.querySelectorAll(".stratum-row").forEach(wire);
    relabel();
    rows.addEventListener("input", (event) => {
      if (event.target.name === "row-name") relabel();
    });
    rows.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-move]");
      if (!button) return;
      const row = button.closest(".stratum-row");
      const move = button.dataset.move;
      if (move === "up" && row.previousElementSibling) {
        rows.insertBefore(row, row.previousElementSibling);
        moved(button);
      } else if (move === "down" && row.nextElementSibling) {
        rows.insertBefore(row.nextElementSibling, row);
        moved(button);
      } else if (move === "remove") {
        const next = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        moved(next ? next.querySelector("input") : add);
      }
    });
  }
  // Dragging a row by its handle: the mouse's way to do what Move up and Move down do.
  let dragging = null;
  if (rows) {
    rows.addEventListener("dragstart", (event) => {
      if (!event.target.classList || !event.target.classList.contains("drag-handle")) return;
      dragging = event.target.closest(".stratum-row");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", "");
      dragging.classList.add("dragging");
    });
    rows.addEventListener("dragover", (event) => {
      if (!dragging) return;
      event.preventDefault();
      const over = event.target.closest(".stratum-row");
      if (!over || over === dragging) return;
      const box = over.getBoundingClientRect();
      rows.insertBefore(dragging, event.clientY > box.top + box.height / 2 ? over.nextElementSibling : over);
    });
    rows.addEventListener("drop", (event) => { if (dragging) event.preventDefault(); });
    rows.addEventListener("dragend", () => {
      if (!dragging) return;
      dragging.classList.remove("dragging");
      dragging = null;
      moved();
    });
  }

  if (add && template && rows) {
    add.hidden = false;
    add.addEventListener("click", () => {
      const row = template.content.firstElementChild.cloneNode(true);
      rows.appendChild(row);
      wire(row);
      relabel();
      row.querySelector("input").focus();
    });
  }

  // After each preview: each row's count (first match wins, in row order), and the strata as JSON
  // for export, unless the lead is importing (the JSON box then differs from what was shown).
  document.body.addEventListener("htmx:afterSwap", () => {
    const counts = document.getElementById("row-counts");
    if (!counts || !rows || counts.dataset.fromRows !== "yes") return;
    const numbers = counts.dataset.counts.split(" ");
    const filled = [...rows.querySelectorAll(".stratum-row")].filter((row) =>
      [...row.querySelectorAll("input")].some((input) => input.value.trim() !== ""));
    rows.querySelectorAll(".row-caught").forEach((el) => { el.textContent = ""; });
    filled.forEach((row, i) => {
      row.querySelector(".row-caught").textContent = `${numbers[i]} caught`;
    });
    const other = document.getElementById("other-caught");
    if (other) other.textContent = `${numbers[numbers.length - 1]} caught`;
    const json = document.getElementById("strata-json");
    const box = form.querySelector("textarea[name=strata]");
    const shown = form.querySelector("input[name=strata_initial]");
    if (json && box && shown && box.value.trim() === shown.value.trim()) {
      box.value = shown.value = JSON.stringify(JSON.parse(json.textContent), null, 2);
    }
  });
})();
