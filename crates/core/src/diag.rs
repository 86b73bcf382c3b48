//! Diagnostics: what is wrong with an input and exactly where (file, line or cell, field, node),
//! rendered in the user's language.

use crate::locale::Locale;
use std::fmt;

/// Where a problem is: any combination of file, line, spreadsheet cell, column/field and node code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    pub file: Option<String>,
    pub line: Option<usize>,
    /// A spreadsheet cell with its sheet, e.g. `Bộ tiêu chí!D12`.
    pub cell: Option<String>,
    /// A column name or field name.
    pub field: Option<String>,
    /// A criteria-set node code such as `1.1.4`.
    pub node: Option<String>,
}

impl Location {
    pub fn file(file: impl Into<String>) -> Self {
        Location {
            file: Some(file.into()),
            ..Default::default()
        }
    }
    pub fn with_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }
    pub fn with_cell(mut self, cell: impl Into<String>) -> Self {
        self.cell = Some(cell.into());
        self
    }
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
    pub fn with_node(mut self, node: impl Into<String>) -> Self {
        self.node = Some(node.into());
        self
    }

    /// `sets/so.set.toml:12, node 1.1.4, field max` (en) or `sets/so.set.toml:12, mục 1.1.4, trường max` (vi).
    pub fn render(&self, locale: Locale) -> String {
        let mut parts = Vec::new();
        match (&self.file, self.line) {
            (Some(f), Some(l)) => parts.push(format!("{f}:{l}")),
            (Some(f), None) => parts.push(f.clone()),
            (None, Some(l)) => parts.push(format!("{} {l}", locale.pick("dòng", "line"))),
            (None, None) => {}
        }
        if let Some(c) = &self.cell {
            parts.push(format!("{} {c}", locale.pick("ô", "cell")));
        }
        if let Some(n) = &self.node {
            parts.push(format!("{} {n}", locale.pick("mục", "node")));
        }
        if let Some(f) = &self.field {
            parts.push(format!("{} {f}", locale.pick("cột/trường", "field")));
        }
        parts.join(", ")
    }
}

/// One problem with an input, carrying its message in both languages so the caller renders it in
/// the user's language without the domain knowing who the user is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    // Boxed so that `Result<_, Problem>` stays small on the happy path.
    pub location: Box<Location>,
    pub vi: String,
    pub en: String,
}

impl Problem {
    pub fn new(location: Location, vi: impl Into<String>, en: impl Into<String>) -> Self {
        Problem {
            location: Box::new(location),
            vi: vi.into(),
            en: en.into(),
        }
    }

    pub fn message(&self, locale: Locale) -> &str {
        locale.pick(&self.vi, &self.en)
    }

    pub fn render(&self, locale: Locale) -> String {
        let at = self.location.render(locale);
        if at.is_empty() {
            self.message(locale).to_string()
        } else {
            format!("{at}: {}", self.message(locale))
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Locale::En))
    }
}

/// All the problems found in one input; validation reports them all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn push(&mut self, p: Problem) {
        self.0.push(p);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn iter(&self) -> impl Iterator<Item = &Problem> {
        self.0.iter()
    }
    pub fn extend(&mut self, other: Problems) {
        self.0.extend(other.0);
    }
    pub fn render(&self, locale: Locale) -> String {
        self.0
            .iter()
            .map(|p| p.render(locale))
            .collect::<Vec<_>>()
            .join("\n")
    }
    /// `Ok(value)` when nothing is wrong.
    pub fn into_result<T>(self, value: T) -> Result<T, Problems> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Locale::En))
    }
}

impl std::error::Error for Problems {}

/// 1-based line of a byte offset in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
