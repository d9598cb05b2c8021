"""How the case page shows each action of the engine's table (workflow/domain/actions.ACTIONS): the
last part of its URL, where it sits on the page, what is said once it is done. The actions, their
order, their inputs and who may take them are the table's; a test checks this one covers it exactly.
Each action's form is the template cases/actions/<name>.html."""
from __future__ import annotations

from dataclasses import dataclass

from ..i18n import N_

PAGE, BUTTON, FORM = "page", "button", "form"


@dataclass(frozen=True)
class ActionView:
    slug: str                    # /cases/<id>/<slug>
    place: str                   # PAGE: a page of its own, linked from the bar; BUTTON: in the bar; FORM: below it
    done: str                    # the message once it is done
    completed: str | None = None    # …or this one when it completed the case


VIEWS: dict[str, ActionView] = {
    "record": ActionView("record", PAGE, N_("Đã lưu nội dung bước.")),
    "tally": ActionView("tally", PAGE, N_("Đã ghi kết quả kiểm phiếu.")),
    "attach": ActionView("documents", FORM, N_("Đã đính kèm tài liệu.")),
    "announce": ActionView("announce", PAGE, N_("Đã đăng thông báo.")),
    "advance": ActionView("advance", BUTTON, N_("Đã chuyển bước."), N_("Hồ sơ đã hoàn thành.")),
    "request_approval": ActionView("request-approval", FORM, N_("Đã trình lãnh đạo phê duyệt.")),
    "approve": ActionView("approve", FORM, N_("Đã phê duyệt.")),
    "return": ActionView("return", FORM, N_("Đã trả lại hồ sơ.")),
    "decide": ActionView("decide", FORM, N_("Đã ghi quyết định hướng xử lý."), N_("Hồ sơ đã kết thúc với kết quả đã chọn.")),
    "head_decision": ActionView("head-decision", FORM, N_("Đã ghi quyết định của người đứng đầu.")),
    "approve_correction": ActionView("approve-correction", FORM, N_("Đã phê duyệt bản sửa; kết quả kiểm phiếu mới có "
                                                                   "hiệu lực.")),
    "reject_correction": ActionView("reject-correction", FORM, N_("Đã từ chối bản sửa; kết quả cũ giữ nguyên.")),
    "opinion": ActionView("opinion", FORM, N_("Đã ghi ý kiến.")),
    "cancel": ActionView("cancel", FORM, N_("Đã hủy hồ sơ.")),
}
ON_THE_CASE_PAGE = {v.slug: name for name, v in VIEWS.items() if v.place != PAGE}   # slug -> action
