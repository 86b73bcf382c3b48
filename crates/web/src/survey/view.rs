//! What the survey pages show: the words in both languages, the one small stylesheet (inline,
//! allowed by its hash in the page's CSP, so a slow phone makes one request), the questionnaire
//! as template rows with each answer kept, and the kind messages shown next to a refused answer.

use parindex_core::diag::Problems;
use parindex_core::locale::Locale;
use parindex_core::questionnaire::QuestionKind;
use parindex_store::survey::{RawResponse, SurveyContext};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The stylesheet of every survey page: mobile first, large touch targets, visible focus.
pub const CSS: &str = "*{box-sizing:border-box}\
body{margin:0;font:16px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1a1a1a;background:#f4f6f8}\
header{background:#0b4f8a;color:#fff}\
header div,main,footer{max-width:46rem;margin:0 auto;padding:.6rem 1rem}\
header a{color:#fff}a{color:#0b4f8a}\
h1{font-size:1.2rem;margin:.2rem 0}h2{font-size:1.08rem;margin:1.4rem 0 .5rem}\
.org{margin:0;font-size:.85rem}.lang{float:right;margin:0;font-size:.9rem}\
fieldset{border:1px solid #c8d0d8;border-radius:6px;background:#fff;margin:0 0 .7rem;padding:.5rem .7rem .7rem;min-width:0}\
fieldset.bad,.bad{border:2px solid #b00020}\
legend{font-weight:600;padding:0 .2rem}.opt{font-weight:400;color:#555}\
.err{color:#b00020;font-weight:600;margin:.2rem 0 .4rem}\
.scale{display:grid;grid-template-columns:repeat(5,1fr);gap:.25rem}\
.scale label{display:flex;flex-direction:column;align-items:center;text-align:center;border:1px solid #c8d0d8;border-radius:6px;padding:.35rem .1rem;min-height:3.3rem}\
.scale b{font-size:1.15rem}.scale small{font-size:.68rem;line-height:1.15}\
label:has(input:checked){background:#dbeafe;border-color:#0b4f8a}\
label:focus-within{outline:3px solid #f0a500;outline-offset:1px}\
.opts label{display:block;padding:.45rem .2rem;min-height:2.7rem}\
.errors{border:2px solid #b00020;background:#fff5f5;padding:.4rem 1rem;border-radius:6px}\
.ok{border:2px solid #1b7f3b;background:#f0fff4;padding:.6rem 1rem;border-radius:6px}\
button{font:inherit;font-weight:600;background:#0b4f8a;color:#fff;border:0;border-radius:6px;padding:.8rem 1.4rem;min-height:3rem;width:100%;margin:.6rem 0}\
input[type=text],input[type=number],input[type=date],textarea,select{font:inherit;width:100%;padding:.5rem;border:1px solid #8a96a3;border-radius:6px;background:#fff}\
footer{font-size:.85rem;color:#555}\
.row{display:flex;flex-wrap:wrap;gap:.3rem .8rem;align-items:center;margin:.35rem 0}\
.row label{min-width:14rem}\
input.digits{font-family:ui-monospace,monospace;font-size:1.25rem;letter-spacing:.35em;width:auto}\
.muted{color:#555;font-size:.9rem}\
@media(min-width:40rem){.scale small{font-size:.8rem}button{width:auto}}";

/// The page's Content-Security-Policy: no script at all, only this stylesheet.
pub static CSP: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'none'; style-src 'sha256-{}'; img-src 'self' data:; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
        base64(&Sha256::digest(CSS.as_bytes()))
    )
});

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(char::from(A[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The words of the survey pages.
pub struct Texts {
    pub org: &'static str,
    pub unit: &'static str,
    pub intro: &'static str,
    pub fix_heading: &'static str,
    pub optional: &'static str,
    pub send: &'static str,
    pub privacy: &'static str,
    pub profile_heading: &'static str,
    pub service_field: &'static str,
    pub none: &'static str,
    pub thanks_title: &'static str,
    pub thanks_body: &'static str,
    pub token_label: &'static str,
    pub token_hint: &'static str,
    pub token_button: &'static str,
    pub units_heading: &'static str,
    pub back: &'static str,
    pub sorry: &'static str,
    pub paper_title: &'static str,
    pub paper_help: &'static str,
    pub paper_saved: &'static str,
    pub paper_held: &'static str,
    pub paper_save: &'static str,
    pub paper_expect: &'static str,
    pub token_optional: &'static str,
    pub free_text: &'static str,
}

impl Texts {
    pub fn of(lang: Locale) -> &'static Texts {
        match lang {
            Locale::Vi => &VI,
            Locale::En => &EN,
        }
    }
}

static VI: Texts = Texts {
    org: "Khảo sát sự hài lòng của người dân, tổ chức",
    unit: "Cơ quan, đơn vị",
    intro: "Xin Ông/Bà cho biết mức độ hài lòng với từng nội dung dưới đây: 1 Rất không hài lòng, 2 Không hài lòng, 3 Bình thường, 4 Hài lòng, 5 Rất hài lòng. Phiếu không ghi tên.",
    fix_heading: "Xin Ông/Bà xem lại các câu sau",
    optional: "không bắt buộc",
    send: "Gửi phiếu",
    privacy: "Phiếu khảo sát không ghi tên người trả lời. Trang này lưu một mã ngẫu nhiên trên thiết bị (cookie) chỉ để hạn chế gửi trùng phiếu.",
    profile_heading: "Thông tin về người trả lời",
    service_field: "Lĩnh vực thủ tục hành chính",
    none: "(không chọn)",
    thanks_title: "Trân trọng cảm ơn Ông/Bà!",
    thanks_body: "Phiếu khảo sát của Ông/Bà đã được ghi nhận. Ý kiến của Ông/Bà giúp cơ quan hành chính nhà nước phục vụ người dân, tổ chức tốt hơn.",
    token_label: "Mã khảo sát",
    token_hint: "Mã gồm 32 chữ cái và chữ số, in trên phiếu hẹn trả kết quả (có thể gõ chữ hoa hoặc thường, có hoặc không có dấu cách).",
    token_button: "Mở phiếu khảo sát",
    units_heading: "Hoặc chọn cơ quan, đơn vị đã giải quyết hồ sơ của Ông/Bà",
    back: "Quay lại",
    sorry: "Rất tiếc",
    paper_title: "Nhập phiếu giấy",
    paper_help: "Mỗi yếu tố một ô: gõ liền các chữ số 1–5 theo thứ tự tiêu chí (0 hoặc - nếu bỏ trống). Tab sang ô sau, Enter để lưu.",
    paper_saved: "Đã lưu phiếu",
    paper_held: "tạm giữ chờ xem xét",
    paper_save: "Lưu phiếu (Enter)",
    paper_expect: "Mong đợi: mỗi nội dung một chữ số",
    token_optional: "Mã khảo sát in trên phiếu (nếu có)",
    free_text: "Ý kiến khác",
};

static EN: Texts = Texts {
    org: "Citizen satisfaction survey",
    unit: "Agency",
    intro: "Please rate each statement below: 1 Very dissatisfied, 2 Dissatisfied, 3 Neutral, 4 Satisfied, 5 Very satisfied. The survey is anonymous.",
    fix_heading: "Please look again at these questions",
    optional: "optional",
    send: "Send",
    privacy: "The survey is anonymous. This page keeps a random code on your device (a cookie) only to limit duplicate responses.",
    profile_heading: "About you",
    service_field: "Service field",
    none: "(none)",
    thanks_title: "Thank you!",
    thanks_body: "Your response has been recorded. Your views help the administration serve people and organisations better.",
    token_label: "Survey code",
    token_hint: "32 letters and digits, printed on your receipt (upper or lower case, spaces allowed).",
    token_button: "Open the questionnaire",
    units_heading: "Or choose the agency that handled your case",
    back: "Back",
    sorry: "Sorry",
    paper_title: "Paper form entry",
    paper_help: "One box per element: type the digits 1–5 in item order (0 or - for none). Tab to the next box, Enter to save.",
    paper_saved: "Saved response",
    paper_held: "held for review",
    paper_save: "Save (Enter)",
    paper_expect: "Expectations: one digit per area",
    token_optional: "Survey code printed on the form (if any)",
    free_text: "Other comments",
};

/// The common frame of a survey page.
pub struct Frame {
    pub lang: &'static str,
    pub title: String,
    pub heading: String,
    pub switch_href: String,
    pub other_lang: &'static str,
    pub other_code: &'static str,
    pub css: &'static str,
    pub t: &'static Texts,
}

impl Frame {
    /// `here` is the page's path and query (without `lang`), for the language switch.
    pub fn new(lang: Locale, title: String, heading: String, here: &str) -> Frame {
        let (other_lang, other_code) = match lang {
            Locale::Vi => ("English", "en"),
            Locale::En => ("Tiếng Việt", "vi"),
        };
        let sep = if here.contains('?') { '&' } else { '?' };
        Frame {
            lang: lang.code(),
            title,
            heading,
            switch_href: format!("{here}{sep}lang={other_code}"),
            other_lang,
            other_code,
            css: CSS,
            t: Texts::of(lang),
        }
    }
}

/// Percent-encodes a path segment (everything but unreserved characters).
pub fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A safe `id` from a code: `1.1` → `q-1-1`.
pub fn anchor(prefix: &str, code: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + code.len() + 1);
    s.push_str(prefix);
    s.push('-');
    for c in code.chars() {
        s.push(if c.is_ascii_alphanumeric() || c == '_' {
            c
        } else {
            '-'
        });
    }
    s
}

pub struct Level {
    pub code: u32,
    pub label: String,
}

pub struct Opt {
    pub code: String,
    pub label: String,
    pub checked: bool,
}

pub struct ItemView {
    pub code: String,
    pub id: String,
    pub text: String,
    pub required: bool,
    /// The answer given (0: none).
    pub chosen: u32,
    pub error: Option<String>,
}

pub struct ElementView {
    pub code: u32,
    pub name: String,
    pub id: String,
    pub items: Vec<ItemView>,
    /// Paper entry: the digits typed, the item codes, their count, and the element's errors.
    pub digits: String,
    pub range: String,
    pub count: usize,
    pub error: Option<String>,
}

pub struct AreaView {
    pub code: String,
    pub id: String,
    pub text: String,
    pub chosen: String,
    pub error: Option<String>,
}

pub struct ExpectView {
    pub question: String,
    pub options: Vec<Opt>,
    pub areas: Vec<AreaView>,
    pub free_text: Option<String>,
    /// Paper entry: `1 = Rất nhiều, 2 = Nhiều, 3 = Ít`.
    pub legend: String,
}

pub struct ProfileView {
    pub code: String,
    pub id: String,
    pub text: String,
    pub required: bool,
    pub multiple: bool,
    pub options: Vec<Opt>,
    pub error: Option<String>,
}

pub struct OtherView {
    pub code: String,
    pub id: String,
    pub text: String,
    /// The input's type (`text`, `number`, `date`), empty for a note.
    pub input: &'static str,
    pub value: String,
    pub required: bool,
    pub error: Option<String>,
}

/// The questionnaire as the templates show it, with what was answered and the errors in place.
pub struct QuestionnaireView {
    pub scale: Vec<Level>,
    pub elements: Vec<ElementView>,
    pub expectations: Option<ExpectView>,
    pub profile: Vec<ProfileView>,
    pub others: Vec<OtherView>,
    pub free_text: String,
    pub free_text_error: Option<String>,
    /// Errors that belong to no question (in the summary only), and the summary: anchor, text.
    pub summary: Vec<(String, String)>,
}

fn pick(lang: Locale, vi: &str, en: &Option<String>) -> String {
    match (lang, en) {
        (Locale::En, Some(e)) if !e.trim().is_empty() => e.clone(),
        _ => vi.to_string(),
    }
}

/// The kind message for a refused answer, by what kind of question it is.
fn kind_message(
    ctx: &SurveyContext,
    lang: Locale,
    raw: &RawResponse,
    field: &str,
    store: &str,
) -> String {
    let q = &ctx.questionnaire;
    let vi = lang == Locale::Vi;
    if q.item(field).is_some() {
        let given = raw.answers.get(field).is_some_and(|v| !v.trim().is_empty());
        return if given {
            if vi {
                "Câu trả lời không hợp lệ: xin chọn một trong năm mức từ 1 đến 5."
            } else {
                "That answer is not valid: please choose one of the five levels, 1 to 5."
            }
        } else if vi {
            "Xin Ông/Bà chọn một mức đánh giá cho nội dung này."
        } else {
            "Please choose a level for this statement."
        }
        .into();
    }
    if let Some(p) = q.profile_question(field) {
        let given = raw.profile.get(field).is_some_and(|v| !v.trim().is_empty());
        return if !given && p.required {
            if vi {
                "Xin Ông/Bà chọn một phương án."
            } else {
                "Please choose an option."
            }
        } else if vi {
            "Phương án này không có trong phiếu, xin Ông/Bà chọn lại."
        } else {
            "That option is not on the form: please choose again."
        }
        .into();
    }
    if field.starts_with("expect.") {
        return if vi {
            "Xin chọn một mức: Rất nhiều, Nhiều hoặc Ít."
        } else {
            "Please choose one of the levels."
        }
        .into();
    }
    store.to_string()
}

impl QuestionnaireView {
    /// Builds the view of `ctx`'s questionnaire with `raw`'s answers and `problems` in place.
    pub fn new(
        ctx: &SurveyContext,
        lang: Locale,
        raw: &RawResponse,
        problems: &Problems,
    ) -> QuestionnaireView {
        let q = &ctx.questionnaire;
        let mut by_field: BTreeMap<String, String> = BTreeMap::new();
        let mut summary = Vec::new();
        let mut loose = Vec::new();
        for p in problems.iter() {
            let field = p.location.field.clone().unwrap_or_default();
            let msg = kind_message(ctx, lang, raw, &field, p.message(lang));
            let target = if q.item(&field).is_some() {
                Some(anchor("q", &field))
            } else if q.profile_question(&field).is_some() {
                Some(anchor("p", &field))
            } else if let Some(a) = field.strip_prefix("expect.") {
                Some(anchor("e", a))
            } else if field == "free_text" {
                Some("free_text".to_string())
            } else if q.questions.iter().any(|o| o.code == field) {
                Some(anchor("o", &field))
            } else {
                None
            };
            match target {
                Some(t) => {
                    summary.push((t, msg.clone()));
                    by_field.entry(field).or_insert(msg);
                }
                None => loose.push(msg),
            }
        }
        let scale = q
            .scale
            .levels
            .iter()
            .map(|l| Level {
                code: l.code,
                label: pick(lang, &l.label, &l.label_en),
            })
            .collect();
        let elements = q
            .elements
            .iter()
            .map(|el| {
                let items: Vec<ItemView> = q
                    .items_of_element(el.code)
                    .map(|it| ItemView {
                        code: it.code.clone(),
                        id: anchor("q", &it.code),
                        text: pick(lang, &it.text, &it.text_en),
                        required: it.required,
                        chosen: raw
                            .answers
                            .get(&it.code)
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0),
                        error: by_field.get(&it.code).cloned(),
                    })
                    .collect();
                let digits: String = items
                    .iter()
                    .map(|i| {
                        raw.answers
                            .get(&i.code)
                            .map(|v| v.trim())
                            .filter(|v| !v.is_empty())
                            .unwrap_or("0")
                            .to_string()
                    })
                    .collect();
                let errors: Vec<String> = items
                    .iter()
                    .filter_map(|i| i.error.as_ref().map(|e| format!("{}: {e}", i.code)))
                    .collect();
                let range = match (items.first(), items.last()) {
                    (Some(a), Some(b)) if items.len() > 1 => format!("{}–{}", a.code, b.code),
                    (Some(a), _) => a.code.clone(),
                    _ => String::new(),
                };
                ElementView {
                    code: el.code,
                    name: pick(lang, &el.name, &el.name_en),
                    id: anchor("d", &el.code.to_string()),
                    count: items.len(),
                    digits: if raw.answers.is_empty() {
                        String::new()
                    } else {
                        digits
                    },
                    range,
                    error: (!errors.is_empty()).then(|| errors.join(" · ")),
                    items,
                }
            })
            .collect();
        let expectations = q.expectations.as_ref().map(|x| {
            let options: Vec<Opt> = x
                .options
                .iter()
                .map(|o| Opt {
                    code: o.code.clone(),
                    label: pick(lang, &o.label, &o.label_en),
                    checked: false,
                })
                .collect();
            let legend = options
                .iter()
                .enumerate()
                .map(|(i, o)| format!("{} = {}", i + 1, o.label))
                .collect::<Vec<_>>()
                .join(", ");
            ExpectView {
                question: pick(lang, &x.question, &x.question_en),
                areas: x
                    .areas
                    .iter()
                    .map(|a| AreaView {
                        code: a.code.clone(),
                        id: anchor("e", &a.code),
                        text: pick(lang, &a.text, &a.text_en),
                        chosen: raw
                            .expectations
                            .get(&a.code)
                            .map(|v| v.trim().to_string())
                            .unwrap_or_default(),
                        error: by_field.get(&format!("expect.{}", a.code)).cloned(),
                    })
                    .collect(),
                options,
                free_text: x
                    .free_text
                    .as_ref()
                    .map(|f| pick(lang, &f.text, &f.text_en)),
                legend,
            }
        });
        let profile = q
            .profile
            .iter()
            .map(|p| {
                let given: Vec<&str> = raw
                    .profile
                    .get(&p.code)
                    .map(|v| v.split_whitespace().collect())
                    .unwrap_or_default();
                ProfileView {
                    code: p.code.clone(),
                    id: anchor("p", &p.code),
                    text: pick(lang, &p.text, &p.text_en),
                    required: p.required,
                    multiple: p.multiple,
                    options: p
                        .options
                        .iter()
                        .map(|o| Opt {
                            code: o.code.clone(),
                            label: pick(lang, &o.label, &o.label_en),
                            checked: given.contains(&o.code.as_str()),
                        })
                        .collect(),
                    error: by_field.get(&p.code).cloned(),
                }
            })
            .collect();
        let others = q
            .questions
            .iter()
            .map(|o| OtherView {
                code: o.code.clone(),
                id: anchor("o", &o.code),
                text: pick(lang, &o.text, &o.text_en),
                input: match o.kind {
                    QuestionKind::Note => "",
                    QuestionKind::Integer | QuestionKind::Decimal => "number",
                    QuestionKind::Date => "date",
                    QuestionKind::Text => "text",
                },
                value: raw.other.get(&o.code).cloned().unwrap_or_default(),
                required: o.required,
                error: by_field.get(&o.code).cloned(),
            })
            .collect();
        for m in loose {
            summary.insert(0, (String::new(), m));
        }
        QuestionnaireView {
            scale,
            elements,
            expectations,
            profile,
            others,
            free_text: raw.free_text.clone().unwrap_or_default(),
            free_text_error: by_field.get("free_text").cloned(),
            summary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_the_csp_hash() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert!(CSP.contains("style-src 'sha256-") && !CSP.contains("script-src"));
    }

    #[test]
    fn anchors_are_safe_ids() {
        assert_eq!(anchor("q", "1.1"), "q-1-1");
        assert_eq!(anchor("p", "age_band"), "p-age_band");
        assert_eq!(anchor("q", "\"><x"), "q----x");
    }
}
