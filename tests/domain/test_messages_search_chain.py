"""The domain's small parts without a database: every message key the engine raises has its
English template (and every template is used); parsers; the text filter's folding rule (the
oracle the databases are tested against); the chain's walk over plain rows."""
from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from workflow.domain import parse
from workflow.domain.chain import GENESIS, Verification, Walk, canonical, event_hash
from workflow.domain.errors import Problem, Validation, render
from workflow.domain.messages import MESSAGES
from workflow.domain.search import Needle, fold, names_in, search_text

ROOT = Path(__file__).resolve().parents[2]
ERRORS = {"Problem", "WorkflowError", "Forbidden", "NotFound", "NotAllowed", "GuardFailed", "QuorumNotMet",
          "InvalidTally", "FourEyes", "VersionConflict", "Validation", "DefinitionError", "AuthFailed"}
# where a key is not the first argument: require(user, roles, KEY), Checker.fail(path, KEY, ...)
KEY_ARG = {"require": 2, "fail": 1}


def _strings(node) -> list[str]:
    """The constant strings an argument can be (both branches of `a if c else b`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def _sources():
    for path in list((ROOT / "workflow").rglob("*.py")) + list((ROOT / "web").rglob("*.py")):
        if path.name != "messages.py":
            yield ast.parse(path.read_text(encoding="utf-8"))


def _keys_raised() -> set[str]:
    keys = set()
    for tree in _sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            at = 0 if name in ERRORS else KEY_ARG.get(name)
            if at is not None and len(node.args) > at:
                keys |= set(_strings(node.args[at]))
    return keys


def _literals() -> set[str]:
    return {n.value for tree in _sources() for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)}


def test_every_message_key_raised_has_its_english_template():
    raised = _keys_raised()
    assert len(raised) > 150
    assert sorted(raised - set(MESSAGES)) == []


def test_every_template_is_raised_somewhere():
    used = _literals() | {f"forbidden.supervisor.{a}" for a in ("approve", "return", "head_decision", "cancel")}
    assert sorted(set(MESSAGES) - used) == []


def test_a_problem_is_its_english_text_and_keeps_its_key_and_params():
    p = Problem("tally.present", present=31, summoned=30)
    assert p == "present (31) cannot exceed summoned (30)" and (p.key, p.params) == ("tally.present", {"present": 31,
                                                                                                       "summoned": 30})
    counts = Problem("tally.counts", counts={"agree": Problem("field.required"), "disagree": Problem("field.whole_number")})
    assert counts == "agree: required; disagree: must be a whole number"
    e = Validation("form.invalid", field="seats", problem=Problem("field.whole_number"),
                   fields={"seats": Problem("field.whole_number")})
    assert e.to_dict() == {"error": "validation", "message": "seats: must be a whole number",
                           "fields": {"seats": "must be a whole number"}}
    assert render("guard.missing", {"missing": ["a", "b"]}) == "fill in before leaving the step: a, b"


def test_text_is_nfc_without_control_characters_and_names_have_single_spaces():
    assert parse.text("Nguye\u0302\u0303n\x00\x07\tA\n") == "Nguyễn\tA\n"
    assert parse.line("  Lưu   Đức\nThịnh ") == "Lưu Đức Thịnh"


@pytest.mark.parametrize("v, signed, digits, out", [
    (7, False, 7, 7), (" 0012 ", False, 7, 12), ("1234567", False, 7, 1234567), ("-5", True, 9, -5),
    ("12345678", False, 7, None), ("-5", False, 7, None), (True, False, 7, None), (1.5, False, 7, None),
    ("1e3", True, 9, None), ("", False, 7, None)])
def test_whole_numbers_at_their_boundaries(v, signed, digits, out):
    if out is None:
        with pytest.raises(parse.Invalid) as e:
            parse.whole_number(v, signed=signed, digits=digits)
        assert e.value.problem == "must be a whole number"
    else:
        assert parse.whole_number(v, signed=signed, digits=digits) == out


def test_ids_dates_and_yes_no():
    assert [parse.is_id(v) for v in (1, 2**31 - 1, 0, 2**31, True, "1", None)] == [True, True, False, False, False,
                                                                                    False, False]
    assert parse.date(" 2026-02-28 ") == "2026-02-28" and parse.date(dt.datetime(2026, 1, 2, 3)) == "2026-01-02"
    with pytest.raises(parse.Invalid):
        parse.date("2026-02-30")
    assert parse.boolean("Yes") is True and parse.boolean("off") is False
    with pytest.raises(parse.Invalid):
        parse.boolean("maybe")


@pytest.mark.parametrize("needle, text, found", [
    ("nguyen", "Nguyễn Văn An", True), ("nguyen", "Trần Nguyên Hãn", True), ("Nguyễn", "Trần Nguyên Hãn", False),
    ("NGUYỄN", "nguyễn văn an", True), ("duy xuyen", "Huyện ủy Duy Xuyên", True), ("Duy Xuyến", "Duy Xuyên", False),
    ("luu duc thinh", "Đồng chí Lưu Đức Thịnh", True), ("Lưu Đức Thịnh", "LƯU ĐỨC THỊNH", True),
    ("đ", "Đảng", True), ("d", "Đảng", True), ("đ", "Dang", False), ("Nguye\u0302\u0303n", "Nguyễn", True),
    ("an nguyen", "Văn An\nNguyễn", False),           # the title and each name are apart
])
def test_the_folding_rule(needle, text, found):
    assert Needle.of(needle).finds(search_text(text)) is found


def test_the_search_text_holds_the_title_and_the_names_on_candidate_lists():
    records = [("criteria", "form", {"candidates": ["Lê Văn C", "Phạm Thị D"], "seats": 2}),
               ("conf", "tally", {"candidates": {"Phạm Thị D": {"agree": 3}, "Đinh Công Minh": {"agree": 1}}}),
               ("other", "announcement", {"signer": "Không phải ứng viên"})]
    assert names_in(records) == ["Lê Văn C", "Phạm Thị D", "Đinh Công Minh"]
    assert fold(search_text("Bổ nhiệm", names_in(records))) == "bo nhiem\nle van c\npham thi d\ndinh cong minh"


T0 = dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc)


def _chain(n: int) -> list[tuple]:
    rows, prev = [], GENESIS
    for i in range(1, n + 1):
        payload = canonical({"i": i})
        h = event_hash(i, prev, 1, T0, 1, "staff", "staff", 2, "form_recorded", "a", "a", payload)
        rows.append((i, prev, 1, T0, 1, "staff", "staff", 2, "form_recorded", "a", "a", payload, h))
        prev = h
    return rows


def _walk(rows, head):
    w = Walk(head[0] if head else 0)
    return w.check(rows) or w.end(head)


def test_the_walk_names_the_first_bad_event_of_each_kind_of_tampering():
    rows = _chain(5)
    head = (5, rows[-1][12])
    assert _walk(rows, head) == Verification(True, 5, head_seq=5)
    edited = rows[:2] + [rows[2][:11] + ('{"i":99}', rows[2][12])] + rows[3:]
    assert _walk(edited, head).first_bad_seq == 3 and "changed after" in _walk(edited, head).problem
    assert _walk(rows[:2] + rows[3:], head).problem == "event 3 is missing (deleted)"
    assert _walk([rows[0], rows[2], rows[1]] + rows[3:], head).problem == "event 2 is missing (deleted)"
    assert _walk(rows[:1] + [rows[0]] + rows[1:], head).problem == "event 1 is out of order"
    assert "newest events were deleted" in _walk(rows[:4], head).problem
    assert "does not match the chain head" in _walk(rows, (5, "f" * 64)).problem
    assert _walk(rows, None).problem == "the chain head is missing"
