"""Without Chromium the browser tests skip, saying how to install it. These tests need no browser:
they pin the lookup (`CADREFLOW_CHROMIUM` overrides it) and run the browser tests once with a
missing executable to see them skip."""
from __future__ import annotations

import os
import re
import subprocess
import sys

from browser_support import ROOT, SKIP_REASON, find_chromium


def test_chromium_lookup_honours_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("CADREFLOW_CHROMIUM", "/nonexistent/chromium")
    assert find_chromium() is None
    not_executable = tmp_path / "chromium"
    not_executable.write_text("")
    not_executable.chmod(0o644)
    monkeypatch.setenv("CADREFLOW_CHROMIUM", str(not_executable))
    assert find_chromium() is None
    monkeypatch.setenv("CADREFLOW_CHROMIUM", sys.executable)
    assert find_chromium() == sys.executable


def test_browser_tests_skip_with_the_install_hint_when_chromium_is_missing():
    env = {**os.environ, "CADREFLOW_CHROMIUM": "/nonexistent"}
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-m", "browser",
                        "tests/browser"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert " passed" not in out and "failed" not in out and "error" not in out.lower(), out
    skipped = re.search(r"(\d+) skipped", out)
    assert skipped and int(skipped.group(1)) >= 6, out      # every browser test of this folder
    # -rs folds the skips of one test's parameters into one line: "SKIPPED [5] file:line: reason"
    for_the_reason = re.findall(r"SKIPPED \[(\d+)\] [^\n]*: " + re.escape(SKIP_REASON), out)
    assert sum(map(int, for_the_reason)) == int(skipped.group(1)), out
