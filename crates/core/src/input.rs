//! Reading user files as text: UTF-8 checked with the line of the first bad byte, a UTF-8
//! byte-order mark dropped, UTF-16 recognised and refused with a clear message.

use crate::diag::{Location, Problem};

/// Decodes a file's bytes as UTF-8 text in NFC.
pub fn decode_text(file: &str, bytes: &[u8]) -> Result<String, Problem> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Problem::new(
            Location::file(file),
            "tệp mã hóa UTF-16: hãy lưu lại dưới dạng UTF-8 (CSV UTF-8)",
            "the file is UTF-16: save it as UTF-8 (CSV UTF-8)",
        ));
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match std::str::from_utf8(body) {
        Ok(text) => Ok(crate::text::nfc(text)),
        Err(e) => {
            let offset = e.valid_up_to();
            let line = body[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
            Err(Problem::new(
                Location::file(file).with_line(line),
                format!(
                    "tệp không phải UTF-8 (byte {} không hợp lệ): hãy lưu lại dưới dạng UTF-8",
                    offset
                ),
                format!(
                    "the file is not UTF-8 (invalid byte at offset {offset}): save it as UTF-8"
                ),
            ))
        }
    }
}
