"""The engine's message keys as sentences (every key a page can meet has one, with only its own params,
in both languages), the one error handler (JSON or a page), and the action table read by the pages and
the API (no action is left without a place on the case page, none is invented)."""
from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from web.api.openapi import ON_THE_API
from web.cases.actions import ON_THE_CASE_PAGE, VIEWS
from web.errors import error_text
from web.sentences import ENGLISH_ONLY, SENTENCES, VARIANTS
from workflow.domain.actions import ACTIONS
from workflow.domain.errors import GuardFailed, NotAllowed, Problem
from workflow.domain.messages import MESSAGES

from web_support import awaiting_approval, committee_case

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
SAID_IN_CODE = {"tally.counts"}      # each count's problem, joined (web/errors.py)


def _params(key: str) -> set[str]:
    return {f for _t, f, _s, _c in string.Formatter().parse(MESSAGES[key]) if f}


def test_every_message_key_a_page_can_meet_has_a_sentence():
    shown = {k for k in MESSAGES if not k.startswith(ENGLISH_ONLY)} | {"definition.changed", "definition.changed_new"}
    assert shown - set(SENTENCES) - set(VARIANTS) - SAID_IN_CODE == set()
    assert set(SENTENCES) | set(VARIANTS) <= set(MESSAGES)


@pytest.mark.parametrize("key", sorted(SENTENCES))
def test_a_sentence_uses_only_its_keys_params_in_both_languages(key):
    english = {m.id: m.string for m in read_po((ROOT / "web/translations/en/LC_MESSAGES/messages.po").open("rb"))}
    vi = SENTENCES[key]
    assert set(PLACEHOLDER.findall(vi)) <= _params(key), vi
    assert set(PLACEHOLDER.findall(english[vi])) == set(PLACEHOLDER.findall(vi)), english[vi]


def test_a_sentence_names_fields_and_documents_by_the_steps_labels_in_the_readers_language(app, definitions):
    step = definitions.get("committee-personnel", 1).step("criteria")
    missing = GuardFailed("guard.missing", missing=["seats", "candidates"])
    with app.test_request_context("/"):
        said = error_text(missing, step)
    assert said.startswith("Cần nhập trước khi chuyển bước: Số lượng cấp ủy viên, ")
    with app.test_request_context("/?lang=en"):
        app.preprocess_request()
        assert error_text(missing, step).startswith("Fill in before leaving the step: ")
        assert error_text(NotAllowed("not_allowed.closed", status="cancelled")) == \
            "The case is cancelled; nothing more can be done."


def test_a_problem_of_an_unknown_key_falls_back_to_its_codes_sentence(app):
    with app.test_request_context("/"):
        assert error_text(NotAllowed("machine.not_allowed", trigger="x", state="y")) == \
            "Thao tác này không thực hiện được ở trạng thái hiện tại của hồ sơ."
        assert error_text(GuardFailed("guard.document", document="Minutes", type="minutes",
                                      fields={"documents": Problem("field.document", type="minutes")})) == \
            "Cần đính kèm tài liệu “Minutes” trước khi chuyển bước."


def test_a_page_answers_json_to_a_client_that_asks_for_json_and_a_page_otherwise(browser, wf, org):
    b = browser("staff")
    r = b.client.get("/cases/424242", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.get_json()["error"] == "not_found"
    r = b.client.get("/cases/424242")
    assert r.status_code == 404 and r.content_type.startswith("text/html") and "Không tìm thấy" in r.get_data(True)
    r = b.client.get("/logout", headers={"Accept": "application/json"})
    assert r.status_code == 405 and r.get_json()["error"] == "not_allowed" and "POST" in r.headers["Allow"]


def test_every_action_of_the_table_has_its_place_on_the_case_page_and_its_template():
    assert list(VIEWS) and set(VIEWS) == set(ACTIONS)
    for name in ACTIONS:
        assert (ROOT / f"web/templates/cases/actions/{name}.html").exists(), name
    assert set(ON_THE_CASE_PAGE.values()) == {n for n, v in VIEWS.items() if v.place != "page"}


def test_the_api_takes_every_action_of_the_table_that_takes_no_file():
    assert set(ON_THE_API.values()) == {n for n, a in ACTIONS.items() if all(i.kind != "bytes" for i in a.inputs)}
    assert "attach" not in ON_THE_API.values() and ON_THE_API["head-decision"] == "head_decision"


@pytest.mark.parametrize("who,where", [("staff", "criteria"), ("staff", "members-conference"), ("lead", "criteria"),
                                       ("staff", "approval"), ("lead", "approval"), ("audit", "approval")])
def test_the_case_page_offers_the_forms_of_the_actions_the_engine_lists_and_no_other(browser, wf, org, who, where):
    cid = awaiting_approval(wf, org) if where == "approval" else committee_case(wf, org, to=where)
    b = browser(who)
    b.get(f"/cases/{cid}")
    offered = wf.queries.get_case(org.ids[who], cid).actions
    assert bool(offered) == (who != "audit" and (who, where) != ("staff", "approval"))
    for name in ACTIONS:
        assert (f'/cases/{cid}/{VIEWS[name].slug}"' in b.page) == (name in offered), (who, name)
