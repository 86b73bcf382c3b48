//! The pages' text catalogue: each key with its Vietnamese and English text side by side, so a
//! key cannot exist in one language only. Tests check that keys are unique, that no text is
//! empty, and that every key the templates and page code use is here. Data (criteria titles,
//! unit names) comes in Vietnamese with an English title where the set gives one.

use parindex_core::locale::Locale;
use std::collections::HashMap;
use std::sync::OnceLock;

/// (key, Vietnamese, English).
pub(crate) type Entry = (&'static str, &'static str, &'static str);

/// Every part of the catalogue: this file's, and those of page modules that keep their own
/// texts beside their code (one line each here).
const PARTS: &[&[Entry]] = &[
    CATALOGUE,
    super::portal::TEXTS,
    super::portal_admin::TEXTS,
    super::survey::TEXTS,
    super::plans::TEXTS,
];

/// The frame, errors, sign-in, account, rounds, sheets, results, units and users.
const CATALOGUE: &[Entry] = &[
    // Frame
    ("app.name", "Chỉ số CCHC", "PAR Index"),
    (
        "app.footer",
        "Hệ thống xác định Chỉ số cải cách hành chính và khảo sát sự hài lòng (SIPAS) của tỉnh",
        "The province's Public Administration Reform index and satisfaction survey (SIPAS)",
    ),
    (
        "a11y.skip",
        "Bỏ qua, tới nội dung chính",
        "Skip to the main content",
    ),
    ("nav.label", "Điều hướng chính", "Main navigation"),
    ("nav.ranking", "Kết quả xếp hạng", "Rankings"),
    ("nav.my_sheet", "Phiếu của đơn vị", "My unit's sheet"),
    ("nav.queue", "Thẩm định", "Appraisal"),
    ("nav.rounds", "Kỳ đánh giá", "Rounds"),
    ("nav.units", "Đơn vị", "Units"),
    ("nav.users", "Người dùng", "Users"),
    ("nav.sign_in", "Đăng nhập", "Sign in"),
    ("nav.sign_out", "Đăng xuất", "Sign out"),
    // Errors
    ("error.not_found", "Không tìm thấy", "Not found"),
    (
        "error.forbidden",
        "Không có quyền truy cập",
        "Access refused",
    ),
    (
        "error.conflict",
        "Không thực hiện được",
        "Cannot be done now",
    ),
    ("error.internal", "Lỗi hệ thống", "System error"),
    (
        "error.bad_request",
        "Yêu cầu không hợp lệ",
        "Invalid request",
    ),
    ("error.status", "Mã lỗi", "Status"),
    ("error.home", "Về trang chủ", "Back to the home page"),
    // Flash messages after a redirect (`?ok=…`)
    ("flash.signed_out", "Đã đăng xuất.", "You have signed out."),
    (
        "flash.password_changed",
        "Đã đổi mật khẩu. Hãy đăng nhập lại bằng mật khẩu mới.",
        "Password changed. Sign in again with the new password.",
    ),
    ("flash.saved", "Đã lưu.", "Saved."),
    (
        "flash.moved",
        "Đã chuyển trạng thái phiếu.",
        "The sheet's state has changed.",
    ),
    (
        "flash.uploaded",
        "Đã tải lên tài liệu kiểm chứng.",
        "The evidence has been uploaded.",
    ),
    (
        "flash.removed",
        "Đã gỡ tài liệu kiểm chứng.",
        "The evidence has been removed.",
    ),
    (
        "flash.published",
        "Đã công bố kết quả.",
        "The results have been published.",
    ),
    ("flash.created", "Đã tạo.", "Created."),
    (
        "flash.imported",
        "Đã nạp bộ chỉ số.",
        "The criteria set has been stored.",
    ),
    // Home
    (
        "home.title",
        "Chỉ số cải cách hành chính",
        "Public Administration Reform index",
    ),
    (
        "home.intro",
        "Hệ thống để các cơ quan, đơn vị tự đánh giá, thẩm định và công bố Chỉ số cải cách hành chính hằng năm của tỉnh.",
        "Where the province's agencies assess themselves, are appraised, and where the yearly PAR Index is published.",
    ),
    (
        "home.results",
        "Xem kết quả xếp hạng đã công bố",
        "See the published rankings",
    ),
    ("home.sign_in", "Đăng nhập để làm việc", "Sign in to work"),
    // Sign-in
    ("signin.title", "Đăng nhập", "Sign in"),
    (
        "signin.expired",
        "Phiên làm việc đã hết hạn hoặc trang cần đăng nhập. Đăng nhập để tiếp tục đúng chỗ đang làm.",
        "Your session has expired or the page needs you to sign in. Sign in to carry on where you were.",
    ),
    ("signin.username", "Tên đăng nhập", "Username"),
    ("signin.password", "Mật khẩu", "Password"),
    ("signin.submit", "Đăng nhập", "Sign in"),
    (
        "signin.help",
        "Quên mật khẩu: liên hệ Sở Nội vụ (cơ quan thường trực) để được đặt lại.",
        "Forgot your password: ask the Department of Home Affairs (the secretariat) to reset it.",
    ),
    // Account
    ("account.title", "Tài khoản", "Account"),
    ("account.username", "Tên đăng nhập", "Username"),
    ("account.display_name", "Họ tên / bộ phận", "Name"),
    ("account.roles", "Vai trò", "Roles"),
    ("account.unit", "Đơn vị", "Unit"),
    (
        "account.areas",
        "Lĩnh vực được phân công thẩm định",
        "Areas assigned for appraisal",
    ),
    (
        "account.change_password",
        "Đổi mật khẩu",
        "Change the password",
    ),
    (
        "account.current_password",
        "Mật khẩu hiện tại",
        "Current password",
    ),
    ("account.new_password", "Mật khẩu mới", "New password"),
    (
        "account.repeat_password",
        "Nhập lại mật khẩu mới",
        "New password again",
    ),
    (
        "account.password_hint",
        "Ít nhất 10 ký tự.",
        "At least 10 characters.",
    ),
    (
        "account.save_password",
        "Đổi mật khẩu",
        "Change the password",
    ),
    (
        "account.repeat_mismatch",
        "Hai lần nhập mật khẩu mới không giống nhau",
        "The two new passwords differ",
    ),
    // Sheet
    ("sheet.round", "Kỳ đánh giá", "Round"),
    ("sheet.state", "Trạng thái", "State"),
    ("sheet.deadline", "Hạn", "Deadline:"),
    (
        "sheet.deadline_passed",
        "Đã quá hạn của giai đoạn này: không sửa được nữa. Liên hệ Sở Nội vụ nếu cần gia hạn.",
        "This phase's deadline has passed: no more changes. Ask the secretariat if an extension is needed.",
    ),
    (
        "sheet.scorecard",
        "Kết quả của đơn vị",
        "The unit's scorecard",
    ),
    ("sheet.audit", "Nhật ký thay đổi", "Audit trail"),
    ("sheet.filled", "Đã kê khai", "Declared"),
    (
        "sheet.not_all_filled",
        "còn tiêu chí chưa kê khai",
        "some sub-criteria are not declared yet",
    ),
    ("sheet.areas", "Các lĩnh vực", "Areas"),
    ("sheet.area", "Lĩnh vực", "Area"),
    ("sheet.save", "Lưu lĩnh vực này", "Save this area"),
    (
        "prop.title",
        "Đề xuất điểm thưởng, điểm trừ",
        "Bonus and penalty proposals",
    ),
    ("prop.bonus", "Điểm thưởng", "Bonus"),
    ("prop.penalty", "Điểm trừ", "Penalty"),
    ("prop.kind", "Loại", "Kind"),
    ("prop.points", "Điểm đề xuất", "Points proposed"),
    ("prop.reason", "Lý do, căn cứ", "Reason and grounds"),
    ("prop.proposed", "Người đề xuất", "Proposed by"),
    ("prop.appraised", "Điểm thẩm định", "Points appraised"),
    ("prop.note", "Ý kiến thẩm định", "Appraiser's note"),
    ("prop.none", "Chưa có đề xuất nào.", "No proposals yet."),
    ("prop.add", "Gửi đề xuất", "Send the proposal"),
    ("prop.save", "Lưu thẩm định", "Save the appraisal"),
    (
        "prop.hint",
        "Đề xuất trong thời gian tự đánh giá, trong giới hạn điểm của bộ tiêu chí; thẩm định viên cho điểm từ 0 (không chấp nhận) đến số điểm đề xuất.",
        "Proposed during self-assessment, within the set's cap; appraisers grant from 0 (refused) to the points proposed.",
    ),
    (
        "sheet.autosave_hint",
        "Mỗi dòng tự lưu khi thay đổi (nếu trình duyệt bật JavaScript); nút Lưu lưu cả lĩnh vực.",
        "Each row saves itself when changed (with JavaScript on); the Save button saves the whole area.",
    ),
    (
        "sheet.self_total",
        "Điểm tự đánh giá",
        "Self-assessed points",
    ),
    (
        "sheet.final_total",
        "Điểm hiện tại (sau thẩm định)",
        "Points now (after appraisal)",
    ),
    (
        "sheet.evidence_count",
        "Tài liệu kiểm chứng",
        "Evidence files",
    ),
    (
        "sheet.supplementary",
        "bổ sung khi giải trình",
        "added with the explanation",
    ),
    (
        "sheet.evidence_link",
        "Tài liệu, chi tiết",
        "Files, details",
    ),
    (
        "sheet.from_survey",
        "Lấy từ kết quả điều tra xã hội học",
        "Comes from the survey",
    ),
    (
        "sheet.survey_result",
        "Kết quả điều tra xã hội học:",
        "Survey result:",
    ),
    ("sheet.note", "Ghi chú, giải thích", "Note"),
    (
        "sheet.explained_mark",
        "Có giải trình / tài liệu bổ sung",
        "Explained / evidence added",
    ),
    (
        "sheet.a2_changed_mark",
        "Điểm lần 2 khác lần 1",
        "Round 2 differs from round 1",
    ),
    (
        "sheet.changed_from_self",
        "khác điểm tự chấm",
        "differs from the self-assessment",
    ),
    ("sheet.saved", "Đã lưu", "Saved"),
    (
        "sheet.moved_on",
        "Phiếu đã chuyển sang trạng thái khác, không lưu được biểu mẫu này. Tải lại trang. Trạng thái hiện tại:",
        "The sheet has moved on, so this form was not saved. Reload the page. Current state:",
    ),
    (
        "sheet.rows_refused",
        "Số dòng chưa lưu được (xem lỗi tại từng dòng):",
        "Rows not saved (see the message on each row):",
    ),
    ("grid.code", "STT", "No."),
    ("grid.criterion", "Tiêu chí", "Criterion"),
    ("grid.max", "Điểm tối đa", "Max"),
    ("grid.declared", "Số liệu kê khai", "Declared data"),
    ("grid.rule", "Cách tính điểm", "Scoring rule"),
    (
        "grid.evidence_required",
        "Tài liệu kiểm chứng yêu cầu",
        "Evidence required",
    ),
    ("grid.evidence", "Tài liệu kiểm chứng", "Evidence"),
    ("grid.self_points", "Điểm tự chấm", "Self points"),
    ("grid.self", "Tự đánh giá", "Self-assessment"),
    ("grid.a1", "Thẩm định lần 1", "Appraisal round 1"),
    ("grid.a2", "Thẩm định lần 2", "Appraisal round 2"),
    (
        "grid.explanation",
        "Giải trình của đơn vị",
        "The unit's explanation",
    ),
    ("grid.appraisal_note", "Nhận xét", "Note"),
    // State changes
    (
        "move.start",
        "Bắt đầu tự đánh giá",
        "Start the self-assessment",
    ),
    (
        "move.submit",
        "Nộp phiếu tự đánh giá",
        "Submit the self-assessment",
    ),
    (
        "move.return",
        "Trả lại để đơn vị sửa",
        "Return to the unit for correction",
    ),
    (
        "move.appraise1",
        "Bắt đầu thẩm định lần 1",
        "Start appraisal round 1",
    ),
    (
        "move.request_explanation",
        "Gửi kết quả lần 1, yêu cầu giải trình",
        "Send round 1, ask for an explanation",
    ),
    (
        "move.submit_explanation",
        "Nộp giải trình",
        "Submit the explanation",
    ),
    (
        "move.skip_explanation",
        "Thẩm định lần 2 (không chờ giải trình)",
        "Appraisal round 2 (without an explanation)",
    ),
    (
        "move.appraise2",
        "Bắt đầu thẩm định lần 2",
        "Start appraisal round 2",
    ),
    ("move.approve", "Phê duyệt kết quả", "Approve the results"),
    (
        "move.reopen",
        "Mở lại để thẩm định lại",
        "Reopen for appraisal",
    ),
    ("move.other", "Chuyển trạng thái", "Change the state"),
    (
        "move.reason",
        "Lý do (bắt buộc, được ghi vào nhật ký)",
        "Reason (required, logged)",
    ),
    (
        "confirm.start",
        "Đơn vị bắt đầu kê khai số liệu và tự chấm điểm.",
        "The unit starts declaring its data and scoring itself.",
    ),
    (
        "confirm.submit",
        "Sau khi nộp, phiếu bị khóa: đơn vị không sửa được nữa trừ khi Sở Nội vụ trả lại.",
        "Once submitted the sheet is locked: the unit cannot change it unless the secretariat returns it.",
    ),
    (
        "confirm.return",
        "Phiếu trở về trạng thái tự đánh giá để đơn vị sửa.",
        "The sheet goes back to self-assessment for the unit to correct.",
    ),
    (
        "confirm.appraise1",
        "Bắt đầu thẩm định: đơn vị không sửa được phiếu.",
        "Appraisal starts: the unit can no longer change the sheet.",
    ),
    (
        "confirm.request_explanation",
        "Đơn vị sẽ thấy điểm và nhận xét lần 1 và có thể giải trình, bổ sung tài liệu.",
        "The unit will see round 1's points and notes, and may explain and add evidence.",
    ),
    (
        "confirm.submit_explanation",
        "Sau khi nộp, giải trình bị khóa và chuyển cho thẩm định lần 2.",
        "Once submitted the explanation is locked and goes to appraisal round 2.",
    ),
    (
        "confirm.appraise2",
        "Bắt đầu thẩm định lần 2: điểm lần 2 là điểm cuối cùng.",
        "Appraisal round 2 starts: its points are final.",
    ),
    (
        "confirm.approve",
        "Phê duyệt kết quả thẩm định của phiếu; sau đó công bố theo khối.",
        "Approve the sheet's appraised results; publication follows per group.",
    ),
    (
        "confirm.reopen",
        "Mở lại phiếu để thẩm định lại; kết quả đã công bố giữ nguyên đến lần công bố đính chính.",
        "Reopen the sheet for appraisal; published results stay as they are until a correction is published.",
    ),
    (
        "confirm.other",
        "Chuyển phiếu sang trạng thái này.",
        "Move the sheet to this state.",
    ),
    // Sub-criterion
    (
        "item.declared_asked",
        "Số liệu cần kê khai",
        "Data to declare",
    ),
    ("item.files", "Tài liệu kiểm chứng", "Evidence"),
    (
        "item.no_files",
        "Chưa có tài liệu kiểm chứng.",
        "No evidence yet.",
    ),
    (
        "item.page_ref",
        "Vị trí trong tài liệu",
        "Where in the document",
    ),
    (
        "item.page_ref_hint",
        "Trang hoặc mục chứng minh nội dung kê khai, vd. tr. 3, mục 2.1.",
        "The page or section that proves the declaration, e.g. p. 3, section 2.1.",
    ),
    ("item.remove", "Gỡ", "Remove"),
    (
        "item.upload",
        "Tải lên tài liệu kiểm chứng",
        "Upload evidence",
    ),
    ("item.file", "Tệp", "File"),
    (
        "item.file_hint",
        "PDF, DOCX, XLSX, JPG hoặc PNG.",
        "PDF, DOCX, XLSX, JPG or PNG.",
    ),
    ("item.upload_button", "Tải lên", "Upload"),
    (
        "item.trail",
        "Nhật ký của tiêu chí thành phần",
        "Audit trail of this sub-criterion",
    ),
    // Audit
    ("audit.title", "Nhật ký thay đổi", "Audit trail"),
    ("audit.empty", "Chưa có thay đổi nào.", "No changes yet."),
    ("audit.at", "Thời điểm", "When"),
    ("audit.actor", "Người thực hiện", "Who"),
    ("audit.action", "Thao tác", "Action"),
    ("audit.what", "Đối tượng", "What"),
    ("audit.field", "Trường", "Field"),
    ("audit.old", "Giá trị cũ", "Old value"),
    ("audit.new", "Giá trị mới", "New value"),
    ("audit.reason", "Lý do", "Reason"),
    // Common
    ("common.yes", "Có", "Yes"),
    ("common.save", "Lưu", "Save"),
    // Rounds, dashboard, settings
    ("rounds.title", "Kỳ đánh giá", "Rounds"),
    ("rounds.none", "Chưa có kỳ đánh giá nào.", "No round yet."),
    ("rounds.year", "Năm", "Year"),
    ("rounds.round_title", "Tên kỳ đánh giá", "Title"),
    ("rounds.new", "Tạo kỳ đánh giá mới", "New round"),
    ("rounds.create", "Tạo kỳ đánh giá", "Create the round"),
    (
        "rounds.bad_year",
        "Năm phải là một số, vd. 2020",
        "The year must be a number, e.g. 2020",
    ),
    (
        "dashboard.title",
        "Bảng theo dõi kỳ đánh giá",
        "Round dashboard",
    ),
    (
        "dashboard.results",
        "Kết quả (chưa công bố) và công bố",
        "Results (unpublished) and publication",
    ),
    (
        "dashboard.settings",
        "Thiết lập kỳ: hạn, bộ chỉ số, mở/đóng",
        "Round settings: deadlines, sets, open/close",
    ),
    ("dashboard.deadlines", "Thời hạn", "Deadlines"),
    (
        "dashboard.no_deadlines",
        "Chưa đặt thời hạn.",
        "No deadlines set.",
    ),
    (
        "dashboard.overdue_count",
        "Số phiếu chậm so với thời hạn",
        "Sheets behind a deadline",
    ),
    (
        "dashboard.filled",
        "Tỷ lệ tiêu chí đã kê khai",
        "Share of sub-criteria declared",
    ),
    ("dashboard.updated", "Cập nhật lần cuối", "Last change"),
    ("dashboard.overdue", "Quá hạn", "Overdue"),
    ("dashboard.overdue_mark", "quá hạn", "overdue:"),
    ("settings.title", "Thiết lập kỳ đánh giá", "Round settings"),
    ("settings.open", "Mở kỳ đánh giá", "Open the round"),
    (
        "settings.open_confirm",
        "Mỗi đơn vị đang hoạt động sẽ có một phiếu đánh giá; bộ chỉ số không sửa được nữa.",
        "Every active unit gets a sheet; the criteria sets can no longer change.",
    ),
    ("settings.close", "Đóng kỳ đánh giá", "Close the round"),
    (
        "settings.close_confirm",
        "Phiếu vẫn xem được nhưng không ai sửa được nữa.",
        "Sheets stay readable but nobody can change them any more.",
    ),
    (
        "settings.deadline_hint",
        "Giờ Việt Nam (UTC+7). Để trống để bỏ thời hạn.",
        "Viet Nam time (UTC+7). Leave empty for no deadline.",
    ),
    (
        "settings.save_deadlines",
        "Lưu thời hạn",
        "Save the deadlines",
    ),
    (
        "settings.bad_time",
        "Thời điểm không hợp lệ: dùng dạng ngày/tháng/năm giờ:phút",
        "Not a valid date and time",
    ),
    (
        "settings.deadlines_refused",
        "Một số thời hạn chưa lưu được: xem lỗi tại từng ô.",
        "Some deadlines were not saved: see the message at each field.",
    ),
    ("settings.sets", "Bộ chỉ số", "Criteria sets"),
    (
        "settings.no_sets",
        "Chưa nạp bộ chỉ số nào.",
        "No criteria set stored yet.",
    ),
    (
        "settings.import",
        "Nạp bộ chỉ số (tệp TOML)",
        "Store a criteria set (TOML file)",
    ),
    (
        "settings.import_refused",
        "Bộ chỉ số chưa được nạp vì có lỗi:",
        "The criteria set was not stored because of these problems:",
    ),
    (
        "settings.set_file",
        "Tệp bộ chỉ số (.toml)",
        "Criteria-set file (.toml)",
    ),
    (
        "settings.import_button",
        "Kiểm tra và nạp",
        "Check and store",
    ),
    (
        "settings.sets_locked",
        "Bộ chỉ số chỉ nạp được khi kỳ đánh giá đang chuẩn bị (chưa mở).",
        "Criteria sets can be stored only while the round is in preparation.",
    ),
    ("set.classes", "Xếp loại", "Classes"),
    ("set.bonus", "Điểm thưởng tối đa", "Bonus cap"),
    ("set.penalty", "Điểm trừ tối đa", "Penalty cap"),
    (
        "set.may_be_na",
        "có thể không áp dụng",
        "may be not applicable",
    ),
    ("queue.title", "Phiếu cần thẩm định", "Sheets to appraise"),
    (
        "queue.waiting",
        "Phiếu đang chờ thẩm định",
        "Sheets waiting for appraisal",
    ),
    (
        "queue.none",
        "Không có phiếu nào trong các khối được phân công.",
        "No sheet in the groups assigned to you.",
    ),
    ("queue.group", "Khối", "Group"),
    ("queue.areas", "Lĩnh vực được phân công", "Your areas"),
    ("queue.your_turn", "— cần thẩm định", "— to appraise"),
    // Results
    (
        "results.index_title",
        "Kết quả Chỉ số CCHC đã công bố",
        "Published PAR Index results",
    ),
    (
        "results.none",
        "Chưa công bố kết quả nào.",
        "Nothing has been published yet.",
    ),
    (
        "results.ranking",
        "Xếp hạng Chỉ số CCHC năm",
        "PAR Index ranking",
    ),
    ("results.published_at", "công bố lúc", "published"),
    ("results.revision", "lần công bố", "revision"),
    (
        "results.legend",
        "Chỉ số (%) = tổng điểm / điểm tối đa của đơn vị × 100; xếp hạng theo chỉ số trong từng khối. ▲ tăng hạng, ▼ giảm hạng so với năm trước.",
        "Index (%) = total / the unit's own maximum × 100; ranked on the index within each group. ▲ up, ▼ down since last year.",
    ),
    ("results.download", "Tải về:", "Download:"),
    ("rank.rank", "Hạng", "Rank"),
    ("rank.unit", "Đơn vị", "Unit"),
    ("rank.direct", "Điểm thẩm định", "Appraised points"),
    ("rank.survey", "Điểm điều tra XHH", "Survey points"),
    ("rank.bonus", "Điểm thưởng", "Bonus"),
    ("rank.penalty", "Điểm trừ", "Penalty"),
    ("rank.total", "Tổng điểm", "Total"),
    ("rank.max", "Điểm tối đa", "Maximum"),
    ("rank.percent", "Chỉ số (%)", "Index (%)"),
    ("rank.class", "Xếp loại", "Class"),
    (
        "rank.delta_total",
        "Điểm so với năm trước",
        "Change in points",
    ),
    ("rank.delta_rank", "Hạng so với năm trước", "Change in rank"),
    ("rank.average", "Bình quân của khối", "Group average"),
    ("rank.units", "đơn vị", "units"),
    ("rank.min_max", "Thấp nhất – cao nhất", "Lowest – highest"),
    ("rank.spread", "chênh lệch", "spread"),
    ("scorecard.sheet", "Phiếu đánh giá", "The sheet"),
    ("scorecard.plan", "Kế hoạch khắc phục", "Action plan"),
    ("scorecard.plan_done", "việc đã xong", "tasks done"),
    ("scorecard.plan_overdue", "quá hạn", "overdue"),
    (
        "scorecard.unpublished",
        "Kết quả chưa công bố: số liệu tính từ phiếu ở thời điểm hiện tại.",
        "Not published: figures computed from the sheet as it stands.",
    ),
    (
        "scorecard.bar_title",
        "Điểm đạt và điểm bị mất theo lĩnh vực",
        "Points and points lost by area",
    ),
    (
        "scorecard.radar_title",
        "Tỷ lệ điểm đạt so với điểm tối đa theo lĩnh vực",
        "Share of the maximum achieved by area",
    ),
    ("scorecard.by_area", "Theo lĩnh vực", "By area"),
    ("scorecard.points", "Điểm đạt", "Points"),
    ("scorecard.lost", "Điểm bị mất", "Lost"),
    ("scorecard.share", "Tỷ lệ đạt", "Achieved"),
    (
        "scorecard.lost_vs_best",
        "Kém đơn vị tốt nhất khối",
        "Behind the group's best",
    ),
    (
        "scorecard.total",
        "Cộng (chưa gồm thưởng, trừ)",
        "Total (before bonus and penalty)",
    ),
    (
        "scorecard.most_lost",
        "Tiêu chí thành phần bị mất nhiều điểm nhất",
        "Sub-criteria where most points were lost",
    ),
    (
        "scorecard.nothing_lost",
        "Không mất điểm ở tiêu chí nào.",
        "No points lost anywhere.",
    ),
    (
        "preview.title",
        "Kết quả tạm tính kỳ",
        "Results as they stand,",
    ),
    (
        "preview.intro",
        "Tính từ điểm cuối cùng của từng phiếu (thẩm định lần 2, nếu không có thì lần 1, nếu không có thì tự chấm). Chưa phải kết quả công bố.",
        "Computed from each sheet's final points (round 2, else round 1, else self-assessed). Not the published results.",
    ),
    ("preview.publish", "Công bố kết quả", "Publish results"),
    ("preview.approved", "đã phê duyệt", "approved"),
    ("preview.published", "đã công bố", "published"),
    ("preview.public_page", "Trang công bố", "Public page"),
    (
        "preview.reason",
        "Căn cứ công bố (số quyết định, ngày)",
        "Basis (decision number and date)",
    ),
    (
        "preview.reason_hint",
        "Vd. Quyết định số 1185/QĐ-UBND ngày 20/4/2020 của UBND tỉnh. Được ghi vào nhật ký.",
        "E.g. the People's Committee's decision number and date. It is logged.",
    ),
    (
        "preview.publish_button",
        "Công bố các khối đã chọn",
        "Publish the groups chosen",
    ),
    (
        "preview.no_group",
        "Chọn ít nhất một khối đã phê duyệt hết để công bố",
        "Choose at least one group whose sheets are all approved",
    ),
    // Units and users
    ("units.title", "Đơn vị được đánh giá", "Assessed units"),
    ("units.code", "Mã đơn vị", "Code"),
    ("units.name", "Tên đơn vị", "Name"),
    ("units.name_en", "Tên tiếng Anh", "English name"),
    ("units.group", "Khối xếp hạng", "Ranking group"),
    (
        "units.group_hint",
        "Mã khối trong bộ chỉ số, vd. so (sở, ban, ngành), huyen (cấp huyện).",
        "The group's code in the criteria set, e.g. so (departments), huyen (districts).",
    ),
    (
        "units.level",
        "Cấp (điểm tối đa theo cấp)",
        "Level (for per-level maxima)",
    ),
    ("units.parent", "Mã đơn vị cấp trên", "Parent unit's code"),
    ("units.active", "Hoạt động", "Active"),
    ("units.inactive", "Ngừng", "Inactive"),
    ("units.new", "Thêm đơn vị", "Add a unit"),
    ("units.create", "Thêm đơn vị", "Add the unit"),
    (
        "units.is_active",
        "Đơn vị đang hoạt động và có phiếu khi mở kỳ đánh giá.",
        "The unit is active and gets a sheet when a round opens.",
    ),
    (
        "units.is_inactive",
        "Đơn vị đã ngừng: không có phiếu ở kỳ đánh giá mới.",
        "The unit is inactive: no sheet in new rounds.",
    ),
    (
        "units.deactivate",
        "Ngừng đánh giá đơn vị",
        "Deactivate the unit",
    ),
    ("units.activate", "Kích hoạt lại", "Activate again"),
    ("users.title", "Người dùng", "Users"),
    ("users.username", "Tên đăng nhập", "Username"),
    ("users.password", "Mật khẩu ban đầu", "Initial password"),
    ("users.display_name", "Họ tên / bộ phận", "Name"),
    ("users.email", "Thư điện tử", "Email"),
    ("users.roles", "Vai trò", "Roles"),
    (
        "users.unit",
        "Đơn vị (cán bộ đơn vị)",
        "Unit (unit officers)",
    ),
    ("users.no_unit", "— không —", "— none —"),
    (
        "users.unit_hint",
        "Bắt buộc với cán bộ đơn vị.",
        "Required for unit officers.",
    ),
    ("users.locale", "Ngôn ngữ", "Language"),
    ("users.locked", "Đã khóa", "Locked"),
    ("users.new", "Thêm người dùng", "Add a user"),
    ("users.create", "Thêm người dùng", "Add the user"),
    (
        "users.areas",
        "Phân công thẩm định",
        "Appraisal assignments",
    ),
    (
        "users.no_areas",
        "Chưa được phân công lĩnh vực nào.",
        "No area assigned.",
    ),
    ("users.unassign", "Bỏ phân công", "Remove"),
    (
        "users.assign",
        "Phân công thẩm định một lĩnh vực",
        "Assign an area",
    ),
    ("users.area_code", "Mã lĩnh vực", "Area code"),
    (
        "users.area_hint",
        "Mã cấp 1 trong bộ chỉ số của khối, vd. 2.",
        "A level-1 code of the group's set, e.g. 2.",
    ),
    ("users.assign_button", "Phân công", "Assign"),
    (
        "users.reset_password",
        "Đặt lại mật khẩu",
        "Reset the password",
    ),
    (
        "users.reset_button",
        "Đặt mật khẩu mới",
        "Set the new password",
    ),
    (
        "users.is_active",
        "Tài khoản đang hoạt động.",
        "The account is active.",
    ),
    (
        "users.is_locked",
        "Tài khoản đã bị khóa.",
        "The account is locked.",
    ),
    ("users.lock", "Khóa tài khoản", "Lock the account"),
    ("users.unlock", "Mở khóa", "Unlock"),
];

fn index() -> &'static HashMap<&'static str, (&'static str, &'static str)> {
    static INDEX: OnceLock<HashMap<&'static str, (&'static str, &'static str)>> = OnceLock::new();
    INDEX.get_or_init(|| entries().map(|&(k, vi, en)| (k, (vi, en))).collect())
}

fn entries() -> impl Iterator<Item = &'static Entry> {
    PARTS.iter().flat_map(|part| part.iter())
}

/// The text of `key` in `lang`; the key itself if the catalogue lacks it (a test keeps that from
/// happening).
pub(crate) fn t(lang: Locale, key: &str) -> &'static str {
    match index().get(key) {
        Some((vi, en)) => lang.pick(vi, en),
        None => {
            tracing::warn!(key, "missing text in the catalogue");
            "?"
        }
    }
}

/// The catalogue key of a flash message named in a redirect (`?ok=saved`), if there is one.
pub(crate) fn flash(name: &str) -> Option<&'static str> {
    let key = format!("flash.{name}");
    index().get_key_value(key.as_str()).map(|(k, _)| *k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn both_languages_have_every_key_once() {
        let mut seen = BTreeSet::new();
        for (k, vi, en) in entries() {
            assert!(seen.insert(*k), "key {k} appears twice");
            assert!(!vi.trim().is_empty(), "{k} has no Vietnamese text");
            assert!(!en.trim().is_empty(), "{k} has no English text");
        }
        assert_eq!(index().len(), entries().count());
    }

    /// Every key-shaped string in the templates and the page code (`"nav.units"`, with a prefix
    /// the catalogue uses) is in the catalogue.
    #[test]
    fn every_key_used_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let prefixes: BTreeSet<&str> = entries()
            .filter_map(|(k, _, _)| k.split('.').next())
            .collect();
        let mut missing = Vec::new();
        let mut used = 0;
        for dir in ["templates", "src/pages"] {
            for e in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = e.unwrap().path();
                if path.is_dir() {
                    // Other modules' templates (survey/) have their own texts.
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for lit in text.split('"') {
                    let key_shaped = lit.contains('.')
                        && lit.chars().all(|c| {
                            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_'
                        })
                        && !lit.ends_with(".css")
                        && !lit.ends_with(".js")
                        && !lit.ends_with(".html");
                    let prefix = lit.split('.').next().unwrap_or("");
                    if key_shaped && prefixes.contains(prefix) {
                        used += 1;
                        if !index().contains_key(lit) {
                            missing.push(format!("{}: {lit}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(used > 50, "the scan found only {used} keys");
        assert!(
            missing.is_empty(),
            "keys missing from the catalogue: {missing:#?}"
        );
    }
}
