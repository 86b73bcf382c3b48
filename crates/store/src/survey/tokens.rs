//! One-time invitation tokens (mã khảo sát): 160 random bits from the operating system, written
//! as 32 base32 characters, given out once and stored only as their SHA-256; single use.

use super::SurveyState;
use crate::audit::{self, Change};
use crate::db::{Db, q};
use crate::error::TokenRefusal;
use crate::rounds::sha256_hex;
use crate::time::Timestamp;
use crate::{Actor, Error, Result};

/// Random bits in a token.
pub const TOKEN_BITS: usize = 160;
const TOKEN_BYTES: usize = TOKEN_BITS / 8;
/// Characters of a token: 160 bits in base32 (5 bits each).
pub(crate) const TOKEN_LEN: usize = TOKEN_BITS / 5;
/// RFC 4648 base32, lowercase: no 0/1/8/9, so `0`/`o` and `1`/`l` confusions are read leniently.
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
/// Most tokens made in one call.
const MAX_BATCH: usize = 100_000;

fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buf >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buf << (5 - bits)) & 31) as usize]));
    }
    out
}

/// A token as typed or scanned, normalised: lowercase, spaces and dashes dropped, `0`→`o`,
/// `1`→`l`. `None` when it cannot be a token.
pub(crate) fn normalize(token: &str) -> Option<String> {
    let t: String = token
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\t'))
        .map(|c| match c.to_ascii_lowercase() {
            '0' => 'o',
            '1' => 'l',
            c => c,
        })
        .collect();
    (t.len() == TOKEN_LEN && t.bytes().all(|b| ALPHABET.contains(&b))).then_some(t)
}

/// The stored form of a token: the SHA-256 (hex) of its normalised text. `None` when the text
/// cannot be a token.
pub fn hash_token(token: &str) -> Option<String> {
    normalize(token).map(|t| sha256_hex(t.as_bytes()))
}

pub(crate) fn new_token() -> Result<String> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::Io(std::io::Error::other(format!("no randomness: {e}"))))?;
    Ok(base32(&bytes))
}

/// What a valid, unused token opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub survey: String,
    pub unit: String,
    pub service_field: Option<String>,
}

pub(crate) fn unknown_token() -> Error {
    Error::Token(TokenRefusal::Unknown)
}

pub(crate) fn used_token() -> Error {
    Error::Token(TokenRefusal::Used)
}

impl Db {
    /// Makes `count` tokens for a unit (optionally tied to a service field) and returns their
    /// text, once: only the hashes are stored. Print them, e.g. as QR codes on receipts.
    pub async fn create_tokens(
        &self,
        year: i32,
        code: &str,
        unit: &str,
        count: usize,
        service_field: Option<&str>,
        by: &Actor,
    ) -> Result<Vec<String>> {
        let ctx = self.survey_context(year, code).await?;
        let unit_id = *ctx.unit_ids.get(unit).ok_or_else(|| {
            Error::invalid(
                "unit",
                format!("đơn vị \"{unit}\" không thuộc kỳ đánh giá {year}"),
                format!("unit \"{unit}\" is not in round {year}"),
            )
        })?;
        if count == 0 || count > MAX_BATCH {
            return Err(Error::invalid(
                "count",
                format!("số mã phải từ 1 đến {MAX_BATCH}"),
                format!("the number of tokens must be between 1 and {MAX_BATCH}"),
            ));
        }
        if let Some(f) = service_field
            && !ctx.survey.settings.service_fields.iter().any(|s| s == f)
        {
            return Err(Error::invalid(
                "service_field",
                format!("lĩnh vực \"{f}\" không có trong thiết lập khảo sát"),
                format!("service field \"{f}\" is not in the survey's settings"),
            ));
        }
        let now = Timestamp::now();
        let mut tokens = Vec::with_capacity(count);
        let mut tx = self.begin().await?;
        for _ in 0..count {
            let t = new_token()?;
            tx.execute(
                q("INSERT INTO survey_tokens (hash, survey_id, unit_id, service_field, created_at, reuse_attempts) \
                   VALUES ($1, $2, $3, $4, $5, 0)")
                .bind(sha256_hex(t.as_bytes()))
                .bind(ctx.survey.id)
                .bind(unit_id)
                .bind(service_field)
                .bind(now),
            )
            .await?;
            tokens.push(t);
        }
        audit::append(
            &mut tx,
            by,
            now,
            Change::new("create_tokens", "survey", ctx.survey.key()).field(
                "tokens",
                None,
                Some(format!("{unit}: {count}")),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(tokens)
    }

    /// What a token opens, for the page a respondent lands on: fails when the token is unknown,
    /// of another survey, already used, or the survey is closed.
    pub async fn check_token(&self, year: i32, code: &str, token: &str) -> Result<TokenInfo> {
        let s = self.survey(year, code).await?;
        if s.state == SurveyState::Closed {
            return Err(super::validate::closed(&s).into());
        }
        let hash = hash_token(token).ok_or_else(unknown_token)?;
        let r = self
            .fetch_optional(
                q(
                    "SELECT t.survey_id, u.code, t.service_field, t.used_at FROM survey_tokens t \
                   JOIN units u ON u.id = t.unit_id WHERE t.hash = $1",
                )
                .bind(&hash),
            )
            .await?
            .ok_or_else(unknown_token)?;
        if r.i64("survey_id")? != s.id {
            return Err(unknown_token());
        }
        if r.opt_i64("used_at")?.is_some() {
            return Err(used_token());
        }
        Ok(TokenInfo {
            survey: s.code,
            unit: r.text("code")?,
            service_field: r.opt_text("service_field")?,
        })
    }

    /// Tokens of a survey per unit: (unit, made, used).
    pub async fn token_counts(&self, year: i32, code: &str) -> Result<Vec<(String, u64, u64)>> {
        let s = self.survey(year, code).await?;
        let rows = self
            .fetch_all(
                q("SELECT u.code, CAST(COUNT(*) AS BIGINT) AS made, \
                   CAST(COUNT(t.used_at) AS BIGINT) AS used FROM survey_tokens t \
                   JOIN units u ON u.id = t.unit_id WHERE t.survey_id = $1 GROUP BY u.code ORDER BY u.code")
                .bind(s.id),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.text("code")?,
                    u64::try_from(r.i64("made")?).unwrap_or(0),
                    u64::try_from(r.i64("used")?).unwrap_or(0),
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_160_bits_of_base32() {
        let t = new_token().unwrap();
        assert_eq!(t.len(), 32);
        assert!(normalize(&t).is_some());
        assert_ne!(t, new_token().unwrap());
        assert_eq!(base32(&[0xff; 5]), "77777777");
        assert_eq!(base32(b"f"), "my");
        let spaced = format!("{}-{} {}", &t[..8], &t[8..16], t[16..].to_uppercase());
        assert_eq!(hash_token(&spaced), hash_token(&t));
        assert_eq!(hash_token("short"), None);
    }
}
