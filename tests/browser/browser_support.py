"""Settings of the browser tests, shared by conftest.py and the tests (imported by name: a module
called `conftest` would be ambiguous with tests/conftest.py)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
UNIT = "Tỉnh ủy Quảng Nam/Huyện ủy Duy Xuyên"
PASSWORD = "mat-khau-kiem-thu-2025"
USERS = {  # user name -> (role, display name)
    "canbo1": ("staff", "Nguyễn Văn Cán"),
    "canbo2": ("staff", "Trần Thị Bộ"),
    "lanhdao": ("supervisor", "Lê Văn Lãnh Đạo"),
    "kiemtra": ("auditor", "Phạm Thị Kiểm Tra"),
}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SKIP_REASON = ("Chromium not found: install Debian's chromium (apt-get install -y chromium); "
               "browser tests skipped")


def find_chromium() -> str | None:
    """The Chromium to drive: $CADREFLOW_CHROMIUM if set, else /usr/bin/chromium or `chromium` on PATH."""
    wanted = os.environ.get("CADREFLOW_CHROMIUM")
    if wanted:
        return wanted if Path(wanted).is_file() and os.access(wanted, os.X_OK) else None
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium")

# the pages axe-core checked in this run, and its moderate and minor findings, printed at the run's end
# (conftest.pytest_terminal_summary)
AXE_CHECKED: list[str] = []
AXE_FINDINGS: list[str] = []
