"""What the record says, in words: each event of the log as a sentence and a few labelled details
(the case page's history, the auditor's search and the CSV export all use this).
A leaf module: it imports no blueprint and not the factory."""
from __future__ import annotations

from typing import Callable

from flask_babel import gettext as _
from flask_babel import pgettext

from workflow.domain.definition import Definition, Field

from .formatting import fmt_date, fmt_percent, fmt_size
from .i18n import JUDGEMENT_NAMES, N_, ROLE_NAMES, step_name, text, word

SHORT = 80   # step titles in the history are cut here (the full title is on the case page)
SIGN_IN_FAILURES = {"unknown_user": N_("tên đăng nhập không tồn tại"), "inactive": N_("tài khoản đã bị vô hiệu hóa"),
                    "locked": N_("tài khoản đang tạm khóa vì sai nhiều lần"), "bad_password": N_("sai mật khẩu")}


def field_value(f: Field | None, v) -> str:
    """A recorded form value as a person reads it."""
    if v is None or v == "":
        return ""
    kind = f.type if f else None
    if kind == "boolean" or isinstance(v, bool):
        return _("Có") if v else _("Không")
    if kind == "choice" and f is not None:
        for c in f.choices:
            if c.key == v:
                return text(c.label)
    if kind == "date":
        return fmt_date(v)
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v)
    return str(v)


def _step(d: Definition | None, key):
    return d.step(key) if d is not None and key and d.has_step(key) else None


def _form_details(d: Definition | None, p: dict) -> list[tuple[str, str]]:
    step = _step(d, p.get("step"))
    values = p.get("fields") or {}
    order = [f.key for f in step.form if f.key in values] if step else []
    out = []
    for k in order + [k for k in values if k not in order]:
        f = step.field(k) if step else None
        out.append((text(f.label) if f else k, field_value(f, values[k])))
    for k in p.get("cleared") or []:
        f = step.field(k) if step else None
        out.append((text(f.label) if f else k, _("(đã xóa)")))
    for k, change in (p.get("corrected") or {}).items():       # a saved value changed: what it was
        f = step.field(k) if step else None
        out.append((_("Sửa: %(field)s", field=text(f.label) if f else k),
                    _("trước là “%(was)s”", was=field_value(f, change.get("from")))))
    if p.get("corrected"):
        out.append((_("Lý do sửa"), p.get("reason", "")))
    return out


def _tally_details(d: Definition | None, p: dict) -> list[tuple[str, str]]:
    t, res = p.get("tally") or {}, p.get("result") or {}
    step = _step(d, p.get("step"))
    counts = _("Triệu tập %(summoned)s, có mặt %(present)s, phát ra %(issued)s, thu về %(collected)s, "
               "hợp lệ %(valid)s, không hợp lệ %(invalid)s",
               **{k: t.get(k, "") for k in ("summoned", "present", "issued", "collected", "valid", "invalid")})
    if t.get("members"):
        counts += "; " + _("tập thể %(n)s thành viên", n=t["members"])
    out = [(_("Số liệu"), counts)]
    rule = step.vote if step else None
    for c in res.get("candidates") or []:
        result = word(JUDGEMENT_NAMES, c.get("status"))
        if c.get("outcome") and rule is not None:
            title = rule.outcome_title(c["outcome"])
            result = text(title) if title else c["outcome"]
        out.append((c.get("name", ""), _("%(votes)s phiếu (%(pct)s) – %(result)s", votes=c.get("votes", ""),
                                          pct=fmt_percent((c.get("percent") or 0) / 100), result=result)))
    if t.get("nominees"):
        out.append((_("Giới thiệu thêm ngoài danh sách"), ", ".join(t["nominees"])))
    return out


Details = list[tuple[str, str]]


def _comment(p: dict) -> Details:
    return [(_("Ý kiến"), p["comment"])] if p.get("comment") else []


def _source(p: dict) -> Details:
    return [(_("Địa chỉ"), p["source"])] if p.get("source") else []


def _opened(d: Definition | None, p: dict, at: str):
    title = text(d.title) if d is not None else p.get("procedure", "")
    return (_("Mở hồ sơ “%(title)s”", title=p.get("title", "")),
            [(_("Quy trình"), _("%(title)s (phiên bản %(v)s)", title=title, v=p.get("version", "")))])


def _head_decision(d: Definition | None, p: dict, at: str):
    verdict = _("chấp thuận") if p.get("accept") else _("không chấp thuận")
    opinions = [(_("Các ý kiến khác nhau"), p["differing_opinions"])] if p.get("differing_opinions") else []
    return (_("Người đứng đầu quyết định %(verdict)s đối với %(name)s", verdict=verdict,
              name=p.get("candidate", "")), _comment(p) + opinions)


def outcome_title(d: Definition | None, key: str | None) -> str:
    """A case outcome's title in the page's language (its key when the definition has none)."""
    o = d.outcome(key) if d is not None and key else None
    return text(o.title) if o is not None else (key or "")


def _ending(d: Definition | None, p: dict) -> Details:
    """The outcome a case ended with, and its decision record."""
    if not p.get("outcome"):
        return []
    out = [(_("Kết quả"), outcome_title(d, p["outcome"]))]
    rec = p.get("decision") or {}
    if rec:
        out.append((_("Quyết định"), _("số %(no)s ngày %(date)s, %(signer)s", no=rec.get("decision_no", ""),
                                       date=fmt_date(rec.get("decision_date")), signer=rec.get("signer", ""))))
    return out


def _decided(d: Definition | None, p: dict, at: str):
    reason = [(_("Lý do"), p.get("reason", ""))]
    if p.get("choice") == "end":
        return (_("Lãnh đạo quyết định kết thúc hồ sơ tại %(step)s", step=at), _ending(d, p) + reason)
    return (_("Lãnh đạo quyết định chuyển từ %(step)s sang %(to)s", step=at, to=step_name(d, p.get("to"), SHORT)),
            reason)


def _correction(d: Definition | None, p: dict, at: str):
    return (_("Nhập bản sửa kết quả kiểm phiếu %(step)s (chờ lãnh đạo phê duyệt)", step=at),
            [(_("Lý do sửa"), p.get("reason", ""))] + _tally_details(d, {**p, "result": {}}))


def _opinion(d: Definition | None, p: dict, at: str):
    details = [(_("Ý kiến"), p.get("text", ""))]
    if p.get("reason"):
        details += [(_("Ý kiến trước"), p.get("previous", "")), (_("Lý do sửa"), p["reason"])]
    return _("Ý kiến của %(role)s tại %(step)s", role=word(ROLE_NAMES, p.get("role")), step=at), details


def _delegated(d: Definition | None, p: dict, at: str):
    return (_("Ủy quyền người đứng đầu đơn vị số %(unit)s cho người dùng số %(user)s", unit=p.get("unit_id", ""),
              user=p.get("user_id", "")),
            [(_("Thời hạn"), _("từ %(a)s đến hết %(b)s", a=fmt_date(p.get("valid_from")),
                                b=fmt_date(p.get("valid_until")))), (_("Lý do"), p.get("reason", ""))])


def _announced(d: Definition | None, p: dict, at: str):
    a = p.get("announcement") or {}
    return (_("Đăng thông báo quyết định số %(no)s", no=a.get("decision_no", "")),
            [(_("Ngày"), fmt_date(a.get("date"))), (_("Người ký"), a.get("signer", "")),
             *([(_("Địa điểm"), a["place"])] if a.get("place") else []), (_("Nội dung"), a.get("text", ""))])


def _attached(d: Definition | None, p: dict, at: str):
    step = _step(d, p.get("step"))
    label = next((text(x.label) for x in (step.documents if step else ()) if x.type == p.get("doc_type")),
                 _("Tài liệu khác"))
    return (_("Đính kèm tài liệu “%(name)s”", name=p.get("name", "")),
            [(_("Loại"), label), (_("Dung lượng"), fmt_size(p.get("size"))), ("SHA-256", p.get("sha256", ""))])


def _returned(d: Definition | None, p: dict, at: str):
    details = [(_("Lý do"), p.get("reason", ""))]
    if p.get("to") == p.get("step"):
        return _("Không phê duyệt; trả lại để bổ sung tại %(step)s", step=at), details
    return _("Trả lại từ %(step)s về %(to)s", step=at, to=step_name(d, p.get("to"), SHORT)), details


def _sign_in_failed(d: Definition | None, p: dict, at: str):
    return (_("Đăng nhập không thành công"),
            [(_("Nguyên nhân"), word(SIGN_IN_FAILURES, p.get("reason"))), *_source(p)])


def _user_updated(d: Definition | None, p: dict, at: str):
    details = []
    if "role" in p:
        details.append((_("Vai trò"), word(ROLE_NAMES, p["role"])))
    if "active" in p:
        details.append((_("Trạng thái"), _("Đang hoạt động") if p["active"] else _("Đã vô hiệu hóa")))
    if "display_name" in p:
        details.append((_("Họ tên"), p["display_name"]))
    if "unit_id" in p:
        details.append((_("Đơn vị"), _("đơn vị số %(id)s", id=p["unit_id"])))
    if p.get("password"):
        details.append((_("Mật khẩu"), _("đã đặt lại")))
    return _("Cập nhật người dùng số %(id)s", id=p.get("user_id", "")), details


Describe = Callable[[Definition | None, dict, str], tuple[str, Details]]
DESCRIBE: dict[str, Describe] = {  # one sentence (and details) per kind of event; `at` is the step's name
    "case_opened": _opened,
    "form_recorded": lambda d, p, at: (_("Ghi nội dung %(step)s", step=at), _form_details(d, p)),
    "tally_recorded": lambda d, p, at: (_("Ghi kết quả kiểm phiếu %(step)s", step=at), _tally_details(d, p)),
    "head_decision": _head_decision,
    "announcement_published": _announced,
    "document_attached": _attached,
    "advanced": lambda d, p, at: (_("Chuyển sang %(to)s", to=step_name(d, p.get("to"), SHORT)), []),
    "completed": lambda d, p, at: (pgettext("sự kiện", "Hoàn thành hồ sơ"), _ending(d, p)),
    "approval_requested": lambda d, p, at: (_("Trình phê duyệt %(step)s", step=at), _comment(p)),
    "approved": lambda d, p, at: (_("Phê duyệt, chuyển sang %(to)s", to=step_name(d, p.get("to"), SHORT)),
                                  _comment(p) + _ending(d, p)),
    "decided": _decided,
    "correction_requested": _correction,
    "correction_approved": lambda d, p, at: (_("Phê duyệt bản sửa kết quả kiểm phiếu %(step)s", step=at),
                                             _comment(p) + _tally_details(d, {**p, "result": {}})),
    "correction_rejected": lambda d, p, at: (_("Từ chối bản sửa kết quả kiểm phiếu %(step)s", step=at),
                                             [(_("Lý do"), p.get("reason", ""))]),
    "opinion_recorded": _opinion,
    "unit_head_designated": lambda d, p, at: (
        _("Chỉ định người đứng đầu đơn vị số %(unit)s: người dùng số %(user)s", unit=p.get("unit_id", ""),
          user=p.get("user_id") or "—"), []),
    "head_delegated": _delegated,
    "head_delegation_revoked": lambda d, p, at: (_("Thu hồi ủy quyền số %(id)s", id=p.get("delegation_id", "")), []),
    "returned": _returned,
    "cancelled": lambda d, p, at: (pgettext("sự kiện", "Hủy hồ sơ"), [(_("Lý do"), p.get("reason", ""))]),
    "signed_in": lambda d, p, at: (pgettext("sự kiện", "Đăng nhập"), _source(p)),
    "sign_in_failed": _sign_in_failed,
    "signed_out": lambda d, p, at: (pgettext("sự kiện", "Đăng xuất"), []),
    "token_created": lambda d, p, at: (_("Tạo mã truy cập API “%(name)s”", name=p.get("name", "")), []),
    "token_revoked": lambda d, p, at: (_("Thu hồi mã truy cập API số %(id)s", id=p.get("token_id", "")), []),
    "unit_created": lambda d, p, at: (_("Tạo đơn vị “%(name)s”", name=p.get("name", "")), []),
    "user_created": lambda d, p, at: (_("Tạo người dùng %(name)s", name=p.get("username", "")),
                                      [(_("Vai trò"), word(ROLE_NAMES, p.get("role")))]),
    "user_updated": _user_updated,
}


def describe(e: dict, d: Definition | None) -> tuple[str, Details]:
    """One event: a sentence, and labelled details."""
    p = e.get("payload") or {}
    at = step_name(d, p.get("step"), SHORT) if p.get("step") else ""
    said = DESCRIBE.get(e["kind"])
    return said(d, p, at) if said else (_("Sự kiện “%(kind)s”", kind=e["kind"]), [])
