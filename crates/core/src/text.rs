//! Vietnamese text: NFC normalisation, diacritic folding for search, and Vietnamese sort order.

use std::cmp::Ordering;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// The text in Unicode NFC, as it is stored everywhere.
pub fn nfc(text: &str) -> String {
    // Most text (ASCII, or typed by a Vietnamese keyboard) is NFC already: check before composing.
    if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        text.to_string()
    } else {
        text.nfc().collect()
    }
}

/// Folds text for diacritic-insensitive search: NFD, marks dropped, `đ → d`, lowercase, runs of
/// whitespace collapsed. "Cải cách" and "cai cach" fold alike, and so do "Đồng Nai" and "dong nai".
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text
            .split_ascii_whitespace()
            .map(str::to_ascii_lowercase)
            .collect::<Vec<_>>()
            .join(" ");
    }
    let mut out = String::with_capacity(text.len());
    let mut last_space = true;
    for ch in text.nfd() {
        if is_combining_mark(ch) {
            continue;
        }
        let ch = match ch {
            'đ' | 'Đ' => 'd',
            c => c,
        };
        if ch.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
            continue;
        }
        for lower in ch.to_lowercase() {
            out.push(lower);
        }
        last_space = false;
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

// Vietnamese alphabet order: a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y.
// Letters outside it (f, j, w, z, digits, punctuation) sort by their code point after a shift.
fn letter_rank(base: char, modifier: Option<char>) -> u32 {
    const ALPHABET: &[(char, Option<char>)] = &[
        ('a', None),
        ('a', Some('\u{306}')),
        ('a', Some('\u{302}')),
        ('b', None),
        ('c', None),
        ('d', None),
        ('đ', None),
        ('e', None),
        ('e', Some('\u{302}')),
        ('f', None),
        ('g', None),
        ('h', None),
        ('i', None),
        ('j', None),
        ('k', None),
        ('l', None),
        ('m', None),
        ('n', None),
        ('o', None),
        ('o', Some('\u{302}')),
        ('o', Some('\u{31b}')),
        ('p', None),
        ('q', None),
        ('r', None),
        ('s', None),
        ('t', None),
        ('u', None),
        ('u', Some('\u{31b}')),
        ('v', None),
        ('w', None),
        ('x', None),
        ('y', None),
        ('z', None),
    ];
    if let Some(pos) = ALPHABET
        .iter()
        .position(|&(b, m)| b == base && m == modifier)
    {
        return 1000 + pos as u32;
    }
    if let Some(pos) = ALPHABET.iter().position(|&(b, _)| b == base) {
        return 1000 + pos as u32;
    }
    if base.is_ascii_digit() || base.is_whitespace() || base.is_ascii_punctuation() {
        // Spaces and digits before letters, as dictionaries do.
        return base as u32;
    }
    2000 + base as u32
}

// Tone order used by Vietnamese dictionaries: ngang, huyền, hỏi, ngã, sắc, nặng.
fn tone_rank(mark: char) -> Option<u8> {
    match mark {
        '\u{300}' => Some(1),
        '\u{309}' => Some(2),
        '\u{303}' => Some(3),
        '\u{301}' => Some(4),
        '\u{323}' => Some(5),
        _ => None,
    }
}

/// A key that sorts Vietnamese text in dictionary order: letters first (with ă, â, đ, ê, ô, ơ, ư
/// as letters of their own), then tones, then case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SortKey {
    letters: Vec<u32>,
    tones: Vec<u8>,
    case: Vec<bool>,
}

pub fn sort_key(text: &str) -> SortKey {
    let mut letters = Vec::with_capacity(text.len());
    let mut tones = Vec::new();
    let mut case = Vec::new();
    let decomposed: Vec<char> = text.nfd().collect();
    let mut i = 0;
    while i < decomposed.len() {
        let ch = decomposed[i];
        i += 1;
        let is_upper = ch.is_uppercase();
        let base = match ch {
            'Đ' => 'đ',
            c => c.to_lowercase().next().unwrap_or(c),
        };
        let mut modifier = None;
        let mut tone = 0u8;
        while i < decomposed.len() && is_combining_mark(decomposed[i]) {
            let m = decomposed[i];
            if let Some(t) = tone_rank(m) {
                tone = t;
            } else {
                modifier = Some(m);
            }
            i += 1;
        }
        letters.push(letter_rank(base, modifier));
        tones.push(tone);
        case.push(is_upper);
    }
    SortKey {
        letters,
        tones,
        case,
    }
}

/// Compares two texts in Vietnamese dictionary order.
pub fn compare(a: &str, b: &str) -> Ordering {
    sort_key(a).cmp(&sort_key(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_diacritics_and_d_stroke() {
        assert_eq!(fold("Cải  cách hành chính"), "cai cach hanh chinh");
        assert_eq!(fold("Đồng Nai"), "dong nai");
        assert_eq!(
            fold(&nfc("Sở Khoa học và Công nghệ")),
            "so khoa hoc va cong nghe"
        );
    }

    #[test]
    fn vietnamese_order() {
        let mut names = vec![
            "Sở Y tế",
            "Sở Ăn",
            "Sở An",
            "Sở Đà",
            "Sở Dân",
            "Sở Ân",
            "Sở Tư pháp",
            "Sở Tài chính",
        ];
        names.sort_by(|a, b| compare(a, b));
        assert_eq!(
            names,
            vec![
                "Sở An",
                "Sở Ăn",
                "Sở Ân",
                "Sở Dân",
                "Sở Đà",
                "Sở Tài chính",
                "Sở Tư pháp",
                "Sở Y tế"
            ]
        );
        let mut tones = vec!["má", "mà", "ma", "mạ", "mã", "mả"];
        tones.sort_by(|a, b| compare(a, b));
        assert_eq!(tones, vec!["ma", "mà", "mả", "mã", "má", "mạ"]);
    }

    #[test]
    fn composed_and_decomposed_sort_alike() {
        let composed = "Thành phố";
        let decomposed: String = composed.nfd().collect();
        assert_eq!(compare(composed, &decomposed), Ordering::Equal);
    }
}
