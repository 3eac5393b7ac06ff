// Requests the pages make to the site's own JSON endpoints.

// POST ``body`` as JSON with the form's CSRF token (the session cookie authenticates it); the
// fetch's response.
export function postJson(url, body, token) {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-CSRFToken": token,
    },
    body: JSON.stringify(body),
  });
}
