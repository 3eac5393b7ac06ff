// How each answer is read, shown under its input as the student types (debounced): the server
// reads it as grading would (POST /api/v1/submissions/preview) and says so in the page's
// language. No attempt is spent and nothing is stored; a failed request leaves the line empty.

import { postJson } from "./http.js";

const DEBOUNCE_MS = 350;

export function watchAnswers(form, data) {
  const token = form.elements.namedItem("csrf_token").value;
  const pending = new Set();
  let timer = null;
  let sent = 0;

  function line(blank) {
    return form.querySelector(`.read-back[data-blank="${CSS.escape(blank)}"]`);
  }

  function show(blank, entry) {
    const element = line(blank);
    if (!element) return;
    element.textContent = entry ? entry.said : "";
    let state = "";
    if (entry) state = !entry.readable ? "unreadable" : entry.message ? "mismatch" : "read";
    element.dataset.state = state;
  }

  async function send() {
    timer = null;
    const answers = {};
    for (const blank of pending) {
      const input = form.elements.namedItem(blank);
      const text = input ? input.value.trim() : "";
      if (text) answers[blank] = text;
      else show(blank, null);
    }
    pending.clear();
    if (!Object.keys(answers).length) return;
    const mine = ++sent;
    try {
      const body = { exercise: data.exercise, course: data.course, answers };
      const response = await postJson(data.previewUrl, body, token);
      if (!response.ok) return;
      const reply = await response.json();
      for (const [blank, entry] of Object.entries(reply.blanks)) {
        const input = form.elements.namedItem(blank);
        // An answer changed again since this was sent is read again by the next request.
        if (input && input.value.trim() === answers[blank] && !pending.has(blank)) {
          show(blank, entry);
        }
      }
    } catch (error) {
      if (mine === sent) console.debug("preview unavailable", error);
    }
  }

  form.addEventListener("input", (event) => {
    const blank = event.target.name;
    if (!blank || !line(blank)) return;
    pending.add(blank);
    if (timer) clearTimeout(timer);
    timer = setTimeout(send, DEBOUNCE_MS);
  });

  // Answers already on the page (the last attempt's) are read once on load.
  for (const element of form.querySelectorAll(".read-back[data-blank]")) {
    const input = form.elements.namedItem(element.dataset.blank);
    if (input && input.value.trim()) pending.add(element.dataset.blank);
  }
  if (pending.size) timer = setTimeout(send, 0);
}
