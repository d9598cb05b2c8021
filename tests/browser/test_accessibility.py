"""Issue 18: axe-core checks every page each role reaches against WCAG 2.0 and 2.1, levels A and AA.

A server with the demo data (`flask --app wsgi seed-demo`, as an outsider would look at it) is crawled
as each role: from the home page, every link to a page of this site is followed (a few instances of
each kind of page, every case the user may see), at a desktop width and, for the auditor who sees
every case, a phone width too (tables wider than the screen); then forms are sent with mistakes, at
both widths, so their error states are checked too, and the error pages. Serious and critical
violations fail the test; moderate and minor ones are listed at the end of the run (and with every
violation in artifacts/axe/).

axe-core is the npm package pinned in tests/browser/package.json (`make test` installs it with
`npm ci`); it is injected into the test browser's pages only, through Playwright's evaluation, so the
site's Content-Security-Policy stays as strict as it is. Without it these tests skip, saying why.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import Page, expect

from browser_support import AXE_CHECKED, AXE_FINDINGS, ROOT
from tests.live import start_server
from tests.support import DEMO_PASSWORD as PASSWORD, DEMO_PROVINCE as PROVINCE

pytestmark = pytest.mark.browser

AXE_PACKAGE = ROOT / "tests" / "browser" / "package.json"
AXE_JS = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
AXE_VERSION = json.loads(AXE_PACKAGE.read_text())["devDependencies"]["axe-core"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations"]}
BLOCKING = ("critical", "serious")
REPORTS = ROOT / "artifacts" / "axe"
DESKTOP, PHONE = 1280, 390

# role -> (a demo user, the window widths its pages are checked at, how many cases it opens)
ROLES = {
    "staff": ("chuyenvien.dx", (DESKTOP,), 20),         # forms, tallies, a returned case, approvals pending
    "staff-tam-ky": ("chuyenvien.tk", (DESKTOP,), 20),  # a completed case with its printable pages, a new one
    "supervisor": ("lanhdao.tinh", (DESKTOP,), 20),     # the province: every case, approve / return / head decision
    "auditor": ("kiemtra.tinh", (DESKTOP, PHONE), 20),  # every case read-only, the record, verification
    "admin": ("quantri", (DESKTOP,), 3),                # users, units, procedures; cases as the auditor sees them
}
NOT_A_PAGE = re.compile(r"[?&]lang=|/documents/|/history\.(csv|json)$|^/(api|static|bootstrap)/|^/logout")
# pages of one kind (the same path with its numbers taken out, the same query keys) checked per role: its
# cases (each state shows other parts), a few of the rest
CASE_KIND = "/cases/N?"
PER_OTHER_KIND = 3
PER_ROLE = 80          # a bound on the crawl, far above what the demo has


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE_JS.is_file():
        pytest.skip(f"axe-core is not installed: run `npm ci --prefix tests/browser` (or `make test`); "
                    f"missing {AXE_JS.relative_to(ROOT)}")
    source = AXE_JS.read_text()
    assert f"axe v{AXE_VERSION}" in source[:200], f"{AXE_JS} is not axe-core {AXE_VERSION}: run npm ci again"
    return source


@pytest.fixture(scope="module")
def demo_server(chromium_path, axe_source, tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("cadreflow-axe"), ("bootstrap", "--unit", PROVINCE), ("seed-demo",))
    yield server
    text = server.stop()
    assert "Traceback" not in text, f"the server logged an exception:\n{text[-4000:]}"


class Axe:
    """Runs axe-core on the page as it is now and keeps what it found."""

    def __init__(self, page: Page, source: str, who: str, width: int, shots):
        self.page, self.source, self.who, self.width, self.shots = page, source, who, width, shots
        self.violations: list[dict] = []
        self.checked: list[str] = []

    def check(self, what: str, *, screenshot: bool = True) -> None:
        expect(self.page.locator("body")).to_be_visible()
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(self.source)
        result = self.page.evaluate("options => window.axe.run(document, options)", AXE_OPTIONS)
        where = urlsplit(self.page.url)
        url = where.path + (f"?{where.query}" if where.query else "")
        self.checked.append(f"{url} ({what})")
        AXE_CHECKED.append(f"{self.who} {self.width} {url} ({what})")
        for v in result["violations"]:
            self.violations.append({"who": self.who, "width": self.width, "page": url, "what": what, "rule": v["id"],
                                    "impact": v["impact"], "help": v["help"],
                                    "nodes": [{"target": n["target"], "summary": n.get("failureSummary", "")}
                                              for n in v["nodes"]]})
        if self.shots is not None and screenshot:
            self.shots(self.page, re.sub(r"[^\w]+", "-", f"{self.width}-{url}-{what}").strip("-")[:80])

    def assert_nothing_serious(self, test_name: str) -> None:
        REPORTS.mkdir(parents=True, exist_ok=True)
        (REPORTS / (re.sub(r"[^\w.-]+", "_", test_name) + ".json")).write_text(
            json.dumps({"axe": AXE_VERSION, "options": AXE_OPTIONS, "checked": self.checked,
                        "violations": self.violations}, ensure_ascii=False, indent=1))
        for v in self.violations:
            if v["impact"] not in BLOCKING:
                AXE_FINDINGS.append(f"{v['impact']}: {v['rule']} ({len(v['nodes'])}) on {v['page']} "
                                    f"as {v['who']} at {v['width']}px — {v['help']}")
        blocking = [v for v in self.violations if v["impact"] in BLOCKING]
        assert not blocking, "axe-core found serious or critical violations:\n" + "\n".join(
            f"- {v['impact']} {v['rule']} on {v['page']} ({v['what']}, {v['who']}, {v['width']}px): {v['help']}\n"
            + "\n".join(f"    {n['target']}: {n['summary'][:300]}" for n in v["nodes"][:8]) for v in blocking)


def _page(chromium, server, width: int) -> Page:
    ctx = chromium.new_context(base_url=server.url, viewport={"width": width, "height": 900}, locale="vi-VN")
    ctx.set_default_timeout(10_000)
    return ctx.new_page()


def _sign_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def _kind(url: str) -> str:
    parts = urlsplit(url)
    return re.sub(r"\d+", "N", parts.path) + "?" + ",".join(sorted({k for k, _ in parse_qsl(parts.query)}))


def crawl(page: Page, axe: Axe, cases: int) -> list[str]:
    """Visit the pages reachable by links from the home page (`cases` case pages, PER_OTHER_KIND of each
    other kind) and check each."""
    queue, seen, kinds = ["/"], set(), Counter()
    while queue and len(seen) < PER_ROLE:
        url = queue.pop(0)
        if url in seen or kinds[_kind(url)] >= (cases if _kind(url) == CASE_KIND else PER_OTHER_KIND):
            continue
        seen.add(url)
        kinds[_kind(url)] += 1
        response = page.goto(url)
        assert response is not None and response.ok, f"{url} answered {response and response.status}"
        axe.check("page", screenshot=kinds[_kind(url)] == 1)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            href = href.split("#", 1)[0]
            if href.startswith("/") and not href.startswith("//") and not NOT_A_PAGE.search(href) and href not in seen:
                queue.append(href)
    return sorted(seen)


@pytest.mark.parametrize("role", list(ROLES))
def test_axe_finds_nothing_serious_on_any_page_a_role_reaches(role, chromium, demo_server, axe_source, request,
                                                             shots):
    username, widths, cases = ROLES[role]
    for width in widths:
        page = _page(chromium, demo_server, width)
        axe = Axe(page, axe_source, role, width, shots if width == DESKTOP else None)
        _sign_in(page, username)
        visited = crawl(page, axe, cases)
        assert "/" in visited and any(re.fullmatch(r"/cases/\d+", u) for u in visited), visited
        page.context.close()
        axe.assert_nothing_serious(f"{request.node.name}-{width}")


def _send(page: Page, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state()


def _send_with_mistakes(page: Page, axe: Axe, what: str, button: str,
                        by_label: dict[str, str] | None = None) -> None:
    """Fill the fields (by their labels), send the form, see it refused, and check that page."""
    for label, value in (by_label or {}).items():
        page.get_by_label(label).fill(value)
    _send(page, button)
    expect(page.locator(".is-invalid, .invalid-feedback, .alert-danger").first).to_be_visible()
    axe.check(what)


def _open_case_titled(page: Page, title: str) -> None:
    page.goto("/")
    page.get_by_role("link", name=title).first.click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()


def _as(page: Page, axe: Axe, who: str, username: str) -> None:
    page.context.clear_cookies()
    axe.who = who
    _sign_in(page, username)


def test_axe_finds_nothing_serious_on_forms_with_errors_and_error_pages(chromium, demo_server, axe_source, request,
                                                                       shots):
    for width in (DESKTOP, PHONE):
        page = _page(chromium, demo_server, width)
        axe = Axe(page, axe_source, "anonymous", width, shots if width == DESKTOP else None)
        page.goto("/login")
        axe.check("sign-in")
        _send_with_mistakes(page, axe, "wrong password", "Đăng nhập",
                            {"Tên đăng nhập": "chuyenvien.dx", "Mật khẩu": "not-the-password"})
        page.goto("/no-such-page")
        axe.check("404")

        _as(page, axe, "staff", "chuyenvien.dx")
        page.goto("/cases/new")
        _send_with_mistakes(page, axe, "a new case without procedure and title", "Mở hồ sơ")
        _open_case_titled(page, "Bổ nhiệm Phó Trưởng Ban Tổ chức Huyện ủy Duy Xuyên")
        page.get_by_role("link", name="Nhập kết quả kiểm phiếu").click()
        _send_with_mistakes(page, axe, "a tally with more present than summoned", "Lưu kết quả kiểm phiếu",
                            {"Số được triệu tập": "10", "Số có mặt": "12"})
        page.goto("/account")
        _send_with_mistakes(page, axe, "a password change with the wrong password", "Đổi mật khẩu",
                            {"Mật khẩu hiện tại": "not-the-password",
                             "Mật khẩu mới (ít nhất 10 ký tự)": "mot-mat-khau-moi-du-dai"})
        page.goto("/audit")
        axe.check("403")
        page.goto("/cases/999999")
        axe.check("404 of a case")

        _as(page, axe, "staff-tam-ky", "chuyenvien.tk")
        _open_case_titled(page, "Thành lập Đảng bộ Khối doanh nghiệp thành phố Tam Kỳ")
        page.get_by_role("link", name="Nhập nội dung bước").click()
        _send_with_mistakes(page, axe, "a step form with a name twice and a negative number", "Lưu",
                            {"Danh sách nhân sự dự kiến": "Nguyễn Văn An\nNguyễn Văn An", "Số lượng cấp ủy viên": "-3"})

        _as(page, axe, "supervisor", "lanhdao.tinh")
        _open_case_titled(page, "Bổ nhiệm Phó Chủ tịch UBND huyện Duy Xuyên (nguồn nơi khác)")
        page.locator("#rt-reason").fill("   ")
        page.locator("form").filter(has=page.locator("#rt-reason")).get_by_role("button", name="Trả lại").click()
        page.wait_for_load_state()
        axe.check("a return without a reason")

        _as(page, axe, "admin", "quantri")
        page.goto("/admin/users")
        _send_with_mistakes(page, axe, "a new user with nothing filled in", "Tạo người dùng")
        page.goto("/admin/units")
        _send_with_mistakes(page, axe, "a new unit without a name", "Tạo đơn vị")
        page.context.close()
        axe.assert_nothing_serious(f"{request.node.name}-{width}")
