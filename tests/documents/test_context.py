"""The fill-in context from plain data: what is refused, and the figures it writes (pure)."""
import dataclasses
from datetime import date

import pytest

from pathlib import Path

import yaml

from workflow.domain.documents import (DocumentError, Family, IssuingBody, Person, Tally, Votes, build_context,
                                       kind_of, kinds_for_procedure, parse_kinds, specimen, tally_values)
from workflow.domain.documents.context import person_values

from .samples import appointment_internal, confidence_vote, request_for


def test_every_kind_builds_from_its_specimen_in_every_family_it_takes(kinds):
    for kind in kinds.values():
        for family in kind.families:
            ctx = build_context(specimen(kind, family), kind)
            assert ctx["kind"] == kind.key and ctx["family"] == family.value


def test_a_missing_required_field_is_refused_naming_it(kinds):
    kind = kinds["decision-appointment"]
    req = specimen(kind, Family.PARTY)
    fields = {k: v for k, v in req.fields.items() if k not in ("person", "post")}
    with pytest.raises(DocumentError) as e:
        build_context(dataclasses.replace(req, fields=fields), kind)
    assert e.value.code == "missing_field"
    assert e.value.fields == {"person": "required", "post": "required"}


def test_an_unknown_field_and_a_field_of_the_wrong_type_are_refused_naming_them(kinds):
    kind = kinds["notice"]
    req = specimen(kind, Family.STATE)
    with pytest.raises(DocumentError) as e:
        build_context(dataclasses.replace(req, fields={"content": 42, "contnet": "x"}), kind)
    assert e.value.code == "invalid_field"
    assert e.value.fields == {"content": "must be text", "contnet": "unknown"}


def test_a_kind_refuses_a_header_family_it_is_not_issued_with(kinds):
    kind = kinds["resolution"]  # Party only
    req = dataclasses.replace(specimen(kind, Family.PARTY),
                              issuer=IssuingBody("Ủy ban nhân dân tỉnh", "UBND", "Quảng Nam", Family.STATE))
    with pytest.raises(DocumentError) as e:
        build_context(req, kind)
    assert e.value.code == "unsupported_family"


def test_a_signed_kind_without_a_signature_is_refused(kinds):
    kind = kinds["notice"]
    with pytest.raises(DocumentError) as e:
        build_context(dataclasses.replace(specimen(kind, Family.PARTY), signature=None), kind)
    assert e.value.code == "missing_field" and "signature" in e.value.fields


def test_minutes_need_the_chair_and_the_secretary(kinds):
    kind = kinds["conference-minutes"]
    req = specimen(kind, Family.PARTY)
    conference = dataclasses.replace(req.fields["conference"], secretary=None)
    with pytest.raises(DocumentError) as e:
        build_context(dataclasses.replace(req, fields={**req.fields, "conference": conference}), kind)
    assert "conference.secretary" in e.value.fields


def test_minutes_without_a_register_number_print_no_number_line_but_a_decision_keeps_its_blank(kinds):
    minutes = kinds["vote-minutes"]
    assert build_context(dataclasses.replace(specimen(minutes, Family.PARTY), number=None), minutes)["number"] == ""
    decision = kinds["decision-appointment"]
    ctx = build_context(dataclasses.replace(specimen(decision, Family.PARTY), number=None), decision)
    assert ctx["number"] == "Số      -QĐ/TU"


@pytest.mark.parametrize("copies, ok", [(0, False), (1, True), (2000, True), (2001, False)])
def test_ballots_to_issue_run_from_1_to_2000(kinds, copies, ok):
    kind = kinds["confidence-ballot"]
    req = specimen(kind, Family.BALLOT)
    req = dataclasses.replace(req, fields={**req.fields, "copies": copies})
    if ok:
        assert len(build_context(req, kind)["ballots"]) == copies
    else:
        with pytest.raises(DocumentError) as e:
            build_context(req, kind)
        assert e.value.fields == {"copies": "invalid"}


def test_confidence_shares_are_taken_on_the_ballots_collected_qd96_art_6_3():
    case = confidence_vote()
    _, tally = case.conferences["poll"]
    t = tally_values(tally)
    assert t["base_value"] == 57 and "tổng số phiếu thu về" in t["base_sentence"]
    low = t["rows"][1]["cells"][2]
    assert (low["label"], low["count"], low["share"]) == ("Tín nhiệm thấp", "38", "66,67%")  # exactly 2/3


def test_a_tally_whose_base_figure_is_missing_is_refused():
    t = Tally("two_level", 10, 9, 9, 9, 9, 0, "members", (Votes("A", {"agree": 5}),))  # members not given
    with pytest.raises(DocumentError) as e:
        tally_values(t)
    assert e.value.fields == {"tally.base": "invalid"}


def test_the_not_announced_result_says_so_and_the_announced_one_says_it_was_announced():
    case = appointment_internal()
    _, expanded = case.conferences["expanded-meeting"]
    _, collective = case.conferences["collective-2"]
    assert "không công bố" in tally_values(expanded)["announced_sentence"]
    assert tally_values(collective)["announced_sentence"] == "Kết quả kiểm phiếu được công bố tại hội nghị."


def test_a_decision_writes_the_term_and_its_start_or_the_signing_date(kinds):
    case = appointment_internal()
    req = request_for(case, "decision", "decision-appointment")
    ctx = build_context(req, kinds["decision-appointment"])
    assert (ctx["term"], ctx["effective"]) == ("05 năm", "kể từ ngày 01/4/2026")
    no_start = dataclasses.replace(req, fields={**req.fields, "effective_from": None})
    assert build_context(no_start, kinds["decision-appointment"])["effective"] == "kể từ ngày ký"


def test_person_described_as_a_decision_names_them():
    assert person_values(Person("Nguyễn Thị Ánh Tuyết", post="Trưởng phòng Nghiệp vụ Y", unit="Sở Y tế",
                                birth=1979))["described"] == \
        "Nguyễn Thị Ánh Tuyết, sinh năm 1979, Trưởng phòng Nghiệp vụ Y, Sở Y tế"
    assert person_values(Person("Trần Thị Thảo", birth=date(1998, 2, 7)))["described"] == \
        "Trần Thị Thảo, sinh ngày 07/02/1998"
    assert person_values(Person("Lê Văn A"))["described"] == "Lê Văn A"


@pytest.mark.parametrize("bad, where", [
    ({"kinds": {"x": {"title": {"vi": "X"}, "type_name": "X", "families": ["church"]}}}, "kinds.x.families"),
    ({"kinds": {"x": {"title": {"vi": "X"}, "type_name": "X", "families": ["party"],
                      "fields": {"f": {"type": "blob", "label": {"vi": "F"}}}}}}, "kinds.x.fields.f"),
    ({"kinds": {"x": {"title": {"vi": "X"}, "type_name": "X", "families": ["party", "ballot"]}}}, "kinds.x.families"),
    ({"kind": {}}, "kinds"),
])
def test_a_malformed_kinds_table_is_refused_naming_the_path(bad, where):
    with pytest.raises(DocumentError) as e:
        parse_kinds(bad)
    assert e.value.code == "invalid_kinds" and e.value.params["where"] == where


def test_an_unknown_kind_is_refused(kinds):
    with pytest.raises(DocumentError) as e:
        kind_of(kinds, "decision-appointmnet")
    assert e.value.code == "unknown_kind"


def test_every_step_named_in_the_kinds_table_exists_in_the_shipped_procedure(kinds):
    steps = {}
    for f in (Path(__file__).resolve().parents[2] / "definitions").glob("*.yaml"):
        d = yaml.safe_load(f.read_text(encoding="utf-8"))
        steps[d["key"]] = {s["key"] for s in d["steps"]}
    for kind in kinds.values():
        for proc, step in kind.applies_to:
            assert step in steps[proc], f"{kind.key}: {proc} has no step {step}"
    assert len({p for k in kinds.values() for p, _ in k.applies_to}) == len(steps)  # every procedure has documents
    assert ("decision", "decision-appointment") in kinds_for_procedure(kinds, "appointment-internal")
