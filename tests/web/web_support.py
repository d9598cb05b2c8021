"""Fixtures for the web pages through Flask's test client, with CSRF on. One database per test, copied from a
session template that already holds the units and users (password hashing is slow on purpose)."""
from __future__ import annotations

import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from jinja2 import BytecodeCache

from web import create_app
from workflow.adapters.definitions import load_folder

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
VERSION = re.compile(r'name="expected_version" value="(\d+)"')


@dataclass
class Org:
    """Province P with districts A and B. In A: every role, two staff and two supervisors; in B a
    staff member and a supervisor; at P an auditor and an administrator."""
    province: int
    a: int
    b: int
    ids: dict[str, int]

    def __getattr__(self, name):
        try:
            return self.__dict__["ids"][name]
        except KeyError:
            raise AttributeError(name) from None


USERS = [("staff", "staff", "a"), ("staff2", "staff", "a"), ("lead", "supervisor", "a"), ("lead2", "supervisor", "a"),
         ("audit", "auditor", "a"), ("admin", "admin", "a"), ("staff_b", "staff", "b"), ("lead_b", "supervisor", "b"),
         ("audit_p", "auditor", "p"), ("admin_p", "admin", "p")]


class _CompiledTemplates(BytecodeCache):
    """Templates compiled once for the whole session (each test's application has its own Jinja)."""

    def __init__(self):
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


COMPILED = _CompiledTemplates()


@pytest.fixture(scope="session")
def definitions():
    reg = load_folder(ROOT / "definitions")
    assert not reg.errors, [e.message for e in reg.errors]
    return reg


def _config(tmp: Path, **extra) -> dict:
    return {"DATABASE_URL": f"sqlite:///{tmp}/t.db", "CADREFLOW_ENV": "test", "SECRET_KEY": "test",
            "INSTANCE_DIR": str(tmp), "WTF_CSRF_ENABLED": True,
            "SQLITE_SYNCHRONOUS": "OFF", **extra}    # throw-away databases: no need to wait for the disk


@pytest.fixture(scope="session")
def template_db(tmp_path_factory, definitions):
    """A database with the schema, the unit tree and the users, built once."""
    tmp = tmp_path_factory.mktemp("template")
    mp = pytest.MonkeyPatch()
    mp.setattr("workflow.usecases.engine.load_folder", lambda folder: definitions)
    mp.setattr("workflow.domain.credentials.SCRYPT_N", 2**10)     # cheap hashes for test users only: signing in is fast
    app = create_app(_config(tmp))
    wf = app.extensions["cadreflow"]
    wf.store.create_all()
    p = wf.people.find_or_create_unit_path(["Tỉnh ủy Quảng Nam"])
    a = wf.people.find_or_create_unit_path(["Tỉnh ủy Quảng Nam", "Huyện ủy Duy Xuyên"])
    b = wf.people.find_or_create_unit_path(["Tỉnh ủy Quảng Nam", "Huyện ủy Thăng Bình"])
    units = {"p": p, "a": a, "b": b}
    ids = {name: wf.people.create_user(None, name, PASSWORD, role, units[u], f"Người {name}").id for name, role, u in USERS}
    wf.store.dispose()
    mp.undo()
    return tmp / "t.db", Org(p, a, b, ids)


@pytest.fixture
def make_app(tmp_path, monkeypatch, definitions, template_db):
    """create_app over a fresh copy of the template database (the definitions are parsed once)."""
    monkeypatch.setattr("workflow.usecases.engine.load_folder", lambda folder: definitions)
    made = []

    def make(**extra):
        path = tmp_path / "t.db"
        if not path.exists():
            shutil.copy(template_db[0], path)
        app = create_app(_config(tmp_path, **extra))
        app.jinja_env.bytecode_cache = COMPILED
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["cadreflow"].store.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def wf(app):
    return app.extensions["cadreflow"]


@pytest.fixture
def org(template_db) -> Org:
    return template_db[1]


class Browser:
    """A person at a browser: signs in, reads pages, sends the forms the pages hold (with the
    page's CSRF token, case version and a fresh idempotency key)."""

    def __init__(self, client):
        self.client = client
        self.page = ""

    def get(self, url, **kw):
        r = self.client.get(url, **kw)
        self.page = r.get_data(as_text=True)
        return r

    def token(self, url: str | None = None) -> str:
        if url is not None:
            self.get(url)
        m = CSRF.search(self.page)
        assert m, "no CSRF token on the page"
        return m.group(1)

    def login(self, username: str, password: str = PASSWORD):
        csrf = self.token("/login")
        r = self.client.post("/login", data={"csrf_token": csrf, "username": username, "password": password})
        self.page = r.get_data(as_text=True)
        return r

    def post(self, url, data=None, *, page: str | None = None, **kw):
        """POST a form found on `page` (default: `url`), with that page's hidden fields."""
        self.get(page or url)
        fields = {"csrf_token": self.token()}
        m = VERSION.search(self.page)
        if m:
            fields["expected_version"] = m.group(1)
            fields["idempotency_key"] = uuid.uuid4().hex
        fields.update(data or {})
        r = self.client.post(url, data=fields, **kw)
        self.page = r.get_data(as_text=True)
        return r

    def case_post(self, case_id: int, action: str, data=None, **kw):
        return self.post(f"/cases/{case_id}/{action}", data, page=f"/cases/{case_id}", **kw)


@pytest.fixture
def browser(app):
    def make(username: str | None = None) -> Browser:
        b = Browser(app.test_client())
        if username:
            r = b.login(username)
            assert r.status_code == 302, b.page[:500]
        return b
    return make


# ---- cases at known steps, made through the service --------------------------------------------

TALLY = {"summoned": 30, "present": 25, "issued": 25, "collected": 25, "valid": 25, "invalid": 0}


def committee_case(wf, org, *, staff="staff", title="Kiện toàn cấp ủy Đảng bộ Khối cơ quan", to="members-conference"):
    """A committee-personnel case of `staff`'s unit, moved on to step `to`."""
    s = org.ids[staff]
    cid = wf.cases.open_case(s, "committee-personnel", title).case["id"]
    wf.cases.record(s, cid, {"criteria": "Theo HD 38", "structure": "9 đồng chí", "seats": 9,
                       "candidates": ["Nguyễn Văn An", "Lê Thị Bình"]})
    steps = ["criteria", "members-conference", "block-conference", "appraisal", "decision"]
    for step in steps[1:steps.index(to) + 1]:
        wf.cases.advance(s, cid)
        if step in ("members-conference", "block-conference") and step != to:
            wf.cases.tally(s, cid, {**TALLY, "candidates": {"Nguyễn Văn An": {"agree": 20, "disagree": 5},
                                                      "Lê Thị Bình": {"agree": 16, "disagree": 9}}})
        if step == "appraisal" and to != "appraisal":
            wf.cases.record(s, cid, {"appraisal": "Đạt", "submission_no": "12-TTr/HU", "submission_date": "2026-01-10"})
    return cid


def awaiting_approval(wf, org, staff="staff"):
    cid = committee_case(wf, org, staff=staff, to="decision")
    s = org.ids[staff]
    wf.cases.record(s, cid, {"decision_no": "45-QĐ/HU", "decision_date": "2026-01-12", "appointees": "An – Bí thư"})
    wf.cases.request_approval(s, cid, comment="Kính trình phê duyệt")
    return cid


def events_of(wf, org, case_id):
    return wf.queries.history(org.admin_p, case_id)
