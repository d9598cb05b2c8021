"""The scenario runner: a scripted case against a database, for procedure authors to dry-run a
definition, the demo's data, and an executable specification. A public contract (README): the
input format and the JSON it prints are stable. The actions are domain.actions' table: each YAML
action gives the action's inputs by name (a tally's counts may stand beside `do`, as may an object
input's members).

Besides the actions: `expect:` (at the end of the file, and on any action) states what must then
hold — `state`, `status`, `outcome`, `awaiting`, `returned`, `overdue`, `case_due`, `step_due`, and
`steps: {STEP: {CANDIDATE: RESULT}}`
with RESULT the step's judged result for that person (passed, failed, head_decides, goes_on, tied,
or a three-level poll's outcome key); `at:` on an action sets the clock from there on (`start:
{days_ago: N}` or `start: {at: …}` before the first action, `after: {days: d, hours: h}` moves it on,
and "$today" stands for the clock's date); `heads: {UNIT: USER}` and `delegations: [{unit, user,
from, until, reason}]` designate the heads of units (also as actions: `designate_head`, `delegate`).
Users may be `{role, unit, name, password}`, extra units `units: {name: parent}`."""
from __future__ import annotations

import datetime as dt
import secrets
import tempfile
from dataclasses import dataclass, field
from typing import Any, Mapping
from zoneinfo import ZoneInfo

import yaml

from ..adapters.db import Store, migrate
from ..domain.actions import ACTIONS
from ..domain.calendar import TZ_NAME, local_date
from ..domain.errors import WorkflowError
from .engine import Workflow

META = {"as", "do", "expect_error", "case", "expected_version", "idempotency_key", "label", "after", "at", "expect"}
ALIASES = {"type": "doc_type"}          # the scenario format's own names for some inputs
DEFAULT_UNIT = "Huyện ủy Duy Xuyên"
EXPECT_KEYS = {"state", "status", "outcome", "awaiting", "returned", "steps", "case", "overdue", "case_due",
               "step_due"}
PEOPLE_ACTIONS = ("designate_head", "delegate")


class ScenarioError(Exception):
    """The scenario file itself is malformed (not an action that failed)."""


def load(text: str) -> dict:
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as e:      # PyYAML raises ValueError for an impossible date
        raise ScenarioError(f"not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise ScenarioError("a scenario is a mapping with 'procedure', 'users' and 'actions'")
    for key in ("procedure", "users", "actions"):
        if key not in data:
            raise ScenarioError(f"missing '{key}'")
    if not isinstance(data["users"], dict) or not isinstance(data["actions"], list):
        raise ScenarioError("'users' is a mapping of name to role; 'actions' is a list")
    for where, exp in [("expect", data.get("expect"))] + [(f"actions[{i}].expect", a.get("expect"))
                                                          for i, a in enumerate(data["actions"]) if isinstance(a, dict)]:
        if exp is not None and (not isinstance(exp, dict) or set(exp) - EXPECT_KEYS):
            raise ScenarioError(f"{where}: a mapping of {', '.join(sorted(EXPECT_KEYS))}")
    return data


def moment(v: Any) -> dt.datetime:
    """A time for `at:`: ISO text with its offset ('2026-03-02T09:00+07:00'); without one, Vietnam's
    time; a bare date is 09:00 that day in Vietnam."""
    if isinstance(v, dt.datetime):
        t = v
    elif isinstance(v, dt.date):
        t = dt.datetime.combine(v, dt.time(9, 0))
    else:
        try:
            t = dt.datetime.fromisoformat(str(v))
        except ValueError:
            raise ScenarioError(f"'at: {v}' is not a time (2026-03-02T09:00+07:00) or a date") from None
    return t if t.tzinfo is not None else t.replace(tzinfo=ZoneInfo(TZ_NAME))


class Clock:
    """The time a scenario runs at: the engine's clock (now), or a story's time that moves on as it
    is told."""

    def __init__(self, start: dt.datetime | None, fallback=None):
        self.now = start
        self.fallback = fallback or (lambda: dt.datetime.now(dt.timezone.utc))

    def __call__(self) -> dt.datetime:
        return self.now if self.now is not None else self.fallback()

    def move(self, by: Any) -> None:
        if by and self.now is not None:
            self.now += dt.timedelta(days=float(by.get("days", 0)), hours=float(by.get("hours", 0)))

    def set(self, at: Any) -> None:
        if at is not None:
            self.now = moment(at)


def _plain(v: Any, today: str) -> Any:
    if isinstance(v, dict):
        return {k: _plain(x, today) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x, today) for x in v]
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return today if v == "$today" else v


def action_input(name: str, a: Mapping[str, Any]) -> dict:
    """The input of action `name` from a scenario's action `a`: each input by its name; an object
    input not named is made of the action's other keys (a tally's counts beside `do`)."""
    given = {ALIASES.get(k, k): v for k, v in a.items() if k not in META}
    inputs = ACTIONS[name].inputs
    named = {i.name for i in inputs}
    out: dict[str, Any] = {}
    for i in inputs:
        if i.name in given:
            out[i.name] = given[i.name]
        elif i.kind in ("object", "tally") and sum(1 for x in inputs if x.kind in ("object", "tally")) == 1:
            # the one object input not named: the action's other keys (a tally's counts beside `do`)
            out[i.name] = {k: v for k, v in given.items() if k not in named}
        elif i.kind == "object":
            out[i.name] = {}
        elif i.kind == "bytes":
            out[i.name] = b""
    for i in inputs:
        if i.kind == "bytes" and isinstance(out.get(i.name), str):
            out[i.name] = out[i.name].encode()
    return out


@dataclass
class Played:
    out: dict
    ok: bool
    case_ids: list[int] = field(default_factory=list)


def _start(scenario: Mapping, wf: Workflow) -> dt.datetime | None:
    start = scenario.get("start")
    if not start:
        return None
    if "at" in start:
        return moment(start["at"])
    return wf.clock() - dt.timedelta(days=float(start.get("days_ago", 0)))


class _Run:
    """One scenario being played."""

    def __init__(self, wf: Workflow, scenario: Mapping):
        self.clock = Clock(_start(scenario, wf), wf.clock)
        self.wf = Workflow(wf.store, wf.registry, clock=self.clock, max_upload=wf.max_upload)
        self.scenario, self.case, self.labels, self.opened = scenario, None, {}, []
        self.units = self._units()
        self.people = self._people()
        self._heads()

    def _units(self) -> dict[str, int]:
        people = self.wf.people
        root = self.scenario.get("unit") or DEFAULT_UNIT
        units = {root: people.find_or_create_unit_path([root])}
        # optional extra units: {name: parent name}, for scoping scenarios
        for name, parent in (self.scenario.get("units") or {}).items():
            units[name] = (people.find_or_create_unit_path(([parent] if parent else []) + [name])
                           if parent not in units else self.wf.people.unit_under(units[parent], name))
        return units

    def _people(self) -> dict[str, int]:
        root = self.scenario.get("unit") or DEFAULT_UNIT
        people: dict[str, int] = {}
        for name, spec in self.scenario["users"].items():
            spec = {"role": spec} if isinstance(spec, str) else (spec or {})
            unit = spec.get("unit", root)
            if unit not in self.units:
                raise ScenarioError(f"user '{name}': unknown unit '{unit}'")
            existing = self.wf.directory.user_by_name(str(name))
            people[name] = existing.id if existing else self.wf.people.create_user(
                None, str(name), spec.get("password") or secrets.token_urlsafe(16), spec.get("role"),
                self.units[unit], spec.get("name")).id
        return people

    def _unit(self, name: Any) -> int:
        if name not in self.units:
            raise ScenarioError(f"unknown unit '{name}'")
        return self.units[name]

    def _user(self, name: Any) -> int:
        if name not in self.people:
            raise ScenarioError(f"unknown user '{name}'")
        return self.people[name]

    def _heads(self) -> None:
        """`heads: {UNIT: USER}` and `delegations: [...]`, recorded by the system before the actions."""
        for unit, user in (self.scenario.get("heads") or {}).items():
            self.wf.heads.designate(None, self._unit(unit), self._user(user))
        for d in self.scenario.get("delegations") or []:
            self._delegate(None, _plain(d, ""))

    def _delegate(self, actor: int | None, a: Mapping) -> None:
        self.wf.heads.delegate(actor, self._unit(a.get("unit")), self._user(a.get("user")), a.get("from"),
                               a.get("until"), a.get("reason") or "Ủy quyền")

    def _people_action(self, user: int, a: Mapping) -> None:
        if a["do"] == "designate_head":
            self.wf.heads.designate(user, self._unit(a.get("unit")), self._user(a["user"]) if a.get("user") else None)
        else:
            self._delegate(user, a)

    def step(self, a: dict) -> None:
        if not a or "do" not in a or "as" not in a:
            raise ScenarioError("an action needs 'as' and 'do'")
        user = self._user(a["as"])
        kw = {k: a[k] for k in ("expected_version", "idempotency_key") if k in a}
        if a["do"] == "open":
            res = self.wf.cases.open_case(user, a.get("procedure", self.scenario["procedure"]), a.get("title", ""),
                                          unit_id=self.units.get(a["unit"]) if a.get("unit") else None,
                                          version=a.get("version", self.scenario.get("version")), **kw)
            self.case = res.case
            self.opened.append(res.case["id"])
            if a.get("label"):
                self.labels[a["label"]] = res.case["id"]
        elif a["do"] in PEOPLE_ACTIONS:
            self._people_action(user, a)
        elif a["do"] in ACTIONS:
            target = self.target(a.get("case"))
            res = self.wf.cases.act(user, target, a["do"], action_input(a["do"], a), **kw)
            if self.case is None or res.case["id"] == self.case["id"]:
                self.case = res.case
        else:
            raise ScenarioError(f"unknown action '{a['do']}'")

    def target(self, label: Any) -> int:
        target = self.labels.get(label, label) if label else (self.case or {}).get("id")
        if target is None:
            raise ScenarioError("no case is open yet")
        return target

    def expectations(self, exp: Mapping | None, where: str) -> list[str]:
        """What `expect:` states and does not hold, each as a sentence naming it."""
        if not exp:
            return []
        cid = self.target(exp.get("case"))
        summary = self.wf.queries.case_summary(cid) or {}
        results = self.wf.queries.case_results(cid) or {}
        have = {"state": summary.get("state"), "status": summary.get("status"), "outcome": results.get("outcome"),
                "awaiting": results.get("awaiting"), "returned": results.get("returned"),
                "overdue": summary.get("overdue"), "case_due": summary.get("case_due"),
                "step_due": summary.get("step_due")}
        exp = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in exp.items()}
        bad = [f"{where}: {k} is {have[k]!r}, expected {exp[k]!r}" for k in have if k in exp and have[k] != exp[k]]
        for st, people in (exp.get("steps") or {}).items():
            got = (results.get("steps") or {}).get(st, {}).get("candidates", {})
            for name, want in (people or {}).items():
                if got.get(name) != want:
                    bad.append(f"{where}: steps.{st}.{name} is {got.get(name)!r}, expected {want!r}")
        return bad


def _one(r: _Run, i: int, raw: Any) -> tuple[dict, bool, list[str]]:
    """Play action `i`: its result, whether it met `expect_error`, and the expectations it missed."""
    if isinstance(raw, dict):
        r.clock.move(raw.get("after"))
        r.clock.set(raw.get("at"))
    a = _plain(raw, local_date(r.clock()).isoformat()) if isinstance(raw, dict) else {}
    expect = a.get("expect_error")
    try:
        r.step(a)
        good, res = expect is None, {"index": i, "ok": True, "error": None, "message": "ok"}
    except WorkflowError as e:
        good, res = expect == e.code, {"index": i, "ok": False, "error": e.code, "message": e.message}
    except ScenarioError as e:
        return {"index": i, "ok": False, "error": "scenario", "message": str(e)}, False, []
    try:
        missed = r.expectations(a.get("expect"), f"after action {i}")
    except ScenarioError as e:
        missed = [f"after action {i}: {e}"]
    return res, good, missed


def play(wf: Workflow, scenario: Mapping) -> Played:
    """Play a scenario: the output object, whether every action and expectation was met, the cases opened."""
    r = _Run(wf, scenario)
    results, ok_all, missed = [], True, []
    for i, raw in enumerate(scenario["actions"]):
        res, good, bad = _one(r, i, raw)
        results.append(res)
        ok_all &= good
        if not good:
            want = raw.get("expect_error") if isinstance(raw, dict) else None
            missed.append(f"action {i} ({(raw or {}).get('do') if isinstance(raw, dict) else raw}): expected "
                          f"{want or 'success'}, got {res['error'] or 'success'}: {res['message']}")
        missed += bad
    try:
        missed += r.expectations(scenario.get("expect"), "at the end")
    except ScenarioError as e:
        missed.append(f"at the end: {e}")
    ver = wf.queries.verify()
    case = r.case
    extra = {"outcome": None, "steps": {}}
    if case is not None:
        # the case as it stands now, seen by the system (an auditor's view may be narrower)
        case = wf.queries.case_summary(case["id"]) or case
        got = wf.queries.case_results(case["id"]) or {}
        extra = {"outcome": got.get("outcome"), "steps": {k: {"candidates": v["candidates"]}
                                                          for k, v in (got.get("steps") or {}).items()}}
    out = {"case": ({"state": case["state"], "step_no": case["step_no"], "status": case["status"],
                     "version": case["version"]} if case else None),
           "results": results, "events": wf.queries.count_events(), "audit_ok": ver.ok, **extra,
           "expectations": missed}
    return Played(out, ok_all and ver.ok and not missed, r.opened)


def run_on(scenario: Mapping, registry, database: str | None = None) -> tuple[dict, bool]:
    """Run a scenario on the database at `database` (migrated, and kept) or on a fresh temporary one."""
    with tempfile.TemporaryDirectory(prefix="cadreflow-scenario-") as tmp:
        if database:
            migrate(database)
            store = Store(database)
            store.ensure_chain_head()
        else:
            store = Store(f"sqlite:///{tmp}/scenario.db", synchronous="NORMAL")
            store.create_all()
        try:
            return run(Workflow(store, registry), scenario)
        finally:
            store.dispose()


def run(wf: Workflow, scenario: Mapping) -> tuple[dict, bool]:
    """Run it; return (the output object, whether every action and expectation was met)."""
    p = play(wf, scenario)
    return p.out, p.ok


# ---- files and folders (the CLI's `scenario run FILE|DIR`) ------------------------------------------

def _registry(spec: Mapping, file, registry, definitions):
    """The definitions a file runs against: `--definitions`, else the file's own `definitions:`
    (a folder, relative to the file), else the installed ones."""
    from pathlib import Path

    from ..adapters.definitions import load_folder
    folder = definitions or (Path(file).parent / spec["definitions"] if spec.get("definitions") else None)
    if folder is None:
        return registry
    if not Path(folder).is_dir():
        raise ScenarioError(f"definitions folder '{folder}' does not exist")
    return load_folder(folder)


def run_file(file, registry, database: str | None = None, definitions=None) -> tuple[dict, int]:
    """One file: (the output object, the exit code: 0 met, 1 not met, 2 malformed)."""
    from pathlib import Path
    try:
        spec = load(Path(file).read_text(encoding="utf-8"))
        out, ok = run_on(spec, _registry(spec, file, registry, definitions), database)
    except (ScenarioError, UnicodeDecodeError, OSError) as e:
        return {"error": f"{file}: {e}"}, 2
    return out, 0 if ok else 1


def summary_line(name: str, out: dict, code: int) -> str:
    """One line for a file in a folder's run: ok or FAIL, what went wrong first, where the case ended."""
    if code == 2:
        return f"ERROR {out['error']}"
    case = out.get("case") or {}
    where = f"{case.get('status')} {case.get('state')}" + (f" outcome={out['outcome']}" if out.get("outcome") else "")
    if code == 0:
        return f"ok    {name} ({len(out['results'])} actions, {where})"
    first = (out.get("expectations") or ["the record did not verify"])[0]
    return f"FAIL  {name}: {first} [{where}]"


def run_folder(folder, registry, definitions=None) -> tuple[list[str], int]:
    """Every *.yaml file of a folder, each on a fresh database: one line per file, and the worst exit code."""
    from pathlib import Path
    lines, worst = [], 0
    for f in sorted(Path(folder).glob("*.yaml")):
        out, code = run_file(f, registry, None, definitions)
        lines.append(summary_line(f.name, out, code))
        worst = max(worst, code)
    return lines, worst
