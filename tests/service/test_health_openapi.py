"""``/health`` and the OpenAPI document."""

from __future__ import annotations

import re


def test_health_reports_database_and_broker(stack):
    reply = stack.test_client().get("/api/v1/health")
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["broker"] == ("embedded" if stack.config["EMBEDDED"] else "ok")


def test_openapi_documents_every_api_route(embedded_app):
    """Each route under /api/v1 (the API blueprint's and the dashboard's figures) is in the
    document with its methods, and nothing more."""
    document = embedded_app.test_client().get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    routes = {}
    for rule in embedded_app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            path = path.replace("{submission_id}", "{id}").replace("{batch_id}", "{id}")
            path = path.replace("{exercise_slug}", "{exercise}")
            routes.setdefault(path, set()).update(
                m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}
            )
    documented = {
        path.replace("/exercises/{id}", "/exercises/{slug}"): set(ops)
        for path, ops in document["paths"].items()
    }
    assert "/courses/{slug}/exercises/{exercise}/analytics" in routes
    assert routes == {path: documented.get(path) for path in routes}
    assert set(documented) <= set(routes) | {"/exercises/{slug}"}
