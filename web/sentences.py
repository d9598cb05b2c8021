"""The engine's message keys (workflow/domain/messages.py) as sentences for a person, in Vietnamese (the
catalog's source language; English in translations/en). A placeholder is one of the key's params,
turned into words by web/errors.py. Keys of definition files, backups and the JSON API are for
administrators, the command line and programs: they are shown in the engine's English. (A table of
data: long by nature.)"""
from __future__ import annotations

from .i18n import N_

ENGLISH_ONLY = ("definition.", "backup.", "api.")     # but definition.changed(_new), which a page meets, is said

GENERIC = {  # by error code, for a key without a sentence of its own
    "forbidden": N_("Bạn không có quyền thực hiện thao tác này."),
    "not_found": N_("Không tìm thấy nội dung được yêu cầu."),
    "not_allowed": N_("Thao tác này không thực hiện được ở trạng thái hiện tại của hồ sơ."),
    "guard_failed": N_("Chưa đủ điều kiện để chuyển bước."),
    "quorum_not_met": N_("Hội nghị không đủ số lượng có mặt."),
    "invalid_tally": N_("Số liệu kiểm phiếu chưa khớp; xem các ô được đánh dấu. Chưa có gì được lưu."),
    "four_eyes": N_("Bạn là người trình phê duyệt; một lãnh đạo khác phải phê duyệt (nguyên tắc hai người)."),
    "version_conflict": N_("Có người khác vừa thay đổi hồ sơ này. Hãy tải lại trang để xem nội dung mới nhất."),
    "validation": N_("Dữ liệu chưa hợp lệ; xem các ô được đánh dấu."),
    "auth_failed": N_("Sai tên đăng nhập hoặc mật khẩu."),
    "definition_invalid": N_("Tệp định nghĩa quy trình không hợp lệ."),
}

NOT_HERE = N_("Thao tác này không thực hiện được ở trạng thái hiện tại của hồ sơ.")
NO_ACTION = N_("Thao tác này không có trong quy trình.")
NO_PROCEDURE = N_("Không có quy trình này.")
SIGN_IN = N_("Hãy đăng nhập.")
SUPERVISORS_ONLY = N_("Chỉ lãnh đạo mới thực hiện được thao tác này.")
NO_HEAD_DECISION = N_("Không có nội dung nào đang chờ người đứng đầu quyết định.")
NO_RETURN = N_("Không thể trả lại về bước đã chọn.")
RELOAD = N_("Có người khác vừa thay đổi hồ sơ này. Hãy tải lại trang để xem nội dung mới nhất.")
SEE_FIELDS = N_("Dữ liệu chưa hợp lệ; xem các ô được đánh dấu.")
SEE_TALLY = N_("Số liệu kiểm phiếu chưa khớp; xem các ô được đánh dấu. Chưa có gì được lưu.")
FORM_REUSED = N_("Biểu mẫu này đã được dùng cho một yêu cầu khác; hãy tải lại trang.")
DEFINITION_CHANGED = N_("Tệp định nghĩa quy trình đã bị sửa sau khi có hồ sơ; hãy ban hành thành phiên bản mới.")
WHOLE = N_("Phải là số nguyên.")
A_DATE = N_("Phải là một ngày hợp lệ.")
YES_NO = N_("Chọn Có hoặc Không.")
AT_MOST = N_("Tối đa %(n)s ký tự.")
BETWEEN = N_("Phải từ %(lo)s đến %(hi)s.")
UNIT_HERE = N_("Ở đây đã có đơn vị cùng tên.")
BAD_ROLE = N_("Vai trò không hợp lệ.")

# A key whose sentence depends on one of its params: (param, {value: sentence}).
VARIANTS = {
    "not_allowed.closed": ("status", {"completed": N_("Hồ sơ đã hoàn thành; không thể thao tác thêm."),
                                      "cancelled": N_("Hồ sơ đã bị hủy; không thể thao tác thêm.")}),
}

SENTENCES: dict[str, str] = {
    # ---- the state machine and procedures ----
    "machine.unknown_trigger": NO_ACTION,
    "machine.not_allowed": NOT_HERE,
    "procedure.not_installed": NO_PROCEDURE,
    "procedure.unknown": NO_PROCEDURE,
    "procedure.unknown_version": NO_PROCEDURE,
    "definition.changed": DEFINITION_CHANGED,
    "definition.changed_new": DEFINITION_CHANGED,
    # ---- who may ----
    "auth.sign_in_first": SIGN_IN,
    "auth.unknown_user": SIGN_IN,
    "auth.deactivated": N_("Tài khoản này đã bị vô hiệu hóa."),
    "auth.wrong": N_("Sai tên đăng nhập hoặc mật khẩu."),
    "auth.locked": N_("Đăng nhập sai quá nhiều lần. Hãy thử lại sau %(minutes)s phút."),
    "auth.bearer": N_("Hãy gửi mã truy cập cá nhân trong tiêu đề “Authorization: Bearer <mã>”."),
    "auth.bad_token": N_("Mã truy cập không có, đã bị thu hồi, hoặc tài khoản đã bị vô hiệu hóa."),
    "auth.required": N_("Hãy đăng nhập, hoặc gửi mã truy cập cá nhân."),
    "auth.csrf_header": N_("Yêu cầu dùng phiên đăng nhập phải kèm mã bảo vệ trong tiêu đề X-CSRFToken."),
    "forbidden.read_only": N_("Vai trò %(role)s chỉ xem hồ sơ, không thay đổi nội dung."),
    "forbidden.supervisor.approve": SUPERVISORS_ONLY,
    "forbidden.supervisor.return": SUPERVISORS_ONLY,
    "forbidden.supervisor.head_decision": SUPERVISORS_ONLY,
    "forbidden.supervisor.cancel": SUPERVISORS_ONLY,
    "forbidden.step_role": N_("Bước này do %(needed)s thực hiện; vai trò của bạn là %(role)s."),
    "forbidden.open": N_("Chỉ chuyên viên Ban Tổ chức mới mở được hồ sơ."),
    "forbidden.search_record": N_("Chỉ cán bộ kiểm tra, lãnh đạo và quản trị viên mới tra cứu được nhật ký."),
    "forbidden.verify": N_("Chỉ cán bộ kiểm tra, lãnh đạo và quản trị viên mới kiểm tra được tính toàn vẹn của "
                           "nhật ký."),
    "forbidden.manage": N_("Chỉ quản trị viên mới quản lý người dùng và đơn vị."),
    "forbidden.top_unit": N_("Chỉ hệ thống mới tạo được đơn vị cấp cao nhất."),
    "forbidden.list_users": N_("Chỉ quản trị viên và cán bộ kiểm tra mới xem được danh sách người dùng."),
    "four_eyes": GENERIC["four_eyes"],
    # ---- what is not there ----
    "case.not_found": N_("Không tìm thấy hồ sơ (hoặc hồ sơ không thuộc phạm vi của bạn)."),
    "unit.not_found": N_("Không có đơn vị này."),
    "user.not_found": N_("Không có người dùng này."),
    "document.not_found": N_("Hồ sơ không có tài liệu này."),
    "token.not_found": N_("Không có mã truy cập này, hoặc mã đã bị thu hồi."),
    # ---- what the case's state does not allow ----
    "not_allowed.no_approval_requested": N_("Bước này chưa được trình phê duyệt."),
    "not_allowed.awaiting_approval": N_("Bước này đang chờ lãnh đạo phê duyệt; chỉ sửa được sau khi bị trả lại."),
    "not_allowed.no_head_decision": NO_HEAD_DECISION,
    "not_allowed.approval_pending": N_("Bước này đã được trình phê duyệt."),
    "not_allowed.no_form": N_("Bước này không có biểu mẫu để nhập."),
    "not_allowed.no_vote": N_("Bước này không có biểu quyết."),
    "not_allowed.head_not_pending": NO_HEAD_DECISION,
    "not_allowed.head_none_pending": NO_HEAD_DECISION,
    "not_allowed.no_announcement": N_("Bước này không có thông báo."),
    "not_allowed.no_approval_needed": N_("Bước này không cần phê duyệt; hãy chuyển bước."),
    "not_allowed.return_to": NO_RETURN,
    "not_allowed.no_return": NO_RETURN,
    "not_allowed.self": N_("Bạn không thể tự vô hiệu hóa tài khoản hoặc tự bỏ vai trò quản trị của mình."),
    "version.conflict": RELOAD,
    "version.changed": RELOAD,
    # ---- leaving a step ----
    "guard.missing": N_("Cần nhập trước khi chuyển bước: %(missing)s."),
    "guard.conditions": N_("Điều kiện bắt buộc chưa đạt: %(unmet)s."),
    "guard.no_tally": N_("Chưa nhập kết quả kiểm phiếu của hội nghị."),
    "guard.awaiting_head": N_("Đang chờ người đứng đầu quyết định đối với: %(names)s (đúng bằng ngưỡng)."),
    "guard.vote_failed": N_("Kết quả biểu quyết chưa đạt: không ai đạt số phiếu cần thiết (cần %(needed)s trên "
                            "%(base)s phiếu)."),
    "guard.document": N_("Cần đính kèm tài liệu “%(document)s” trước khi chuyển bước."),
    "guard.announcement": N_("Cần đăng thông báo trước khi chuyển bước."),
    "quorum.not_met": N_("Hội nghị không đủ số lượng: có mặt %(present)s trên %(of)s, cần ít nhất %(needed)s. "
                         "Chưa có gì được lưu."),
    # ---- tallies (the whole, then one field's problem) ----
    "tally.not_mapping": SEE_TALLY,
    "tally.inconsistent": SEE_TALLY,
    "tally.name_listed_twice": SEE_TALLY,
    "tally.summoned": N_("Phải có ít nhất một người được triệu tập."),
    "tally.present": N_("Số có mặt (%(present)s) không được lớn hơn số được triệu tập (%(summoned)s)."),
    "tally.issued": N_("Số phiếu phát ra (%(issued)s) không được lớn hơn số có mặt (%(present)s)."),
    "tally.collected": N_("Số phiếu thu về (%(collected)s) không được lớn hơn số phiếu phát ra (%(issued)s)."),
    "tally.valid_sum": N_("Phiếu hợp lệ (%(valid)s) cộng phiếu không hợp lệ (%(invalid)s) phải bằng số phiếu thu "
                          "về (%(collected)s)."),
    "tally.members": N_("Tập thể có ít nhất một thành viên."),
    "tally.members_present": N_("Tập thể có %(members)s thành viên nhưng ghi %(present)s người có mặt; chỉ thành "
                                "viên được biểu quyết."),
    "tally.no_candidates": N_("Cần kết quả của ít nhất một người."),
    "tally.name_empty": N_("Có dòng có số phiếu nhưng thiếu họ tên."),
    "tally.name_twice": N_("Người này được ghi hai lần."),
    "tally.not_listed": N_("Không có trong danh sách; hội nghị này không được giới thiệu người ngoài danh sách."),
    "tally.give_counts": N_("Hãy nhập số phiếu."),
    "tally.unknown_counts": N_("Loại phiếu không hợp lệ với cách biểu quyết này."),
    "tally.over_valid": N_("Tổng số phiếu (%(total)s) vượt quá số phiếu hợp lệ (%(valid)s)."),
    "tally.nominations": N_("Mỗi phiếu chỉ giới thiệu một người: tổng số phiếu giới thiệu (%(total)s) vượt quá số "
                            "phiếu hợp lệ (%(valid)s)."),
    # ---- forms and other input ----
    "form.not_mapping": SEE_FIELDS,
    "form.invalid": SEE_FIELDS,
    "announcement.not_mapping": SEE_FIELDS,
    "attach.invalid": SEE_FIELDS,
    "open.invalid": SEE_FIELDS,
    "user.invalid": SEE_FIELDS,
    "unit_id.whole": SEE_FIELDS,
    "expected_version.whole": SEE_FIELDS,
    "action.unknown": NO_ACTION,
    "accept.boolean": N_("Hãy chọn chấp thuận hoặc không chấp thuận."),
    "reason.missing": N_("Hãy nêu lý do."),
    "reason.long": N_("Lý do dài tối đa %(n)s ký tự."),
    "idempotency.key_length": N_("Mã của biểu mẫu không hợp lệ; hãy tải lại trang."),
    "idempotency.reused": FORM_REUSED,
    "filter.id": N_("Bộ lọc “%(name)s” phải là số nguyên từ 1 đến %(max)s."),
    "filter.date": N_("Bộ lọc “%(name)s” phải là một ngày."),
    "page.whole": N_("Số trang phải là số nguyên."),
    "unit.name": N_("Đơn vị cần có tên, dài tối đa 200 ký tự."),
    "unit.exists": UNIT_HERE,
    "user.taken": N_("Tên đăng nhập “%(username)s” đã có người dùng."),
    "user.role": BAD_ROLE,
    "locale.unknown": N_("Ngôn ngữ là tiếng Việt hoặc tiếng Anh."),
    "password.short": N_("Mật khẩu có ít nhất %(n)s ký tự."),
    "password.long": N_("Mật khẩu có tối đa %(n)s ký tự."),
    "password.wrong": N_("Mật khẩu hiện tại không đúng."),
    "password.same": N_("Hãy chọn mật khẩu khác mật khẩu hiện tại."),
    "token.name": N_("Hãy đặt tên cho mã truy cập."),
    # ---- one field's problem (beside the field) ----
    "field.required": N_("Bắt buộc nhập."),
    "field.whole_number": WHOLE,
    "field.whole": WHOLE,
    "field.required_whole": N_("Bắt buộc nhập một số nguyên."),
    "field.between": BETWEEN,
    "field.date": A_DATE,
    "field.a_date": A_DATE,
    "field.iso_date": A_DATE,
    "field.yes_no": YES_NO,
    "field.true_false": YES_NO,
    "field.text": N_("Phải là văn bản."),
    "field.at_most": AT_MOST,
    "field.text_at_most": AT_MOST,
    "field.chars_between": N_("Từ %(lo)s đến %(hi)s ký tự."),
    "field.single_line": N_("Chỉ được nhập một dòng."),
    "field.one_of": N_("Giá trị không có trong danh sách cho phép."),
    "field.names": N_("Phải là danh sách họ tên."),
    "field.name_length": N_("Họ tên dài tối đa %(n)s ký tự."),
    "field.name_twice": N_("“%(name)s” được ghi hai lần."),
    "field.one_name": N_("Cần ít nhất một họ tên."),
    "field.many_names": N_("Tối đa %(n)s họ tên."),
    "field.unknown": N_("Bước này không có trường này."),
    "field.unknown_type": N_("Loại trường không hợp lệ."),
    "field.mapping": N_("Dữ liệu không đúng dạng."),
    "field.must_be_met": N_("Điều kiện bắt buộc phải đạt (Có)."),
    "field.document": N_("Cần đính kèm tài liệu này."),
    "field.quorum": N_("Cần ít nhất %(needed)s trên %(of)s người có mặt để hội nghị hợp lệ."),
    "field.file_type": N_("Loại tệp không được chấp nhận; chỉ nhận: %(accepted)s."),
    "field.file_empty": N_("Tệp rỗng."),
    "field.file_large": N_("Tệp lớn hơn %(n)s MB."),
    "field.out_of_range": N_("Ngoài phạm vi cho phép."),
    "field.key_reused": FORM_REUSED,
    "field.username": N_("Từ 3 đến 80 ký tự: chữ cái không dấu, chữ số, dấu chấm, gạch dưới hoặc gạch ngang."),
    "field.taken": N_("Tên đăng nhập này đã có người dùng."),
    "field.unknown_role": BAD_ROLE,
    "field.exists_here": UNIT_HERE,
    "field.vi_en": N_("Chọn tiếng Việt hoặc tiếng Anh."),
    "field.wrong_password": N_("Mật khẩu không đúng."),
    "field.same_password": N_("Trùng với mật khẩu hiện tại."),
    "field.json_object": N_("Phải là một đối tượng JSON."),
    "field.range": BETWEEN,
    "field.status": N_("Chọn một trạng thái: đang xử lý, hoàn thành hoặc đã hủy."),
    "field.overdue": N_("Chọn 1, 0, true hoặc false."),
    # ---- the definition language (issue 14): conditions, corrections, the head, decisions ----
    "condition.age.min": N_("%(title)s: %(years)s tuổi %(months)s tháng (%(n)s tháng) vào ngày %(end)s, sinh ngày "
                            "%(start)s; cần ít nhất %(min)s tháng."),
    "condition.age.max": N_("%(title)s: %(years)s tuổi %(months)s tháng (%(n)s tháng) vào ngày %(end)s, sinh ngày "
                            "%(start)s; tối đa %(max)s tháng."),
    "condition.months_since.min": N_("%(title)s: %(n)s tháng từ %(start)s đến %(end)s; cần ít nhất %(min)s tháng."),
    "condition.months_since.max": N_("%(title)s: %(n)s tháng từ %(start)s đến %(end)s; tối đa %(max)s tháng."),
    "condition.must_be_true": N_("%(title)s: chưa đạt (chưa chọn “Có”)."),
    "condition.unknown": N_("%(title)s: chưa ghi %(missing)s."),
    "condition.within.before": N_("%(title)s: ngày %(date)s trước ngày %(of)s."),
    "condition.within.max": N_("%(title)s: ngày %(date)s là %(n)s ngày làm việc sau ngày %(of)s; chậm nhất là ngày "
                               "%(last)s (%(max)s ngày làm việc)."),
    "condition.working_days.min": N_("%(title)s: %(n)s ngày làm việc từ %(start)s đến %(end)s; cần ít nhất %(min)s "
                                     "ngày."),
    "condition.working_days.max": N_("%(title)s: %(n)s ngày làm việc từ %(start)s đến %(end)s; tối đa %(max)s ngày."),
    "decision.invalid": N_("Quyết định kèm theo kết quả chưa đầy đủ hoặc chưa đúng; xem các ô được đánh dấu."),
    "delegation.invalid": N_("Ủy quyền chưa đầy đủ hoặc chưa đúng; xem các ô được đánh dấu."),
    "delegation.no_head": N_("%(unit)s chưa có người đứng đầu: hãy chỉ định người đứng đầu trước khi ghi ủy quyền."),
    "delegation.not_found": N_("Không có ủy quyền này (hoặc đã thu hồi)."),
    "field.head_eligible": N_("Phải là lãnh đạo của đơn vị này hoặc đơn vị cấp trên."),
    "field.max": N_("Tối đa %(max)s."),
    "field.min": N_("Tối thiểu %(min)s."),
    "field.no_head": N_("Chưa chỉ định người đứng đầu."),
    "field.not_after": N_("Không được sau ngày %(date)s."),
    "field.not_before": N_("Không được trước ngày %(date)s."),
    "field.unknown_user": N_("Không có người dùng này."),
    "forbidden.head_step": N_("Bước này do người đứng đầu %(unit)s (hoặc người được ủy quyền còn hiệu lực) thực "
                              "hiện."),
    "forbidden.heads": N_("Chỉ quản trị viên (hoặc, với ủy quyền, người đứng đầu đơn vị) mới ghi được nội dung này."),
    "forbidden.no_head": N_("%(unit)s chưa được chỉ định người đứng đầu; quản trị viên cần chỉ định trước khi ghi "
                            "quyết định của người đứng đầu."),
    "forbidden.not_head": N_("Chỉ người đứng đầu %(unit)s (hoặc người được ủy quyền còn hiệu lực) mới ghi được "
                             "quyết định này."),
    "forbidden.opinion": N_("Bước này không lấy ý kiến của %(role)s."),
    "forbidden.opinion_role": N_("Vai trò %(role)s không cho ý kiến về hồ sơ."),
    "forbidden.supervisor.correction": N_("Chỉ lãnh đạo mới phê duyệt hoặc từ chối kết quả kiểm phiếu được sửa."),
    "forbidden.supervisor.decide": N_("Chỉ lãnh đạo mới quyết định hướng xử lý khi điều kiện không đạt."),
    "four_eyes.correction": N_("Bạn là người nhập bản sửa; một lãnh đạo khác phải phê duyệt (nguyên tắc hai người)."),
    "guard.correction_pending": N_("Kết quả kiểm phiếu được sửa đang chờ lãnh đạo phê duyệt."),
    "guard.decision_record": N_("Kết quả này cần có quyết định: số, ngày và người ký."),
    "guard.differing_opinions": N_("Cần ghi các ý kiến khác nhau kèm quyết định của người đứng đầu đối với: "
                                   "%(names)s."),
    "guard.new_round": N_("Hòa phiếu ở vị trí cuối: cần bỏ phiếu lại (vòng %(round)s) giữa %(names)s cho %(places)s "
                          "vị trí."),
    "guard.opinion": N_("Chưa có ý kiến của %(role)s (%(opinion)s)."),
    "head.differing_opinions": N_("Cần ghi các ý kiến khác nhau kèm quyết định của người đứng đầu."),
    "head.not_eligible": N_("%(user)s không thể là người đứng đầu %(unit)s: phải là lãnh đạo của đơn vị này hoặc "
                            "đơn vị cấp trên."),
    "head.user": N_("Không có người dùng này."),
    "not_allowed.correction_pending": N_("Đang có kết quả kiểm phiếu được sửa chờ phê duyệt; cần phê duyệt hoặc từ "
                                         "chối trước."),
    "not_allowed.decide": N_("Đây không phải là hướng xử lý được phép ở bước này; hãy chọn trong danh sách."),
    "not_allowed.head_seats": N_("Người đứng đầu đã chấp thuận đủ số vị trí (%(places)s)."),
    "not_allowed.no_correction": N_("Không có kết quả kiểm phiếu được sửa nào đang chờ phê duyệt."),
    "not_allowed.no_decision_needed": N_("Hồ sơ không chờ quyết định (không có điều kiện nào không đạt)."),
    "opinion.missing": N_("Hãy ghi nội dung ý kiến."),
    "reason.correction": N_("Đang sửa nội dung đã lưu: hãy nêu lý do sửa."),
    "tally.excused": N_("Số thành viên vắng có lý do (%(excused)s) phải ít hơn số thành viên (%(members)s)."),
    "tally.nominations_seats": N_("Mỗi phiếu giới thiệu tối đa %(seats)s người: tổng số phiếu giới thiệu "
                                  "(%(total)s) vượt quá %(seats)s × số phiếu hợp lệ (%(valid)s) = %(most)s."),
}
