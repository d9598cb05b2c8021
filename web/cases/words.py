"""What the record says, in words: each event of the log as a sentence and a few labelled details
(the case page's history, the auditor's search and the CSV export all use this)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import pgettext

from workflow.domain.definition import Definition, Field

from ..site import (JUDGEMENT_NAMES, ROLE_NAMES, N_, NP_, fmt_date, fmt_percent, fmt_size, step_name, text, word)

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


def describe(e: dict, d: Definition | None) -> tuple[str, list[tuple[str, str]]]:
    """One event: a sentence, and labelled details."""
    k, p = e["kind"], e.get("payload") or {}
    at = step_name(d, p.get("step"), SHORT) if p.get("step") else ""
    if k == "case_opened":
        title = text(d.title) if d is not None else p.get("procedure", "")
        return (_("Mở hồ sơ “%(title)s”", title=p.get("title", "")),
                [(_("Quy trình"), _("%(title)s (phiên bản %(v)s)", title=title, v=p.get("version", "")))])
    if k == "form_recorded":
        return _("Ghi nội dung %(step)s", step=at), _form_details(d, p)
    if k == "tally_recorded":
        return _("Ghi kết quả kiểm phiếu %(step)s", step=at), _tally_details(d, p)
    if k == "head_decision":
        verdict = _("chấp thuận") if p.get("accept") else _("không chấp thuận")
        details = [(_("Ý kiến"), p["comment"])] if p.get("comment") else []
        return _("Người đứng đầu quyết định %(verdict)s đối với %(name)s", verdict=verdict,
                 name=p.get("candidate", "")), details
    if k == "announcement_published":
        a = p.get("announcement") or {}
        return (_("Đăng thông báo quyết định số %(no)s", no=a.get("decision_no", "")),
                [(_("Ngày"), fmt_date(a.get("date"))), (_("Người ký"), a.get("signer", "")),
                 *([(_("Địa điểm"), a["place"])] if a.get("place") else []), (_("Nội dung"), a.get("text", ""))])
    if k == "document_attached":
        step = _step(d, p.get("step"))
        label = next((text(x.label) for x in (step.documents if step else ()) if x.type == p.get("doc_type")),
                     _("Tài liệu khác"))
        return (_("Đính kèm tài liệu “%(name)s”", name=p.get("name", "")),
                [(_("Loại"), label), (_("Dung lượng"), fmt_size(p.get("size"))), ("SHA-256", p.get("sha256", ""))])
    if k == "advanced":
        return _("Chuyển sang %(to)s", to=step_name(d, p.get("to"), SHORT)), []
    if k == "completed":
        return pgettext("sự kiện", "Hoàn thành hồ sơ"), []
    if k == "approval_requested":
        return (_("Trình phê duyệt %(step)s", step=at),
                [(_("Ý kiến"), p["comment"])] if p.get("comment") else [])
    if k == "approved":
        details = [(_("Ý kiến"), p["comment"])] if p.get("comment") else []
        return _("Phê duyệt, chuyển sang %(to)s", to=step_name(d, p.get("to"), SHORT)), details
    if k == "returned":
        details = [(_("Lý do"), p.get("reason", ""))]
        if p.get("to") == p.get("step"):
            return _("Không phê duyệt; trả lại để bổ sung tại %(step)s", step=at), details
        return _("Trả lại từ %(step)s về %(to)s", step=at, to=step_name(d, p.get("to"), SHORT)), details
    if k == "cancelled":
        return pgettext("sự kiện", "Hủy hồ sơ"), [(_("Lý do"), p.get("reason", ""))]
    if k == "signed_in":
        return pgettext("sự kiện", "Đăng nhập"), [(_("Địa chỉ"), p["source"])] if p.get("source") else []
    if k == "sign_in_failed":
        return (_("Đăng nhập không thành công"),
                [(_("Nguyên nhân"), word(SIGN_IN_FAILURES, p.get("reason"))),
                 *([(_("Địa chỉ"), p["source"])] if p.get("source") else [])])
    if k == "signed_out":
        return pgettext("sự kiện", "Đăng xuất"), []
    if k == "token_created":
        return _("Tạo mã truy cập API “%(name)s”", name=p.get("name", "")), []
    if k == "token_revoked":
        return _("Thu hồi mã truy cập API số %(id)s", id=p.get("token_id", "")), []
    if k == "unit_created":
        return _("Tạo đơn vị “%(name)s”", name=p.get("name", "")), []
    if k == "user_created":
        return (_("Tạo người dùng %(name)s", name=p.get("username", "")),
                [(_("Vai trò"), word(ROLE_NAMES, p.get("role")))])
    if k == "user_updated":
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
    return _("Sự kiện “%(kind)s”", kind=k), []


KIND_NAMES = {"case_opened": NP_("sự kiện", "Mở hồ sơ"), "form_recorded": NP_("sự kiện", "Ghi nội dung bước"), "tally_recorded": NP_("sự kiện", "Ghi kết quả kiểm phiếu"),
              "head_decision": NP_("sự kiện", "Quyết định của người đứng đầu"), "announcement_published": NP_("sự kiện", "Đăng thông báo"),
              "document_attached": NP_("sự kiện", "Đính kèm tài liệu"), "advanced": NP_("sự kiện", "Chuyển bước"), "completed": NP_("sự kiện", "Hoàn thành hồ sơ"),
              "approval_requested": NP_("sự kiện", "Trình phê duyệt"), "approved": NP_("sự kiện", "Phê duyệt"), "returned": NP_("sự kiện", "Trả lại"),
              "cancelled": NP_("sự kiện", "Hủy hồ sơ"), "signed_in": NP_("sự kiện", "Đăng nhập"), "sign_in_failed": NP_("sự kiện", "Đăng nhập không thành công"),
              "signed_out": NP_("sự kiện", "Đăng xuất"), "token_created": NP_("sự kiện", "Tạo mã truy cập API"), "token_revoked": NP_("sự kiện", "Thu hồi mã truy cập API"),
              "unit_created": NP_("sự kiện", "Tạo đơn vị"), "user_created": NP_("sự kiện", "Tạo người dùng"), "user_updated": NP_("sự kiện", "Cập nhật người dùng"),
              "password_changed": NP_("sự kiện", "Đổi mật khẩu")}
