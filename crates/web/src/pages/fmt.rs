//! Numbers, times and countdowns as the pages show them, in the user's language. Times are shown
//! in Viet Nam's time (UTC+7), which is where every user of the system is.

use parindex_core::locale::Locale;
use parindex_store::Timestamp;
use rust_decimal::Decimal;

const VN_OFFSET_MS: i64 = 7 * 3600 * 1000;

/// Points with as many places as they have (at most 3): `1,25`, `2`, `0,5`.
pub(crate) fn pts(lang: Locale, d: Decimal) -> String {
    let n = d.normalize();
    lang.decimal(n, n.scale().min(3))
}

/// Points, or a dash for none.
pub(crate) fn opt_pts(lang: Locale, d: Option<Decimal>) -> String {
    d.map_or_else(|| "—".to_string(), |d| pts(lang, d))
}

/// The text with its first letter in capitals (`tự đánh giá` → `Tự đánh giá`), for labels that
/// the domain keeps in lower case for use inside sentences.
pub(crate) fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A percentage with one decimal: `86,8 %`.
pub(crate) fn percent(lang: Locale, part: Decimal, whole: Decimal) -> String {
    if whole.is_zero() {
        return "—".into();
    }
    let mut p = part * Decimal::ONE_HUNDRED / whole;
    p = p.round_dp(1);
    format!("{} %", lang.decimal(p, 1))
}

/// The parts of a moment in Viet Nam's time: (year, month, day, hour, minute).
fn parts(t: Timestamp) -> (String, String, String, String, String) {
    let s = Timestamp(t.0 + VN_OFFSET_MS).to_string();
    (
        s[0..4].to_string(),
        s[5..7].to_string(),
        s[8..10].to_string(),
        s[11..13].to_string(),
        s[14..16].to_string(),
    )
}

/// `10/12/2019 23:59` (vi), `2019-12-10 23:59` (en), Viet Nam's time.
pub(crate) fn date_time(lang: Locale, t: Timestamp) -> String {
    let (y, mo, d, h, mi) = parts(t);
    match lang {
        Locale::Vi => format!("{d}/{mo}/{y} {h}:{mi}"),
        Locale::En => format!("{y}-{mo}-{d} {h}:{mi}"),
    }
}

/// The value of an `<input type="datetime-local">` for a moment (Viet Nam's time).
pub(crate) fn datetime_local(t: Timestamp) -> String {
    let (y, mo, d, h, mi) = parts(t);
    format!("{y}-{mo}-{d}T{h}:{mi}")
}

/// Reads an `<input type="datetime-local">` value as Viet Nam's time, into RFC 3339.
pub(crate) fn from_datetime_local(text: &str) -> Option<String> {
    let t = text.trim();
    // "2019-12-10T23:59" or with seconds.
    let base = match t.len() {
        16 => format!("{t}:00"),
        19 => t.to_string(),
        _ => return None,
    };
    let rfc = format!("{base}+07:00");
    Timestamp::parse_rfc3339(&rfc).map(|_| rfc)
}

/// What is left until a deadline, or how long ago it passed: `còn 5 ngày`, `quá hạn 2 giờ`.
pub(crate) fn countdown(lang: Locale, due: Timestamp, now: Timestamp) -> (String, bool) {
    let diff = due.0 - now.0;
    let overdue = diff < 0;
    let mins = diff.unsigned_abs() / 60_000;
    let (days, hours, minutes) = (mins / 1440, (mins % 1440) / 60, mins % 60);
    let amount = match lang {
        Locale::Vi if days > 0 => format!("{days} ngày {hours} giờ"),
        Locale::Vi if hours > 0 => format!("{hours} giờ {minutes} phút"),
        Locale::Vi => format!("{minutes} phút"),
        Locale::En if days > 0 => format!("{days} d {hours} h"),
        Locale::En if hours > 0 => format!("{hours} h {minutes} min"),
        Locale::En => format!("{minutes} min"),
    };
    let text = match (lang, overdue) {
        (Locale::Vi, false) => format!("còn {amount}"),
        (Locale::Vi, true) => format!("quá hạn {amount}"),
        (Locale::En, false) => format!("{amount} left"),
        (Locale::En, true) => format!("overdue by {amount}"),
    };
    (text, overdue)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn numbers_and_times() {
        let d = |s| Decimal::from_str(s).unwrap();
        assert_eq!(pts(Locale::Vi, d("1.250")), "1,25");
        assert_eq!(capitalized("đã nộp"), "Đã nộp");
        assert_eq!(pts(Locale::En, d("2.00")), "2");
        assert_eq!(percent(Locale::Vi, d("86.8"), d("100")), "86,8 %");
        let t = Timestamp::parse_rfc3339("2019-12-10T16:59:00Z").unwrap();
        assert_eq!(date_time(Locale::Vi, t), "10/12/2019 23:59");
        assert_eq!(datetime_local(t), "2019-12-10T23:59");
        assert_eq!(
            from_datetime_local("2019-12-10T23:59").as_deref(),
            Some("2019-12-10T23:59:00+07:00")
        );
        assert_eq!(from_datetime_local("10/12/2019"), None);
        let (text, late) = countdown(Locale::Vi, t, t.plus_seconds(-(2 * 86400 + 3600)));
        assert_eq!((text.as_str(), late), ("còn 2 ngày 1 giờ", false));
        let (text, late) = countdown(Locale::En, t, t.plus_seconds(90 * 60));
        assert_eq!((text.as_str(), late), ("overdue by 1 h 30 min", true));
    }
}
