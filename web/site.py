"""The web pages: sign-in, languages, filters, error pages and one blueprint per area
(auth, cases, audit, admin, account). Views parse a form, call one service method and render
its result or its error; no rule of the procedures lives here."""
from __future__ import annotations

import datetime as dt
import importlib.util
import logging
import os
import re
import uuid
from fractions import Fraction
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from flask import Flask, abort, current_app, render_template, request, session, url_for
from flask_babel import Babel, get_locale
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_bootstrap import Bootstrap5
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from workflow.domain.definition import CANCELLED, COMPLETED, Definition, Step, Text
from workflow.domain.errors import WorkflowError

LOCALES = ("vi", "en")
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def N_(s: str) -> str:
    """Marks a string for the catalog; it is translated where it is shown."""
    return s


def NP_(context: str, s: str) -> tuple[str, str]:
    """Marks a string with a context for the catalog (translated with pgettext where shown): event
    names have the context "sự kiện", so 'Mở hồ sơ' is 'Case opened' there and 'Open the case' on a button."""
    return context, s


# ---- the signed-in person ------------------------------------------------------------------

class SignedIn(UserMixin):
    """The service's User, as Flask-Login wants it."""

    def __init__(self, user):
        self.user = user

    def get_id(self) -> str:
        # the stamp changes with the password: resetting or changing it signs out every session
        return f"{self.user.id}.{self.user.session_stamp}"

    def __getattr__(self, name):
        return getattr(self.user, name)


def uid() -> int:
    """The signed-in user's id (views call the service with it)."""
    return current_user.user.id


def wf():
    return current_app.extensions["cadreflow"]


# ---- languages and catalogs -----------------------------------------------------------------

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


ROLE_NAMES = {"staff": N_("Chuyên viên"), "supervisor": N_("Lãnh đạo"), "auditor": N_("Cán bộ kiểm tra"), "admin": N_("Quản trị viên"),
              "system": N_("Hệ thống"), "anonymous": N_("Chưa đăng nhập")}
STATUS_NAMES = {"open": N_("Đang xử lý"), "completed": N_("Hoàn thành"), "cancelled": N_("Đã hủy")}
AWAITING_NAMES = {"approval": N_("Chờ phê duyệt"), "head_decision": N_("Chờ người đứng đầu quyết định")}
BASE_NAMES = {"summoned": N_("số người được triệu tập"), "members": N_("tổng số thành viên của tập thể"),
              "present": N_("số người có mặt"), "valid": N_("số phiếu hợp lệ")}
MEASURE_NAMES = {"agree": N_("Đồng ý"), "disagree": N_("Không đồng ý"), "high": N_("Tín nhiệm cao"),
                 "confidence": N_("Tín nhiệm"), "low": N_("Tín nhiệm thấp")}
COUNT_NAMES = {"summoned": N_("Số được triệu tập"), "present": N_("Số có mặt"), "issued": N_("Số phiếu phát ra"),
               "collected": N_("Số phiếu thu về"), "valid": N_("Số phiếu hợp lệ"), "invalid": N_("Số phiếu không hợp lệ"),
               "members": N_("Tổng số thành viên tập thể"), "held_on": N_("Ngày họp"), "place": N_("Địa điểm")}
JUDGEMENT_NAMES = {"passed": N_("Đạt"), "failed": N_("Không đạt"), "at_threshold": N_("Đúng ngưỡng – chờ người đứng đầu quyết định"),
                   "selected": N_("Được giới thiệu"), "runoff": N_("Vào vòng sau (hai người nhiều phiếu nhất)"),
                   "not_selected": N_("Không được giới thiệu")}


def word(table: dict, key) -> str:
    """A fixed word from one of the tables above, translated; unknown keys are shown as given."""
    if key not in table:
        return "" if key is None else str(key)
    value = table[key]
    return pgettext(*value) if isinstance(value, tuple) else _(value)


def fraction_words(f: Fraction | None) -> str:
    if f is None:
        return ""
    return {Fraction(1, 2): _("1/2"), Fraction(2, 3): _("2/3"), Fraction(1, 1): _("toàn bộ")}.get(
        f, f"{f.numerator}/{f.denominator}")


def rule_summary(rule) -> str:
    """The vote rule in one sentence: what passes, against which base."""
    if rule.mode == "levels":
        return _("Phân loại theo tỷ lệ phiếu trên %(base)s.", base=word(BASE_NAMES, rule.base))
    if rule.mode == "nominate":
        # a nomination counts the ballots naming a person, not agree/disagree
        s = _("Được giới thiệu khi số phiếu giới thiệu %(op)s %(f)s %(base)s.",
              op=_("nhiều hơn") if rule.pass_op == "gt" else _("từ"), f=fraction_words(rule.pass_fraction),
              base=word(BASE_NAMES, rule.base))
    elif rule.pass_op == "gt":
        s = _("Đạt khi số phiếu đồng ý nhiều hơn %(f)s %(base)s.", f=fraction_words(rule.pass_fraction),
              base=word(BASE_NAMES, rule.base))
    else:
        s = _("Đạt khi số phiếu đồng ý từ %(f)s %(base)s trở lên.", f=fraction_words(rule.pass_fraction),
              base=word(BASE_NAMES, rule.base))
    if rule.at_threshold == "head_decides":
        s += " " + _("Đúng bằng ngưỡng thì người đứng đầu quyết định.")
    if rule.mode == "nominate":
        s += " " + _("Chỉ người nhiều phiếu nhất và đạt ngưỡng được giới thiệu.")
        if rule.no_pass == "top_two":
            s += " " + _("Nếu không ai đạt, hai người nhiều phiếu nhất vào vòng sau.")
    return s


def quorum_summary(rule) -> str:
    return _("Hội nghị hợp lệ khi có mặt ít nhất %(f)s %(of)s.", f=fraction_words(rule.quorum_fraction),
             of=word(BASE_NAMES, rule.quorum_of))


# ---- errors as sentences --------------------------------------------------------------------
# The service speaks English (for logs) with a stable code; the pages say it in the user's words.

_MESSAGES: list[tuple[str, str, str]] = [
    # (code, pattern on the English message, sentence)
    ("forbidden", r"step '(?P<step>[^']+)' is recorded by (?P<needed>\w+); you are (?P<role>\w+)",
     N_("Bước này do %(needed)s thực hiện; vai trò của bạn là %(role)s.")),
    ("forbidden", r"only a supervisor can", N_("Chỉ lãnh đạo mới thực hiện được thao tác này.")),
    ("forbidden", r"cannot open cases", N_("Chỉ chuyên viên Ban Tổ chức mới mở được hồ sơ.")),
    ("forbidden", r"deactivated", N_("Tài khoản này đã bị vô hiệu hóa.")),
    ("forbidden", r"sign in first|unknown user", N_("Hãy đăng nhập.")),
    ("forbidden", r"only administrators manage", N_("Chỉ quản trị viên mới quản lý người dùng và đơn vị.")),
    ("forbidden", r"top-level unit", N_("Chỉ hệ thống mới tạo được đơn vị cấp cao nhất.")),
    ("forbidden", r"record is searched by", N_("Chỉ cán bộ kiểm tra, lãnh đạo và quản trị viên mới tra cứu được nhật ký.")),
    ("forbidden", r"integrity is checked", N_("Chỉ cán bộ kiểm tra, lãnh đạo và quản trị viên mới kiểm tra được tính toàn vẹn của nhật ký.")),
    ("forbidden", r"list users", N_("Chỉ quản trị viên và cán bộ kiểm tra mới xem được danh sách người dùng.")),
    ("forbidden", r"", N_("Bạn không có quyền thực hiện thao tác này.")),
    ("not_found", r"no such document", N_("Hồ sơ không có tài liệu này.")),
    ("not_found", r"no such active token", N_("Không có mã truy cập này, hoặc mã đã bị thu hồi.")),
    ("not_found", r"^no procedure|is not installed", N_("Không có quy trình này.")),
    ("not_found", r"^unit .* does not exist", N_("Không có đơn vị này.")),
    ("not_found", r"^user .* does not exist", N_("Không có người dùng này.")),
    ("not_found", r"^case .* does not exist", N_("Không tìm thấy hồ sơ (hoặc hồ sơ không thuộc phạm vi của bạn).")),
    ("not_found", r"", N_("Không tìm thấy nội dung được yêu cầu.")),
    ("not_allowed", r"the case is completed", N_("Hồ sơ đã hoàn thành; không thể thao tác thêm.")),
    ("not_allowed", r"the case is cancelled", N_("Hồ sơ đã bị hủy; không thể thao tác thêm.")),
    ("not_allowed", r"waiting for a supervisor's approval",
     N_("Bước này đang chờ lãnh đạo phê duyệt; chỉ sửa được sau khi bị trả lại.")),
    ("not_allowed", r"no approval has been requested", N_("Bước này chưa được trình phê duyệt.")),
    ("not_allowed", r"approval has already been requested", N_("Bước này đã được trình phê duyệt.")),
    ("not_allowed", r"no decision of the head is pending", N_("Không có nội dung nào đang chờ người đứng đầu quyết định.")),
    ("not_allowed", r"has no form", N_("Bước này không có biểu mẫu để nhập.")),
    ("not_allowed", r"holds no vote", N_("Bước này không có biểu quyết.")),
    ("not_allowed", r"makes no announcement", N_("Bước này không có thông báo.")),
    ("not_allowed", r"needs no approval", N_("Bước này không cần phê duyệt; hãy chuyển bước.")),
    ("not_allowed", r"cannot return to", N_("Không thể trả lại về bước đã chọn.")),
    ("not_allowed", r"cannot deactivate yourself",
     N_("Bạn không thể tự vô hiệu hóa tài khoản hoặc tự bỏ vai trò quản trị của mình.")),
    ("not_allowed", r"", N_("Thao tác này không thực hiện được ở trạng thái hiện tại của hồ sơ.")),
    ("guard_failed", r"^fill in before leaving", N_("Cần nhập trước khi chuyển bước: %(fields)s.")),
    ("guard_failed", r"^conditions not met", N_("Điều kiện bắt buộc chưa đạt: %(fields)s.")),
    ("guard_failed", r"tally has not been recorded", N_("Chưa nhập kết quả kiểm phiếu của hội nghị.")),
    ("guard_failed", r"waiting for the head's decision on (?P<names>.+) \(exactly",
     N_("Đang chờ người đứng đầu quyết định đối với: %(names)s (đúng bằng ngưỡng).")),
    ("guard_failed", r"the vote did not pass.*\((?P<needed>\d+) of (?P<base>\d+) votes needed\)",
     N_("Kết quả biểu quyết chưa đạt: không ai đạt số phiếu cần thiết (cần %(needed)s trên %(base)s phiếu).")),
    ("guard_failed", r"^attach the document", N_("Cần đính kèm tài liệu “%(document)s” trước khi chuyển bước.")),
    ("guard_failed", r"publish the announcement", N_("Cần đăng thông báo trước khi chuyển bước.")),
    ("guard_failed", r"", N_("Chưa đủ điều kiện để chuyển bước.")),
    ("quorum_not_met", r"(?P<present>\d+) of (?P<of>\d+) present, at least (?P<needed>\d+)",
     N_("Hội nghị không đủ số lượng: có mặt %(present)s trên %(of)s, cần ít nhất %(needed)s. Chưa có gì được lưu.")),
    ("quorum_not_met", r"", N_("Hội nghị không đủ số lượng có mặt.")),
    ("invalid_tally", r"", N_("Số liệu kiểm phiếu chưa khớp; xem các ô được đánh dấu. Chưa có gì được lưu.")),
    ("four_eyes", r"", N_("Bạn là người trình phê duyệt; một lãnh đạo khác phải phê duyệt (nguyên tắc hai người).")),
    ("version_conflict", r"", N_("Có người khác vừa thay đổi hồ sơ này. Hãy tải lại trang để xem nội dung mới nhất.")),
    ("validation", r"idempotency key was already used",
     N_("Biểu mẫu này đã được dùng cho một yêu cầu khác; hãy tải lại trang.")),
    ("validation", r"was changed after cases were opened",
     N_("Tệp định nghĩa quy trình đã bị sửa sau khi có hồ sơ; hãy ban hành thành phiên bản mới.")),
    ("validation", r"the user name '(?P<name>.+)' is taken", N_("Tên đăng nhập “%(name)s” đã có người dùng.")),
    ("validation", r"already a unit", N_("Ở đây đã có đơn vị cùng tên.")),
    ("validation", r"give the token a name", N_("Hãy đặt tên cho mã truy cập.")),
    ("validation", r"^give a reason", N_("Hãy nêu lý do.")),
    ("validation", r"", N_("Dữ liệu chưa hợp lệ; xem các ô được đánh dấu.")),
    ("auth_failed", r"too many failed attempts", N_("Đăng nhập sai quá nhiều lần. Hãy thử lại sau 5 phút.")),
    ("auth_failed", r"", N_("Sai tên đăng nhập hoặc mật khẩu.")),
]

_FIELD_MESSAGES: list[tuple[str, str]] = [
    (r"required", N_("Bắt buộc nhập.")),
    (r"(must be a )?whole number", N_("Phải là số nguyên.")),
    (r"must be between 0 and (?P<max>\d+)", N_("Phải từ 0 đến %(max)s.")),
    (r"at least one person must be summoned", N_("Phải có ít nhất một người được triệu tập.")),
    (r"present \((?P<a>\d+)\) cannot exceed summoned \((?P<b>\d+)\)",
     N_("Số có mặt (%(a)s) không được lớn hơn số được triệu tập (%(b)s).")),
    (r"ballots issued \((?P<a>\d+)\) cannot exceed those present \((?P<b>\d+)\)",
     N_("Số phiếu phát ra (%(a)s) không được lớn hơn số có mặt (%(b)s).")),
    (r"ballots collected \((?P<a>\d+)\) cannot exceed ballots issued \((?P<b>\d+)\)",
     N_("Số phiếu thu về (%(a)s) không được lớn hơn số phiếu phát ra (%(b)s).")),
    (r"valid \((?P<a>\d+)\) \+ invalid \((?P<b>\d+)\) must equal ballots collected \((?P<c>\d+)\)",
     N_("Phiếu hợp lệ (%(a)s) cộng phiếu không hợp lệ (%(b)s) phải bằng số phiếu thu về (%(c)s).")),
    (r"the collective has at least one member", N_("Tập thể có ít nhất một thành viên.")),
    (r"at least one candidate's result is required", N_("Cần kết quả của ít nhất một người.")),
    (r"a candidate name is empty", N_("Có dòng có số phiếu nhưng thiếu họ tên.")),
    (r"a name is at most (?P<n>\d+) characters", N_("Họ tên dài tối đa %(n)s ký tự.")),
    (r"this candidate is listed twice", N_("Người này được ghi hai lần.")),
    (r"not on the candidate list.*", N_("Không có trong danh sách; hội nghị này không được giới thiệu người ngoài danh sách.")),
    (r"give .* counts", N_("Hãy nhập số phiếu.")),
    (r"unknown count.*", N_("Loại phiếu không hợp lệ với cách biểu quyết này.")),
    (r".+ = (?P<sum>\d+) exceeds the valid ballots \((?P<v>\d+)\)",
     N_("Tổng số phiếu (%(sum)s) vượt quá số phiếu hợp lệ (%(v)s).")),
    (r"each ballot names one person: the nominations \((?P<n>\d+)\) exceed the valid ballots \((?P<v>\d+)\)",
     N_("Mỗi phiếu chỉ giới thiệu một người: tổng số phiếu giới thiệu (%(n)s) vượt quá số phiếu hợp lệ (%(v)s).")),
    (r"must be a date.*", N_("Phải là một ngày hợp lệ.")),
    (r"(text of )?at most (?P<n>\d+) characters", N_("Tối đa %(n)s ký tự.")),
    (r"at least (?P<n>\d+) of (?P<of>\d+) must be present",
     N_("Cần ít nhất %(n)s trên %(of)s người có mặt để hội nghị hợp lệ.")),
    (r"must be text", N_("Phải là văn bản.")),
    (r"must be a single line", N_("Chỉ được nhập một dòng.")),
    (r"must be yes or no", N_("Chọn Có hoặc Không.")),
    (r"must be met", N_("Điều kiện bắt buộc phải đạt (Có).")),
    (r"must be one of .*", N_("Giá trị không có trong danh sách cho phép.")),
    (r"'(?P<name>.+)' is listed twice", N_("“%(name)s” được ghi hai lần.")),
    (r"at least one name", N_("Cần ít nhất một họ tên.")),
    (r"at most (?P<n>\d+) names", N_("Tối đa %(n)s họ tên.")),
    (r"this step has no field .*", N_("Bước này không có trường này.")),
    (r"3 to 80 letters.*", N_("Từ 3 đến 80 ký tự: chữ cái không dấu, chữ số, dấu chấm, gạch dưới hoặc gạch ngang.")),
    (r"already taken", N_("Tên đăng nhập này đã có người dùng.")),
    (r"a password has at least (?P<n>\d+) characters", N_("Mật khẩu có ít nhất %(n)s ký tự.")),
    (r"a password has at most (?P<n>\d+) characters", N_("Mật khẩu có tối đa %(n)s ký tự.")),
    (r"already exists here", N_("Ở đây đã có đơn vị cùng tên.")),
    (r"1 to 200 characters", N_("Từ 1 đến 200 ký tự.")),
    (r"file type not accepted; accepted: (?P<list>.+)", N_("Loại tệp không được chấp nhận; chỉ nhận: %(list)s.")),
    (r"the file is empty", N_("Tệp rỗng.")),
    (r"the file is larger than (?P<n>\d+) MB", N_("Tệp lớn hơn %(n)s MB.")),
    (r"unknown role", N_("Vai trò không hợp lệ.")),
    (r"already used for a different request", N_("Biểu mẫu đã được dùng cho một yêu cầu khác; hãy tải lại trang.")),
]


def field_message(msg: str) -> str:
    """One field's complaint in the user's words (shown as given when it is not a known one)."""
    msg = str(msg)
    parts = msg.split("; ")
    if len(parts) > 1 and all(re.match(r"^(agree|disagree|high|confidence|low): ", p) for p in parts):
        return " ".join(f"{word(MEASURE_NAMES, p.split(': ', 1)[0])}: {field_message(p.split(': ', 1)[1])}"
                        for p in parts)
    m = re.match(r"^(agree|disagree|high|confidence|low): (.+)$", msg)
    if m:
        return f"{word(MEASURE_NAMES, m.group(1))}: {field_message(m.group(2))}"
    for pattern, sentence in _FIELD_MESSAGES:
        m = re.fullmatch(pattern, msg)
        if m:
            return _(sentence, **m.groupdict())
    return msg


def field_messages(e: WorkflowError) -> dict[str, str]:
    return {k: field_message(v) for k, v in e.fields.items()}


def error_text(e: WorkflowError, step: Step | None = None, *, with_fields: bool = False) -> str:
    """The Vietnamese (or English) sentence for a service error. `step` names fields and
    documents by their labels; `with_fields` adds the per-field complaints (where no form shows them)."""
    labels = {f.key: text(f.label) for f in step.form} if step else {}
    docs = {d.type: text(d.label) for d in step.documents} if step else {}
    params = {"fields": ", ".join(labels.get(k, k) for k in e.fields),
              "document": docs.get(e.fields.get("documents"), e.fields.get("documents", "")),
              "needed": word(ROLE_NAMES, e.params.get("needed")), "role": word(ROLE_NAMES, e.params.get("role"))}
    sentence = e.message
    for code, pattern, words in _MESSAGES:
        if code != e.code:
            continue
        m = re.search(pattern, e.message)
        if m:
            found = {k: v for k, v in m.groupdict().items() if v is not None}
            for k in ("needed", "role"):
                if k in found and e.code == "forbidden":
                    found[k] = word(ROLE_NAMES, found[k])
            sentence = _(words, **{**params, **found})
            break
    if with_fields and e.fields and e.code in ("validation", "invalid_tally"):
        sentence += " " + " ".join(f"{labels.get(k, field_label(k))}: {field_message(v)}"
                                   for k, v in e.fields.items())
    return sentence


def field_label(key: str) -> str:
    common = {"file": N_("Tệp"), "doc_type": N_("Loại tài liệu"), "reason": N_("Lý do"), "name": N_("Tên"), "title": N_("Tiêu đề"),
              "username": N_("Tên đăng nhập"), "password": N_("Mật khẩu"), "role": N_("Vai trò"), "unit_id": N_("Đơn vị"),
              "decision_no": N_("Số quyết định"), "date": N_("Ngày"), "signer": N_("Người ký"), "text": N_("Nội dung"),
              **COUNT_NAMES}
    return _(common[key]) if key in common else key


# ---- filters ---------------------------------------------------------------------------------

def as_date(v) -> dt.date | None:
    if v in (None, ""):
        return None
    if isinstance(v, dt.datetime):
        return (v if v.tzinfo else v.replace(tzinfo=dt.timezone.utc)).astimezone(TZ).date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


def fmt_date(v) -> str:
    d = as_date(v)
    return d.strftime("%d/%m/%Y") if d else ("" if v in (None, "") else str(v))


def fmt_datetime(v) -> str:
    if v in (None, ""):
        return ""
    if isinstance(v, str):
        try:
            v = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            return v
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=dt.timezone.utc)
        return v.astimezone(TZ).strftime("%d/%m/%Y %H:%M")
    return fmt_date(v)


def fmt_percent(v) -> str:
    """A share (Fraction or 0..1 float) as a percentage with two decimals in the page's language."""
    if v is None:
        return ""
    return format_decimal(float(v) * 100, format="0.00", locale=locale()) + "%"


def fmt_number(n) -> str:
    """A count with the page language's grouping: 1.000 in Vietnamese, 1,000 in English."""
    return format_decimal(int(n or 0), locale=locale())


def fmt_size(n) -> str:
    n = int(n or 0)
    if n < 1024:
        return _("%(n)s byte", n=n)
    if n < 1024 * 1024:
        return format_decimal(n / 1024, format="0.0", locale=locale()) + " KB"
    return format_decimal(n / 1024 / 1024, format="0.0", locale=locale()) + " MB"


def url_with(**changes) -> str:
    """The current page's URL with some query arguments changed (None removes one)."""
    args = request.args.to_dict()
    for k, v in changes.items():
        if v is None:
            args.pop(k, None)
        else:
            args[k] = v
    return request.path + ("?" + urlencode(args) if args else "")


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site (no scheme, no host) is followed after sign-in."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def as_int(v) -> int | None:
    """A whole number from a form or query field; None when empty or not a number."""
    try:
        return int(v) if v not in (None, "") else None
    except (TypeError, ValueError):
        return None


def new_key() -> str:
    """A fresh idempotency key for a form being rendered: a double submit replays, never repeats."""
    return uuid.uuid4().hex


# ---- the application -------------------------------------------------------------------------

ERROR_TITLES = {400: N_("Yêu cầu không hợp lệ"), 401: N_("Cần đăng nhập"), 403: N_("Không có quyền truy cập"),
                404: N_("Không tìm thấy trang"), 405: N_("Phương thức không được hỗ trợ"),
                409: N_("Hồ sơ vừa được người khác thay đổi"), 413: N_("Tệp quá lớn"), 422: N_("Dữ liệu chưa hợp lệ"),
                500: N_("Đã có lỗi xảy ra"), 503: N_("Tạm thời không truy cập được cơ sở dữ liệu")}
ERROR_TEXTS = {400: N_("Yêu cầu gửi lên không hợp lệ."),
               401: N_("Hãy đăng nhập để tiếp tục."),
               403: N_("Bạn không có quyền xem trang này hoặc thực hiện thao tác này."),
               404: N_("Trang hoặc hồ sơ bạn tìm không có, hoặc không thuộc phạm vi của bạn."),
               405: N_("Trang này không nhận yêu cầu kiểu này."),
               409: N_("Có người khác vừa thay đổi hồ sơ này. Hãy tải lại trang để xem nội dung mới nhất rồi làm lại."),
               413: N_("Tệp gửi lên vượt quá dung lượng cho phép."),
               422: N_("Dữ liệu gửi lên chưa hợp lệ."),
               500: N_("Hệ thống gặp lỗi khi xử lý yêu cầu. Không có thay đổi nào được lưu dở dang; hãy thử lại, và báo quản trị viên nếu lỗi lặp lại."),
               503: N_("Hệ thống không kết nối được cơ sở dữ liệu lúc này. Không có thay đổi nào được lưu dở dang; hãy thử lại sau ít phút, và báo quản trị viên nếu lỗi lặp lại.")}


def _reload_url() -> str:
    """Where 'reload' leads after a conflict: the case the request was about, else this page."""
    case_id = (request.view_args or {}).get("case_id")
    if case_id is not None:
        return url_for("cases.case", case_id=case_id)
    return request.path if request.method == "GET" else url_for("cases.home")


def error_page(status: int, message: str | None = None):
    return render_template("errors/error.html", status=status, reload_url=_reload_url(),
                           title=_(ERROR_TITLES.get(status, N_("Đã có lỗi xảy ra"))),
                           message=message or _(ERROR_TEXTS.get(status, ERROR_TEXTS[500]))), status


def init_site(app: Flask) -> None:
    compile_catalogs()
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=_select_locale, default_locale="vi", default_timezone="Asia/Ho_Chi_Minh")
    CSRFProtect(app)
    Bootstrap5(app)

    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = N_("Hãy đăng nhập để tiếp tục.")
    login.login_message_category = "info"
    login.localize_callback = _

    @login.user_loader
    def load_user(user_id: str):
        ident, _, stamp = str(user_id).partition(".")
        try:
            user = app.extensions["cadreflow"].directory.get_user(int(ident))
        except (TypeError, ValueError):
            return None
        # a deactivated user is out at once, on their next request; so is a session from before a
        # password change or reset
        if user is None or not user.active or stamp != user.session_stamp:
            return None
        return SignedIn(user)

    @app.before_request
    def pick_language():
        lang = request.args.get("lang")
        if lang in LOCALES:
            session["lang"] = lang

    @app.after_request
    def security_headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                "script-src 'self'; frame-ancestors 'none'; form-action 'self'")
        return resp

    app.jinja_env.filters.update(date=fmt_date, datetime=fmt_datetime, percent=fmt_percent, size=fmt_size, number=fmt_number,
                                 t=text)
    app.jinja_env.globals.update(
        new_key=new_key, locale=locale, url_with=url_with, step_name=step_name, short_title=short_title,
        role_name=lambda r: word(ROLE_NAMES, r), status_name=lambda s: word(STATUS_NAMES, s),
        awaiting_name=lambda a: word(AWAITING_NAMES, a), measure_name=lambda m: word(MEASURE_NAMES, m),
        count_name=lambda k: word(COUNT_NAMES, k), judgement_name=lambda j: word(JUDGEMENT_NAMES, j),
        base_name=lambda b: word(BASE_NAMES, b), rule_summary=rule_summary, quorum_summary=quorum_summary,
        field_message=field_message, LOCALES=LOCALES, as_date=as_date,
        now=lambda: dt.datetime.now(dt.timezone.utc))

    @app.context_processor
    def navigation():
        return {"me": current_user if current_user.is_authenticated else None}

    @app.errorhandler(CSRFError)
    def csrf_refused(e):
        return error_page(400, _("Biểu mẫu đã hết hạn hoặc thiếu mã bảo vệ. Hãy tải lại trang rồi gửi lại."))

    @app.errorhandler(WorkflowError)
    def workflow_error(e: WorkflowError):
        status = e.http_status if e.http_status in ERROR_TITLES else 400
        if status == 401:
            status = 403
        return error_page(status, error_text(e, with_fields=True))

    def http_error(e: HTTPException):
        body, status = error_page(e.code or 500)
        # the exception's own headers but its Content-Type: a 405 says which methods are allowed (RFC 9110)
        return body, status, [(k, v) for k, v in e.get_headers() if k.lower() != "content-type"]

    for code in (400, 403, 404, 405, 409, 413, 503):
        app.register_error_handler(code, http_error)

    @app.errorhandler(OperationalError)
    def database_unavailable(e: OperationalError):
        # The database went away, was locked past the busy timeout, or rolled the transaction back
        # (deadlock): the transaction did not commit, and the pool has dropped a broken connection.
        current_app.logger.error("database unavailable on %s: %s", request.path, e.orig)
        return error_page(503)

    @app.errorhandler(500)
    def server_error(e):
        # Flask has logged the exception with its traceback; the person sees none of it.
        return error_page(500)

    from .account import bp as account_bp
    from .admin import bp as admin_bp
    from .audit import bp as audit_bp
    from .auth import bp as auth_bp
    from .cases import bp as cases_bp
    for bp in (auth_bp, cases_bp, audit_bp, admin_bp, account_bp):
        app.register_blueprint(bp)

    if importlib.util.find_spec("web.api") is not None:
        from .api import init_api
        init_api(app)


def require_login():
    """before_request of every page blueprint: the pages are for signed-in users only."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return None


def require_role(*roles: str):
    """A page reserved to some roles (the service refuses the actions anyway)."""
    if current_user.role not in roles:
        abort(403)

