"""Browser fixtures: the embedded app served over HTTP with the site's Content-Security-Policy,
Debian's Chromium driven headless by Playwright, demo accounts, axe-core and screenshots."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from grader.cli.service import DEMO_COURSE, DEMO_STUDENTS
from grader.extensions import db
from grader.services import accounts
from tests.service.conftest import embedded_app  # noqa: F401  (the service's fixture, shared)

CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self' data:"
)
DEMO_PASSWORD = "demo password"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"


class QuietHandler(WSGIRequestHandler):
    """Werkzeug's request handler without a log line per request."""

    def log_request(self, *args, **kwargs) -> None:
        pass


class WithCSP:
    """WSGI middleware adding the Content-Security-Policy the site must satisfy."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            headers.append(("Content-Security-Policy", CSP))
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


@pytest.fixture(scope="session")
def demo_app(embedded_app):  # noqa: F811
    """The embedded app with the demo course and demo students, as ``grader demo`` seeds them."""
    with embedded_app.app_context():
        for number, email in enumerate(DEMO_STUDENTS, start=1):
            accounts.add_user(
                db.session, email, "student", DEMO_PASSWORD, DEMO_COURSE, f"Demo Student {number}"
            )
        accounts.add_user(db.session, "other@test.example", "student", DEMO_PASSWORD, "other")
        db.session.commit()
    return embedded_app


@pytest.fixture(scope="session")
def live_server(demo_app):
    """The app served on a free local port, in a thread, with the CSP header."""
    server = make_server(
        "127.0.0.1", 0, WithCSP(demo_app), threaded=True, request_handler=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser context (no cookies) whose page fails the test on a CSP violation or a
    script error."""
    context = chromium.new_context(base_url=live_server, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("console", lambda message: problems.extend(console_problems(message)))
    page.on("response", lambda response: problems.extend(response_problems(response)))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    yield page
    context.close()
    assert not problems, problems


def console_problems(message) -> list[str]:
    """A console error, unless it is the browser noting a page's own error status (a 404 page
    that a test asked for); failed subresources are caught from their responses."""
    if message.type != "error" or message.text.startswith("Failed to load resource"):
        return []
    return [f"console: {message.text}"]


def response_problems(response) -> list[str]:
    """A script, stylesheet or fetch that failed (a page's own 404 may be what a test wants)."""
    if response.status < 400 or response.request.resource_type == "document":
        return []
    return [f"{response.status} {response.url}"]


def run_axe(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text() + "\n;true")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def assert_accessible(page) -> None:
    violations = run_axe(page)
    assert not violations, json.dumps(violations, indent=2)


def log_in(page, email: str = DEMO_STUDENTS[0], password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/courses/**")
