// Every page: show times (written in UTC by the server) in the reader's own time zone.

function localTimes(root) {
  const language = document.documentElement.lang || undefined;
  const format = new Intl.DateTimeFormat(language, {
    dateStyle: "medium",
    timeStyle: "short",
  });
  for (const element of root.querySelectorAll("time[data-local-time]")) {
    const moment = new Date(element.getAttribute("datetime"));
    if (Number.isNaN(moment.getTime())) continue;
    element.title = element.textContent;
    element.textContent = format.format(moment);
  }
}

localTimes(document);
window.addEventListener("content-replaced", (event) => localTimes(event.detail));
