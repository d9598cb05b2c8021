from __future__ import annotations

import re

import jsonschema
import pytest
from referencing import Registry as RefRegistry, Resource
from referencing.jsonschema import DRAFT202012

from web import create_app
from web.api.openapi import spec


@pytest.fixture
def app(store, tmp_path):
    """The web application over the same database as `wf`/`people` (SQLite, or PostgreSQL)."""
    application = create_app({"DATABASE_URL": store.url, "CADREFLOW_ENV": "test", "SECRET_KEY": "test-secret",
                              "INSTANCE_DIR": str(tmp_path / "instance"), "TESTING": True})
    yield application
    application.extensions["cadreflow"].store.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


class _Tokens(dict):
    """A personal API token for a user of `people`, made the first time it is asked for."""

    def __init__(self, wf, people):
        super().__init__()
        self.wf, self.people = wf, people

    def __missing__(self, name: str) -> str:
        self[name] = self.wf.people.create_token(getattr(self.people, name), f"test {name}")[1]
        return self[name]


@pytest.fixture
def tokens(wf, people) -> dict[str, str]:
    return _Tokens(wf, people)


class Api:
    """Calls the API as one user and checks every answer against the OpenAPI document."""

    def __init__(self, client, token: str | None):
        self.client, self.token = client, token

    def call(self, method: str, path: str, body=None, *, key: str | None = None, raw: bytes | None = None,
             headers: dict | None = None):
        h = dict(headers or {})
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if key:
            h["Idempotency-Key"] = key
        kw = {"data": raw, "content_type": "application/json"} if raw is not None else \
            ({"json": body} if body is not None else {})
        resp = self.client.open("/api/v1" + path, method=method, headers=h, **kw)
        check_against_spec(method, path, resp)
        return resp

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body if body is not None else {}, **kw)


def as_user(client, tokens):
    return lambda name: Api(client, tokens[name] if name else None)


@pytest.fixture
def api(client, tokens):
    return as_user(client, tokens)


_SPEC = spec()
_REG = RefRegistry().with_resource("urn:cadreflow-api", Resource.from_contents(_SPEC, default_specification=DRAFT202012))
_TEMPLATES = [(re.compile("^" + re.sub(r"\{[^}]+\}", r"[^/]+", p) + "$"), p) for p in _SPEC["paths"]]


def check_against_spec(method: str, path: str, resp) -> None:
    """Every response is JSON and matches the schema the document gives for that path, method and status."""
    assert resp.is_json, f"{method} {path} answered {resp.status_code} with {resp.content_type}"
    bare = path.split("?", 1)[0]
    template = next((t for rx, t in _TEMPLATES if rx.match(bare)), None)
    body = resp.get_json()
    if template is None or method.lower() not in _SPEC["paths"][template]:
        # unknown route: still the error shape
        schema_ref = "#/components/schemas/Error"
    else:
        responses = _SPEC["paths"][template][method.lower()]["responses"]
        assert str(resp.status_code) in responses, \
            f"{method} {template} answered {resp.status_code}, not documented: {body}"
        schema_ref = responses[str(resp.status_code)]["content"]["application/json"]["schema"]["$ref"]
    jsonschema.validate(body, {"$ref": "urn:cadreflow-api" + schema_ref}, registry=_REG,
                        cls=jsonschema.Draft202012Validator)


def pytest_terminal_summary(terminalreporter):
    """What Schemathesis sent and met, per role (tests/api/test_schemathesis.py), when it ran."""
    import sys
    module = sys.modules.get("tests.api.test_schemathesis")
    if module is None or not module.FIGURES:
        return
    terminalreporter.section("Schemathesis")
    for role, figures in module.FIGURES.items():
        requests = sum(n for k, n in figures.items() if k.endswith(" requests") and k != "action requests")
        versions = {k.split(": ", 1)[1]: n for k, n in figures.items() if k.startswith("action with the current")}
        terminalreporter.write_line(f"{role}: {requests} requests; actions sent with the case's current version, "
                                    f"by answer: {versions or 'none'}")
