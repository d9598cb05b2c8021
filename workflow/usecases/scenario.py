"""The scenario runner: a scripted case against a database, for procedure authors to dry-run a
definition, and the demo's data. A public contract (README): the input format and the JSON it
prints are stable. The actions are domain.actions' table: each YAML action gives the action's
inputs by name (a tally's counts may stand beside `do`, as may an object input's members).

Optional, for stories told over time (the demo): `start: {days_ago: N}` sets a clock that many
days back, `after: {days: d, hours: h}` on an action moves it on first, and the text "$today"
in an action stands for the clock's date. Users may be `{role, unit, name, password}`."""
from __future__ import annotations

import datetime as dt
import secrets
import tempfile
from dataclasses import dataclass, field
from typing import Any, Mapping

import yaml

from ..adapters.db import Store, migrate
from ..domain.actions import ACTIONS
from ..domain.calendar import local_date
from ..domain.errors import WorkflowError
from .engine import Workflow

META = {"as", "do", "expect_error", "case", "expected_version", "idempotency_key", "label", "after"}
ALIASES = {"type": "doc_type"}          # the scenario format's own names for some inputs
DEFAULT_UNIT = "Huyện ủy Duy Xuyên"


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
    return data


class Clock:
    """The time a scenario runs at: now, or a story's time that moves on as it is told."""

    def __init__(self, start: dt.datetime | None):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now if self.now is not None else dt.datetime.now(dt.timezone.utc)

    def move(self, by: Any) -> None:
        if by and self.now is not None:
            self.now += dt.timedelta(days=float(by.get("days", 0)), hours=float(by.get("hours", 0)))


def _plain(v: Any, today: str) -> Any:
    if isinstance(v, dict):
        return {k: _plain(x, today) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x, today) for x in v]
    if isinstance(v, (dt.date, dt.datetime)):
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


class _Run:
    """One scenario being played."""

    def __init__(self, wf: Workflow, scenario: Mapping):
        start = scenario.get("start")
        self.clock = Clock(wf.clock() - dt.timedelta(days=float(start.get("days_ago", 0))) if start else None)
        self.wf = Workflow(wf.store, wf.registry, clock=self.clock, max_upload=wf.max_upload) if start else wf
        self.scenario, self.case, self.labels, self.opened = scenario, None, {}, []
        self.units = self._units()
        self.people = self._people()

    def _units(self) -> dict[str, int]:
        people = self.wf.people
        root = self.scenario.get("unit") or DEFAULT_UNIT
        units = {root: people.find_or_create_unit_path([root])}
        # optional extra units: {name: parent name}, for scoping scenarios
        for name, parent in (self.scenario.get("units") or {}).items():
            units[name] = (people.find_or_create_unit_path(([parent] if parent else []) + [name])
                           if parent not in units else self._child(units[parent], name))
        return units

    def _child(self, parent_id: int, name: str) -> int:
        return self.wf.people.unit_under(parent_id, name)

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

    def step(self, a: dict) -> None:
        if not a or "do" not in a or "as" not in a:
            raise ScenarioError("an action needs 'as' and 'do'")
        if a["as"] not in self.people:
            raise ScenarioError(f"unknown user '{a['as']}'")
        user = self.people[a["as"]]
        kw = {k: a[k] for k in ("expected_version", "idempotency_key") if k in a}
        if a["do"] == "open":
            res = self.wf.cases.open_case(user, a.get("procedure", self.scenario["procedure"]), a.get("title", ""),
                                          unit_id=self.units.get(a["unit"]) if a.get("unit") else None,
                                          version=a.get("version", self.scenario.get("version")), **kw)
            self.case = res.case
            self.opened.append(res.case["id"])
            if a.get("label"):
                self.labels[a["label"]] = res.case["id"]
        elif a["do"] in ACTIONS:
            target = self.labels.get(a.get("case"), a.get("case")) if a.get("case") else (self.case or {}).get("id")
            if target is None:
                raise ScenarioError("no case is open yet")
            res = self.wf.cases.act(user, target, a["do"], action_input(a["do"], a), **kw)
            if self.case is None or res.case["id"] == self.case["id"]:
                self.case = res.case
        else:
            raise ScenarioError(f"unknown action '{a['do']}'")


def play(wf: Workflow, scenario: Mapping) -> Played:
    """Play a scenario: the output object, whether every action met its expectation, the cases opened."""
    r = _Run(wf, scenario)
    results, ok_all = [], True
    for i, raw in enumerate(scenario["actions"]):
        if isinstance(raw, dict):
            r.clock.move(raw.get("after"))
        a = _plain(raw, local_date(r.clock()).isoformat()) if isinstance(raw, dict) else {}
        expect = a.get("expect_error")
        try:
            r.step(a)
            good = expect is None
            results.append({"index": i, "ok": True, "error": None, "message": "ok"})
        except WorkflowError as e:
            good = expect == e.code
            results.append({"index": i, "ok": False, "error": e.code, "message": e.message})
        except ScenarioError as e:
            good = False
            results.append({"index": i, "ok": False, "error": "scenario", "message": str(e)})
        ok_all &= good
    ver = wf.queries.verify()
    case = r.case
    if case is not None:
        # the case as it stands now, seen by the system (an auditor's view may be narrower)
        case = wf.queries.case_summary(case["id"]) or case
    out = {"case": ({"state": case["state"], "step_no": case["step_no"], "status": case["status"],
                     "version": case["version"]} if case else None),
           "results": results, "events": wf.queries.count_events(), "audit_ok": ver.ok}
    return Played(out, ok_all and ver.ok, r.opened)


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
    """Run it; return (the output object, whether every action met its expectation)."""
    p = play(wf, scenario)
    return p.out, p.ok
