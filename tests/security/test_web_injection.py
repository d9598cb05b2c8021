"""Hostile input through every text field is rendered inert on every page that shows it, and
SQL-injection strings in every filter are harmless (no error page, no rows from another unit,
tables intact)."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from web import create_app
from workflow.adapters.tables import cases, users

XSS = '<script>alert("x")</script>'
ATTR = '"><img src=x onerror=alert(1)>'
EVIL = f"{XSS}{ATTR}"
SQLI = ["' OR '1'='1", "1; DROP TABLE cases; --", "%' OR 1=1 --", "\\", "_", "%", "1 UNION SELECT password_hash FROM users",
        "' || (SELECT password_hash FROM users LIMIT 1) || '", "１", "-1", "99999999999999999999", "\x00"]
PASSWORD = "correct horse battery"


@pytest.fixture
def site(wf, people, tmp_path, store):
    app = create_app({"DATABASE_URL": store.url, "CADREFLOW_ENV": "test", "SECRET_KEY": "t",
                      "INSTANCE_DIR": str(tmp_path / "i"), "WTF_CSRF_ENABLED": False})
    return app


def login(app, username: str):
    c = app.test_client()
    r = c.post("/login", data={"username": username, "password": PASSWORD})
    assert r.status_code in (302, 303), r.status_code
    return c


def hostile_case(wf, people) -> int:
    """A committee-personnel case with the payload in every text the UI shows back."""
    s, lead = people.staff, people.supervisor
    cid = wf.cases.open_case(s, "committee-personnel", "Hồ sơ " + EVIL).case["id"]
    wf.cases.record(s, cid, {"criteria": EVIL, "structure": EVIL, "seats": 9, "candidates": ["A " + EVIL, "B"]})
    wf.cases.attach(s, cid, f"bien-ban{ATTR}.pdf", b"%PDF-1.4 hostile", doc_type="minutes")
    wf.cases.advance(s, cid)
    wf.cases.tally(s, cid, {"summoned": 10, "present": 10, "issued": 10, "collected": 10, "valid": 10, "invalid": 0,
                      "place": EVIL, "candidates": {"A " + EVIL: {"agree": 9, "disagree": 1}, "B": {"agree": 8}}})
    wf.cases.advance(s, cid)
    wf.cases.tally(s, cid, {"summoned": 10, "present": 10, "issued": 10, "collected": 10, "valid": 10, "invalid": 0,
                      "candidates": {"A " + EVIL: {"agree": 9}, "Nominee " + EVIL: {"agree": 7}}})
    wf.cases.advance(s, cid)
    wf.cases.record(s, cid, {"appraisal": EVIL, "submission_no": EVIL[:60], "submission_date": "2026-01-10"})
    wf.cases.advance(s, cid)
    wf.cases.record(s, cid, {"decision_no": EVIL[:60], "decision_date": "2026-01-12", "appointees": EVIL})
    wf.cases.request_approval(s, cid, comment=EVIL)
    wf.cases.return_case(lead, cid, EVIL)                         # declined, with a hostile reason
    wf.cases.request_approval(s, cid, comment=EVIL)
    wf.cases.approve(lead, cid, comment=EVIL)
    wf.cases.announce(s, cid, {"decision_no": EVIL[:60], "date": "2026-01-15", "signer": EVIL[:100], "place": EVIL[:100],
                         "text": EVIL})
    return cid


class _Elements(HTMLParser):
    """What a browser would build: every element and its attributes."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag):
        self._in_script = False


def assert_inert(html: str, where: str) -> None:
    p = _Elements()
    p.feed(html)
    handlers = [(t, a) for t, a in p.found if any(k.lower().startswith("on") for k in a)]
    assert not handlers, f"{where}: event-handler attribute(s): {handlers[:3]}"
    scripts = [a.get("src", "") for t, a in p.found if t == "script"]
    assert all(src.startswith(("/static/", "/bootstrap/")) for src in scripts), f"{where}: scripts {scripts}"
    assert p.inline_scripts == 0, f"{where}: inline script content"
    assert not any(t == "img" and a.get("src") == "x" for t, a in p.found), f"{where}: injected <img>"


def test_hostile_text_in_every_field_is_rendered_inert_on_every_page(site, wf, people):
    cid = hostile_case(wf, people)
    wf.people.create_unit(people.admin, "Đơn vị " + EVIL, people.district_a)
    wf.people.update_user(people.admin, people.staff2, display_name="Tên " + EVIL)
    pages = {
        "staff": ["/", f"/cases/{cid}", f"/cases/{cid}/steps/members-conference/minutes",
                  f"/cases/{cid}/steps/block-conference/minutes", f"/cases/{cid}/steps/announcement/announcement",
                  "/announcements", f"/cases/{cid}/tally", f"/cases/{cid}/announce", "/account"],
        "audit": [f"/audit?case={cid}", "/audit", f"/cases/{cid}"],
        "admin": ["/admin", "/admin/users", "/admin/units", f"/admin/users/{people.staff2}"],
        "lead": ["/", f"/cases/{cid}"],
    }
    shown = 0
    for who, paths in pages.items():
        c = login(site, who)
        for path in paths:
            r = c.get(path)
            assert r.status_code in (200, 403, 404, 409), (who, path, r.status_code)
            html = r.get_data(as_text=True)
            assert_inert(html, f"{who} {path}")
            shown += html.count("&lt;script&gt;")
    assert shown > 20, "the payload should be on the pages, escaped"
    # exports are data, not HTML: served with a non-HTML type and nosniff
    c = login(site, "audit")
    for path, mime in ((f"/audit/cases/{cid}/history.csv", "text/csv"),
                       (f"/audit/cases/{cid}/history.json", "application/json")):
        r = c.get(path)
        assert r.status_code == 200 and r.mimetype == mime and r.headers["X-Content-Type-Options"] == "nosniff"
        assert XSS in r.get_data(as_text=True) or "\\u003cscript" in r.get_data(as_text=True) \
            or "<script>" in r.get_data(as_text=True).replace('\\"', '"')


def test_a_hostile_document_name_downloads_as_an_attachment_never_inline(site, wf, people):
    cid = hostile_case(wf, people)
    detail = wf.queries.get_case(people.staff, cid)
    doc = detail.steps["criteria"].documents[0]
    r = login(site, "staff").get(f"/cases/{cid}/documents/{doc['sha256']}")
    assert r.status_code == 200
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "<img" not in r.headers["Content-Disposition"]


def test_sql_injection_strings_in_every_filter_are_harmless(site, wf, people):
    own = wf.cases.open_case(people.staff, "committee-personnel", "Hồ sơ Duy Xuyên").case["id"]
    wf.cases.open_case(people.staff_b, "committee-personnel", "Hồ sơ Thăng Bình")
    with wf.store.core() as c:
        n_cases, n_users = (c.execute(select(func.count()).select_from(cases)).scalar_one(),
                            c.execute(select(func.count()).select_from(users)).scalar_one())
    staff, auditor = login(site, "staff"), login(site, "audit")
    home_filters = ["q", "procedure", "step", "unit", "status", "overdue", "page"]
    audit_filters = ["case", "user", "procedure", "unit", "kind", "from", "to", "page"]
    for evil in SQLI:
        for f in home_filters:
            r = staff.get("/", query_string={f: evil})
            # a nonsense value is either ignored or refused with a clear 422 page; never an error page
            assert r.status_code in (200, 422), (f, evil, r.status_code)
            assert "Hồ sơ Thăng Bình" not in r.get_data(as_text=True), (f, evil)
        for f in audit_filters:
            r = auditor.get("/audit", query_string={f: evil})
            assert r.status_code in (200, 422), (f, evil, r.status_code)
            assert "Hồ sơ Thăng Bình" not in r.get_data(as_text=True)
    with wf.store.core() as c:
        assert c.execute(select(func.count()).select_from(cases)).scalar_one() == n_cases
        assert c.execute(select(func.count()).select_from(users)).scalar_one() == n_users
    assert wf.queries.get_case(people.staff, own).summary.title == "Hồ sơ Duy Xuyên"
    assert wf.queries.verify().ok


def test_nul_and_control_characters_are_removed_not_fatal(site, wf, people):
    """PostgreSQL refuses NUL in text; none of the control characters means anything in a record."""
    c = site.test_client()
    r = c.post("/login", data={"username": "staff\x00", "password": PASSWORD})
    assert r.status_code in (200, 302, 303, 401, 422)
    cid = wf.cases.open_case(people.staff, "committee-personnel", "Hồ\x00 sơ\x07").case["id"]
    assert wf.queries.get_case(people.staff, cid).summary.title == "Hồ sơ"
    wf.cases.record(people.staff, cid, {"criteria": "a\x00b\tc\nd", "candidates": ["Nguyễn\x00 Văn A"]})
    form = wf.queries.get_case(people.staff, cid).steps["criteria"].form
    assert form["criteria"] == "ab\tc\nd" and form["candidates"] == ["Nguyễn Văn A"]
    wf.cases.cancel(people.supervisor, cid, "lý do\x00")
    assert wf.queries.history(people.auditor, cid)[-1]["payload"]["reason"] == "lý do"
    assert wf.queries.verify().ok
