"""Every scenario file in tests/scenarios/ through the public CLI, `flask --app wsgi scenario run FILE`:
exit 0, the JSON contract, an intact record, and the final status/state the file announces in its
last line (`# expect: status=<...> state=<...>`). Also the runner's own contract: a failed
expectation exits 1, a malformed file exits 2 with a message on stderr, `--database` keeps the
database."""
from __future__ import annotations

import json
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select, text

from workflow.adapters.definitions import load_folder
from workflow.adapters.db import Store
from workflow.adapters.tables import cases, events, metadata

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "tests" / "scenarios"
FILES = sorted(p.name for p in SCENARIOS.glob("*.yaml"))
REGISTRY = load_folder(ROOT / "definitions")
EXPECT = re.compile(r"^# expect: status=(open|completed|cancelled) state=([a-z0-9_-]+)\s*$")


def flask(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
           "CADREFLOW_INSTANCE": str(tmp / "instance"), "SECRET_KEY": "test-secret-key-not-for-production",
           "PYTHONIOENCODING": "utf-8"}
    env.pop("DATABASE_URL", None)
    return subprocess.run(["flask", "--app", "wsgi", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def run(tmp: Path, file: Path | str, *extra: str) -> subprocess.CompletedProcess:
    return flask(tmp, "scenario", "run", str(file), *extra)


def expectation(path: Path) -> tuple[str, str]:
    last = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()][-1]
    m = EXPECT.match(last)
    assert m, f"{path.name}: the last line must be '# expect: status=<...> state=<...>', not {last!r}"
    return m.group(1), m.group(2)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Every scenario file run once (a few at a time; each is its own process and database)."""
    tmp = tmp_path_factory.mktemp("scenarios")
    with ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
        done = pool.map(lambda name: (name, run(tmp / name, SCENARIOS / name)), FILES)
        return dict(done)


# ---- the files themselves --------------------------------------------------------------------

def test_every_shipped_procedure_has_a_happy_scenario_that_completes():
    for d in REGISTRY.latest():
        path = SCENARIOS / f"{d.key}-happy.yaml"
        assert path.exists(), f"missing {path.name}"
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["procedure"] == d.key
        assert expectation(path) == ("completed", "completed")


def test_every_shipped_procedure_has_failure_scenarios():
    for d in REGISTRY.latest():
        others = [f for f in FILES if f.startswith(f"{d.key}-") and f != f"{d.key}-happy.yaml"]
        assert others, f"{d.key}: no failure-path scenario"
        expected = [a.get("expect_error") for f in others
                    for a in yaml.safe_load((SCENARIOS / f).read_text(encoding="utf-8"))["actions"]]
        assert any(expected), f"{d.key}: no scenario expects an error"


@pytest.mark.parametrize("name", FILES)
def test_scenario_file_is_named_after_its_procedure_and_states_its_outcome(name):
    spec = yaml.safe_load((SCENARIOS / name).read_text(encoding="utf-8"))
    assert name.startswith(spec["procedure"] + "-")
    assert (spec["procedure"], 1) in REGISTRY
    status, state = expectation(SCENARIOS / name)
    d = REGISTRY.get(spec["procedure"])
    assert state in ({status} if status != "open" else {s.key for s in d.steps})


def test_the_scenarios_cover_every_error_code_reachable_with_shipped_definitions():
    seen = {a.get("expect_error") for f in FILES
            for a in yaml.safe_load((SCENARIOS / f).read_text(encoding="utf-8"))["actions"]}
    assert {"quorum_not_met", "invalid_tally", "guard_failed", "forbidden", "not_allowed",
            "version_conflict", "validation", "not_found"} <= seen


# ---- each file through the CLI ---------------------------------------------------------------

@pytest.mark.parametrize("name", FILES)
def test_scenario_runs_with_every_expectation_met(runs, name):
    r = runs[name]
    assert r.returncode == 0, f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    out = json.loads(r.stdout)
    spec = yaml.safe_load((SCENARIOS / name).read_text(encoding="utf-8"))

    assert set(out) == {"case", "results", "events", "audit_ok", "outcome", "steps", "expectations"}
    assert out["expectations"] == []
    assert set(out["case"]) == {"state", "step_no", "status", "version"}
    assert isinstance(out["events"], int)
    assert out["audit_ok"] is True

    # one result per action, in order; each met its expectation
    assert [x["index"] for x in out["results"]] == list(range(len(spec["actions"])))
    for action, res in zip(spec["actions"], out["results"]):
        assert set(res) == {"index", "ok", "error", "message"}
        want = action.get("expect_error")
        if want is None:
            assert res == {"index": res["index"], "ok": True, "error": None, "message": "ok"}, res
        else:
            assert (res["ok"], res["error"]) == (False, want), res
            assert res["message"]

    status, state = expectation(SCENARIOS / name)
    case = out["case"]
    assert (case["status"], case["state"]) == (status, state)
    d = REGISTRY.get(spec["procedure"], spec.get("version", 1))
    assert case["step_no"] == {"completed": len(d.steps), "cancelled": 0}.get(state) or d.step(state).no
    # the case's row version counts its successful changes: open, then one per action that succeeded
    successes = sum(1 for x in out["results"] if x["ok"])
    replays = sum(1 for i, a in enumerate(spec["actions"]) if a.get("idempotency_key") and out["results"][i]["ok"]
                  and any(b.get("idempotency_key") == a["idempotency_key"] and out["results"][j]["ok"]
                          for j, b in enumerate(spec["actions"][:i])))
    assert case["version"] == successes - replays
    # one event per change of the case, plus one per user created
    assert out["events"] >= case["version"] + len(spec["users"])


# ---- the runner's contract -------------------------------------------------------------------
# These runs, too, are started together in one batch (each is a ~1 s process).

SHORT = """
procedure: dismissal-resignation
users: {staff1: staff, lead1: supervisor}
actions:
  - {as: staff1, do: open, title: "Thử"}
"""

CONTRACT = {
    "unexpected-failure": SHORT + "  - {as: staff1, do: advance}\n",
    "expected-error-missing": SHORT + "  - {as: lead1, do: cancel, reason: ok, expect_error: forbidden}\n",
    "unknown-user-action": SHORT + "  - {as: nobody, do: advance}\n  - {as: staff1, do: fly}\n",
    "malformed-missing-actions": "procedure: x\nusers: {}\n",
    "malformed-yaml": "procedure: [unclosed\n",
    "malformed-unknown-unit": "procedure: reappointment\nusers: {s: {role: staff, unit: Nowhere}}\nactions: []\n",
    "impossible-date": SHORT + "  - {as: staff1, do: record, fields: {grounds_date: 2026-02-30}}\n",
}


@pytest.fixture(scope="module")
def contract(tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess]]:
    tmp = tmp_path_factory.mktemp("contract")
    paths = {}
    for name, text in CONTRACT.items():
        paths[name] = tmp / f"{name}.yaml"
        paths[name].write_text(text, encoding="utf-8")
    with ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
        return dict(pool.map(lambda n: (n, (paths[n], run(tmp / n, paths[n]))), CONTRACT))


def test_an_action_that_fails_unexpectedly_exits_1_and_still_reports(contract):
    _, r = contract["unexpected-failure"]
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out["results"][1]["ok"] is False and out["results"][1]["error"] == "guard_failed"
    assert out["case"]["state"] == "grounds" and out["audit_ok"] is True


def test_an_expected_error_that_does_not_happen_exits_1(contract):
    _, r = contract["expected-error-missing"]
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out["results"][1] == {"index": 1, "ok": True, "error": None, "message": "ok"}
    assert out["case"]["status"] == "cancelled"


def test_an_unknown_user_or_action_is_a_scenario_error_and_exits_1(contract):
    _, r = contract["unknown-user-action"]
    assert r.returncode == 1
    res = json.loads(r.stdout)["results"]
    assert [(x["error"], x["message"]) for x in res[1:]] == [("scenario", "unknown user 'nobody'"),
                                                              ("scenario", "unknown action 'fly'")]


@pytest.mark.parametrize("name, problem", [
    ("malformed-missing-actions", "missing 'actions'"),
    ("malformed-yaml", "not valid YAML"),
    ("malformed-unknown-unit", "user 's': unknown unit 'Nowhere'"),
])
def test_a_malformed_scenario_file_exits_2_with_a_message_on_stderr(contract, name, problem):
    path, r = contract[name]
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout == ""
    assert r.stderr.startswith(f"error: {path}: ")
    assert problem in r.stderr


def test_an_impossible_date_in_a_scenario_file_is_a_malformed_file(contract):
    _, r = contract["impossible-date"]
    assert r.returncode == 2
    assert r.stderr.startswith("error: ")


def count(url: str) -> tuple[list[tuple], int]:
    store = Store(url)
    try:
        with store.core() as c:
            rows = [tuple(r) for r in c.execute(select(cases.c.title, cases.c.state, cases.c.status,
                                                       cases.c.definition_key).order_by(cases.c.id))]
            n = c.execute(select(func.count()).select_from(events)).scalar_one()
    finally:
        store.dispose()
    return rows, n


def test_database_option_keeps_the_database_and_its_case(tmp_path):
    url = f"sqlite:///{tmp_path / 'kept.db'}"
    r = run(tmp_path, SCENARIOS / "confidence-vote-cancel.yaml", "--database", url)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    rows, n = count(url)
    assert rows == [("Lấy phiếu tín nhiệm đợt bổ sung", "cancelled", "cancelled", "confidence-vote")]
    assert n == out["events"]

    # a second run into the same database adds its case next to the first, reusing the users
    r = run(tmp_path, SCENARIOS / "appointment-external-cancel.yaml", "--database", url)
    assert r.returncode == 0, r.stderr
    rows, _ = count(url)
    assert [row[3] for row in rows] == ["confidence-vote", "appointment-external"]
    assert json.loads(r.stdout)["audit_ok"] is True


@pytest.mark.postgres
def test_database_option_works_on_postgresql(tmp_path, pg_database):
    store = Store(pg_database)                 # start from empty tables: users are reused by name
    with store.core() as c:
        c.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
                       + " RESTART IDENTITY CASCADE"))
    store.ensure_chain_head()
    store.dispose()
    r = run(tmp_path, SCENARIOS / "reappointment-permissions.yaml", "--database", pg_database)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    rows, n = count(pg_database)
    assert rows == [("Bổ nhiệm lại Trưởng phòng Kinh tế", "self-assessment", "open", "reappointment")]
    assert n == out["events"] and out["audit_ok"] is True


# ---- the language's constructs (tests/scenarios/lang: its own definitions) ---------------------

LANG = SCENARIOS / "lang"
LANG_FILES = sorted(p.name for p in LANG.glob("*.yaml"))


def test_every_language_scenario_states_what_must_hold_at_the_end():
    for name in LANG_FILES:
        spec = yaml.safe_load((LANG / name).read_text(encoding="utf-8"))
        assert spec.get("definitions") == "definitions" and spec.get("expect"), name


def test_the_language_scenarios_run_as_a_folder_one_line_each_all_met(tmp_path):
    r = run(tmp_path, LANG)
    lines = r.stdout.splitlines()
    assert r.returncode == 0, r.stdout + r.stderr
    assert [line.split()[1] for line in lines] == LANG_FILES
    assert all(line.startswith("ok ") for line in lines)


def test_a_folder_with_one_unmet_expectation_exits_1_and_names_it(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "definitions").symlink_to(LANG / "definitions")
    spec = yaml.safe_load((LANG / "lang-seats-two-seats.yaml").read_text(encoding="utf-8"))
    spec["expect"]["steps"]["nominate"]["Lê Văn An"] = "failed"
    (folder / "wrong.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    (folder / "right.yaml").write_text((LANG / "lang-seats-two-seats.yaml").read_text(encoding="utf-8"),
                                       encoding="utf-8")
    r = run(tmp_path, folder)
    assert r.returncode == 1
    right, wrong = r.stdout.splitlines()
    assert right.startswith("ok    right.yaml")
    assert wrong.startswith("FAIL  wrong.yaml: at the end: steps.nominate.Lê Văn An is 'passed', expected 'failed'")
