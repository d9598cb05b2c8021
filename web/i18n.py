"""Languages and words: the two locales, the catalogs (compiled at start), the fixed words of the
pages (roles, statuses, counts, judgements, event kinds…), and a definition's texts in the page's
language. Vietnamese is the source language of every msgid; English is in translations/en.
A leaf module: it imports no blueprint and not the factory."""
from __future__ import annotations

import logging
import os
import re
import uuid
from fractions import Fraction
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request, session
from flask_babel import Babel, get_locale
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_login import current_user

from workflow.domain.definition import CANCELLED, COMPLETED, Definition, Step, Text

LOCALES = ("vi", "en")
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def N_(s: str) -> str:
    """Marks a string for the catalog; it is translated where it is shown."""
    return s


def NP_(context: str, s: str) -> tuple[str, str]:
    """Marks a string with a context for the catalog (translated with pgettext where shown): event
    names have the context "sự kiện", so 'Mở hồ sơ' is 'Case opened' there and 'Open the case' on a button."""
    return context, s


# ---- catalogs and the page's language -------------------------------------------------------------

def compile_catalogs(folder: Path = TRANSLATIONS) -> None:
    """Compile every messages.po to .mo when the .mo is missing or older (the .mo is not committed)."""
    for po in folder.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f)
        tmp = mo.with_name(f".{mo.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}")
        try:
            with tmp.open("wb") as f:
                write_mo(f, catalog)
            tmp.replace(mo)      # atomic: a parallel process never reads half a file
        except OSError as e:     # a read-only install: the pages fall back to Vietnamese
            logging.getLogger(__name__).warning("cannot compile %s: %s", po, e)
            tmp.unlink(missing_ok=True)


def locale() -> str:
    return str(get_locale() or "vi")


def _select_locale() -> str:
    lang = session.get("lang")
    if lang in LOCALES:
        return lang
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    return "vi"


def _pick_language() -> None:
    lang = request.args.get("lang")
    if lang in LOCALES:
        session["lang"] = lang


def install(app: Flask) -> None:
    """Flask-Babel with the page's language (?lang=, the session, the user's choice, else Vietnamese)."""
    compile_catalogs()
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=_select_locale, default_locale="vi", default_timezone="Asia/Ho_Chi_Minh")
    app.before_request(_pick_language)
    app.jinja_env.filters.update(t=text)
    app.jinja_env.globals.update(
        locale=locale, LOCALES=LOCALES, step_name=step_name, short_title=short_title,
        role_name=lambda r: word(ROLE_NAMES, r), status_name=lambda s: word(STATUS_NAMES, s),
        awaiting_name=lambda a: word(AWAITING_NAMES, a), measure_name=lambda m: word(MEASURE_NAMES, m),
        count_name=lambda k: word(COUNT_NAMES, k), judgement_name=lambda j: word(JUDGEMENT_NAMES, j),
        base_name=lambda b: word(BASE_NAMES, b), kind_name=lambda k: word(KIND_NAMES, k),
        rule_summary=rule_summary, quorum_summary=quorum_summary)


# ---- a definition's texts -----------------------------------------------------------------------

def text(t: Text | None) -> str:
    """A definition's text in the page's language."""
    return t.get(locale()) if t is not None else ""


def short_title(step: Step) -> str:
    """A step's title without its 'Bước N:' prefix (the number is shown beside it)."""
    return re.sub(r"^(Bước|Step)\s*\d+\s*[:.]\s*", "", text(step.title))


def step_name(d: Definition | None, key: str | None, limit: int | None = None) -> str:
    """'Bước N: title' (titles cut at `limit` characters, on a word)."""
    if key == COMPLETED:
        return _("Hoàn thành")
    if key == CANCELLED:
        return _("Đã hủy")
    if d is not None and key and d.has_step(key):
        s = d.step(key)
        title = short_title(s)
        if limit and len(title) > limit:
            title = title[:limit].rsplit(" ", 1)[0].rstrip(" ,.;:(") + "…"
        return _("Bước %(no)s: %(title)s", no=s.no, title=title)
    return key or ""


# ---- fixed words ---------------------------------------------------------------------------------

ROLE_NAMES = {"staff": N_("Chuyên viên"), "supervisor": N_("Lãnh đạo"), "auditor": N_("Cán bộ kiểm tra"),
              "admin": N_("Quản trị viên"), "inspection": N_("Ủy ban Kiểm tra (cho ý kiến)"),
              "head": N_("Người đứng đầu (hoặc người được ủy quyền)"), "system": N_("Hệ thống"),
              "anonymous": N_("Chưa đăng nhập")}
STATUS_NAMES = {"open": N_("Đang xử lý"), "completed": N_("Hoàn thành"), "cancelled": N_("Đã hủy")}
AWAITING_NAMES = {"approval": N_("Chờ phê duyệt"), "head_decision": N_("Chờ người đứng đầu quyết định"),
                  "decision": N_("Cần lãnh đạo quyết định"), "correction": N_("Chờ phê duyệt bản sửa kiểm phiếu")}
BASE_NAMES = {"summoned": N_("số người được triệu tập"), "members": N_("tổng số thành viên của tập thể"),
              "present": N_("số người có mặt"), "valid": N_("số phiếu hợp lệ"), "collected": N_("số phiếu thu về"),
              "members_less_excused": N_("số thành viên trừ số vắng có lý do")}
MEASURE_NAMES = {"agree": N_("Đồng ý"), "disagree": N_("Không đồng ý"), "high": N_("Tín nhiệm cao"),
                 "confidence": N_("Tín nhiệm"), "low": N_("Tín nhiệm thấp")}
COUNT_NAMES = {"summoned": N_("Số được triệu tập"), "present": N_("Số có mặt"), "issued": N_("Số phiếu phát ra"),
               "collected": N_("Số phiếu thu về"), "valid": N_("Số phiếu hợp lệ"),
               "invalid": N_("Số phiếu không hợp lệ"), "members": N_("Tổng số thành viên tập thể"),
               "held_on": N_("Ngày họp"), "place": N_("Địa điểm"), "excused": N_("Số thành viên vắng có lý do"),
               "excused_reason": N_("Lý do vắng"), "body": N_("Hội nghị (tổ chức, khối)")}
JUDGEMENT_NAMES = {"passed": N_("Đạt"), "failed": N_("Không đạt"),
                   "at_threshold": N_("Đúng ngưỡng – chờ người đứng đầu quyết định"),
                   "selected": N_("Được giới thiệu"), "runoff": N_("Vào vòng sau (hai người nhiều phiếu nhất)"),
                   "not_selected": N_("Không được giới thiệu"),
                   "tied": N_("Hòa phiếu ở vị trí cuối – bỏ phiếu lại")}
FIELD_NAMES = {"file": N_("Tệp"), "doc_type": N_("Loại tài liệu"), "reason": N_("Lý do"), "name": N_("Tên"),
               "title": N_("Tiêu đề"), "username": N_("Tên đăng nhập"), "password": N_("Mật khẩu"),
               "role": N_("Vai trò"), "unit_id": N_("Đơn vị"), "decision_no": N_("Số quyết định"), "date": N_("Ngày"),
               "signer": N_("Người ký"), "text": N_("Nội dung"), "outcome": N_("Kết quả"), "to": N_("Bước"),
               "decision_date": N_("Ngày quyết định"), "differing_opinions": N_("Các ý kiến khác nhau"),
               "valid_from": N_("Từ ngày"), "valid_until": N_("Đến hết ngày"), "user_id": N_("Người dùng"),
               **COUNT_NAMES}
KIND_NAMES = {  # event kinds, with the context "sự kiện" (an event, not a button)
    "case_opened": NP_("sự kiện", "Mở hồ sơ"), "form_recorded": NP_("sự kiện", "Ghi nội dung bước"),
    "tally_recorded": NP_("sự kiện", "Ghi kết quả kiểm phiếu"),
    "head_decision": NP_("sự kiện", "Quyết định của người đứng đầu"),
    "announcement_published": NP_("sự kiện", "Đăng thông báo"),
    "document_attached": NP_("sự kiện", "Đính kèm tài liệu"), "advanced": NP_("sự kiện", "Chuyển bước"),
    "completed": NP_("sự kiện", "Hoàn thành hồ sơ"), "approval_requested": NP_("sự kiện", "Trình phê duyệt"),
    "approved": NP_("sự kiện", "Phê duyệt"), "returned": NP_("sự kiện", "Trả lại"),
    "cancelled": NP_("sự kiện", "Hủy hồ sơ"), "signed_in": NP_("sự kiện", "Đăng nhập"),
    "sign_in_failed": NP_("sự kiện", "Đăng nhập không thành công"), "signed_out": NP_("sự kiện", "Đăng xuất"),
    "token_created": NP_("sự kiện", "Tạo mã truy cập API"), "token_revoked": NP_("sự kiện", "Thu hồi mã truy cập API"),
    "unit_created": NP_("sự kiện", "Tạo đơn vị"), "user_created": NP_("sự kiện", "Tạo người dùng"),
    "user_updated": NP_("sự kiện", "Cập nhật người dùng"), "password_changed": NP_("sự kiện", "Đổi mật khẩu"),
    "decided": NP_("sự kiện", "Lãnh đạo quyết định hướng xử lý"),
    "correction_requested": NP_("sự kiện", "Sửa kết quả kiểm phiếu (chờ phê duyệt)"),
    "correction_approved": NP_("sự kiện", "Phê duyệt bản sửa kiểm phiếu"),
    "correction_rejected": NP_("sự kiện", "Từ chối bản sửa kiểm phiếu"),
    "opinion_recorded": NP_("sự kiện", "Ghi ý kiến"), "unit_head_designated": NP_("sự kiện", "Chỉ định người đứng đầu"),
    "head_delegated": NP_("sự kiện", "Ủy quyền người đứng đầu"),
    "head_delegation_revoked": NP_("sự kiện", "Thu hồi ủy quyền")}


def word(table: dict, key) -> str:
    """A fixed word from one of the tables above, translated; unknown keys are shown as given."""
    if key not in table:
        return "" if key is None else str(key)
    value = table[key]
    return pgettext(*value) if isinstance(value, tuple) else _(value)


def field_label(key: str, step: Step | None = None) -> str:
    """A field's name: the step's label for its form fields, a candidate's name for a tally row,
    else one of the common names (shown as given when unknown)."""
    if step is not None:
        for f in step.form:
            if f.key == key:
                return text(f.label)
    if key.startswith("candidates."):
        return key.partition(".")[2]
    return word(FIELD_NAMES, key)


# ---- a vote rule in words ------------------------------------------------------------------------

def fraction_words(f: Fraction | None) -> str:
    if f is None:
        return ""
    return {Fraction(1, 2): _("1/2"), Fraction(2, 3): _("2/3"), Fraction(1, 1): _("toàn bộ")}.get(
        f, f"{f.numerator}/{f.denominator}")


def rule_summary(rule) -> str:
    """The vote rule in one sentence: what passes, against which base."""
    base = word(BASE_NAMES, rule.base)
    if rule.mode == "levels":
        return _("Phân loại theo tỷ lệ phiếu trên %(base)s.", base=base)
    if rule.mode == "nominate":
        # a nomination counts the ballots naming a person, not agree/disagree
        s = _("Được giới thiệu khi số phiếu giới thiệu %(op)s %(f)s %(base)s.",
              op=_("nhiều hơn") if rule.pass_op == "gt" else _("từ"), f=fraction_words(rule.pass_fraction), base=base)
    elif rule.pass_op == "gt":
        s = _("Đạt khi số phiếu đồng ý nhiều hơn %(f)s %(base)s.", f=fraction_words(rule.pass_fraction), base=base)
    else:
        s = _("Đạt khi số phiếu đồng ý từ %(f)s %(base)s trở lên.", f=fraction_words(rule.pass_fraction), base=base)
    if rule.at_threshold == "head_decides":
        s += " " + _("Đúng bằng ngưỡng thì người đứng đầu quyết định.")
    if rule.mode == "nominate" and rule.seats is None and rule.seats_field is None:
        s += " " + _("Chỉ người nhiều phiếu nhất và đạt ngưỡng được giới thiệu.")
        if rule.no_pass == "top_two":
            s += " " + _("Nếu không ai đạt, hai người nhiều phiếu nhất vào vòng sau.")
    return s + _rule_extras(rule)


TIE_WORDS = {"all_go_on": N_("Hòa phiếu ở vị trí cuối: tất cả người hòa phiếu cùng được chọn."),
             "new_round": N_("Hòa phiếu ở vị trí cuối: bỏ phiếu lại giữa những người hòa phiếu."),
             "head_decides": N_("Hòa phiếu ở vị trí cuối: người đứng đầu quyết định.")}


def _rule_extras(rule) -> str:
    """What the language adds to a rule: seats, the tie rule, record-only, names outside the list,
    a count not announced, a head who decides."""
    out = []
    if rule.seats is not None:
        out.append(_("Chọn %(n)s người (mỗi phiếu ghi tối đa %(n)s người).", n=rule.seats))
    elif rule.seats_field is not None:
        out.append(_("Số người được chọn theo số lượng đã ghi ở bước trước."))
    if rule.tie_at_cut:
        out.append(word(TIE_WORDS, rule.tie_at_cut))
    if not rule.gate:
        out.append(_("Chỉ ghi nhận để tham khảo: kết quả không chặn việc chuyển bước."))
    if rule.outside_names == "refuse":
        out.append(_("Không nhận tên ngoài danh sách."))
    if not rule.announced:
        out.append(_("Kết quả kiểm phiếu không công bố tại hội nghị."))
    if rule.decided_by == "head":
        out.append(_("Người đứng đầu (hoặc người được ủy quyền) quyết định khi đúng ngưỡng."))
    if rule.differing_opinions:
        out.append(_("Khi đúng ngưỡng phải báo cáo đầy đủ các ý kiến khác nhau."))
    return "".join(" " + x for x in out)


def quorum_summary(rule) -> str:
    return _("Hội nghị hợp lệ khi có mặt ít nhất %(f)s %(of)s.", f=fraction_words(rule.quorum_fraction),
             of=word(BASE_NAMES, rule.quorum_of))
