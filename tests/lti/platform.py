"""A test LMS: ``lti1p3platform``'s platform classes behind a small Flask app on 127.0.0.1.

It signs id_tokens with its own keys, serves its JWKS and an OAuth2 token endpoint (verifying
the tool's signed client assertion against the tool's JWKS URL), and keeps line items, scores
(a score older than the one held is ignored, as the AGS spec has platforms do), a roster and deep linking
replies. ``down`` makes its services answer 503, as an LMS being restarted does."""

from __future__ import annotations

import html
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, abort, jsonify, redirect, request
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from werkzeug.serving import make_server

INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


def new_key() -> tuple[str, str]:
    """A fresh RSA key pair as PEM (private, public)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@dataclass
class Person:
    sub: str
    name: str
    email: str | None
    roles: list[str]


@dataclass
class Message:
    """A launch the platform is about to make: who, where, which link, and any forgery."""

    person: Person
    context_id: str = "course-101"
    context_title: str = "Deep Learning 101"
    resource_link_id: str | None = "link-1"
    custom: dict | None = None
    deep_link: bool = False
    forge: str | None = None  # "key", "audience", "expired"


@dataclass
class Store:
    lineitems: dict[str, dict] = field(default_factory=dict)  # by id
    scores: dict[tuple[str, str], dict] = field(default_factory=dict)  # (lineitem id, user)
    posts: list[dict] = field(default_factory=list)  # every score POST accepted
    deep_link_items: list[dict] = field(default_factory=list)
    members: list[dict] = field(default_factory=list)


class Platform:
    """The test LMS; ``url`` once started."""

    def __init__(self, tool_url: str, client_id: str = "grader-tool", deployment_id: str = "d1"):
        self.tool_url = tool_url.rstrip("/")
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.private_key, self.public_key = new_key()
        self.messages: dict[str, Message] = {}
        self.pages: dict[str, str] = {}
        self.store = Store()
        self.down = False
        self.lock = threading.Lock()
        self.app = self._make_app()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.issuer = self.url
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Platform:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()

    # What the tool's administrator types into `grader lti add-platform`.
    def registration_fields(self) -> dict:
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "auth_login_url": f"{self.url}/authorize",
            "auth_token_url": f"{self.url}/token",
            "key_set_url": f"{self.url}/jwks",
            "deployment_ids": (self.deployment_id,),
        }

    def posts_for(self, sub: str) -> list[dict]:
        """The score POSTs the LMS accepted for this user, in order."""
        with self.lock:
            return [p for p in self.store.posts if p["userId"] == sub]

    def course_page(self, message: Message) -> str:
        """The URL of an LMS page embedding the tool's launch in an iframe."""
        hint = uuid.uuid4().hex
        self.pages[hint] = self.start_launch(message)
        return f"{self.url}/course-page/{hint}"

    def registration(self) -> Registration:
        return (
            Registration()
            .set_iss(self.issuer)
            .set_client_id(self.client_id)
            .set_deployment_id(self.deployment_id)
            .set_oidc_login_url(f"{self.tool_url}/lti/login")
            .set_launch_url(f"{self.tool_url}/lti/launch")
            .set_deeplink_launch_url(f"{self.tool_url}/lti/launch")
            .set_tool_key_set_url(f"{self.tool_url}/lti/jwks.json")
            .set_platform_public_key(self.public_key)
            .set_platform_private_key(self.private_key)
        )

    def config(self) -> LTI1P3PlatformConfAbstract:
        platform = self

        class Config(LTI1P3PlatformConfAbstract):
            def init_platform_config(self, **kwargs):
                pass

            def get_registration_by_params(self, **kwargs):
                return platform.registration()

        return Config()

    def start_launch(self, message: Message) -> str:
        """The URL a user's click on the link opens: the tool's OIDC login initiation."""
        hint = uuid.uuid4().hex
        self.messages[hint] = message

        class Login(OIDCLoginAbstract):
            def set_lti_message_hint(self, **kwargs):
                self._lti_message_hint = hint

            def get_redirect(self, url):
                return url

        login = Login(None, self.config())
        login.set_lti_message_hint()
        return login.initiate_login(message.person.sub)

    def _launch_form(self, values: dict) -> str:
        message = self.messages.get(values.get("lti_message_hint", ""))
        if message is None or values.get("login_hint") != message.person.sub:
            abort(400, "unknown message hint")
        platform = self

        class Launch(LTIAdvantageMessageLaunchAbstract):
            def get_preflight_response(self):
                return values

            def render_launch_form(self, launch_data, **kwargs):
                return platform.form(launch_data)

            def generate_launch_request(self):
                data = super().generate_launch_request()
                if message.forge:
                    data["id_token"] = platform.forge(self, message.forge)
                return data

        launch = Launch(None, self.config())
        person = message.person
        launch.set_user_data(person.sub, person.roles, person.name, person.email)
        launch.set_launch_context_claim(
            message.context_id, context_title=message.context_title, context_label="DL101"
        )
        if message.resource_link_id:
            launch.set_resource_link_claim(message.resource_link_id, title="An exercise")
        if message.custom:
            launch.set_custom_parameters_claim(message.custom)
        launch.set_launch_presentation_claim("iframe")
        base = f"{self.url}/contexts/{message.context_id}"
        launch.set_ags(lineitems_url=f"{base}/lineitems", allow_creating_lineitems=True)
        launch.set_nrps(f"{base}/memberships")
        if message.deep_link:
            launch.set_dl(f"{self.url}/deep_link_return", accept_types={"ltiResourceLink"})
        return launch.lti_launch()

    def forge(self, launch, how: str) -> str:
        """An id_token made wrong in one way, for the tool to refuse."""
        claims, _ = launch.get_launch_data()
        registration = self.registration()
        if how == "audience":
            claims["aud"] = "someone-else"
            return registration.platform_encode_and_sign(claims, expiration=300)
        if how == "expired":
            claims = dict(claims)
            now = int(time.time())
            claims.update(iat=now - 7200, exp=now - 3600)
            return Registration.encode_and_sign(
                claims, self.private_key, headers={"kid": registration.get_kid()}
            )
        if how == "key":
            other_private, _ = new_key()
            return Registration.encode_and_sign(
                claims, other_private, headers={"kid": registration.get_kid()}, expiration=300
            )
        raise ValueError(how)

    @staticmethod
    def form(data: dict) -> str:
        fields = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(str(v))}">'
            for k, v in data.items()
            if k != "launch_url"
        )
        return (
            f'<form id="launch" method="post" action="{html.escape(data["launch_url"])}">'
            f'{fields}<button type="submit">Continue</button></form>'
            "<script>document.getElementById('launch').submit()</script>"
        )

    def _token_ok(self, scope: str) -> None:
        if self.down:
            abort(503)
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            abort(401)
        config = self.config()
        config.get_registration()
        try:
            valid = config.validate_token(header[7:], allowed_scopes=[scope])
        except Exception:
            abort(401)
        if not valid:
            abort(403)

    def _make_app(self) -> Flask:
        app = Flask("test-platform")
        platform = self

        @app.get("/jwks")
        def jwks():
            return jsonify({"keys": platform.registration().get_jwks()})

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize():
            return platform._launch_form(request.values.to_dict())

        @app.post("/token")
        def token():
            if platform.down:
                abort(503)
            config = platform.config()
            config.get_registration()
            try:
                return jsonify(config.get_access_token(request.form.to_dict()))
            except Exception as exc:
                return jsonify({"error": "invalid_client", "message": str(exc)}), 400

        @app.route("/contexts/<context>/lineitems", methods=["GET", "POST"])
        def lineitems(context):
            platform._token_ok(LINEITEM_SCOPE)
            with platform.lock:
                if request.method == "GET":
                    items = [
                        i for i in platform.store.lineitems.values() if i["context"] == context
                    ]
                    return jsonify([{k: v for k, v in i.items() if k != "context"} for i in items])
                body = request.get_json()
                ident = str(len(platform.store.lineitems) + 1)
                item = {
                    **body,
                    "id": f"{platform.url}/contexts/{context}/lineitems/{ident}",
                    "context": context,
                }
                platform.store.lineitems[ident] = item
                return jsonify({k: v for k, v in item.items() if k != "context"}), 201

        @app.post("/contexts/<context>/lineitems/<ident>/scores")
        def scores(context, ident):
            platform._token_ok(SCORE_SCOPE)
            if ident not in platform.store.lineitems:
                abort(404)
            body = request.get_json()
            key = (ident, body["userId"])
            stamp = datetime.fromisoformat(body["timestamp"])
            with platform.lock:
                platform.store.posts.append({"lineitem": ident, **body})
                held = platform.store.scores.get(key)
                if held is None or datetime.fromisoformat(held["timestamp"]) <= stamp:
                    platform.store.scores[key] = body
            return "", 204

        @app.get("/contexts/<context>/memberships")
        def memberships(context):
            platform._token_ok(NRPS_SCOPE)
            return jsonify(
                {
                    "id": request.url,
                    "context": {"id": context},
                    "members": platform.store.members,
                }
            )

        @app.post("/deep_link_return")
        def deep_link_return():
            config = platform.config()
            config.get_registration()
            items = config.validate_deeplinking_resp(request.form.to_dict())
            platform.store.deep_link_items.extend(items)
            return jsonify(items)

        @app.get("/")
        def home():
            return redirect("/jwks")

        @app.get("/course-page/<hint>")
        def course_page(hint):
            """The LMS's page for the activity: the tool embedded in an iframe."""
            url = platform.pages[hint]
            return (
                "<!doctype html><title>LMS course</title><h1>Deep Learning 101</h1>"
                f'<iframe id="tool" title="Backprop Grader" src="{html.escape(url)}" '
                'width="1100" height="900"></iframe>'
            )

        return app
