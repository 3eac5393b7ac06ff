"""Fixtures for the LTI tests: the tool served over HTTP on PostgreSQL, Redis and a real worker,
a test LMS (``tests.lti.platform``) registered with it, and a browser that launches from it."""

from __future__ import annotations

import re
import threading
import time
import uuid
from html import unescape

import pytest
import requests
from werkzeug.serving import make_server

from grader.extensions import db
from grader.services.lti.platforms import PlatformFields, add_platform
from tests.lti.platform import INSTRUCTOR, LEARNER, Message, Person, Platform
from tests.service.conftest import (  # noqa: F401  (the service's fixtures)
    celery_worker,
    postgres_app,
    postgres_url,
    queue_name,
    redis_url,
    servers,
    worker_id,
)

FORM = re.compile(r'(<form[^>]*action="([^"]+)"[^>]*>)(.*?)</form>', re.S)
FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@pytest.fixture(scope="session")
def tool_url(postgres_app):  # noqa: F811
    """The tool (the grader's web app) on a port of 127.0.0.1, as an LMS reaches it."""
    server = make_server("127.0.0.1", 0, postgres_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def platform(tool_url, postgres_app):  # noqa: F811
    """The test LMS, registered with the tool as `grader lti add-platform` does."""
    lms = Platform(tool_url).start()
    with postgres_app.app_context():
        add_platform(db.session, PlatformFields(**lms.registration_fields()))
    yield lms
    lms.stop()


def person(role: str = "student", email: bool = True) -> Person:
    sub = uuid.uuid4().hex
    return Person(
        sub=sub,
        name=f"Test {role.title()} {sub[:4]}",
        email=f"{role}-{sub[:10]}@lms.example" if email else None,
        roles=[INSTRUCTOR if role == "instructor" else LEARNER],
    )


def new_context() -> str:
    return f"ctx-{uuid.uuid4().hex[:10]}"


class Browser:
    """A person's browser: follows redirects and submits the auto-posting forms an LTI launch
    goes through, keeping cookies as a browser does."""

    def __init__(self):
        self.http = requests.Session()

    def launch(self, platform: Platform, message: Message) -> requests.Response:
        """Click the link in the LMS: OIDC login, the platform's form post, the tool's answer."""
        reply = self.http.get(platform.start_launch(message), timeout=30)
        if reply.status_code != 200:
            return reply
        action, fields = self.form(reply.text)
        return self.http.post(action, data=fields, timeout=30)

    @staticmethod
    def form(page: str, ident: str | None = None) -> tuple[str, dict]:
        """The action and hidden fields of the page's first form (or the one with this id)."""
        for tag, action, body in FORM.findall(page):
            if ident is None or f'id="{ident}"' in tag:
                fields = {unescape(k): unescape(v) for k, v in FIELD.findall(body)}
                return unescape(action), fields
        raise AssertionError(page[:2000])

    def csrf(self, page: str) -> str:
        return re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page).group(1)


@pytest.fixture
def browser() -> Browser:
    return Browser()


GOOD = {"grad.e3": "-10", "grad.e2": "-10", "grad.e1": "-20", "update.v": "0.2", "new.v": "0.2"}


def wait_until(check, timeout: float = 30.0, what: str = "the condition"):
    """Poll ``check`` until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Student(Browser):
    """A student who launched from the LMS and answers in the tool's pages."""

    def __init__(self, tool_url: str):
        super().__init__()
        self.tool_url = tool_url
        self.page_url = ""

    def open(self, platform: Platform, message: Message) -> Student:
        reply = self.launch(platform, message)
        assert reply.status_code == 200, reply.text[:2000]
        self.page_url = reply.url
        return self

    def answer(self, answers: dict) -> dict:
        """Submit on the exercise page as its script does, and wait for the verdict."""
        page = self.http.get(self.page_url, timeout=30).text
        reply = self.http.post(
            f"{self.page_url}/attempts",
            data={"csrf_token": self.csrf(page), **answers},
            headers={"Accept": "application/json"},
            timeout=30,
        )
        assert reply.status_code == 202, reply.text[:1000]
        url = f"{self.tool_url}{reply.json()['url']}"

        def graded():
            body = self.http.get(url, headers={"Accept": "application/json"}, timeout=30).json()
            return body if body["final"] else None

        return wait_until(graded, what="the attempt to be graded")


def launch_class(platform: Platform, tool_url: str, exercise: str = "single-weight"):
    """A course set up by its instructor's launch of a link to ``exercise``: (context id,
    resource link id)."""
    context, link = new_context(), f"link-{uuid.uuid4().hex[:8]}"
    reply = Browser().launch(
        platform,
        Message(
            person("instructor"),
            context_id=context,
            resource_link_id=link,
            custom={"exercise": exercise},
        ),
    )
    assert reply.status_code == 200, reply.text[:2000]
    return context, link


@pytest.fixture
def figures(request) -> dict:
    """What the test measured, printed at the end of the run with the fault tests' figures."""
    measured: dict = {"test": request.node.name}
    request.node.user_properties.append(("reliability", measured))
    return measured
