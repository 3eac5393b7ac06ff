// Training steps: the graph shows the values of the step being worked. The radio group picks a
// step, and so does moving into a blank of that step. The graph of step k ≥ 2 comes from the
// server, worked from the new values of step k − 1 typed in the form (never the right ones).

const DEBOUNCE_MS = 400;

// `show(dot, step)` draws the graph of a step. Returns the step shown, or null for one step.
export function watchSteps(form, data, show) {
  const picker = document.getElementById("step-picker");
  const note = document.getElementById("graph-step-note");
  if (!picker || !(data.steps > 1)) return () => 1;
  picker.hidden = false;
  let current = 1;
  let asked = 0;
  let timer = null;

  async function draw(step) {
    current = step;
    const mine = ++asked;
    const query = new URLSearchParams({ step: String(step) });
    for (const input of form.querySelectorAll('input[name^="new."]')) {
      if (input.value.trim()) query.append(input.name, input.value.trim());
    }
    try {
      const response = await fetch(`${data.graphUrl}?${query}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok || mine !== asked) return;
      const reply = await response.json();
      if (mine !== asked) return;
      note.textContent = reply.note;
      await show(reply.dot, step);
    } catch (error) {
      console.error(error);
    }
  }

  function pick(step) {
    const radio = picker.querySelector(`input[value="${step}"]`);
    if (radio) radio.checked = true;
    draw(step);
  }

  picker.addEventListener("change", (event) => {
    if (event.target.name === "graph-step") draw(Number(event.target.value));
  });
  form.addEventListener("focusin", (event) => {
    const group = event.target.closest("[data-step]");
    const step = group ? Number(group.dataset.step) : current;
    if (step !== current) pick(step);
  });
  form.addEventListener("input", (event) => {
    const name = event.target.name || "";
    if (current < 2 || !name.startsWith("new.")) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => draw(current), DEBOUNCE_MS);
  });
  return () => current;
}
