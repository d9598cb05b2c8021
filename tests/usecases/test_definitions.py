"""Procedure definitions: every shipped file loads; a bad file is refused with a message naming the
file, the path inside it and the problem (one test per class of error, each on a mutated copy of a
real definition); the registry; pinning a case to the version it was opened under; the CLI."""
from __future__ import annotations

import copy
import os
import shutil
import subprocess
from pathlib import Path
from typing import Callable

import pytest
import yaml

from workflow.adapters.definitions import load_file, load_folder, parse_text as parse
from workflow.domain.definition import Registry
from workflow.domain.errors import DefinitionError, Validation
from workflow.usecases.engine import Workflow

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = ROOT / "definitions"
SHIPPED = sorted(p.name for p in DEFINITIONS.glob("*.yaml"))
PASSWORD = "correct horse battery"


def real(key: str) -> dict:
    return yaml.safe_load((DEFINITIONS / f"{key}.v1.yaml").read_text(encoding="utf-8"))


def write(folder: Path, data: dict, name: str | None = None) -> Path:
    path = folder / (name or f"{data['key']}.v{data['version']}.yaml")
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def refusal(tmp_path: Path, key: str, mutate: Callable[[dict], object]) -> str:
    """Load a mutated copy of a shipped definition; return the refusal's message."""
    data = copy.deepcopy(real(key))
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(DefinitionError) as e:
        load_file(path)
    assert e.value.code == "definition_invalid"
    return e.value.message


# ---- what ships ------------------------------------------------------------------------------

def test_seven_definitions_ship():
    assert len(SHIPPED) == 7


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_definition_loads(name):
    d = load_file(DEFINITIONS / name)
    assert name == f"{d.key}.v{d.version}.yaml"
    assert d.steps and d.legal_basis and d.title.vi and d.title.en
    assert len(d.fingerprint) == 64


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_step_of_a_vote_refers_to_a_loaded_rule(name):
    d = load_file(DEFINITIONS / name)
    for s in d.steps:
        if s.vote is not None:
            assert s.vote in d.vote_rules


def test_a_mutated_copy_that_changes_nothing_loads(tmp_path):
    d = load_file(write(tmp_path, real("appointment-internal")))
    assert d.fingerprint == load_file(DEFINITIONS / "appointment-internal.v1.yaml").fingerprint


# ---- one test per class of error -------------------------------------------------------------

def test_unknown_step_in_a_transition_is_refused(tmp_path):
    msg = refusal(tmp_path, "appointment-internal", lambda d: d["transitions"][5].__setitem__("dest", "decison"))
    assert msg == "appointment-internal.v1.yaml: transitions[5].dest: unknown step 'decison'"


def test_unknown_source_step_in_a_transition_is_refused(tmp_path):
    msg = refusal(tmp_path, "appointment-internal", lambda d: d["transitions"][7].__setitem__("source", "colective-2"))
    assert msg == "appointment-internal.v1.yaml: transitions[7].source: unknown step 'colective-2'"


def test_unreachable_step_is_refused(tmp_path):
    # collective-1 jumps straight to collective-2: the expanded meeting can never be reached
    msg = refusal(tmp_path, "appointment-internal", lambda d: d["transitions"][0].__setitem__("dest", "collective-2"))
    assert msg == "appointment-internal.v1.yaml: steps[1]: step 'expanded-meeting' is unreachable from the first step"


def test_missing_title_is_refused(tmp_path):
    msg = refusal(tmp_path, "confidence-vote", lambda d: d.pop("title"))
    assert msg == "confidence-vote.v1.yaml: (top level): missing 'title'"


def test_missing_step_title_is_refused(tmp_path):
    msg = refusal(tmp_path, "confidence-vote", lambda d: d["steps"][2].pop("title"))
    assert msg == "confidence-vote.v1.yaml: steps[2]: missing 'title'"


@pytest.mark.parametrize("where, path", [
    (lambda d: d["title"], "title"),
    (lambda d: d["steps"][1]["title"], "steps[1].title"),
    (lambda d: d["steps"][0]["form"][0]["label"], "steps[0].form[0].label"),
    (lambda d: d["vote_rules"]["confidence"]["outcomes"][1]["title"], "vote_rules.confidence.outcomes[1].title"),
])
def test_missing_english_in_a_title_is_refused(tmp_path, where, path):
    msg = refusal(tmp_path, "confidence-vote", lambda d: where(d).pop("en"))
    assert msg == f"confidence-vote.v1.yaml: {path}: missing 'en'"


@pytest.mark.parametrize("value, problem", [
    ("3/2", "bad threshold '3/2': fraction '3/2' must be greater than 0 and at most 1"),
    ("0/3", "bad threshold '0/3': fraction '0/3' must be greater than 0 and at most 1"),
    ("abc", "bad threshold 'abc': write a fraction like \"1/2\" or \"2/3\""),
    ("1/0", "bad threshold '1/0': division by zero"),
    ("0.5", "bad threshold '0.5': write a fraction like \"1/2\" or \"2/3\""),
])
def test_bad_threshold_is_refused(tmp_path, value, problem):
    msg = refusal(tmp_path, "appointment-internal",
                  lambda d: d["vote_rules"]["key-cadres-opinion"]["pass"].__setitem__("fraction", value))
    assert msg == f"appointment-internal.v1.yaml: vote_rules.key-cadres-opinion.pass.fraction: {problem}"


def test_bad_quorum_fraction_is_refused(tmp_path):
    msg = refusal(tmp_path, "appointment-internal",
                  lambda d: d["vote_rules"]["key-cadres-opinion"]["quorum"].__setitem__("fraction", "4/3"))
    assert msg.startswith("appointment-internal.v1.yaml: vote_rules.key-cadres-opinion.quorum.fraction: "
                          "bad threshold '4/3'")


def test_bad_outcome_fraction_is_refused(tmp_path):
    msg = refusal(tmp_path, "confidence-vote",
                  lambda d: d["vote_rules"]["confidence"]["outcomes"][1].__setitem__("below", "5/3"))
    assert msg.startswith("confidence-vote.v1.yaml: vote_rules.confidence.outcomes[1].below: bad threshold '5/3'")


def test_unknown_vote_rule_is_refused(tmp_path):
    msg = refusal(tmp_path, "appointment-internal", lambda d: d["steps"][1].__setitem__("vote", "nomination"))
    assert msg == ("appointment-internal.v1.yaml: steps[1].vote: unknown vote rule 'nomination' (known: "
                   "collective-decision, key-cadres-opinion, nomination-collective, nomination-expanded)")


def test_vote_rule_when_none_are_defined_is_refused(tmp_path):
    msg = refusal(tmp_path, "dismissal-resignation", lambda d: d["steps"][1].__setitem__("vote", "confidence"))
    assert msg == ("dismissal-resignation.v1.yaml: steps[1].vote: unknown vote rule 'confidence' "
                   "(no vote_rules are defined)")


def test_return_to_a_later_step_is_refused(tmp_path):
    msg = refusal(tmp_path, "appointment-internal", lambda d: d["transitions"].append(
        {"trigger": "return", "source": "expanded-meeting", "dest": "decision"}))
    assert msg == ("appointment-internal.v1.yaml: transitions[13].dest: a return goes back to an earlier step; "
                   "'decision' is not before 'expanded-meeting'")


def test_return_to_the_same_step_is_refused(tmp_path):
    msg = refusal(tmp_path, "appointment-internal", lambda d: d["transitions"].append(
        {"trigger": "return", "source": "decision", "dest": "decision"}))
    assert msg.startswith("appointment-internal.v1.yaml: transitions[13].dest: a return goes back to an earlier step")


def test_the_same_return_declared_twice_is_refused(tmp_path):
    msg = refusal(tmp_path, "appointment-internal", lambda d: d["transitions"].append(
        {"trigger": "return", "source": "decision", "dest": "collective-3"}))
    assert msg == "appointment-internal.v1.yaml: transitions[13]: this return is declared twice"


def test_two_advances_from_one_step_are_refused(tmp_path):
    msg = refusal(tmp_path, "appointment-internal", lambda d: d["transitions"].insert(
        1, {"trigger": "advance", "source": "collective-1", "dest": "collective-2"}))
    assert msg == ("appointment-internal.v1.yaml: transitions[1]: step 'collective-1' already advances "
                   "(transitions[0]); a step has exactly one forward transition")


def test_advance_from_the_last_step_is_refused(tmp_path):
    msg = refusal(tmp_path, "appointment-internal", lambda d: d["transitions"].append(
        {"trigger": "advance", "source": "announcement", "dest": "collective-1"}))
    assert msg == ("appointment-internal.v1.yaml: transitions[13].source: 'announcement' is the last step: "
                   "its advance completes the case")


def test_step_without_an_advance_is_refused(tmp_path):
    msg = refusal(tmp_path, "appointment-internal", lambda d: d["transitions"].pop(3))
    assert msg == "appointment-internal.v1.yaml: steps[3]: step 'key-cadres' has no 'advance' transition"


def test_duplicate_step_key_is_refused(tmp_path):
    msg = refusal(tmp_path, "appointment-internal", lambda d: d["steps"][2].__setitem__("key", "expanded-meeting"))
    assert msg == ("appointment-internal.v1.yaml: steps[2].key: step key 'expanded-meeting' is used twice "
                   "(also steps[1])")


def test_reserved_step_key_is_refused(tmp_path):
    def mutate(d):
        d["steps"][-1]["key"] = "completed"
        d["transitions"][5]["dest"] = "completed"
    msg = refusal(tmp_path, "appointment-internal", mutate)
    assert msg == "appointment-internal.v1.yaml: steps[6].key: 'completed' is reserved for the end of a case"


def test_duplicate_field_key_is_refused(tmp_path):
    msg = refusal(tmp_path, "appointment-internal", lambda d: d["steps"][0]["form"][2].__setitem__("key", "position"))
    assert msg == "appointment-internal.v1.yaml: steps[0].form[2].key: field key 'position' is used twice in this step"


def test_duplicate_document_type_is_refused(tmp_path):
    msg = refusal(tmp_path, "appointment-internal",
                  lambda d: d["steps"][2]["documents"][1].__setitem__("type", "vote-minutes"))
    assert msg == "appointment-internal.v1.yaml: steps[2].documents: a document type is listed twice"


def test_head_decides_with_at_least_is_refused(tmp_path):
    msg = refusal(tmp_path, "appointment-internal",
                  lambda d: d["vote_rules"]["collective-decision"]["pass"].__setitem__("op", "ge"))
    assert msg == ("appointment-internal.v1.yaml: vote_rules.collective-decision.at_threshold: "
                   "'head_decides' applies only when the threshold is 'gt' (more than)")


@pytest.mark.parametrize("mutate", [
    lambda r: r.pop("outcomes"), lambda r: r.__setitem__("outcomes", []), lambda r: r.pop("default_outcome")])
def test_levels_without_outcomes_are_refused(tmp_path, mutate):
    msg = refusal(tmp_path, "confidence-vote", lambda d: mutate(d["vote_rules"]["confidence"]))
    assert msg == ("confidence-vote.v1.yaml: vote_rules.confidence: mode 'levels' needs 'outcomes' "
                   "and 'default_outcome'")


def test_levels_on_a_two_level_scale_are_refused(tmp_path):
    msg = refusal(tmp_path, "confidence-vote",
                  lambda d: d["vote_rules"]["confidence"].__setitem__("scale", "two_level"))
    assert msg == "confidence-vote.v1.yaml: vote_rules.confidence.scale: mode 'levels' needs scale 'three_level'"


def test_each_mode_without_a_pass_threshold_is_refused(tmp_path):
    msg = refusal(tmp_path, "appointment-internal", lambda d: d["vote_rules"]["key-cadres-opinion"].pop("pass"))
    assert msg == ("appointment-internal.v1.yaml: vote_rules.key-cadres-opinion: mode 'each' needs a 'pass' "
                   "threshold (op and fraction)")


def test_no_pass_outside_nominate_mode_is_refused(tmp_path):
    msg = refusal(tmp_path, "appointment-internal",
                  lambda d: d["vote_rules"]["key-cadres-opinion"].__setitem__("no_pass", "top_two"))
    assert msg == ("appointment-internal.v1.yaml: vote_rules.key-cadres-opinion.no_pass: "
                   "'no_pass' applies only to mode 'nominate'")


def test_nominees_at_a_step_without_a_vote_are_refused(tmp_path):
    msg = refusal(tmp_path, "appointment-internal", lambda d: d["steps"][0].__setitem__("allows_nominees", True))
    assert msg == ("appointment-internal.v1.yaml: steps[0].allows_nominees: nominees can only be added at a step "
                   "with a vote")


def test_choice_field_without_choices_is_refused(tmp_path):
    msg = refusal(tmp_path, "appointment-internal", lambda d: d["steps"][0]["form"][0].__setitem__("type", "choice"))
    assert msg == "appointment-internal.v1.yaml: steps[0].form[0]: a 'choice' field needs 'choices'"


def test_unknown_key_is_refused(tmp_path):
    msg = refusal(tmp_path, "appointment-internal", lambda d: d["steps"][1].__setitem__("approve", True))
    assert msg.startswith("appointment-internal.v1.yaml: steps[1]: unknown key(s)") and "'approve'" in msg


def test_unknown_role_is_refused(tmp_path):
    msg = refusal(tmp_path, "appointment-internal", lambda d: d["steps"][1].__setitem__("role", "auditor"))
    assert msg == "appointment-internal.v1.yaml: steps[1].role: 'auditor' is not one of 'staff', 'supervisor', 'head'"


def test_bad_effective_from_date_is_refused(tmp_path):
    msg = refusal(tmp_path, "appointment-internal", lambda d: d.__setitem__("effective_from", "2025-02-30"))
    assert msg == "appointment-internal.v1.yaml: effective_from: '2025-02-30' is not a date (YYYY-MM-DD)"


def test_bad_legal_basis_date_is_refused_with_its_path(tmp_path):
    msg = refusal(tmp_path, "appointment-internal", lambda d: d["legal_basis"][0].__setitem__("date", "2025-02-30"))
    assert msg == "appointment-internal.v1.yaml: legal_basis[0].date: '2025-02-30' is not a date (YYYY-MM-DD)"


def test_impossible_unquoted_date_is_refused_as_a_definition_error():
    text = (DEFINITIONS / "appointment-internal.v1.yaml").read_text(encoding="utf-8")
    text = text.replace("effective_from: 2025-10-08", "effective_from: 2025-02-30")
    with pytest.raises(DefinitionError) as e:
        parse(text, "appointment-internal.v1.yaml")
    assert e.value.message.startswith("appointment-internal.v1.yaml: ")


def test_a_return_that_lands_later_on_the_forward_path_is_refused(tmp_path):
    def mutate(d):
        # forward path: grounds → submission → talk-proposal → decision → announcement
        d["transitions"] = [
            {"trigger": "advance", "source": "grounds", "dest": "submission"},
            {"trigger": "advance", "source": "submission", "dest": "talk-proposal"},
            {"trigger": "advance", "source": "talk-proposal", "dest": "decision"},
            {"trigger": "advance", "source": "decision", "dest": "announcement"},
            {"trigger": "return", "source": "submission", "dest": "talk-proposal"},   # 'back' = forward
        ]
    refusal(tmp_path, "dismissal-resignation", mutate)


def test_invalid_yaml_is_refused_naming_the_line(tmp_path):
    lines = (DEFINITIONS / "appointment-internal.v1.yaml").read_text(encoding="utf-8").splitlines()
    lines[5] = "\ten: a tab cannot indent YAML"
    path = tmp_path / "appointment-internal.v1.yaml"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(DefinitionError) as e:
        load_file(path)
    assert e.value.message.startswith("appointment-internal.v1.yaml: line 6, column 1: not valid YAML: ")


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path):
    path = tmp_path / "appointment-internal.v1.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as e:
        load_file(path)
    assert e.value.message == ("appointment-internal.v1.yaml: (top level): a definition must be a mapping "
                               "of keys to values")


@pytest.mark.parametrize("name", ["appointment-internal.v2.yaml", "appointment.v1.yaml", "appointment-internal.yaml"])
def test_wrong_file_name_is_refused(tmp_path, name):
    path = write(tmp_path, real("appointment-internal"), name)
    with pytest.raises(DefinitionError) as e:
        load_file(path)
    assert e.value.message == (f"{name}: (top level): file name should be 'appointment-internal.v1.yaml' "
                               "(key 'appointment-internal', version 1)")


def test_the_error_carries_file_path_and_problem_as_params(tmp_path):
    data = real("appointment-internal")
    data["transitions"][5]["dest"] = "decison"
    with pytest.raises(DefinitionError) as e:
        load_file(write(tmp_path, data))
    assert e.value.params == {"file": "appointment-internal.v1.yaml", "path": "transitions[5].dest",
                              "what": "unknown step 'decison'"}


# ---- the registry ----------------------------------------------------------------------------

def test_registry_keeps_good_files_and_lists_bad_ones(tmp_path):
    for name in SHIPPED:
        shutil.copy(DEFINITIONS / name, tmp_path / name)
    bad = real("reappointment")
    bad["version"] = 2
    bad["transitions"][0]["dest"] = "nowhere"
    write(tmp_path, bad)
    reg = load_folder(tmp_path)
    assert sorted(f"{d.key}.v{d.version}.yaml" for d in reg.all()) == SHIPPED
    assert [e.message for e in reg.errors] == ["reappointment.v2.yaml: transitions[0].dest: unknown step 'nowhere'"]
    assert reg.get("reappointment").version == 1


def test_registry_lists_a_file_with_an_impossible_date_instead_of_crashing(tmp_path):
    shutil.copy(DEFINITIONS / "appointment-internal.v1.yaml", tmp_path)
    text = (DEFINITIONS / "confidence-vote.v1.yaml").read_text(encoding="utf-8")
    (tmp_path / "confidence-vote.v1.yaml").write_text(text.replace("date: 2023-02-02", "date: 2023-02-30"),
                                                      encoding="utf-8")
    reg = load_folder(tmp_path)
    assert [d.key for d in reg.all()] == ["appointment-internal"]
    assert len(reg.errors) == 1 and reg.errors[0].message.startswith("confidence-vote.v1.yaml: ")


def test_registry_refuses_the_same_version_twice():
    d = load_file(DEFINITIONS / "confidence-vote.v1.yaml")
    reg = Registry([d])
    with pytest.raises(DefinitionError, match="confidence-vote v1 is already defined"):
        reg.add(d)


def test_registry_get_returns_the_newest_version_or_the_one_asked_for(tmp_path):
    v1 = load_file(DEFINITIONS / "dismissal-resignation.v1.yaml")
    v2 = load_file(write(tmp_path, without_talk_step(real("dismissal-resignation"))))
    reg = Registry([v2, v1])
    assert reg.get("dismissal-resignation").version == 2
    assert reg.get("dismissal-resignation", 1) is v1
    assert reg.get("dismissal-resignation", 2) is v2
    assert [d.version for d in reg.all()] == [1, 2]
    assert [d.version for d in reg.latest()] == [2]
    with pytest.raises(KeyError):
        reg.get("dismissal-resignation", 3)
    with pytest.raises(KeyError):
        reg.get("no-such-procedure")


def test_registry_get_on_a_date_skips_versions_not_yet_in_force(tmp_path):
    import datetime as dt
    data = without_talk_step(real("dismissal-resignation"))
    data["effective_from"] = "2099-01-01"
    reg = Registry([load_file(DEFINITIONS / "dismissal-resignation.v1.yaml"), load_file(write(tmp_path, data))])
    assert reg.get("dismissal-resignation", on=dt.date(2026, 1, 1)).version == 1
    assert reg.get("dismissal-resignation", on=dt.date(2099, 1, 1)).version == 2


# ---- pinning a case to its version -----------------------------------------------------------

def without_talk_step(data: dict) -> dict:
    """Version 2 of dismissal-resignation: the talk and the proposal are dropped."""
    data = copy.deepcopy(data)
    data["version"] = 2
    data["steps"] = [s for s in data["steps"] if s["key"] != "talk-proposal"]
    data["transitions"] = [t for t in data["transitions"] if "talk-proposal" not in (t["source"], t["dest"])]
    data["transitions"].insert(0, {"trigger": "advance", "source": "grounds", "dest": "submission"})
    return data


GROUNDS = {"candidates": ["Phạm Văn Đức"], "position": "Trưởng phòng", "kind": "resignation",
           "grounds": "voluntary", "grounds_detail": "Đơn xin từ chức ngày 02/01/2026", "grounds_date": "2026-01-02"}


def staff_in(wf: Workflow) -> int:
    unit = wf.people.find_or_create_unit_path(["Huyện ủy Duy Xuyên"])
    return wf.people.create_user(None, "staff", PASSWORD, "staff", unit).id


@pytest.fixture
def folder(tmp_path) -> Path:
    f = tmp_path / "definitions"
    f.mkdir()
    shutil.copy(DEFINITIONS / "dismissal-resignation.v1.yaml", f)
    return f


def test_a_case_stays_on_its_version_when_a_new_one_is_added(store, folder):
    reg = load_folder(folder)
    wf = Workflow(store, reg)
    s = staff_in(wf)
    old = wf.cases.open_case(s, "dismissal-resignation", "Cho từ chức – v1").case
    assert old["procedure_version"] == 1

    reg.add(load_file(write(folder, without_talk_step(real("dismissal-resignation")))))
    new = wf.cases.open_case(s, "dismissal-resignation", "Cho từ chức – v2").case
    assert new["procedure_version"] == 2

    for cid in (old["id"], new["id"]):
        wf.cases.record(s, cid, GROUNDS)
        wf.cases.advance(s, cid)
    old_now, new_now = wf.queries.get_case(s, old["id"]), wf.queries.get_case(s, new["id"])
    assert (old_now.summary.version, old_now.summary.state, old_now.summary.step_no) == (1, "talk-proposal", 2)
    assert (new_now.summary.version, new_now.summary.state, new_now.summary.step_no) == (2, "submission", 2)
    assert len(old_now.definition.steps) == 5 and len(new_now.definition.steps) == 4


def test_a_case_opened_before_a_restart_keeps_its_version(store, folder):
    s = staff_in(Workflow(store, load_folder(folder)))
    cid = Workflow(store, load_folder(folder)).cases.open_case(s, "dismissal-resignation", "Miễn nhiệm").case["id"]
    write(folder, without_talk_step(real("dismissal-resignation")))
    wf = Workflow(store, load_folder(folder))            # the application restarts with v2 installed
    assert wf.registry.get("dismissal-resignation").version == 2
    wf.cases.record(s, cid, GROUNDS)
    r = wf.cases.advance(s, cid)
    assert (r.case["procedure_version"], r.case["state"]) == (1, "talk-proposal")


def test_editing_a_version_in_place_after_a_case_was_opened_is_refused(store, folder):
    wf = Workflow(store, load_folder(folder))
    s = staff_in(wf)
    wf.cases.open_case(s, "dismissal-resignation", "Trường hợp thứ nhất")

    path = folder / "dismissal-resignation.v1.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("deadline_days: 3", "deadline_days: 4", 1),
                    encoding="utf-8")
    edited = Workflow(store, load_folder(folder))
    with pytest.raises(Validation) as e:
        edited.cases.open_case(s, "dismissal-resignation", "Trường hợp thứ hai")
    assert "dismissal-resignation.v1.yaml was changed after cases were opened under dismissal-resignation v1" \
        in e.value.message
    assert "new version" in e.value.message


def test_a_running_case_does_not_follow_a_version_edited_in_place(store, folder):
    from workflow.domain.errors import WorkflowError
    wf = Workflow(store, load_folder(folder))
    s = staff_in(wf)
    cid = wf.cases.open_case(s, "dismissal-resignation", "Trường hợp đang chạy").case["id"]
    path = folder / "dismissal-resignation.v1.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "{key: grounds_detail, type: text, required: true", "{key: grounds_detail, type: text, required: false"),
        encoding="utf-8")
    edited = Workflow(store, load_folder(folder))
    # nothing is done to a running case under rules it was not opened with
    for act in (lambda: edited.cases.record(s, cid, {k: v for k, v in GROUNDS.items() if k != "grounds_detail"}),
                lambda: edited.cases.advance(s, cid)):
        with pytest.raises(WorkflowError) as e:
            act()
        assert e.value.code == "definition_invalid" and "new version" in e.value.message
    assert edited.queries.get_case(s, cid).summary.row_version == 1


def test_editing_only_comments_of_a_used_version_is_not_a_change(store, folder):
    wf = Workflow(store, load_folder(folder))
    s = staff_in(wf)
    wf.cases.open_case(s, "dismissal-resignation", "Trường hợp thứ nhất")
    path = folder / "dismissal-resignation.v1.yaml"
    path.write_text("# a comment added later\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    again = Workflow(store, load_folder(folder))
    assert again.cases.open_case(s, "dismissal-resignation", "Trường hợp thứ hai").case["procedure_version"] == 1


def test_editing_a_version_no_case_has_used_is_allowed(store, folder):
    path = folder / "dismissal-resignation.v1.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("deadline_days: 3", "deadline_days: 4", 1),
                    encoding="utf-8")
    wf = Workflow(store, load_folder(folder))
    assert wf.cases.open_case(staff_in(wf), "dismissal-resignation", "Mới").case["status"] == "open"


# ---- the CLI ---------------------------------------------------------------------------------

def flask(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
           "CADREFLOW_INSTANCE": str(tmp_path / "instance"), "SECRET_KEY": "test-secret-key-not-for-production",
           "PYTHONIOENCODING": "utf-8"}
    env.pop("DATABASE_URL", None)
    return subprocess.run(["flask", "--app", "wsgi", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


@pytest.fixture(scope="module")
def validate_runs(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """`definitions validate` on a good file, a bad one, and both (run together)."""
    tmp = tmp_path_factory.mktemp("validate")
    bad = real("appointment-internal")
    bad["transitions"][5]["dest"] = "decison"
    bad_path = write(tmp, bad)
    good_path = str(DEFINITIONS / "appointment-internal.v1.yaml")
    jobs = {"good": [good_path], "bad": [str(bad_path)], "mixed": [str(DEFINITIONS / "confidence-vote.v1.yaml"),
                                                                   str(bad_path)]}
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(lambda k: (k, flask(tmp / k, "definitions", "validate", *jobs[k])), jobs))


def test_cli_validate_accepts_a_good_file(validate_runs):
    r = validate_runs["good"]
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("ok    appointment-internal.v1.yaml: appointment-internal v1, 7 steps, 13 transitions")


def test_cli_validate_refuses_a_bad_file_and_prints_the_message(validate_runs):
    r = validate_runs["bad"]
    assert r.returncode == 1
    assert r.stdout.strip() == "error appointment-internal.v1.yaml: transitions[5].dest: unknown step 'decison'"


def test_cli_validate_exits_1_when_any_of_several_files_is_bad(validate_runs):
    r = validate_runs["mixed"]
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[0].startswith("ok    confidence-vote.v1.yaml: confidence-vote v1, 4 steps")
    assert lines[1] == "error appointment-internal.v1.yaml: transitions[5].dest: unknown step 'decison'"
