"""Security headers on every response: a Content-Security-Policy that the pages satisfy (no
inline script or style; Graphviz compiled to WebAssembly), no framing, no MIME sniffing, and no
referrer sent to other sites. Over HTTPS, HSTS; and what a logged-in user is shown is never
kept by a browser's or a proxy's cache (a shared computer's back button shows nothing): a
response to a request that a session or a token authenticated (``g.signed_in``, set by
``grader.web.auth``) is ``Cache-Control: no-store``."""

from __future__ import annotations

from flask import Flask, Response, g, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
SECURITY_HEADER_ITEMS = tuple(
    (name, name.lower(), value) for name, value in SECURITY_HEADERS.items()
)
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def content_security_policy(sources: dict[str, list[str]] | None) -> str:
    """The policy, with the directives in ``sources`` (an LTI session's framing platforms, a
    deep linking reply's platform) in place of the site's."""
    if not sources:
        return CONTENT_SECURITY_POLICY
    directives = [part.strip() for part in CONTENT_SECURITY_POLICY.split(";")]
    return "; ".join(
        f"{name} {' '.join(sources[name])}" if (name := part.split()[0]) in sources else part
        for part in directives
    )


def add_security_headers(response: Response) -> Response:
    """Set each header a view has not set itself (the response's headers read once: a
    ``setdefault`` per header would search them each time)."""
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}
    context = g._get_current_object()
    sources = context.get("csp_sources")
    for name, lowered, value in SECURITY_HEADER_ITEMS:
        if lowered in present:
            continue
        if sources:
            if name == "Content-Security-Policy":
                value = content_security_policy(sources)
            elif name == "X-Frame-Options" and "frame-ancestors" in sources:
                continue  # the policy's frame-ancestors says who may frame the page
        headers.add(name, value)
    req = request._get_current_object()
    if req.is_secure and "strict-transport-security" not in present:
        headers.add("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    if context.get("signed_in") and req.endpoint != "static":
        if "cache-control" in present:
            headers["Cache-Control"] = "no-store"
        else:
            headers.add("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
