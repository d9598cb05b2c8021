"""The definition language's v2 constructs: each is refused where it cannot work, with a message that
names the file, the path in it and the problem; and each parses into the frozen objects the engine
reads. Built on a small definition mapping, mutated per test (no files, no database)."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from workflow.domain.errors import DefinitionError
from workflow.domain.language import parse

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "definitions" / "schema.json").read_text(encoding="utf-8"))
T = {"vi": "x", "en": "x"}


def base() -> dict:
    return {
        "key": "t", "version": 1, "title": T, "effective_from": "2026-01-01",
        "legal_basis": [{"number": "1", "date": "2026-01-01", "title": T}],
        "outcomes": [{"key": "yes", "title": T, "decision": True, "cite": "Art. 1"},
                     {"key": "no", "title": T, "check": "not found"}],
        "vote_rules": {"v": {"title": T, "scale": "two_level", "mode": "each", "quorum": {"fraction": "2/3", "of": "summoned"},
                             "base": "members_less_excused", "pass": {"op": "gt", "fraction": "1/2"},
                             "at_threshold": "head_decides", "decided_by": "head", "differing_opinions": True}},
        "steps": [
            {"key": "a", "title": T, "acted_by": T, "role": "staff",
             "form": [{"key": "born", "type": "date", "label": T}, {"key": "on", "type": "date", "label": T},
                      {"key": "ok", "type": "boolean", "label": T},
                      {"key": "n", "type": "integer", "min": 1, "max": 9, "label": T}],
             "conditions": [{"key": "age", "title": T, "age": {"born": "born", "at": "on", "min_months": 216},
                             "cite": "Art. 4"}]},
            {"key": "b", "title": T, "acted_by": T, "role": "head", "vote": "v",
             "deadline": {"title": T, "from": {"step": "a", "field": "on"}, "working_days": 30, "cite": "Art. 5"},
             "opinions": [{"role": "inspection", "title": T, "required": True}]},
        ],
        "transitions": [{"trigger": "advance", "source": "a", "dest": "b"},
                        {"trigger": "advance", "source": "a", "when": "failed", "end": "no"},
                        {"trigger": "advance", "source": "b", "end": "yes"},
                        {"trigger": "advance", "source": "b", "when": "failed", "end": "no"}],
    }


def refused(mutate) -> str:
    data = base()
    mutate(data)
    with pytest.raises(DefinitionError) as e:
        parse(data, "t.v1.yaml", schema=SCHEMA)
    return e.value.message


def test_the_v2_constructs_parse_into_the_objects_the_engine_reads():
    d = parse(copy.deepcopy(base()), "t.v1.yaml", schema=SCHEMA)
    a, b = d.steps
    assert [o.key for o in d.outcomes] == ["yes", "no"] and d.outcome("yes").decision
    assert a.conditions[0].kind == "age" and a.conditions[0].min == 216 and a.conditions[0].gate
    assert a.field("n").min == 1 and a.field("n").max == 9
    assert b.role == "head" and b.opinion("inspection").required and b.deadline.working_days == 30
    assert b.vote.decided_by == "head" and b.vote.differing_opinions and b.vote.base == "members_less_excused"
    assert [t.end for t in d.failed_branches("a")] == ["no"] and d.advance_of("b").end == "yes"
    assert d.all_deadlines[0].until == "b"


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["transitions"].__setitem__(1, {"trigger": "advance", "source": "a", "when": "failed", "end": "maybe"}),
     "t.v1.yaml: transitions[1].end: unknown outcome 'maybe' (declared: no, yes)"),
    (lambda d: d["transitions"].__setitem__(1, {"trigger": "advance", "source": "a", "when": "failed", "dest": "b",
                                                "end": "no"}),
     "t.v1.yaml: transitions[1]: a transition has either 'dest' (a step) or 'end' (an outcome)"),
    (lambda d: d["transitions"].pop(2),
     "t.v1.yaml: transitions: the procedure declares outcomes: the last step ('b') must end the case with one "
     "('end: …')"),
    (lambda d: d["outcomes"].append({"key": "later", "title": T}),
     "t.v1.yaml: outcomes[2]: outcome 'later' is never reached by a transition"),
    (lambda d: d["steps"][0].pop("conditions"),
     "t.v1.yaml: transitions[1].when: step 'a' has no gate (a vote that is a gate, or a gated condition): "
     "'when: failed' can never be taken"),
    (lambda d: d["steps"][0]["conditions"][0].update(cite=None) or d["steps"][0]["conditions"][0].pop("cite")
     or d["steps"][0]["conditions"][0].update(check="not found", gate=True),
     "t.v1.yaml: steps[0].conditions[0].gate: a [check] rule never blocks: give a 'cite' to make it a gate"),
    (lambda d: d["steps"][0]["conditions"][0].pop("cite"),
     "t.v1.yaml: steps[0].conditions[0]: give 'cite' (the article) or 'check' (why it is not confirmed)"),
    (lambda d: d["steps"][0]["conditions"][0]["age"].update(born="ok"),
     "t.v1.yaml: steps[0].conditions[0].age.born: 'a.ok' is a boolean field; this needs date"),
    (lambda d: d["steps"][0]["conditions"][0]["age"].update(born={"step": "b", "field": "x"}),
     "t.v1.yaml: steps[0].conditions[0].age.born: step 'b' comes after 'a': a rule can read only what is "
     "recorded by then"),
    (lambda d: d["steps"][0]["conditions"][0]["age"].update(born="today"),
     "t.v1.yaml: steps[0].conditions[0].age.born: 'today' is allowed only as the end of a span ('to', 'at')"),
    (lambda d: d["steps"][0]["form"][3].update(min=10),
     "t.v1.yaml: steps[0].form[3].max: the lower bound 10 is above the upper bound 9"),
    (lambda d: d["steps"][0]["form"][0].update(min=1),
     "t.v1.yaml: steps[0].form[0].min: 'min' does not apply to a date field"),
    (lambda d: d["steps"][1]["deadline"].pop("cite"),
     "t.v1.yaml: steps[1].deadline: give 'cite' (the article) or 'check' (why it is not confirmed)"),
    (lambda d: d["steps"][1]["deadline"].update(days=3),
     "t.v1.yaml: steps[1].deadline: give exactly one of 'working_days', 'days', 'months'"),
    (lambda d: d["vote_rules"]["v"].update(at_threshold="fail"),
     "t.v1.yaml: vote_rules.v.decided_by: 'decided_by' applies only where the head decides (at_threshold or "
     "tie_at_cut 'head_decides')"),
    (lambda d: d["vote_rules"]["v"].update(base="ballots"),
     "t.v1.yaml: vote_rules.v.base: 'ballots' is not one of 'summoned', 'members', 'members_less_excused', "
     "'present', 'collected', 'valid'"),
    (lambda d: d["vote_rules"]["v"].update(seats={"step": "a", "field": "born"}),
     "t.v1.yaml: vote_rules.v.seats: 'a.born' is a date field; this needs integer"),
    (lambda d: d["vote_rules"]["v"].update(tie_at_cut="new_round"),
     "t.v1.yaml: vote_rules.v.tie_at_cut: 'tie_at_cut' on a yes/no vote needs 'seats' (how many pass at most)"),
    (lambda d: d["steps"][1].update(tallies={"per": "block", "combine": "each"}) or d["vote_rules"]["v"].update(
        seats=2, tie_at_cut="new_round"),
     "t.v1.yaml: steps[1].tallies: a new round at a tie ('tie_at_cut: new_round' in 'v') cannot be combined with "
     "several tallies at one step"),
    (lambda d: d["steps"][1]["opinions"].append({"role": "inspection", "title": T}),
     "t.v1.yaml: steps[1].opinions: a role gives at most one opinion at a step"),
    (lambda d: d["steps"][1]["opinions"][0].update(role="auditor"),
     "t.v1.yaml: steps[1].opinions[0].role: 'auditor' is not one of 'inspection'"),
    (lambda d: d["outcomes"][0].update(check="x"),
     "t.v1.yaml: outcomes[0]: give either 'cite' or 'check', not both"),
])
def test_a_construct_that_cannot_work_is_refused_naming_file_path_and_problem(mutate, message):
    assert refused(mutate) == message


def test_a_v1_definition_without_any_new_key_still_loads_with_v1_defaults():
    data = base()
    data.pop("outcomes")
    data["transitions"] = [{"trigger": "advance", "source": "a", "dest": "b"}]
    for s in data["steps"]:
        for k in ("conditions", "deadline", "opinions"):
            s.pop(k, None)
        s["role"] = "staff"
    data["vote_rules"]["v"] = {"title": T, "scale": "two_level", "mode": "each", "quorum": {"fraction": "2/3", "of": "summoned"},
                               "base": "valid", "pass": {"op": "gt", "fraction": "1/2"}}
    d = parse(data, "t.v1.yaml", schema=SCHEMA)
    v = d.steps[1].vote
    assert (v.gate, v.seats, v.tie_at_cut, v.outside_names, v.announced, v.decided_by) == (True, None, None, None, True,
                                                                                           None)
    assert d.outcomes == () and d.next_of("b") == "completed"
