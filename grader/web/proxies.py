"""The client's address and scheme behind reverse proxies.

With ``GRADER_TRUSTED_PROXIES=N`` (N > 0) the last N proxies before the app are trusted to
append the client's address to ``X-Forwarded-For`` and to say the scheme in
``X-Forwarded-Proto``: the rate limits count per real client address, and HTTPS is known as
HTTPS (secure cookies, HSTS). With 0, the default, those headers are ignored, so a client
cannot choose the address its failed logins are counted against.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    hops = app.config["TRUSTED_PROXIES"]
    if hops < 0:
        raise ValueError("GRADER_TRUSTED_PROXIES must be 0 or more")
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
