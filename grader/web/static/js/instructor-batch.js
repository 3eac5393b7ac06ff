// A batch's progress, refreshed from GET /api/v1/batches/<id> until it is done or failed.

const section = document.getElementById("batch");
const POLL_MS = 1000;

function show(batch) {
  const percent = Math.round(batch.progress * 100);
  document.getElementById("batch-bar").value = batch.progress;
  document.getElementById("batch-bar").textContent = `${percent}%`;
  document.getElementById("batch-percent").textContent = `${percent}%`;
  document.getElementById("batch-graded").textContent = batch.counts.graded;
  document.getElementById("batch-total").textContent = batch.total;
  document.getElementById("batch-failed").textContent = batch.counts.failed;
  const status = document.getElementById("batch-status");
  status.textContent = batch.status;
  status.className = `status status-${batch.status}`;
  section.dataset.status = batch.status;
  const errors = document.getElementById("batch-errors");
  errors.replaceChildren(
    ...batch.errors.map((error) => {
      const item = document.createElement("li");
      const where = error.line ?? error.submission;
      const label = error.line ? section.dataset.lineLabel : section.dataset.submissionLabel;
      item.textContent = where ? `${label.replace("{n}", where)} ${error.message}` : error.message;
      return item;
    }),
  );
}

async function poll() {
  try {
    const reply = await fetch(section.dataset.url, { headers: { Accept: "application/json" } });
    if (reply.ok) {
      const batch = await reply.json();
      show(batch);
      if (batch.status === "done" || batch.status === "failed") return;
    }
  } catch (error) {
    console.warn("batch progress", error);
  }
  setTimeout(poll, POLL_MS);
}

if (section && !["done", "failed"].includes(section.dataset.status)) {
  setTimeout(poll, POLL_MS);
}
