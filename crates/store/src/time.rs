//! Moments in time as stored: UTC milliseconds since the Unix epoch, the same integer on both
//! backends, shown and read as RFC 3339.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A moment in UTC, to the millisecond. Stored as a BIGINT on both backends, so comparisons and
/// ordering in SQL are plain integer comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Timestamp {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }

    pub fn from_millis(ms: i64) -> Timestamp {
        Timestamp(ms)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    /// This moment plus `seconds` (negative: earlier).
    pub fn plus_seconds(self, seconds: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(seconds.saturating_mul(1000)))
    }

    /// Reads `2019-12-10T23:59:00+07:00`, `2019-12-10T16:59:00Z` or `2019-12-10T16:59:00.250Z`.
    pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
        let t = text.trim().as_bytes();
        let num = |range: std::ops::Range<usize>| -> Option<i64> {
            let part = t.get(range)?;
            if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(part).ok()?.parse().ok()
        };
        if t.len() < 20 || t[4] != b'-' || t[7] != b'-' || !matches!(t[10], b'T' | b't' | b' ') {
            return None;
        }
        if t[13] != b':' || t[16] != b':' {
            return None;
        }
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&mo)
            || d < 1
            || d > days_in_month(y, mo)
            || h > 23
            || mi > 59
            || s > 59
        {
            return None;
        }
        let mut i = 19;
        let mut ms = 0;
        if t[i] == b'.' {
            let start = i + 1;
            i = start;
            while i < t.len() && t[i].is_ascii_digit() {
                i += 1;
            }
            let frac = t.get(start..i)?;
            if frac.is_empty() {
                return None;
            }
            for (k, digit) in frac.iter().take(3).enumerate() {
                ms += i64::from(digit - b'0') * [100, 10, 1][k];
            }
        }
        let offset_min = match t.get(i)? {
            b'Z' | b'z' if i + 1 == t.len() => 0,
            sign @ (b'+' | b'-') if i + 6 == t.len() && t[i + 3] == b':' => {
                let m = num(i + 1..i + 3)? * 60 + num(i + 4..i + 6)?;
                if *sign == b'-' { -m } else { m }
            }
            _ => return None,
        };
        let days = days_from_civil(y, mo, d);
        let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset_min * 60;
        Some(Timestamp(secs * 1000 + ms))
    }
}

impl fmt::Display for Timestamp {
    /// `2019-12-10T16:59:00.000Z`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.rem_euclid(1000);
        let secs = self.0.div_euclid(1000);
        let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's algorithms: proleptic Gregorian calendar ↔ days since 1970-01-01.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_rfc3339() {
        let t = Timestamp::parse_rfc3339("2019-12-10T23:59:00+07:00").unwrap();
        assert_eq!(t.to_string(), "2019-12-10T16:59:00.000Z");
        assert_eq!(Timestamp::parse_rfc3339(&t.to_string()), Some(t));
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000Z");
        assert_eq!(Timestamp(-1).to_string(), "1969-12-31T23:59:59.999Z");
        let leap = Timestamp::parse_rfc3339("2020-02-29T12:00:00.25Z").unwrap();
        assert_eq!(leap.to_string(), "2020-02-29T12:00:00.250Z");
        assert_eq!(Timestamp::parse_rfc3339("2019-02-29T12:00:00Z"), None);
        assert_eq!(Timestamp::parse_rfc3339("2019-12-10"), None);
        assert_eq!(Timestamp::parse_rfc3339("2019-12-10T16:59:00"), None);
    }
}
