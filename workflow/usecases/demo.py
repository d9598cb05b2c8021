"""Demo data for a first look (`flask --app wsgi seed-demo`): the scenario files of a folder
(definitions/demo/), played in order by the scenario runner on clocks set in the past, so the
history reads like real work: a unit tree in Quảng Nam, users for every role, and cases of every
procedure at different steps (one left overdue on purpose)."""
from __future__ import annotations

from pathlib import Path

from .engine import Workflow
from .scenario import ScenarioError, load, play

FOLDER = Path(__file__).resolve().parent.parent.parent / "definitions" / "demo"
MARKER = "chuyenvien.dx"          # a demo user: when there, the demo is there


def seed(wf: Workflow, folder: Path = FOLDER) -> list[str]:
    """Play the demo; the lines to print (users, the password, the cases)."""
    files = sorted(Path(folder).glob("*.yaml"))
    specs = [load(f.read_text(encoding="utf-8")) for f in files]
    passwords = sorted({who["password"] for spec in specs for who in spec["users"].values()
                        if isinstance(who, dict) and who.get("password")})
    if wf.directory.user_by_name(MARKER) is not None:
        return [f"The demo is already here (user '{MARKER}' exists); nothing was changed.",
                f"Sign in with any demo user; the demo password is: {', '.join(passwords)}"]
    cases = []
    for f, spec in zip(files, specs):
        played = play(wf, spec)
        if not played.ok:
            raise ScenarioError(f"{f.name}: {[r for r in played.out['results'] if not r['ok']]}")
        cases += [f"case {cid}: {spec.get('note', f.stem)}" for cid in played.case_ids]
    lines = ["Demo data created.", "", "Users (every demo user has the same password):"]
    root = specs[0].get("unit", "")
    for spec in specs:
        for name, who in spec["users"].items():
            if isinstance(who, dict):
                lines.append(f"  {name:16} {who['role']:11} {who.get('unit', root)}  ({who.get('name', name)})")
    lines += ["", *(f"  password: {p}" for p in passwords), "", "Cases:", *(f"  {c}" for c in cases)]
    return lines
